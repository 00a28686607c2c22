"""Crafted resources against the CloudFormation schemas: names, enums, ranges, each precise."""

from __future__ import annotations

import pytest

from tap import awsdata
from tap.constraints import schema
from tap.constraints.check import _as_cfn
from tests.constraints.crafted import only, resource, violations

SOURCE = awsdata.source()
BUCKET = "aws:s3/bucket:Bucket"
CLUSTER = "aws:rds/cluster:Cluster"
ROLE = "aws:iam/role:Role"
QUEUE = "aws:sqs/queue:Queue"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_a_bucket_name_longer_than_63_characters() -> None:
    name = "tap-prod-use1-data-" + "x" * 45
    found = violations(resource(BUCKET, {"bucket": name}, name="tap-prod-use1-data"))
    by_rule = {v.rule: v for v in found}
    assert set(by_rule) == {"maxLength 63", "format AWS::S3::Bucket.Name"}
    too_long = by_rule["maxLength 63"]
    assert too_long.resource == "tap-prod-use1-data"
    assert too_long.urn == f"urn:pulumi:test::tap::{BUCKET}::tap-prod-use1-data"
    assert too_long.property == "bucket"
    assert too_long.value == name
    assert too_long.message == f"bucket={name!r}: is 64 characters long; at most 63 allowed"
    assert too_long.source == f"{SOURCE}: AWS::S3::Bucket#/properties/BucketName/maxLength"
    assert (
        "must be 3 to 63 characters long (is 64)" in by_rule["format AWS::S3::Bucket.Name"].message
    )


def test_bucket_names_follow_every_s3_naming_rule() -> None:
    for name, problem in [
        ("ab", "must be 3 to 63 characters long (is 2)"),
        ("my..bucket", "must not contain '..', '.-' or '-.'"),
        ("192.168.5.4", "must not be formatted as an IP address"),
        ("xn--bucket", "must not start with 'xn--'"),
        ("tap-data-s3alias", "must not end with '-s3alias'"),
        ("Tap-Data", "may contain only lowercase letters, digits, dots and hyphens"),
    ]:
        messages = [v.message for v in violations(resource(BUCKET, {"bucket": name}))]
        assert any(problem in m for m in messages), (name, messages)
    assert violations(resource(BUCKET, {"bucket": "tap-prod-use1-data-123456789012"})) == []


def test_bad_characters_in_a_cluster_identifier() -> None:
    found = only(violations(resource(CLUSTER, {"clusterIdentifier": "tap_prod--aurora"})))
    assert found.property == "clusterIdentifier"
    assert found.rule == "pattern ^[a-zA-Z]{1}(?:-?[a-zA-Z0-9]){0,62}$"
    assert found.message == (
        "clusterIdentifier='tap_prod--aurora': does not match the pattern "
        "^[a-zA-Z]{1}(?:-?[a-zA-Z0-9]){0,62}$"
    )
    assert found.source == (
        f"{SOURCE}: AWS::RDS::DBCluster#/properties/DBClusterIdentifier/pattern"
    )


def test_patterns_read_as_cloudformation_reads_them() -> None:
    """ECMA-262: `\\w` is ASCII only and `$` does not match before a trailing newline."""
    assert violations(resource(ROLE, {"name": "tap-prod-use1-api-role"})) == []
    accented = only(violations(resource(ROLE, {"name": "tap-prod-rôle"})))
    assert accented.rule == "pattern ^[\\w+=,.@-]+$"
    newline = only(violations(resource(ROLE, {"name": "tap-prod-role\n"})))
    assert newline.property == "name"


