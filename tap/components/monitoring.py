"""Per-region monitoring: an encrypted SNS alarm topic, CloudWatch alarms and a dashboard.

One Monitoring per region watches that region's Lambda function and REST API stage (where the
region serves the API), data bucket and NAT gateways, the Aurora cluster where one lives and,
in the primary region of prod, S3 cross-region replication. Every alarm notifies the topic on
ALARM and on OK.

The database path, as the API sees it and as Aurora reports it:
- connection errors: a CloudWatch Logs metric filter counts the function's JSON log lines that
  say the database could not be reached or logged in to (their messages are
  tap.functions.api.contract.CONNECTION_ERROR_MESSAGES) into `DatabaseConnectionErrors`, in the
  namespace `tap/<environment suffix>`. The handler writes each line to stdout itself (not
  through the runtime's logging handler), and Lambda sends such output as it is ("Log and
  monitor Python Lambda functions"), so each event is the handler's JSON object;
- the writer's cluster: `CommitLatency` (Aurora MySQL and PostgreSQL, ms);
- a global secondary: `AuroraForwardingReplicaDMLLatency` (the writes it forwards to the writer,
  ms; "Amazon CloudWatch metrics for write forwarding in Aurora PostgreSQL") and
  `AuroraGlobalDBRPOLag` (ms; the writes a failover to it would lose; published by secondaries
  only).

Everything that needs no cloud is pure and tested without Pulumi: the alarm timing rules, the
topic policy, the alarm definitions' shape and the dashboard body (built from Python data and
rendered with json.dumps, never written as a JSON string by hand). The thresholds and the
e-mail address arrive validated by tap.config.

AWS facts this module encodes:
- Alarms publish to a KMS-encrypted topic only if the key policy lets
  `cloudwatch.amazonaws.com` use the key; the region's CMK does (policies.regional_key_policy).
- Percentile statistics go in `extended_statistic` ("p99"); `statistic` takes only
  SampleCount, Average, Sum, Minimum and Maximum, and an alarm sets one or the other.
- A period must be a multiple of 60 s for AWS service metrics (10/20/30 s are for
  high-resolution custom metrics), and period x evaluation periods may span at most one day
  for periods under an hour, seven days otherwise (PutMetricAlarm).
- S3 replication metrics (dimensions SourceBucket, DestinationBucket, RuleId) exist only for
  rules with replication metrics or S3 RTC enabled; S3 storage metrics (BucketSizeBytes,
  NumberOfObjects) are daily, with dimensions BucketName and StorageType.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.monitoring_args import (
    DB_ROLES,
    MAX_RANGE_LONG_PERIODS,
    MAX_RANGE_SHORT_PERIODS,
    AlarmThresholds,
    MonitoringArgs,
    ReplicationTarget,
    ReplicationWatch,
    WafWatch,
    validate_monitoring_args,
    validate_thresholds,
)
from tap.components.policies import document, render
from tap.functions.api.contract import CONNECTION_ERROR_MESSAGES
from tap.naming import Labels, region_code

# The arguments live in monitoring_args; callers keep importing them from here.
__all__ = [
    "DB_ROLES",
    "MAX_RANGE_LONG_PERIODS",
    "MAX_RANGE_SHORT_PERIODS",
    "AlarmThresholds",
    "MonitoringArgs",
    "ReplicationTarget",
    "ReplicationWatch",
    "WafWatch",
    "validate_monitoring_args",
    "validate_thresholds",
]

GRID_COLUMNS = 24  # CloudWatch dashboards lay widgets out on a 24-column grid
WIDGET_WIDTH = 12
WIDGET_HEIGHT = 6
STORAGE_METRICS_PERIOD = 86400  # S3 publishes storage metrics once a day
DASHBOARD_PERIOD = 300
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
# What the function's log lines count as: a custom metric per stack (the suffix), and per region
# by CloudWatch's nature.
CONNECTION_ERRORS_METRIC = "DatabaseConnectionErrors"

# --- pure policy and alarm definitions ---------------------------------------------------------


def alarm_topic_policy(*, topic_arn: str, account_id: str, partition: str, region: str) -> str:
    """Only this account's CloudWatch alarms in this region may publish, and only over TLS.

    Replacing the default topic policy leaves the account's own principals their access
    through IAM (same-account identity policies suffice); nothing else is granted.
    """
    return render(
        document(
            {
                "Sid": "AllowCloudWatchAlarmsToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"
                    },
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        )
    )


@dataclass(frozen=True)
class AlarmSpec:
    """One metric alarm, before it becomes a resource."""

    key: str  # the key in Monitoring.alarms and the end of the alarm's name
    description: str
    namespace: str
    metric_name: str
    dimensions: Mapping[str, pulumi.Input[str]]  # empty for a metric without dimensions
    comparison_operator: str
    threshold: float
    treat_missing_data: str
    statistic: str | None = None
    extended_statistic: str | None = None


def alarm_specs(args: MonitoringArgs) -> list[AlarmSpec]:
    """The alarms for this region, in a stable order."""
    t = args.thresholds
    window = f"in {t.datapoints_to_alarm} of {t.evaluation_periods} periods of {t.period_seconds} s"
    specs = _function_specs(args, window) + _api_specs(args, window)
    if args.function_log_group_name is not None:
        # Every failed connect or login is a 503 to a client; none is normal.
        specs.append(
            AlarmSpec(
                "db-connection-errors",
                f"The API could not reach or log in to the database ({CONNECTION_ERRORS_METRIC} "
                f">= {t.db_connection_errors:g}, from the function's logs) {window}",
                connection_errors_namespace(args.labels),
                CONNECTION_ERRORS_METRIC,
                {},
                "GreaterThanOrEqualToThreshold",
                t.db_connection_errors,
                "notBreaching",
                statistic="Sum",
            )
        )
    specs += _database_specs(args, window)
    specs += _replication_specs(args, window)
    specs += _waf_specs(args, window)
    for index, nat_gateway_id in enumerate(args.nat_gateway_ids):
        # An idle gateway drops nothing: a missing datapoint is a zero.
        specs.append(
            AlarmSpec(
                f"nat-{index}-packets-dropped",
                f"NAT gateway {index} in {args.region} drops packets (PacketsDropCount > "
                f"{t.nat_packets_dropped:g}) {window}",
                "AWS/NATGateway",
                "PacketsDropCount",
                {"NatGatewayId": nat_gateway_id},
                "GreaterThanThreshold",
                t.nat_packets_dropped,
                "notBreaching",
                statistic="Sum",
            )
        )
    return specs


def connection_errors_namespace(labels: Labels) -> str:
    """`tap/<environment suffix>`: stacks sharing an account and region count apart."""
    return f"tap/{labels.namer.suffix}"


def connection_errors_filter_pattern(messages: Sequence[str]) -> str:
    """A CloudWatch Logs filter pattern matching the JSON log lines with one of `messages`."""
    if not messages:
        raise ValueError("connection_errors_filter_pattern needs at least one message")
    for message in messages:
        if '"' in message or "\\" in message:
            raise ValueError(f"a log message in a filter pattern must not quote: {message!r}")
    return "{ " + " || ".join(f'($.message = "{m}")' for m in messages) + " }"


def _function_specs(args: MonitoringArgs, window: str) -> list[AlarmSpec]:
    if args.function_name is None:
        return []
    t = args.thresholds
    function = {"FunctionName": args.function_name}
    return [
        # Error counts: no invocations or requests means no datapoints, and nothing wrong.
        AlarmSpec(
            "lambda-errors",
            f"Lambda function invocations failed (Errors >= {t.lambda_errors:g}) {window}",
            "AWS/Lambda",
            "Errors",
            function,
            "GreaterThanOrEqualToThreshold",
            t.lambda_errors,
            "notBreaching",
            statistic="Sum",
        ),
        AlarmSpec(
            "lambda-throttles",
            f"Lambda function invocations throttled (Throttles >= {t.lambda_throttles:g}) "
            f"{window}: concurrency limit reached",
            "AWS/Lambda",
            "Throttles",
            function,
            "GreaterThanOrEqualToThreshold",
            t.lambda_throttles,
            "notBreaching",
            statistic="Sum",
        ),
    ]


def _api_specs(args: MonitoringArgs, window: str) -> list[AlarmSpec]:
    if args.api_name is None:
        return []
    t = args.thresholds
    api = {"ApiName": args.api_name, "Stage": args.stage_name}
    return [
        AlarmSpec(
            "api-5xx-errors",
            f"API stage {args.stage_name} returned server errors (5XXError >= "
            f"{t.api_5xx_errors:g}) {window}",
            "AWS/ApiGateway",
            "5XXError",
            api,
            "GreaterThanOrEqualToThreshold",
            t.api_5xx_errors,
            "notBreaching",
            statistic="Sum",
        ),
        # No requests, no latency to speak of: silence is not slowness.
        AlarmSpec(
            "api-p99-latency",
            f"API stage {args.stage_name} is slow (p99 Latency > {t.api_p99_latency_ms:g} ms) "
            f"{window}",
            "AWS/ApiGateway",
            "Latency",
            api,
            "GreaterThanThreshold",
            t.api_p99_latency_ms,
            "notBreaching",
            extended_statistic="p99",
        ),
    ]


def _database_specs(args: MonitoringArgs, window: str) -> list[AlarmSpec]:
    t = args.thresholds
    specs: list[AlarmSpec] = []
    if args.db_cluster_identifier is not None:
        cluster = {"DBClusterIdentifier": args.db_cluster_identifier}
        # RDS reports these every minute while an instance runs, so silence means the cluster
        # is down, paused (Serverless v2 scaled to zero in dev) or unreachable: `missing`
        # shows that as INSUFFICIENT_DATA instead of clearing the alarm as notBreaching would,
        # without paging dev on every auto-pause as breaching would.
        specs += [
            AlarmSpec(
                "db-cpu",
                f"Aurora cluster CPU is high (CPUUtilization > {t.db_cpu_percent:g} %) {window}",
                "AWS/RDS",
                "CPUUtilization",
                cluster,
                "GreaterThanThreshold",
                t.db_cpu_percent,
                "missing",
                statistic="Average",
            ),
            AlarmSpec(
                "db-freeable-memory",
                f"Aurora cluster memory is low (FreeableMemory < "
                f"{t.db_freeable_memory_bytes:g} bytes) {window}",
                "AWS/RDS",
                "FreeableMemory",
                cluster,
                "LessThanThreshold",
                t.db_freeable_memory_bytes,
                "missing",
                statistic="Minimum",
            ),
            AlarmSpec(
                "db-connections",
                f"Aurora cluster has many connections (DatabaseConnections > "
                f"{t.db_connections:g}) {window}",
                "AWS/RDS",
                "DatabaseConnections",
                cluster,
                "GreaterThanThreshold",
                t.db_connections,
                "missing",
                statistic="Maximum",
            ),
        ]
        specs += _role_specs(args, cluster, window)
    return specs


def _role_specs(
    args: MonitoringArgs, cluster: Mapping[str, pulumi.Input[str]], window: str
) -> list[AlarmSpec]:
    """The writer's commits; a secondary's forwarded writes and how far it lags the writer."""
    t = args.thresholds
    if args.db_role == "writer":
        return [
            AlarmSpec(
                "db-commit-latency",
                f"Aurora commits are slow (CommitLatency > {t.db_commit_latency_ms:g} ms) {window}",
                "AWS/RDS",
                "CommitLatency",
                cluster,
                "GreaterThanThreshold",
                t.db_commit_latency_ms,
                "missing",
                statistic="Average",
            )
        ]
    return [
        # No forwarded writes, no datapoints, and nothing slow.
        AlarmSpec(
            "db-forwarded-write-latency",
            f"Writes forwarded to the writer region are slow (AuroraForwardingReplicaDMLLatency "
            f"> {t.db_forwarded_write_latency_ms:g} ms) {window}",
            "AWS/RDS",
            "AuroraForwardingReplicaDMLLatency",
            cluster,
            "GreaterThanThreshold",
            t.db_forwarded_write_latency_ms,
            "notBreaching",
            statistic="Average",
        ),
        # A secondary publishes its lag while it replicates: silence means it does not.
        AlarmSpec(
            "db-rpo-lag",
            f"This region lags the writer: a failover to it would lose more than "
            f"{t.db_rpo_lag_ms:g} ms of writes (AuroraGlobalDBRPOLag) {window}",
            "AWS/RDS",
            "AuroraGlobalDBRPOLag",
            cluster,
            "GreaterThanThreshold",
            t.db_rpo_lag_ms,
            "missing",
            statistic="Maximum",
        ),
    ]


def _replication_specs(args: MonitoringArgs, window: str) -> list[AlarmSpec]:
    t = args.thresholds
    specs: list[AlarmSpec] = []
    if args.replication is not None:
        for target in args.replication.destinations:
            route = {
                "SourceBucket": args.replication.source_bucket_name,
                "DestinationBucket": target.bucket_name,
                "RuleId": target.rule_id,
            }
            code = region_code(target.region)
            # S3 reports replication metrics only while objects replicate: no writes, no
            # datapoints, and nothing pending or failed.
            specs += [
                AlarmSpec(
                    f"replication-latency-{code}",
                    f"S3 replication to {target.region} (rule {target.rule_id}) is late "
                    f"(ReplicationLatency > {t.replication_latency_seconds:g} s) {window}",
                    "AWS/S3",
                    "ReplicationLatency",
                    route,
                    "GreaterThanThreshold",
                    t.replication_latency_seconds,
                    "notBreaching",
                    statistic="Maximum",
                ),
                AlarmSpec(
                    f"replication-failed-{code}",
                    f"S3 replication to {target.region} (rule {target.rule_id}) failed "
                    f"(OperationsFailedReplication >= {t.replication_failed_operations:g}) "
                    f"{window}",
                    "AWS/S3",
                    "OperationsFailedReplication",
                    route,
                    "GreaterThanOrEqualToThreshold",
                    t.replication_failed_operations,
                    "notBreaching",
                    statistic="Sum",
                ),
            ]
    return specs


def _waf_specs(args: MonitoringArgs, window: str) -> list[AlarmSpec]:
    if args.waf is None:
        return []
    t = args.thresholds
    # WAF publishes BlockedRequests only for periods with a block: silence is none.
    return [
        AlarmSpec(
            "waf-blocked-requests",
            f"AWS WAF blocks a spike of requests to {args.stage_name} (BlockedRequests >= "
            f"{t.waf_blocked_requests:g}) {window}: an attack, or a rule blocking real clients",
            "AWS/WAFV2",
            "BlockedRequests",
            waf_dimensions(args.waf.web_acl_metric, args.region),
            "GreaterThanOrEqualToThreshold",
            t.waf_blocked_requests,
            "notBreaching",
            statistic="Sum",
        )
    ]


def waf_dimensions(web_acl_metric: str, region: str, rule: str = "ALL") -> dict[str, str]:
    """A REGIONAL web ACL's metric dimensions (CloudFront ACLs have no Region)."""
    return {"WebACL": web_acl_metric, "Region": region, "Rule": rule}


