"""The monitoring component's arguments and their validation (pure): the alarm thresholds and
timings, the replication and WAF targets, and what a region's Monitoring watches.

tap.components.monitoring builds the alarms and the dashboard from these; config validates the
user's values before they get here, so the checks below guard what code passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from tap.naming import Labels, region_code

MAX_RANGE_SHORT_PERIODS = 86400  # period < 1 hour: evaluation range <= 1 day
MAX_RANGE_LONG_PERIODS = 604800  # period >= 1 hour: evaluation range <= 7 days
DB_ROLES = ("writer", "secondary")

# --- pure validation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmThresholds:
    """What each alarm compares against, and how long a breach must last.

    Every field must be a positive number. Counts are per evaluation period.
    """

    lambda_errors: float = 5  # Errors (Sum) >= this
    lambda_throttles: float = 1  # Throttles (Sum) >= this: any throttling is capacity lost
    api_5xx_errors: float = 5  # 5XXError (Sum) >= this
    api_p99_latency_ms: float = 3000  # Latency p99 > this (API Gateway caps at 29 s)
    db_cpu_percent: float = 80  # CPUUtilization (Average) > this
    db_freeable_memory_bytes: float = 256 * 1024**2  # FreeableMemory (Minimum) < this
    db_connections: float = 200  # DatabaseConnections (Maximum) > this
    db_connection_errors: float = 1  # DatabaseConnectionErrors (Sum, from the logs) >= this
    db_commit_latency_ms: float = 100  # CommitLatency (Average, the writer) > this
    db_forwarded_write_latency_ms: float = 1000  # AuroraForwardingReplicaDMLLatency (Average) >
    db_rpo_lag_ms: float = 30000  # AuroraGlobalDBRPOLag (Maximum, a secondary) > this
    replication_latency_seconds: float = 900  # ReplicationLatency (Maximum) > the RTC SLA
    replication_failed_operations: float = 1  # OperationsFailedReplication (Sum) >= this
    nat_packets_dropped: float = 100  # PacketsDropCount (Sum) > this
    waf_blocked_requests: float = 1000  # BlockedRequests (Sum, every rule) >= this: a spike
    period_seconds: int = 300
    evaluation_periods: int = 3
    datapoints_to_alarm: int = 2  # "M of N": 2 breaching periods out of the last 3


# Alarm timing is the component's own (tap.config validates the thresholds themselves).
_TIMING_FIELDS = ("period_seconds", "evaluation_periods", "datapoints_to_alarm")


def validate_thresholds(thresholds: AlarmThresholds) -> None:
    """Raise ValueError naming the first timing field CloudWatch would refuse."""
    for name in _TIMING_FIELDS:
        value = getattr(thresholds, name)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ValueError(
                f"alarm threshold {name} must be a positive whole number, got {value!r}"
            )
    period = thresholds.period_seconds
    if period % 60:
        raise ValueError(
            f"alarm threshold period_seconds must be a multiple of 60 for AWS service metrics, "
            f"got {period}"
        )
    if thresholds.datapoints_to_alarm > thresholds.evaluation_periods:
        raise ValueError(
            f"alarm threshold datapoints_to_alarm ({thresholds.datapoints_to_alarm}) must not "
            f"exceed evaluation_periods ({thresholds.evaluation_periods})"
        )
    limit = MAX_RANGE_SHORT_PERIODS if period < 3600 else MAX_RANGE_LONG_PERIODS
    span = period * thresholds.evaluation_periods
    if span > limit:
        raise ValueError(
            f"alarm thresholds period_seconds x evaluation_periods is {span} s; CloudWatch "
            f"allows at most {limit} s for a {period} s period"
        )


# --- args --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicationTarget:
    """One replication rule of the watched source bucket."""

    region: str  # the destination bucket's region; names the alarms
    bucket_name: pulumi.Input[str]
    rule_id: str  # the rule's `id` in the source bucket's replication configuration


@dataclass(frozen=True)
class ReplicationWatch:
    """S3 replication to watch (prod, primary region): needs replication metrics or S3 RTC."""

    source_bucket_name: pulumi.Input[str]
    destinations: Sequence[ReplicationTarget]


@dataclass(frozen=True)
class WafWatch:
    """The region's web ACL (tap.components.waf): its metric name and its rules' metric names.

    AWS WAF publishes to AWS/WAFV2 with dimensions WebACL, Region and Rule (`ALL` for the whole
    ACL, else the rule's metric name) for a REGIONAL web ACL.
    """

    web_acl_metric: str
    rule_metrics: Sequence[str]


@dataclass(frozen=True)
class MonitoringArgs:
    labels: Labels
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]  # the region's CMK: encrypts the alarm topic
    # None where the region serves no API (no data path): no function or API alarms.
    function_name: pulumi.Input[str] | None
    api_name: pulumi.Input[str] | None  # the REST API's name (the ApiName dimension), not its id
    stage_name: str
    bucket_name: pulumi.Input[str]
    alarm_email: str | None = None
    # The function's log group: its database connection errors are counted from it.
    function_log_group_name: pulumi.Input[str] | None = None
    # Only in a region where an Aurora cluster lives, with its role: "writer" (a regional
    # cluster, or the global database's writer) or "secondary".
    db_cluster_identifier: pulumi.Input[str] | None = None
    db_role: str = "writer"
    # Only prod's primary region, where the replication source bucket lives.
    replication: ReplicationWatch | None = None
    nat_gateway_ids: Sequence[pulumi.Input[str]] = ()
    # Only where a web ACL protects the stage.
    waf: WafWatch | None = None
    thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)


def validate_monitoring_args(args: MonitoringArgs) -> None:
    """Every rule that needs no cloud; raises ValueError before anything is registered."""
    if args.labels.region != args.region:
        raise ValueError(f"monitoring for {args.region} carries labels of {args.labels.region}")
    if args.api_name is not None and not args.stage_name:
        raise ValueError("stage_name must name the API stage to watch")
    if args.function_log_group_name is not None and args.function_name is None:
        raise ValueError("function_log_group_name needs the function_name it belongs to")
    if args.db_role not in DB_ROLES:
        raise ValueError(f"db_role must be one of {', '.join(DB_ROLES)}, got {args.db_role!r}")
    validate_thresholds(args.thresholds)
    if args.replication is not None:
        targets = args.replication.destinations
        if not targets:
            raise ValueError("replication must name at least one destination")
        regions = [t.region for t in targets]
        if len(set(regions)) != len(regions):
            raise ValueError(f"replication destination regions must be distinct, got {regions}")
        if args.region in regions:
            raise ValueError(f"replication destination {args.region} is the source region")
        for target in targets:
            region_code(target.region)  # a known region: it goes into the alarm names
            if not target.rule_id:
                raise ValueError(f"replication destination {target.region} needs a rule_id")
