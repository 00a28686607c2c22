"""Monitoring: the encrypted alarm topic, its alarms, the dashboard, and what is validated."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import uuid
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.components.monitoring import (
    TREAT_MISSING_DATA,
    AlarmThresholds,
    DashboardTargets,
    Monitoring,
    MonitoringArgs,
    ReplicationRoute,
    ReplicationTarget,
    ReplicationWatch,
    alarm_topic_policy,
    connection_errors_filter_pattern,
    dashboard_body,
    layout,
    validate_thresholds,
)
from tap.functions.api import handler as api_handler
from tap.functions.api.contract import CONNECTION_ERROR_MESSAGES
from tap.plan import PlanMocks
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

ACCOUNT = "111122223333"
REGION = "us-west-2"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/key-usw2"
TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:tap-test-usw2-alarms"  # the mocks' account
FUNCTION = "tap-test-usw2-api-fn"
API = "tap-test-usw2-api"
STAGE = "v1"
BUCKET = f"tap-test-usw2-data-{ACCOUNT}"
CLUSTER = "tap-test-usw2-aurora"
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
NATS = ("nat-0aaa", "nat-0bbb")
SOURCE = f"tap-test-usw2-data-{ACCOUNT}"
DESTINATIONS = {
    "us-east-1": f"tap-test-use1-data-replica-{ACCOUNT}",
    "eu-central-1": f"tap-test-euc1-data-replica-{ACCOUNT}",
}
EMAIL = "oncall@example.com"

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"

BASE_ALARMS = {
    "tap-test-usw2-alarm-lambda-errors",
    "tap-test-usw2-alarm-lambda-throttles",
    "tap-test-usw2-alarm-api-5xx-errors",
    "tap-test-usw2-alarm-api-p99-latency",
    "tap-test-usw2-alarm-nat-0-packets-dropped",
    "tap-test-usw2-alarm-nat-1-packets-dropped",
}
CLUSTER_ALARMS = {
    "tap-test-usw2-alarm-db-cpu",
    "tap-test-usw2-alarm-db-freeable-memory",
    "tap-test-usw2-alarm-db-connections",
}
# A regional cluster or the global writer; a global secondary instead:
WRITER_ALARMS = {"tap-test-usw2-alarm-db-commit-latency"}
SECONDARY_ALARMS = {
    "tap-test-usw2-alarm-db-forwarded-write-latency",
    "tap-test-usw2-alarm-db-rpo-lag",
}
DB_ALARMS = CLUSTER_ALARMS | WRITER_ALARMS
CONNECTION_ALARM = "tap-test-usw2-alarm-db-connection-errors"
REPLICATION_ALARMS = {
    "tap-test-usw2-alarm-replication-latency-use1",
    "tap-test-usw2-alarm-replication-failed-use1",
    "tap-test-usw2-alarm-replication-latency-euc1",
    "tap-test-usw2-alarm-replication-failed-euc1",
}

Resources = tuple[dict[str, Any], ...]


def replication_watch() -> ReplicationWatch:
    return ReplicationWatch(
        source_bucket_name=pulumi.Output.from_input(SOURCE),
        destinations=[
            ReplicationTarget(region, pulumi.Output.from_input(bucket), f"replicate-to-{region}")
            for region, bucket in DESTINATIONS.items()
        ],
    )


def monitoring_args(
    *,
    database: bool = False,
    replication: bool = False,
    email: str | None = None,
    nats: tuple[str, ...] = NATS,
    thresholds: AlarmThresholds | None = None,
    region: str = REGION,
    db_role: str = "writer",
    log_group: bool = False,
    serves_api: bool = True,
) -> MonitoringArgs:
    # Outputs where the stack hands Outputs over, so resolution is exercised too.
    return MonitoringArgs(
        labels=labels_for(region),
        region=REGION,
        account_id=ACCOUNT,
        partition="aws",
        kms_key_arn=KEY,
        alarm_email=email,
        function_name=pulumi.Output.from_input(FUNCTION) if serves_api else None,
        api_name=pulumi.Output.from_input(API) if serves_api else None,
        stage_name=STAGE,
        bucket_name=pulumi.Output.from_input(BUCKET),
        function_log_group_name=pulumi.Output.from_input(LOG_GROUP) if log_group else None,
        db_cluster_identifier=pulumi.Output.from_input(CLUSTER) if database else None,
        db_role=db_role,
        replication=replication_watch() if replication else None,
        nat_gateway_ids=[pulumi.Output.from_input(n) for n in nats],
        thresholds=thresholds or AlarmThresholds(),
    )


def monitoring(**options: Any) -> Monitoring:
    provider = aws.Provider("tap-test-usw2-aws", region=REGION)
    return Monitoring(
        "tap-test-usw2-monitoring",
        monitoring_args(**options),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )


@cache
def build(
    database: bool = False,
    replication: bool = False,
    email: str | None = None,
    nats: tuple[str, ...] = NATS,
    thresholds: AlarmThresholds | None = None,
    db_role: str = "writer",
    log_group: bool = False,
    serves_api: bool = True,
) -> Resources:
    def program() -> None:
        monitoring(
            database=database,
            replication=replication,
            email=email,
            nats=nats,
            thresholds=thresholds,
            db_role=db_role,
            log_group=log_group,
            serves_api=serves_api,
        )

    return tuple(plan_program(program)["resources"])


def of_type(resources: Resources, type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def alarms(resources: Resources) -> dict[str, dict[str, Any]]:
    return {a["name"]: a["inputs"] for a in of_type(resources, ALARM)}


def dashboard(resources: Resources) -> dict[str, Any]:
    (board,) = of_type(resources, DASHBOARD)
    body: dict[str, Any] = json.loads(board["inputs"]["dashboardBody"])
    return body


def metric_names(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (row[0], row[1]) for widget in body["widgets"] for row in widget["properties"]["metrics"]
    }


# --- the topic ---------------------------------------------------------------------------------


def test_topic_is_named_for_the_region_and_encrypted_with_its_cmk() -> None:
    (topic,) = of_type(build(), TOPIC)
    assert topic["name"] == "tap-test-usw2-alarms"
    assert topic["region"] == REGION
    assert topic["inputs"]["name"] == "tap-test-usw2-alarms"
    assert topic["inputs"]["kmsMasterKeyId"] == KEY
    assert topic["inputs"]["tags"]["Name"] == "tap-test-usw2-alarms"


def test_topic_policy_lets_only_this_accounts_cloudwatch_alarms_publish() -> None:
    (policy,) = of_type(build(), TOPIC_POLICY)
    assert policy["inputs"]["arn"] == TOPIC_ARN
    statements = {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}
    assert set(statements) == {"AllowCloudWatchAlarmsToPublish", "DenyInsecureTransport"}
    allow = statements["AllowCloudWatchAlarmsToPublish"]
    assert allow == {
        "Sid": "AllowCloudWatchAlarmsToPublish",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish",
        "Resource": TOPIC_ARN,
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"},
        },
    }
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_topic_policy_document_is_pure_and_grants_nothing_else() -> None:
    policy = json.loads(
        alarm_topic_policy(topic_arn="arn:t", account_id=ACCOUNT, partition="aws-cn", region=REGION)
    )
    allows = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert [a["Principal"] for a in allows] == [{"Service": "cloudwatch.amazonaws.com"}]
    assert allows[0]["Condition"]["ArnLike"]["aws:SourceArn"].startswith("arn:aws-cn:")


def test_email_subscription_only_when_an_address_is_set() -> None:
    assert of_type(build(), SUBSCRIPTION) == []
    (subscription,) = of_type(build(email=EMAIL), SUBSCRIPTION)
    assert subscription["name"] == "tap-test-usw2-alarms-email"
    assert subscription["inputs"]["protocol"] == "email"
    assert subscription["inputs"]["endpoint"] == EMAIL
    assert subscription["inputs"]["topic"] == TOPIC_ARN


def test_invalid_args_fail_before_anything_is_registered() -> None:
    def program() -> None:
        args = dataclasses.replace(monitoring_args(), stage_name="")
        Monitoring("tap-test-usw2-monitoring", args)

    error, registered = refused_before_registering(program)
    assert str(error) == "stage_name must name the API stage to watch"
    assert registered == []


def test_labels_of_another_region_are_refused() -> None:
    def program() -> None:
        Monitoring("tap-test-use1-monitoring", monitoring_args(region="us-east-1"))

    with pytest.raises(ValueError, match="monitoring for us-west-2 carries labels of us-east-1"):
        plan_program(program)


# --- alarms ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("database", "replication", "expected"),
    [
        (False, False, BASE_ALARMS),
        (True, False, BASE_ALARMS | DB_ALARMS),
        (False, True, BASE_ALARMS | REPLICATION_ALARMS),
        (True, True, BASE_ALARMS | DB_ALARMS | REPLICATION_ALARMS),
    ],
)
def test_the_set_of_alarms_follows_what_lives_in_the_region(
    database: bool, replication: bool, expected: set[str]
) -> None:
    assert set(alarms(build(database=database, replication=replication))) == expected


def test_every_alarm_notifies_the_topic_on_alarm_and_ok_and_says_how_it_treats_silence() -> None:
    found = of_type(build(database=True, replication=True), ALARM)
    assert len(found) == len(BASE_ALARMS | DB_ALARMS | REPLICATION_ALARMS)
    (policy,) = of_type(build(database=True, replication=True), TOPIC_POLICY)
    for alarm in found:
        inputs = alarm["inputs"]
        assert inputs["alarmActions"] == [TOPIC_ARN], alarm["name"]
        assert inputs["okActions"] == [TOPIC_ARN], alarm["name"]
        assert inputs["actionsEnabled"] is True
        assert inputs["treatMissingData"] in TREAT_MISSING_DATA, alarm["name"]
        assert inputs["name"] == alarm["name"]
        assert alarm["region"] == REGION
        assert len(inputs["alarmDescription"]) > 20
        assert policy["urn"] in alarm["dependencies"]  # first publish finds the policy


def test_silence_clears_error_alarms_but_not_database_alarms() -> None:
    treat = {
        name: inputs["treatMissingData"]
        for name, inputs in alarms(build(database=True, replication=True)).items()
    }
    assert {name for name, value in treat.items() if value == "missing"} == DB_ALARMS
    assert {name for name, value in treat.items() if value == "notBreaching"} == (
        BASE_ALARMS | REPLICATION_ALARMS
    )


# name -> (namespace, metric, dimensions, statistic, comparison, threshold)
EXPECTED_METRICS: dict[str, tuple[str, str, dict[str, str], str, str, float]] = {
    "lambda-errors": (
        "AWS/Lambda",
        "Errors",
        {"FunctionName": FUNCTION},
        "Sum",
        "GreaterThanOrEqualToThreshold",
        5,
    ),
    "lambda-throttles": (
        "AWS/Lambda",
        "Throttles",
        {"FunctionName": FUNCTION},
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
    ),
    "api-5xx-errors": (
        "AWS/ApiGateway",
        "5XXError",
        {"ApiName": API, "Stage": STAGE},
        "Sum",
        "GreaterThanOrEqualToThreshold",
        5,
    ),
    "api-p99-latency": (
        "AWS/ApiGateway",
        "Latency",
        {"ApiName": API, "Stage": STAGE},
        "p99",
        "GreaterThanThreshold",
        3000,
    ),
    "db-cpu": (
        "AWS/RDS",
        "CPUUtilization",
        {"DBClusterIdentifier": CLUSTER},
        "Average",
        "GreaterThanThreshold",
        80,
    ),
    "db-freeable-memory": (
        "AWS/RDS",
        "FreeableMemory",
        {"DBClusterIdentifier": CLUSTER},
        "Minimum",
        "LessThanThreshold",
        256 * 1024**2,
    ),
    "db-connections": (
        "AWS/RDS",
        "DatabaseConnections",
        {"DBClusterIdentifier": CLUSTER},
        "Maximum",
        "GreaterThanThreshold",
        200,
    ),
    "db-commit-latency": (
        "AWS/RDS",
        "CommitLatency",
        {"DBClusterIdentifier": CLUSTER},
        "Average",
        "GreaterThanThreshold",
        100,
    ),
    "replication-latency-euc1": (
        "AWS/S3",
        "ReplicationLatency",
        {
            "SourceBucket": SOURCE,
            "DestinationBucket": DESTINATIONS["eu-central-1"],
            "RuleId": "replicate-to-eu-central-1",
        },
        "Maximum",
        "GreaterThanThreshold",
        900,
    ),
    "replication-failed-use1": (
        "AWS/S3",
        "OperationsFailedReplication",
        {
            "SourceBucket": SOURCE,
            "DestinationBucket": DESTINATIONS["us-east-1"],
            "RuleId": "replicate-to-us-east-1",
        },
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
    ),
    "nat-1-packets-dropped": (
        "AWS/NATGateway",
        "PacketsDropCount",
        {"NatGatewayId": NATS[1]},
        "Sum",
        "GreaterThanThreshold",
        100,
    ),
}


@pytest.mark.parametrize("key", sorted(EXPECTED_METRICS))
def test_each_alarm_watches_the_right_metric_dimensions_and_statistic(key: str) -> None:
    namespace, metric, dimensions, stat, comparison, threshold = EXPECTED_METRICS[key]
    inputs = alarms(build(database=True, replication=True))[f"tap-test-usw2-alarm-{key}"]
    assert inputs["namespace"] == namespace
    assert inputs["metricName"] == metric
    assert inputs["dimensions"] == dimensions
    assert inputs["comparisonOperator"] == comparison
    assert inputs["threshold"] == threshold
    if stat.startswith("p"):
        # A percentile is only valid as extendedStatistic; statistic must then be absent.
        assert inputs["extendedStatistic"] == stat
        assert "statistic" not in inputs
        assert inputs["evaluateLowSampleCountPercentiles"] == "ignore"
    else:
        assert inputs["statistic"] == stat
        assert "extendedStatistic" not in inputs


def test_one_packets_dropped_alarm_per_nat_gateway() -> None:
    for nats in ((), ("nat-only",), ("nat-a", "nat-b", "nat-c")):
        watched = {
            name: inputs["dimensions"]["NatGatewayId"]
            for name, inputs in alarms(build(nats=nats)).items()
            if inputs["namespace"] == "AWS/NATGateway"
        }
        assert watched == {
            f"tap-test-usw2-alarm-nat-{i}-packets-dropped": nat for i, nat in enumerate(nats)
        }


def test_thresholds_and_evaluation_come_from_alarm_thresholds() -> None:
    custom = AlarmThresholds(
        lambda_errors=2,
        api_p99_latency_ms=1500,
        db_freeable_memory_bytes=512 * 1024**2,
        nat_packets_dropped=7,
        period_seconds=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
    )
    found = alarms(build(database=True, thresholds=custom))
    assert found["tap-test-usw2-alarm-lambda-errors"]["threshold"] == 2
    assert found["tap-test-usw2-alarm-api-p99-latency"]["threshold"] == 1500
    assert found["tap-test-usw2-alarm-db-freeable-memory"]["threshold"] == 512 * 1024**2
    assert found["tap-test-usw2-alarm-nat-0-packets-dropped"]["threshold"] == 7
    for inputs in found.values():
        assert (inputs["period"], inputs["evaluationPeriods"], inputs["datapointsToAlarm"]) == (
            60,
            5,
            3,
        )
    defaults = alarms(build())
    for inputs in defaults.values():
        assert (inputs["period"], inputs["evaluationPeriods"], inputs["datapointsToAlarm"]) == (
            300,
            3,
            2,
        )


def test_every_resource_is_in_the_region_named_and_tagged() -> None:
    resources = [
        r
        for r in build(database=True, replication=True, email=EMAIL)
        if not r["type"].startswith("pulumi:")
    ]
    types = {r["type"] for r in resources}
    assert {TOPIC, TOPIC_POLICY, SUBSCRIPTION, ALARM, DASHBOARD} <= types
    for resource in resources:
        assert resource["region"] == REGION, resource["urn"]
        assert resource["name"].startswith("tap-test-usw2-"), resource["name"]
        if resource["custom"]:
            parent = resource["parent"] or ""
            assert parent.endswith("tap:monitoring:Monitoring::tap-test-usw2-monitoring")
        if is_taggable(resource["type"]):
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"
            assert tags["Region"] == REGION


# --- the dashboard -----------------------------------------------------------------------------


def test_dashboard_is_named_for_the_region() -> None:
    (board,) = of_type(build(), DASHBOARD)
    assert board["name"] == "tap-test-usw2-dashboard"
    assert board["inputs"]["dashboardName"] == "tap-test-usw2-dashboard"


def test_dashboard_shows_every_tier_of_the_region() -> None:
    body = dashboard(build(database=True))
    assert metric_names(body) == {
        ("AWS/Lambda", "Invocations"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/Lambda", "Duration"),
        ("AWS/ApiGateway", "Count"),
        ("AWS/ApiGateway", "4XXError"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "DatabaseConnections"),
        ("AWS/RDS", "CommitLatency"),
        ("AWS/S3", "BucketSizeBytes"),
        ("AWS/S3", "NumberOfObjects"),
        ("AWS/NATGateway", "PacketsDropCount"),
    }
    for widget in body["widgets"]:
        assert widget["type"] == "metric"
        properties = widget["properties"]
        assert properties["region"] == REGION
        assert properties["title"]
        assert properties["view"] == "timeSeries"
        assert properties["stat"]
        assert properties["period"] > 0


def test_dashboard_rows_name_the_resolved_resources() -> None:
    rows = [
        row
        for widget in dashboard(build(database=True))["widgets"]
        for row in widget["properties"]["metrics"]
    ]
    by_metric = {(row[0], row[1]): row for row in rows}
    assert by_metric["AWS/Lambda", "Errors"] == ["AWS/Lambda", "Errors", "FunctionName", FUNCTION]
    assert by_metric["AWS/ApiGateway", "5XXError"] == [
        "AWS/ApiGateway",
        "5XXError",
        "ApiName",
        API,
        "Stage",
        STAGE,
    ]
    assert by_metric["AWS/RDS", "CPUUtilization"][2:] == ["DBClusterIdentifier", CLUSTER]
    nat_rows = [row for row in rows if row[1] == "PacketsDropCount"]
    assert nat_rows == [["AWS/NATGateway", "PacketsDropCount", "NatGatewayId", n] for n in NATS]


def test_s3_storage_widgets_use_daily_storage_type_metrics() -> None:
    widgets = {w["properties"]["title"]: w["properties"] for w in dashboard(build())["widgets"]}
    size = widgets["S3 bucket size (bytes)"]
    objects = widgets["S3 objects"]
    assert size["metrics"] == [
        ["AWS/S3", "BucketSizeBytes", "BucketName", BUCKET, "StorageType", "StandardStorage"]
    ]
    assert objects["metrics"] == [
        ["AWS/S3", "NumberOfObjects", "BucketName", BUCKET, "StorageType", "AllStorageTypes"]
    ]
    assert size["period"] == objects["period"] == 86400


def test_no_widget_mentions_a_database_that_is_not_in_the_region() -> None:
    body = dashboard(build(database=False, replication=False, nats=()))
    assert all(namespace != "AWS/RDS" for namespace, _ in metric_names(body))
    assert "DBClusterIdentifier" not in json.dumps(body)
    assert "Aurora" not in json.dumps(body)
    assert "AWS/NATGateway" not in json.dumps(body)
    assert "ReplicationLatency" not in json.dumps(body)


def test_replication_widget_follows_each_rule() -> None:
    widgets = {
        w["properties"]["title"]: w["properties"]
        for w in dashboard(build(replication=True))["widgets"]
    }
    assert widgets["S3 replication latency (s)"]["metrics"] == [
        [
            "AWS/S3",
            "ReplicationLatency",
            "SourceBucket",
            SOURCE,
            "DestinationBucket",
            bucket,
            "RuleId",
            f"replicate-to-{region}",
        ]
        for region, bucket in DESTINATIONS.items()
    ]


def test_widgets_tile_the_24_column_grid_without_overlapping() -> None:
    widgets = dashboard(build(database=True, replication=True))["widgets"]
    cells: set[tuple[int, int]] = set()
    for widget in widgets:
        x, y, width, height = widget["x"], widget["y"], widget["width"], widget["height"]
        assert x >= 0 and y >= 0 and width > 0 and height > 0
        assert x + width <= 24
        covered = {(x + i, y + j) for i in range(width) for j in range(height)}
        assert not covered & cells, widget["properties"]["title"]
        cells |= covered
    assert {w["x"] for w in widgets} == {0, 12}


def test_layout_wraps_rows() -> None:
    placed = layout(
        [
            {"width": 12, "height": 6},
            {"width": 8, "height": 3},
            {"width": 24, "height": 4},
            {"width": 6, "height": 2},
        ]
    )
    assert [(w["x"], w["y"]) for w in placed] == [(0, 0), (12, 0), (0, 6), (0, 10)]
    with pytest.raises(ValueError, match="widget width must be between 1 and 24, got 25"):
        layout([{"width": 25, "height": 6}])


def test_dashboard_body_is_pure_json_built_from_the_names() -> None:
    body = json.loads(
        dashboard_body(
            DashboardTargets(
                region="eu-central-1",
                function_name="fn",
                api_name="api",
                stage_name="prod",
                bucket_name="bucket",
                replication=[ReplicationRoute("src", "dst", "rule-1")],
            ),
            period=60,
        )
    )
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert titles == [
        "Lambda invocations and errors",
        "Lambda duration (ms)",
        "API requests and errors",
        "API latency (ms)",
        "S3 bucket size (bytes)",
        "S3 objects",
        "S3 replication latency (s)",
    ]
    assert {w["properties"]["region"] for w in body["widgets"]} == {"eu-central-1"}
    assert body["widgets"][0]["properties"]["period"] == 60
    latency = body["widgets"][3]["properties"]
    assert latency["stat"] == "p99"
    assert latency["metrics"][0] == [
        "AWS/ApiGateway",
        "Latency",
        "ApiName",
        "api",
        "Stage",
        "prod",
        {"stat": "p99", "label": "p99"},
    ]


# --- validation --------------------------------------------------------------------------------


def test_default_thresholds_are_valid() -> None:
    validate_thresholds(AlarmThresholds())


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"evaluation_periods": 2.5},
            "alarm threshold evaluation_periods must be a positive whole number, got 2.5",
        ),
        (
            {"period_seconds": 0},
            "alarm threshold period_seconds must be a positive whole number, got 0",
        ),
        (
            {"datapoints_to_alarm": True},
            "alarm threshold datapoints_to_alarm must be a positive whole number, got True",
        ),
        (
            {"period_seconds": 90},
            "alarm threshold period_seconds must be a multiple of 60 for AWS service metrics, "
            "got 90",
        ),
        (
            {"datapoints_to_alarm": 4},
            "alarm threshold datapoints_to_alarm (4) must not exceed evaluation_periods (3)",
        ),
        (
            {"period_seconds": 600, "evaluation_periods": 145, "datapoints_to_alarm": 1},
            "alarm thresholds period_seconds x evaluation_periods is 87000 s; CloudWatch "
            "allows at most 86400 s for a 600 s period",
        ),
    ],
)
def test_bad_thresholds_are_refused_with_the_field_named(
    overrides: dict[str, Any], message: str
) -> None:
    thresholds = dataclasses.replace(AlarmThresholds(), **overrides)
    with pytest.raises(ValueError) as error:
        validate_thresholds(thresholds)
    assert str(error.value) == message


def test_hourly_periods_may_look_back_a_week() -> None:
    validate_thresholds(AlarmThresholds(period_seconds=3600, evaluation_periods=168))
    with pytest.raises(ValueError, match="at most 604800 s"):
        validate_thresholds(AlarmThresholds(period_seconds=3600, evaluation_periods=169))


def test_the_component_refuses_bad_alarm_timing() -> None:
    def program() -> None:
        monitoring(thresholds=AlarmThresholds(period_seconds=90))

    with pytest.raises(ValueError, match=re.escape("period_seconds must be a multiple of 60")):
        plan_program(program)


@pytest.mark.parametrize(
    ("destinations", "message"),
    [
        ([], "replication must name at least one destination"),
        (
            [ReplicationTarget("us-east-1", "a", "r1"), ReplicationTarget("us-east-1", "b", "r2")],
            "replication destination regions must be distinct, got ['us-east-1', 'us-east-1']",
        ),
        ([ReplicationTarget(REGION, "a", "r1")], "replication destination us-west-2 is the source"),
        ([ReplicationTarget("us-east-1", "a", "")], "destination us-east-1 needs a rule_id"),
        ([ReplicationTarget("mars-1", "a", "r1")], "no region code for 'mars-1'"),
    ],
)
def test_bad_replication_watches_are_refused(
    destinations: list[ReplicationTarget], message: str
) -> None:
    def program() -> None:
        args = dataclasses.replace(
            monitoring_args(), replication=ReplicationWatch("src", destinations)
        )
        Monitoring("tap-test-usw2-monitoring", args)

    with pytest.raises(ValueError, match=re.escape(message)):
        plan_program(program)


# --- outputs -----------------------------------------------------------------------------------


@pulumi.runtime.test
def test_outputs_expose_the_topic_arn_dashboard_name_and_alarms(
    pulumi_mocks: PlanMocks,
) -> pulumi.Output[None]:
    component = monitoring(database=True, email=EMAIL)
    assert set(component.alarms) == {
        name.removeprefix("tap-test-usw2-alarm-") for name in (BASE_ALARMS | DB_ALARMS)
    }
    assert all(isinstance(a, aws.cloudwatch.MetricAlarm) for a in component.alarms.values())
    assert isinstance(component.topic, aws.sns.Topic)
    assert isinstance(component.dashboard, aws.cloudwatch.Dashboard)
    assert component.email_subscription is not None

    def check(values: list[Any]) -> None:
        topic_arn, dashboard_name, actions = values
        assert topic_arn == TOPIC_ARN
        assert dashboard_name == "tap-test-usw2-dashboard"
        assert actions == [TOPIC_ARN]

    return pulumi.Output.all(
        component.topic_arn,
        component.dashboard_name,
        component.alarms["db-cpu"].alarm_actions,
    ).apply(check)


# --- the database path -------------------------------------------------------------------------


def test_a_global_secondary_watches_its_forwarded_writes_and_its_lag_not_commits() -> None:
    found = alarms(build(database=True, db_role="secondary"))
    assert set(found) == BASE_ALARMS | CLUSTER_ALARMS | SECONDARY_ALARMS
    forwarded = found["tap-test-usw2-alarm-db-forwarded-write-latency"]
    lag = found["tap-test-usw2-alarm-db-rpo-lag"]
    for inputs in (forwarded, lag):
        assert inputs["namespace"] == "AWS/RDS"
        assert inputs["dimensions"] == {"DBClusterIdentifier": CLUSTER}
        assert inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert (forwarded["metricName"], forwarded["statistic"], forwarded["threshold"]) == (
        "AuroraForwardingReplicaDMLLatency",
        "Average",
        1000,
    )
    # No forwarded writes, no datapoints; but a secondary that stops reporting lag is news.
    assert forwarded["treatMissingData"] == "notBreaching"
    assert (lag["metricName"], lag["statistic"], lag["threshold"]) == (
        "AuroraGlobalDBRPOLag",
        "Maximum",
        30000,
    )
    assert lag["treatMissingData"] == "missing"


def test_the_database_alarm_thresholds_come_from_alarm_thresholds() -> None:
    custom = AlarmThresholds(
        db_connection_errors=4,
        db_commit_latency_ms=40,
        db_forwarded_write_latency_ms=400,
        db_rpo_lag_ms=4000,
    )
    writer = alarms(build(database=True, log_group=True, thresholds=custom))
    secondary = alarms(build(database=True, db_role="secondary", thresholds=custom))
    assert writer[CONNECTION_ALARM]["threshold"] == 4
    assert writer["tap-test-usw2-alarm-db-commit-latency"]["threshold"] == 40
    assert secondary["tap-test-usw2-alarm-db-forwarded-write-latency"]["threshold"] == 400
    assert secondary["tap-test-usw2-alarm-db-rpo-lag"]["threshold"] == 4000


def test_connection_errors_are_counted_from_the_functions_log_group() -> None:
    resources = build(log_group=True)
    (metric_filter,) = of_type(resources, METRIC_FILTER)
    inputs = metric_filter["inputs"]
    assert metric_filter["name"] == "tap-test-usw2-db-connection-errors"
    assert inputs["name"] == "tap-test-usw2-db-connection-errors"
    assert inputs["logGroupName"] == LOG_GROUP
    assert inputs["pattern"] == (
        '{ ($.message = "database unavailable") || ($.message = "health: database unavailable") '
        '|| ($.message = "health: no database credentials") }'
    )
    assert inputs["metricTransformation"] == {
        "name": "DatabaseConnectionErrors",
        "namespace": "tap/test",
        "value": "1",
        "unit": "Count",
    }
    alarm = alarms(resources)[CONNECTION_ALARM]
    assert (alarm["namespace"], alarm["metricName"]) == ("tap/test", "DatabaseConnectionErrors")
    assert "dimensions" not in alarm  # the metric filter publishes it without dimensions
    assert (alarm["statistic"], alarm["comparisonOperator"], alarm["threshold"]) == (
        "Sum",
        "GreaterThanOrEqualToThreshold",
        1,
    )
    assert alarm["treatMissingData"] == "notBreaching"
    widgets = {w["properties"]["title"]: w for w in dashboard(resources)["widgets"]}
    assert widgets["API database connection errors"]["properties"]["metrics"] == [
        ["tap/test", "DatabaseConnectionErrors"]
    ]


def test_without_a_log_group_nothing_is_counted() -> None:
    resources = build()
    assert of_type(resources, METRIC_FILTER) == []
    assert CONNECTION_ALARM not in alarms(resources)


def test_the_filter_pattern_quotes_each_message_and_refuses_what_it_cannot_quote() -> None:
    assert connection_errors_filter_pattern(["a b", "c: d"]) == (
        '{ ($.message = "a b") || ($.message = "c: d") }'
    )
    with pytest.raises(ValueError, match="needs at least one message"):
        connection_errors_filter_pattern([])
    with pytest.raises(ValueError, match="must not quote"):
        connection_errors_filter_pattern(['say "hi"'])


def test_the_handler_logs_what_the_filter_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request and a health check against a database that is not there: each error line the
    handler writes for them has a message the metric filter matches."""
    from tap.functions.api import jsonlog  # noqa: PLC0415
    from tests.functions.test_handler import LambdaContext, api_event  # noqa: PLC0415
    from tests.postgres import free_port  # noqa: PLC0415

    stream = io.StringIO()
    monkeypatch.setattr(jsonlog.log_handler, "stream", stream)
    monkeypatch.setenv("TAP_DB_DSN", f"host=127.0.0.1 port={free_port()} user=tap sslmode=disable")
    monkeypatch.setenv("TAP_REGION", REGION)
    record = f"/records/{uuid.uuid4()}"
    api_handler.reset()
    try:
        read = api_handler.handler(api_event("GET", record), LambdaContext())
        health = api_handler.handler(api_event("GET", "/health"), LambdaContext())
    finally:
        api_handler.reset()
    assert (read["statusCode"], health["statusCode"]) == (503, 503)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    failures = [line["message"] for line in lines if line["level"] == "ERROR"]
    failures = [m for m in failures if m != "request completed"]
    assert failures == [CONNECTION_ERROR_MESSAGES[0], CONNECTION_ERROR_MESSAGES[1]]