# --- pure dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplicationRoute:
    source_bucket: str
    destination_bucket: str
    rule_id: str


@dataclass(frozen=True)
class DashboardTargets:
    """What the dashboard shows, with every name resolved to a plain string."""

    region: str
    function_name: str | None  # None where the region serves no API
    api_name: str | None
    stage_name: str
    bucket_name: str
    db_cluster_identifier: str | None = None
    db_role: str = "writer"
    nat_gateway_ids: Sequence[str] = ()
    replication: Sequence[ReplicationRoute] = ()
    # The namespace of the connection errors counted from the function's logs, when it is.
    connection_errors_namespace: str | None = None
    waf: WafWatch | None = None


def metric_widget(
    region: str,
    title: str,
    metrics: list[list[Any]],
    *,
    stat: str,
    period: int,
    width: int = WIDGET_WIDTH,
    height: int = WIDGET_HEIGHT,
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": width,
        "height": height,
        "properties": {
            "region": region,
            "title": title,
            "metrics": metrics,
            "view": "timeSeries",
            "stacked": False,
            "period": period,
            "stat": stat,
        },
    }


def dashboard_widgets(
    targets: DashboardTargets, period: int = DASHBOARD_PERIOD
) -> list[dict[str, Any]]:
    """The widgets, not yet placed on the grid.

    Every metric row is spelled out in full (no "." shorthand for "same as the row above"),
    so each row reads, and tests, on its own.
    """
    region = targets.region
    widgets: list[dict[str, Any]] = []
    if targets.function_name is not None:
        function = ["FunctionName", targets.function_name]
        widgets += [
            metric_widget(
                region,
                "Lambda invocations and errors",
                [
                    ["AWS/Lambda", "Invocations", *function],
                    ["AWS/Lambda", "Errors", *function],
                    ["AWS/Lambda", "Throttles", *function],
                ],
                stat="Sum",
                period=period,
            ),
            metric_widget(
                region,
                "Lambda duration (ms)",
                [
                    ["AWS/Lambda", "Duration", *function, {"stat": "p99", "label": "p99"}],
                    ["AWS/Lambda", "Duration", *function, {"stat": "Average", "label": "average"}],
                ],
                stat="p99",
                period=period,
            ),
        ]
    if targets.api_name is not None:
        api = ["ApiName", targets.api_name, "Stage", targets.stage_name]
        widgets += [
            metric_widget(
                region,
                "API requests and errors",
                [
                    ["AWS/ApiGateway", "Count", *api],
                    ["AWS/ApiGateway", "4XXError", *api],
                    ["AWS/ApiGateway", "5XXError", *api],
                ],
                stat="Sum",
                period=period,
            ),
            metric_widget(
                region,
                "API latency (ms)",
                [
                    ["AWS/ApiGateway", "Latency", *api, {"stat": "p99", "label": "p99"}],
                    ["AWS/ApiGateway", "Latency", *api, {"stat": "p50", "label": "p50"}],
                ],
                stat="p99",
                period=period,
            ),
        ]
    if targets.connection_errors_namespace is not None:
        widgets.append(
            metric_widget(
                region,
                "API database connection errors",
                [[targets.connection_errors_namespace, CONNECTION_ERRORS_METRIC]],
                stat="Sum",
                period=period,
            )
        )
    if targets.db_cluster_identifier is not None:
        cluster = ["DBClusterIdentifier", targets.db_cluster_identifier]
        widgets += [
            metric_widget(
                region,
                "Aurora CPU (%)",
                [["AWS/RDS", "CPUUtilization", *cluster]],
                stat="Average",
                period=period,
            ),
            metric_widget(
                region,
                "Aurora connections",
                [["AWS/RDS", "DatabaseConnections", *cluster]],
                stat="Maximum",
                period=period,
            ),
        ]
        if targets.db_role == "writer":
            widgets.append(
                metric_widget(
                    region,
                    "Aurora commit latency (ms)",
                    [["AWS/RDS", "CommitLatency", *cluster]],
                    stat="Average",
                    period=period,
                )
            )
        else:
            widgets += [
                metric_widget(
                    region,
                    "Aurora forwarded writes (ms)",
                    [
                        [
                            "AWS/RDS",
                            "AuroraForwardingReplicaDMLLatency",
                            *cluster,
                            {"label": "forwarded write latency"},
                        ],
                        [
                            "AWS/RDS",
                            "AuroraForwardingReplicaReadWaitLatency",
                            *cluster,
                            {"label": "read wait for consistency"},
                        ],
                    ],
                    stat="Average",
                    period=period,
                ),
                metric_widget(
                    region,
                    "Aurora global RPO lag (ms)",
                    [["AWS/RDS", "AuroraGlobalDBRPOLag", *cluster]],
                    stat="Maximum",
                    period=period,
                ),
            ]
    bucket = ["BucketName", targets.bucket_name]
    widgets += [
        metric_widget(
            region,
            "S3 bucket size (bytes)",
            [["AWS/S3", "BucketSizeBytes", *bucket, "StorageType", "StandardStorage"]],
            stat="Average",
            period=STORAGE_METRICS_PERIOD,
        ),
        metric_widget(
            region,
            "S3 objects",
            [["AWS/S3", "NumberOfObjects", *bucket, "StorageType", "AllStorageTypes"]],
            stat="Average",
            period=STORAGE_METRICS_PERIOD,
        ),
    ]
    if targets.replication:
        widgets.append(
            metric_widget(
                region,
                "S3 replication latency (s)",
                [
                    [
                        "AWS/S3",
                        "ReplicationLatency",
                        "SourceBucket",
                        route.source_bucket,
                        "DestinationBucket",
                        route.destination_bucket,
                        "RuleId",
                        route.rule_id,
                    ]
                    for route in targets.replication
                ],
                stat="Maximum",
                period=period,
            )
        )
    if targets.waf is not None:
        acl = targets.waf.web_acl_metric
        widgets += [
            metric_widget(
                region,
                "WAF requests allowed and blocked",
                [
                    ["AWS/WAFV2", metric, *_flat(waf_dimensions(acl, region))]
                    for metric in ("AllowedRequests", "BlockedRequests", "CountedRequests")
                ],
                stat="Sum",
                period=period,
            ),
            metric_widget(
                region,
                "WAF blocked requests by rule",
                [
                    ["AWS/WAFV2", "BlockedRequests", *_flat(waf_dimensions(acl, region, rule))]
                    for rule in targets.waf.rule_metrics
                ],
                stat="Sum",
                period=period,
            ),
        ]
    if targets.nat_gateway_ids:
        widgets.append(
            metric_widget(
                region,
                "NAT gateway dropped packets",
                [
                    ["AWS/NATGateway", "PacketsDropCount", "NatGatewayId", nat_id]
                    for nat_id in targets.nat_gateway_ids
                ],
                stat="Sum",
                period=period,
            )
        )
    return widgets


