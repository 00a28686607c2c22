"""`tap verify`: live conformance and drift checks of a deployed stack, read with boto3.

Two inputs say what should be there:

- the stack's outputs, as `pulumi stack output --json` prints them: the names and ARNs of what
  was deployed (bucket names, cluster identifier, REST API id, log groups, alarms, ...);
- the stack's `Pulumi.<stack>.yaml`, through tap's own config model: the values the program
  declares (environment, logRetentionDays, database.backupRetentionDays, ...).

Each check reads one setting of one resource and compares it with what the program declares.
Control ids are the AWS Foundational Security Best Practices ids the policy pack uses (see
CONTROLS). A result is `pass`, `drift`, `fail` or `unknown` (tap.verify.model says when).

`run_verify` is the command: it reads and validates the inputs, runs `verify` and prints a
report, always to its end; its exit codes are in tap.verify.runner.

The checks live by AWS concern, mirroring tap/components/: kms, storage (S3), database (RDS),
function (Lambda), api (API Gateway), logs (CloudWatch Logs), monitoring (alarms) and
security (the IAM password policy). The core is model (controls and results), outputs (the
inputs), context (AWS reads), replies (reading AWS's answers strictly), report, and runner
(the command).
"""

from tap.verify.api import log_group_of
from tap.verify.model import GLOBAL, STATUSES, CheckResult, Control, Status
from tap.verify.outputs import VerifyError, read_outputs, select_regions, validate_outputs
from tap.verify.report import exit_code, render_json, render_text, summary_line
from tap.verify.runner import CONTROLS, REGIONAL_CHECKS, OutputFormat, run_verify, verify
from tap.verify.security import describe_password_policy
from tap.verify.storage import denies_insecure_transport

__all__ = [
    "CONTROLS",
    "GLOBAL",
    "REGIONAL_CHECKS",
    "STATUSES",
    "CheckResult",
    "Control",
    "OutputFormat",
    "Status",
    "VerifyError",
    "denies_insecure_transport",
    "describe_password_policy",
    "exit_code",
    "log_group_of",
    "read_outputs",
    "render_json",
    "render_text",
    "run_verify",
    "select_regions",
    "summary_line",
    "validate_outputs",
    "verify",
]
