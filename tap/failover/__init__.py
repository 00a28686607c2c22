"""`tap failover`: move the writer of a stack's Aurora global database to another region.

The stack's config, read through tap's own model, says which global cluster and which member
clusters the program created (the names come from `tap.components.database`). AWS says which
member is the writer now (DescribeGlobalClusters). From both, the command

1. checks the request: the stack has a global database, the target region holds one of its
   secondaries (not the writer), no switchover or failover is running, and the clusters are in
   a state AWS can promote;
2. shows what it will do (writer, target, members, the RPO and RTO AWS documents, the data-loss
   warning of an unplanned failover) and asks for the target region to be typed on a terminal,
   or takes `--yes`; without a terminal and without `--yes` it refuses;
3. asks RDS for a planned switchover (SwitchoverGlobalCluster: no data loss, sent to the
   writer's region) or, with `--unplanned`, a failover that may lose data (FailoverGlobalCluster
   with AllowDataLoss, sent to the target's region), as the Aurora User Guide prescribes;
4. waits, bounded by `--timeout` and polling every `--poll-interval` seconds, until the target is
   the writer and available (and, for a switchover, the operation is over);
5. checks every member's role (IsWriter) and cluster status, then prints the result and the
   next steps of docs/runbook.md ("Moving the writer").

Exit codes (also in docs/runbook.md):

- 0: the target is the writer and every member was verified;
- 1: the operation was requested but did not end verified: it timed out, was cancelled, left a
  member in the wrong role or state, or AWS stopped answering. The writer may still be moving:
  look (`aws rds describe-global-clusters`) before acting again;
- 2: refused, nothing was changed: bad input or config, no global database, a target that is
  not a secondary, an operation already running, no terminal and no --yes, or AWS refusing,
  throttling or unreachable before the request;
- 3: declined at the prompt, nothing was changed.

The package, by concern: model.py (exit codes, limits, what the program declares and what AWS
says), decision.py (whether and how to move, pure), aws.py (the RDS calls and their failures)
and command.py (the prompt, the wait, the report). It loads nothing heavy at import (cli.py
reads its defaults to build `tap --help`).
"""

from tap.failover.aws import (
    Aws,
    describe_failure,
    is_refused,
    rds_clients,
)
from tap.failover.command import (
    Clock,
    Console,
    Outcome,
    Request,
    report,
    run_failover,
    show_move,
    system_clock,
    wait_for_writer,
)
from tap.failover.decision import (
    AFTER_CHECKS,
    PLANNED,
    UNPLANNED,
    Finding,
    Mode,
    Move,
    check_members,
    next_steps,
    plan_move,
)
from tap.failover.model import (
    AVAILABLE,
    AWS_SOURCE,
    CANCELLING,
    CONNECT_TIMEOUT_SECONDS,
    DEFAULT_POLL_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    EXIT_DECLINED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNVERIFIED,
    MAX_ATTEMPTS,
    READ_TIMEOUT_SECONDS,
    RUNBOOK_SECTION,
    RUNNING,
    THROTTLING,
    WRITER_REGION_KEY,
    ClusterState,
    GlobalState,
    Member,
    Operation,
    RdsClients,
    Stop,
    Topology,
    cluster_state,
    global_state,
    parse_arn,
    topology,
)

__all__ = [
    "AFTER_CHECKS",
    "AVAILABLE",
    "AWS_SOURCE",
    "CANCELLING",
    "CONNECT_TIMEOUT_SECONDS",
    "DEFAULT_POLL_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "EXIT_DECLINED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNVERIFIED",
    "MAX_ATTEMPTS",
    "PLANNED",
    "READ_TIMEOUT_SECONDS",
    "RUNBOOK_SECTION",
    "RUNNING",
    "THROTTLING",
    "UNPLANNED",
    "WRITER_REGION_KEY",
    "Aws",
    "Clock",
    "ClusterState",
    "Console",
    "Finding",
    "GlobalState",
    "Member",
    "Mode",
    "Move",
    "Operation",
    "Outcome",
    "RdsClients",
    "Request",
    "Stop",
    "Topology",
    "check_members",
    "cluster_state",
    "describe_failure",
    "global_state",
    "is_refused",
    "next_steps",
    "parse_arn",
    "plan_move",
    "rds_clients",
    "report",
    "run_failover",
    "show_move",
    "system_clock",
    "topology",
    "wait_for_writer",
]