def test_an_enum_value_aws_lacks() -> None:
    found = only(violations(resource("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 364})))
    assert found.property == "retentionInDays"
    assert found.value == 364
    assert found.rule.startswith("enum [1, 3, 5, 7, 14, 30, 60, 90, ...]")
    assert "is not one of the values AWS accepts: 1, 3, 5" in found.message
    assert found.source == f"{SOURCE}: AWS::Logs::LogGroup#/properties/RetentionInDays/enum"


def test_an_enum_inside_a_list_names_the_item_and_the_definition() -> None:
    inputs = {
        "bucket": "b",
        "rules": [
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}},
            {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms:rsa"}},
        ],
    }
    found = only(
        violations(
            resource(
                "aws:s3/bucketServerSideEncryptionConfiguration:"
                "BucketServerSideEncryptionConfiguration",
                inputs,
            )
        )
    )
    assert found.property == "rules[1].applyServerSideEncryptionByDefault.sseAlgorithm"
    assert found.value == "aws:kms:rsa"
    assert found.source == (
        f"{SOURCE}: AWS::S3::Bucket#/definitions/ServerSideEncryptionByDefault"
        "/properties/SSEAlgorithm/enum"
    )


def test_an_out_of_range_number() -> None:
    found = only(violations(resource(QUEUE, {"messageRetentionSeconds": 1209601})))
    assert found.property == "messageRetentionSeconds"
    assert found.rule == "maximum 1209600"
    assert found.message == "messageRetentionSeconds=1209601: is above the maximum 1209600"
    assert found.source == f"{SOURCE}: AWS::SQS::Queue#/properties/MessageRetentionPeriod/maximum"
    key = only(violations(resource("aws:kms/key:Key", {"deletionWindowInDays": 6})))
    assert (key.property, key.rule) == ("deletionWindowInDays", "minimum 7")


def test_tags_are_checked_as_each_type_takes_them() -> None:
    """IAM and SQS take only letters, digits, spaces and _.:/=+-@ in tags; EC2 takes any."""
    tags = {"Team": "payments & billing", "Name": "tap-test-use1-x"}
    found = only(violations(resource(ROLE, {"tags": tags})))
    assert found.property == "tags.Team"
    assert found.value == "payments & billing"
    assert found.source == f"{SOURCE}: AWS::IAM::Role#/definitions/Tag/properties/Value/pattern"
    assert violations(resource("aws:ec2/vpc:Vpc", {"tags": tags})) == []
    long_key = only(violations(resource(CLUSTER, {"tags": {"k" * 129: "v"}})))
    assert (long_key.property, long_key.rule) == (f"tags.{'k' * 129}", "maxLength 128")


def test_cfn_lint_extension_schemas_run_on_the_whole_resource() -> None:
    period = only(violations(resource(ALARM, {"period": 90})))
    assert period.property == "period"
    assert period.message == "period=90: is not a multiple of 60"
    assert period.source.startswith(f"{SOURCE}: extensions/aws_cloudwatch_alarm/period.json#")
    assert violations(resource(ALARM, {"period": 30})) == []
    fifo = only(violations(resource(QUEUE, {"fifoQueue": True, "name": "tap-dlq"})))
    assert (fifo.property, fifo.rule) == ("name", "pattern ^.*\\.fifo$")


def test_documented_rules_fill_the_gaps_of_the_schemas() -> None:
    found = only(violations(resource(QUEUE, {"name": "tap.dlq"})))
    assert found.property == "name"
    assert found.source.endswith("/APIReference/API_CreateQueue.html")
    stage = only(violations(resource("aws:apigateway/stage:Stage", {"stageName": "v1.0"})))
    assert stage.source == "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html"
    interval = only(
        violations(resource("aws:ec2/flowLog:FlowLog", {"maxAggregationInterval": 300}))
    )
    assert interval.rule == "enum [60, 600]"


def test_values_the_plan_cannot_know_are_skipped() -> None:
    assert violations(resource(BUCKET, {"bucket": "<unknown>"})) == []
    assert violations(resource(ROLE, {"name": "<secret>", "tags": {"Team": "<unknown>"}})) == []


def test_values_the_provider_never_sends_are_skipped() -> None:
    function = resource("aws:lambda/function:Function", {"reservedConcurrentExecutions": -1})
    assert violations(function) == []
    versioning = resource(
        "aws:s3/bucketVersioning:BucketVersioning",
        {"bucket": "b", "versioningConfiguration": {"status": "Disabled"}},
    )
    assert violations(versioning) == []
    versioning["inputs"]["versioningConfiguration"]["status"] = "Off"
    assert only(violations(versioning)).rule == "enum ['Enabled', 'Suspended']"


def test_components_and_providers_are_not_checked() -> None:
    component = resource(BUCKET, {"bucket": "X"})
    component["custom"] = False
    provider = resource("pulumi:providers:aws", {"region": "mars-1"})
    assert violations(component, provider) == []


def test_values_are_compared_in_cloudformations_json_types() -> None:
    """The engine hands a DB instance's port over as a number; its schema types it a string."""
    port = schema.leaf("AWS::RDS::DBInstance", "us-east-1", "Port")
    assert _as_cfn(5432, port, "port") == "5432"
    assert port.errors(_as_cfn(5432, port, "port")) == []
    retention = schema.leaf("AWS::Logs::LogGroup", "us-east-1", "RetentionInDays")
    assert _as_cfn("14", retention, "retentionInDays") == 14
    tags = schema.leaf("AWS::EC2::VPC", "us-east-1", "Tags")
    assert _as_cfn({"Name": "n"}, tags, "tags") == [{"Key": "Name", "Value": "n"}]


def test_a_region_without_aws_data_is_an_error_not_a_pass() -> None:
    with pytest.raises(awsdata.AwsDataError, match=r"providers/mars-1\.json"):
        violations(resource(BUCKET, {"bucket": "tap-data"}, region="mars-1"))


def test_route53_health_check_and_record_limits_come_from_the_schemas() -> None:
    check = resource(
        "aws:route53/healthCheck:HealthCheck",
        {"type": "HTTPS", "port": 443, "failureThreshold": 11, "requestInterval": 5},
    )
    assert {(v.property, v.rule) for v in violations(check)} == {
        ("failureThreshold", "maximum 10"),
        ("requestInterval", "minimum 10"),
    }
    record = resource(
        "aws:route53/record:Record",
        {
            "name": "api.example.com",
            "type": "A",
            "setIdentifier": "us-east-1",
            "failoverRoutingPolicies": [{"type": "TERTIARY"}],
            "aliases": [{"evaluateTargetHealth": True}],
        },
    )
    found = only(violations(record))
    assert (found.property, found.rule) == (
        "failoverRoutingPolicies[0].type",
        "enum ['PRIMARY', 'SECONDARY']",
    )


def test_a_reference_is_mapped_for_tap_diff_but_its_value_never_checked() -> None:
    # The vault's key ARN is the mock engine's invention: even a value of the wrong type
    # passes, while the name tap decides is checked.
    vault = "aws:backup/vault:Vault"
    assert violations(resource(vault, {"name": "tap-test-use1-vault", "kmsKeyArn": 5})) == []
    found = only(violations(resource(vault, {"name": "bad name!", "kmsKeyArn": 5})))
    assert found.property == "name"
