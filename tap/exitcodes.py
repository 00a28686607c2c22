"""The exit codes of the `tap` command, one meaning each, for every subcommand.

Two subcommands answer a question with codes of their own, documented with them: `tap diff`
(tap.diff: 3 = the change replaces or deletes a protected or stateful resource) and
`tap failover` (tap.failover: 1 = requested but not verified, 2 = refused, 3 = declined).

A script or a workflow can tell "the stack is wrong" (1) from "the command was wrong" (2) and
from "AWS could not be read" (3), and react to each differently: alert, fix the call, retry.
"""

from typing import Final

EXIT_OK: Final = 0
# A finding: `tap verify` saw drift or a missing resource; `tap docs --check` stale docs.
EXIT_FINDINGS: Final = 1
# The command cannot do what was asked: a bad argument, stack file, input file or output path,
# a bucket name that is taken. Fix the command or its inputs; retrying will not help.
EXIT_USER_ERROR: Final = 2
# AWS could not be used or read: no usable credentials, credentials or calls refused, throttled
# after retries, an endpoint that does not answer. `tap verify` found no drift or fail in what it
# could read. Fix the access or retry later.
EXIT_AWS_UNAVAILABLE: Final = 3
EXIT_INTERRUPTED: Final = 130  # Ctrl-C, as shells report SIGINT
