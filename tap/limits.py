"""The AWS limits tap checks against (pure), each defined once with where it comes from.

Limits AWS states only in its documentation live here. Values AWS publishes as data are read
from that data instead (tap.awsdata): the retention values CloudWatch Logs accepts, the Aurora
PostgreSQL versions offered for new clusters, and the instance classes orderable per region.
Config validation, the components, the docs and (through these names) the policy rules use
this module, so a limit cannot be written down twice and drift.
"""

from __future__ import annotations

# --- Lambda (Lambda Developer Guide, "Lambda quotas") -------------------------------------------

LAMBDA_MIN_MEMORY_MB = 128  # "Function memory allocation: 128 MB to 10,240 MB"
LAMBDA_MAX_MEMORY_MB = 10_240
# Lambda's own timeout limit (900 s) is never reached: API Gateway's 29 s below is the bound.
# "Concurrent executions: 1,000" (the default regional quota): a larger reservation fails.
LAMBDA_CONCURRENCY_QUOTA = 1_000

# --- API Gateway (API Gateway Developer Guide, "Amazon API Gateway quotas") ---------------------

# "Maximum integration timeout: 50 milliseconds - 29 seconds" for REST APIs (the default; a
# quota increase can raise it for Regional APIs, at the cost of account throttling).
API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS = 29
# "Throttle quota per account, per Region across HTTP, REST, WebSocket: 10,000 RPS, burst 5,000":
# a stage limit above the account's own is never reached.
API_GATEWAY_MAX_RATE_LIMIT = 10_000
API_GATEWAY_MAX_BURST_LIMIT = 5_000
# CreateStage: "Stage names can only contain alphanumeric characters, hyphens, and underscores.
# Maximum length is 128 characters." (tap allows the subset without hyphens.)
API_GATEWAY_STAGE_NAME_MAX_LENGTH = 128

# --- Tags (Tagging AWS Resources, "Tag naming limits and requirements") -------------------------

MAX_TAGS_PER_RESOURCE = 50  # "Maximum number of tags per resource: 50"
TAG_KEY_MAX_LENGTH = 128  # "Maximum key length: 128 Unicode characters in UTF-8"
TAG_VALUE_MAX_LENGTH = 256  # "Maximum value length: 256 Unicode characters in UTF-8"
RESERVED_TAG_PREFIX = "aws:"  # "Do not use aws:, AWS:, or any upper or lowercase combination"

# --- Aurora PostgreSQL (Aurora User Guide) -------------------------------------------------------

# "Aurora Replicas: up to 15 per DB cluster", plus the writer.
AURORA_MAX_INSTANCES = 16
# "Backup retention period: 1 to 35 days" (CreateDBCluster BackupRetentionPeriod).
AURORA_MIN_BACKUP_RETENTION_DAYS = 1
AURORA_MAX_BACKUP_RETENTION_DAYS = 35
# Serverless v2 capacity: "from 0 to 256 ACUs, in increments of 0.5 ACU"; the smallest non-zero
# minimum is 0.5, and the maximum must be at least 1.
AURORA_MAX_ACU = 256
AURORA_ACU_STEP = 0.5
AURORA_MIN_MAX_ACU = 1
# Serverless v2 exists from these minors of each major ("Supported Regions and Aurora DB engines
# for Aurora Serverless v2"); later majors support it from their first release.
AURORA_SERVERLESS_V2_SINCE = {13: 6, 14: 3, 15: 2, 16: 1}
# A minimum of 0 ACUs (automatic pause) exists from these minors ("Scaling to zero ACUs with
# automatic pause and resume"); later majors support it from their first release.
AURORA_SCALE_TO_ZERO_SINCE = {13: 15, 14: 12, 15: 7, 16: 3, 17: 4}
# Enhanced Monitoring: "MonitoringInterval ... Valid Values: 0, 1, 5, 10, 15, 30, 60".
AURORA_MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# Performance Insights keeps 7 days free; longer retention is billed.
PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS = 7
# Master username and initial database name: "1 to 63 letters or numbers ... First character
# must be a letter"; rdsadmin and these defaults are refused or reserved.
AURORA_NAME_MAX_LENGTH = 63
AURORA_RESERVED_USERNAMES = frozenset({"postgres", "rdsadmin", "admin", "root", "master"})
# Global databases: "burstable DB instance classes (db.t*) are not supported".
AURORA_BURSTABLE_CLASS_PREFIX = "db.t"
AURORA_SERVERLESS_CLASS = "db.serverless"
# PostgreSQL integer parameters (log_min_duration_statement) are 32-bit signed.
POSTGRES_MAX_INT = 2_147_483_647

# --- KMS (KMS Developer Guide, "Deleting AWS KMS keys") ------------------------------------------

KMS_MIN_DELETION_WINDOW_DAYS = 7  # "a waiting period of 7-30 days"
KMS_MAX_DELETION_WINDOW_DAYS = 30

# --- VPC (Amazon VPC User Guide, "VPC CIDR blocks") ----------------------------------------------

VPC_LARGEST_PREFIX = 16  # "The allowed block size is between a /16 netmask ... and /28"
SUBNET_SMALLEST_PREFIX = 28  # the same range applies to subnets

# --- Accounts and ECR ----------------------------------------------------------------------------

ACCOUNT_ID_DIGITS = 12  # "An AWS account ID is a 12-digit number"
# ECR image tags: "up to 128 characters ... [a-zA-Z0-9-_.]" (PutImage imageTag).
ECR_TAG_MAX_LENGTH = 128