def test_a_region_without_an_api_watches_only_what_runs_there() -> None:
    resources = build(serves_api=False)
    assert set(alarms(resources)) == {
        "tap-test-usw2-alarm-nat-0-packets-dropped",
        "tap-test-usw2-alarm-nat-1-packets-dropped",
    }
    body = dashboard(resources)
    assert {namespace for namespace, _ in metric_names(body)} == {"AWS/S3", "AWS/NATGateway"}


def test_the_dashboard_shows_the_database_path_of_each_role() -> None:
    writer = metric_names(dashboard(build(database=True)))
    secondary = metric_names(dashboard(build(database=True, db_role="secondary")))
    assert ("AWS/RDS", "CommitLatency") in writer
    assert ("AWS/RDS", "AuroraGlobalDBRPOLag") not in writer
    assert {
        ("AWS/RDS", "AuroraForwardingReplicaDMLLatency"),
        ("AWS/RDS", "AuroraForwardingReplicaReadWaitLatency"),
        ("AWS/RDS", "AuroraGlobalDBRPOLag"),
    } <= secondary
    assert ("AWS/RDS", "CommitLatency") not in secondary


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"db_role": "reader"}, "db_role must be one of writer, secondary, got 'reader'"),
        (
            {"function_name": None, "function_log_group_name": LOG_GROUP},
            "function_log_group_name needs the function_name it belongs to",
        ),
    ],
)
def test_database_watch_wiring_is_checked(overrides: dict[str, Any], message: str) -> None:
    def program() -> None:
        args = dataclasses.replace(monitoring_args(), **overrides)
        Monitoring("tap-test-usw2-monitoring", args)

    error, registered = refused_before_registering(program)
    assert str(error) == message
    assert registered == []