def _flat(dimensions: Mapping[str, str]) -> list[str]:
    return [part for pair in dimensions.items() for part in pair]


def layout(widgets: Sequence[dict[str, Any]], columns: int = GRID_COLUMNS) -> list[dict[str, Any]]:
    """Place widgets left to right, wrapping onto a new row when one would pass the grid."""
    placed = []
    x = y = row_height = 0
    for widget in widgets:
        width, height = widget["width"], widget["height"]
        if not 1 <= width <= columns:
            raise ValueError(f"widget width must be between 1 and {columns}, got {width}")
        if x + width > columns:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**widget, "x": x, "y": y})
        x += width
        row_height = max(row_height, height)
    return placed


def dashboard_body(targets: DashboardTargets, period: int = DASHBOARD_PERIOD) -> str:
    return json.dumps({"widgets": layout(dashboard_widgets(targets, period))})


# --- the component -----------------------------------------------------------------------------


class Monitoring(pulumi.ComponentResource):
    topic: aws.sns.Topic
    # Counts the function's database connection errors (None where no function runs).
    connection_errors_filter: aws.cloudwatch.LogMetricFilter | None
    topic_arn: pulumi.Output[str]
    topic_policy: aws.sns.TopicPolicy
    email_subscription: aws.sns.TopicSubscription | None
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboard: aws.cloudwatch.Dashboard
    dashboard_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_monitoring_args(args)
        super().__init__("tap:monitoring:Monitoring", name, None, opts)
        self._args = args
        labels = args.labels

        topic_name = labels.name("alarms")
        self.topic = aws.sns.Topic(
            topic_name,
            name=topic_name,
            display_name=f"tap {labels.namer.suffix} {args.region} alarms",
            kms_master_key_id=args.kms_key_arn,
            tags=labels.tags(topic_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.topic_arn = self.topic.arn
        self.topic_policy = aws.sns.TopicPolicy(
            labels.name("alarms", "policy"),
            arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, args.account_id, args.partition).apply(
                lambda v: alarm_topic_policy(
                    topic_arn=v[0], account_id=v[1], partition=v[2], region=args.region
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.email_subscription = None
        if args.alarm_email is not None:
            # Stays "pending confirmation" until someone clicks the link AWS e-mails.
            self.email_subscription = aws.sns.TopicSubscription(
                labels.name("alarms", "email"),
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.connection_errors_filter = None
        if args.function_log_group_name is not None:
            filter_name = labels.name("db-connection-errors")
            self.connection_errors_filter = aws.cloudwatch.LogMetricFilter(
                filter_name,
                name=filter_name,
                log_group_name=args.function_log_group_name,
                pattern=connection_errors_filter_pattern(CONNECTION_ERROR_MESSAGES),
                metric_transformation={
                    "name": CONNECTION_ERRORS_METRIC,
                    "namespace": connection_errors_namespace(labels),
                    "value": "1",
                    "unit": "Count",
                },
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.alarms = {spec.key: self._alarm(spec) for spec in alarm_specs(args)}

        dashboard_name = labels.name("dashboard")
        self.dashboard = aws.cloudwatch.Dashboard(
            dashboard_name,
            dashboard_name=dashboard_name,
            dashboard_body=self._dashboard_body(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = self.dashboard.dashboard_name

        self.register_outputs(
            {
                "topicArn": self.topic_arn,
                "dashboardName": self.dashboard_name,
                "alarmArns": {key: alarm.arn for key, alarm in self.alarms.items()},
            }
        )

    def _alarm(self, spec: AlarmSpec) -> aws.cloudwatch.MetricAlarm:
        args = self._args
        thresholds = args.thresholds
        alarm_name = args.labels.name("alarm", spec.key)
        return aws.cloudwatch.MetricAlarm(
            alarm_name,
            name=alarm_name,
            alarm_description=spec.description,
            namespace=spec.namespace,
            metric_name=spec.metric_name,
            dimensions=spec.dimensions or None,
            statistic=spec.statistic,
            extended_statistic=spec.extended_statistic,
            # A percentile over a handful of requests is noise: keep the state until enough.
            evaluate_low_sample_count_percentiles="ignore" if spec.extended_statistic else None,
            comparison_operator=spec.comparison_operator,
            threshold=spec.threshold,
            period=thresholds.period_seconds,
            evaluation_periods=thresholds.evaluation_periods,
            datapoints_to_alarm=thresholds.datapoints_to_alarm,
            treat_missing_data=spec.treat_missing_data,
            actions_enabled=True,
            alarm_actions=[self.topic.arn],
            ok_actions=[self.topic.arn],
            tags=args.labels.tags(alarm_name),
            # CloudWatch's first publish must find the topic policy that allows it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.topic_policy]),
        )

    def _dashboard_body(self) -> pulumi.Output[str]:
        args = self._args
        replication = args.replication
        destinations = list(replication.destinations) if replication else []

        def render_body(values: dict[str, Any]) -> str:
            routes = [
                ReplicationRoute(values["source"], bucket, target.rule_id)
                for target, bucket in zip(destinations, values["destinations"], strict=True)
            ]
            return dashboard_body(
                DashboardTargets(
                    region=args.region,
                    function_name=values["function"],
                    api_name=values["api"],
                    stage_name=args.stage_name,
                    bucket_name=values["bucket"],
                    db_cluster_identifier=values["cluster"],
                    db_role=args.db_role,
                    connection_errors_namespace=(
                        connection_errors_namespace(args.labels)
                        if args.function_log_group_name is not None
                        else None
                    ),
                    nat_gateway_ids=list(values["nats"]),
                    replication=routes,
                    waf=args.waf,
                )
            )

        return pulumi.Output.all(
            function=args.function_name,
            api=args.api_name,
            bucket=args.bucket_name,
            cluster=args.db_cluster_identifier,
            nats=pulumi.Output.all(*args.nat_gateway_ids),
            source=replication.source_bucket_name if replication else None,
            destinations=pulumi.Output.all(*(t.bucket_name for t in destinations)),
        ).apply(render_body)