# --- SNS email subscriptions ---------------------------------------------------------------------

EMAIL_MAX_LENGTH = 254  # RFC 5321's limit on a forward path, which SNS enforces on endpoints

# --- DNS names (RFC 1035, Route 53 Developer Guide "DNS domain name format") --------------------

# RFC 1035 2.3.4: "labels 63 octets or less, names 255 octets or less" on the wire. The wire
# form spends one length octet per label and a final zero, so a name written with dots (and no
# trailing dot) has at most 253 characters; Route 53 and ACM's Subject Alternative Names ("up
# to 253 octets") use the same bounds.
DNS_LABEL_MAX_LENGTH = 63
DNS_NAME_MAX_LENGTH = 253
# ACM RequestCertificate, DomainName: "In compliance with RFC 5280, the length of the domain
# name (technically, the Common Name) that you provide cannot exceed 64 octets (characters),
# including periods."
ACM_COMMON_NAME_MAX_LENGTH = 64

# --- Route 53 (Route 53 API Reference) -----------------------------------------------------------

# HostedZone.Id: "Length Constraints: Maximum length of 32." The API documents only the length;
# every id Route 53 issues (AWS's own service zones included, such as API Gateway's
# Z1UJRXOUMOOFQ8) is an upper-case Z followed by upper-case letters and digits.
ROUTE53_ZONE_ID_MAX_LENGTH = 32
# CreateHealthCheck, HealthCheckConfig: "RequestInterval ... 10 or 30" seconds;
# "FailureThreshold ... Valid Range: Minimum value of 1. Maximum value of 10."
ROUTE53_HEALTH_CHECK_INTERVALS = (10, 30)
ROUTE53_HEALTH_CHECK_MIN_FAILURE_THRESHOLD = 1
ROUTE53_HEALTH_CHECK_MAX_FAILURE_THRESHOLD = 10

# --- Secrets Manager (API Reference, CreateSecret "Name") ----------------------------------------

# "Do not end your secret name with a hyphen followed by six characters. If you do so, you risk
# confusion and unexpected results when searching for a secret by partial ARN. Secrets Manager
# automatically adds a hyphen and six random characters after the secret name at the end of the
# ARN." A partial-ARN lookup of `x` can then match the secret named `x-abcdef` instead.
SECRET_ARN_SUFFIX_LENGTH = 6
# The same rule as an ECMA-262 pattern, for the constraints' schema fragments.
SECRET_NAME_ARN_SUFFIX_PATTERN = rf"-.{{{SECRET_ARN_SUFFIX_LENGTH}}}$"


def secret_name_looks_suffixed(name: str) -> bool:
    """Whether `name` ends like the `-` + six characters Secrets Manager appends to ARNs."""
    return len(name) > SECRET_ARN_SUFFIX_LENGTH and name[-SECRET_ARN_SUFFIX_LENGTH - 1] == "-"


def check_secret_name(name: str) -> None:
    """Refuse a secret name that ends in `-` + six characters (raises ValueError)."""
    if secret_name_looks_suffixed(name):
        raise ValueError(
            f"secret name {name!r} ends in a hyphen and {SECRET_ARN_SUFFIX_LENGTH} characters, "
            "like the random suffix Secrets Manager appends to its ARN; a partial-ARN lookup "
            "could match the wrong secret (CreateSecret, Name). Choose a name that ends "
            "otherwise"
        )


# --- AWS WAF (WAF Developer Guide; AWS::WAFv2::WebACL schema) ------------------------------------

# RateBasedStatement Limit: "minimum": 10, "maximum": 2000000000 (AWS::WAFv2::WebACL RateLimit).
WAF_RATE_LIMIT_MIN = 10
WAF_RATE_LIMIT_MAX = 2_000_000_000
# EvaluationWindowSec: enum [60, 120, 300, 600]; 300 when unset.
WAF_EVALUATION_WINDOWS_SECONDS = (60, 120, 300, 600)
WAF_DEFAULT_EVALUATION_WINDOW_SECONDS = 300
# "The basic price for a web ACL includes up to 1,500 WCUs" (AWS WAF pricing, "Web ACL capacity
# units"); a web ACL above it costs more per request.
WAF_WEB_ACL_BASE_WCU = 1_500

# --- AWS Backup (AWS Backup API Reference) -------------------------------------------------------

# PutBackupVaultLockConfiguration: "The shortest minimum retention period you can specify is 1
# day"; "The longest maximum retention period you can specify is 36500 days".
BACKUP_LOCK_MIN_RETENTION_DAYS = 1
BACKUP_LOCK_MAX_RETENTION_DAYS = 36_500
# BackupRuleInput.StartWindowMinutes: "If this value is included, it must be at least 60 minutes".
BACKUP_MIN_START_WINDOW_MINUTES = 60

# --- AWS Signer (Signer Developer Guide, "Signing profiles") -------------------------------------

# "By default, signature validity is set to 135 months (11 years and 3 months), which is the
# maximum validity supported" (Signer Developer Guide, "Creating profiles using the AWS CLI").
SIGNER_MAX_SIGNATURE_VALIDITY_MONTHS = 135

# --- Secrets Manager (RotateSecret RotationRules) ------------------------------------------------

# RotationRules.AutomaticallyAfterDays: "Valid Range: Minimum value of 1. Maximum value of 1000."
SECRETS_ROTATION_MIN_DAYS = 1
SECRETS_ROTATION_MAX_DAYS = 1_000
