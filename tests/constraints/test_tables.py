"""tap's own copies of AWS rules stay equal to their sources, and each rule has edges."""

from __future__ import annotations

import importlib

import pytest
from botocore.loaders import Loader  # type: ignore[import-untyped]

from tap.components.database import cluster_parameters, instance_parameters
from tap.constraints.documented import DOCUMENTED
from tap.constraints.formats import CFN_LINT_CLASSES, CFN_LINT_PATTERNS, s3_bucket_name_problems
from tap.constraints.parameters import APPLY_METHODS, CLUSTER, INSTANCE, PARAMETERS
from tap.constraints.schema import compile_pattern, compile_schema
from tap.limits import SECRET_ARN_SUFFIX_LENGTH, check_secret_name, secret_name_looks_suffixed

# How the CreateSecret docs write the suffix's length.
SECRET_ARN_SUFFIX_WORD = {6: "six"}[SECRET_ARN_SUFFIX_LENGTH]


@pytest.mark.parametrize("name", sorted(CFN_LINT_PATTERNS))
def test_format_patterns_are_cfn_lints(name: str) -> None:
    """cfn-lint keeps its formats in code; an update that changes one fails here."""
    module = importlib.import_module(f"cfnlint.rules.formats.{CFN_LINT_CLASSES[name]}")
    rule = getattr(module, CFN_LINT_CLASSES[name])()
    assert rule.format_keyword == name
    assert rule.pattern == CFN_LINT_PATTERNS[name]


def test_s3_bucket_name_rules() -> None:
    assert s3_bucket_name_problems("tap-prod-use1-data-123456789012") == []
    assert s3_bucket_name_problems("a" * 63) == []
    assert s3_bucket_name_problems("-bucket") == ["must begin and end with a letter or digit"]
    assert s3_bucket_name_problems("bucket.-x") == ["must not contain '..', '.-' or '-.'"]
    assert s3_bucket_name_problems("sthree-data") == ["must not start with 'sthree-'"]
    assert s3_bucket_name_problems("data--table-s3") == ["must not end with '--table-s3'"]
    assert s3_bucket_name_problems("bücket") == [
        "may contain only lowercase letters, digits, dots and hyphens"
    ]


def test_ecma_patterns_anchor_at_the_very_end_and_stay_ascii() -> None:
    dollar = compile_pattern(r"^[a-z]+$")
    assert dollar.search("abc")
    assert not dollar.search("abc\n")
    digits = compile_pattern(r"^\d{12}$")
    assert digits.search("123456789012")
    assert not digits.search("١٢٣٤٥٦٧٨٩٠١٢")  # Arabic-Indic digits: Unicode \d, not ECMA's
    # A `$` that is escaped or inside a class is a character, not an anchor.
    assert compile_pattern(r"^[$]\$$").search("$$")
    # Unicode classes (IAM and SQS tags) go through the `regex` package.
    assert compile_pattern(r"^[\p{L}\p{N} ]+$").search("Équipe 7")


@pytest.mark.parametrize(
    ("cfn_type", "path", "good", "bad"),
    [
        ("AWS::SQS::Queue", "QueueName", ["a", "q" * 80, "jobs.fifo"], ["", "q" * 81, "a.b"]),
        ("AWS::SNS::Topic", "TopicName", ["t" * 256, "alarms.fifo"], ["t" * 257, "a b"]),
        ("AWS::CloudWatch::Dashboard", "DashboardName", ["d" * 255], ["d" * 256, "a.b"]),
        (
            "AWS::SecretsManager::Secret",
            "Name",
            ["db/master+1@x", "tap-prod-use1-aurora-master-credentials", "a-12345", "-abcde"],
            ["a b", "s" * 513, "tap-prod-use1-aurora-master", "x-abc-ef", "-abcdef"],
        ),
        ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName", ["my group_1.x"], ["default", "a/b"]),
        (
            "AWS::RDS::DBClusterParameterGroup",
            "DBClusterParameterGroupName",
            ["p" * 255],
            ["p" * 256],
        ),
        ("AWS::RDS::DBInstance", "MonitoringInterval", [0, 60], [2, 120]),
        ("AWS::ApiGateway::Stage", "StageName", ["v1", "s" * 128], ["s" * 129, "v1.0", ""]),
        (
            "AWS::EC2::SecurityGroupIngress",
            "Description",
            ["HTTPS from 10.0.0.0/8 (VPN)"],
            ["caf\u00e9", "d" * 256, "a|b"],
        ),
    ],
)
def test_documented_rule_edges(
    cfn_type: str, path: str, good: list[object], bad: list[object]
) -> None:
    rule = compile_schema(DOCUMENTED[(cfn_type, path)].schema, cfn_type, path)
    for value in good:
        assert rule.errors(value) == [], value
    for value in bad:
        assert rule.errors(value), value


@pytest.mark.parametrize(
    "name",
    [
        "tap-prod-use1-aurora-master",
        "tap-prod-use1-aurora-master-credentials",
        "x-abc-ef",
        "-abcdef",
        "abcdef",
        "a-12345",
        "db/master+1@x",
        "s-" + "é" * 6,
    ],
)
def test_the_secret_suffix_rule_is_one_rule_in_code_and_in_the_constraints(name: str) -> None:
    """The component's guard (tap.limits) and the plan's constraint agree on every name."""
    rule = compile_schema(
        DOCUMENTED[("AWS::SecretsManager::Secret", "Name")].schema["not"],
        "AWS::SecretsManager::Secret",
        "Name",
    )
    assert secret_name_looks_suffixed(name) == (rule.errors(name) == [])


def test_the_secret_suffix_rule_is_still_what_secrets_manager_documents() -> None:
    model = Loader().load_service_model("secretsmanager", "service-2")
    documentation = model["shapes"]["CreateSecretRequest"]["members"]["Name"]["documentation"]
    assert (
        f"Do not end your secret name with a hyphen followed by {SECRET_ARN_SUFFIX_WORD} "
        "characters" in documentation
    )
    with pytest.raises(ValueError, match="partial-ARN lookup could match the wrong secret"):
        check_secret_name("tap-prod-use1-aurora-master")
    check_secret_name("tap-prod-use1-aurora-master-credentials")


def test_every_documented_rule_cites_an_aws_page() -> None:
    for rule in DOCUMENTED.values():
        assert rule.source.startswith("https://docs.aws.amazon.com/")


def test_apply_methods_are_the_rds_models() -> None:
    model = Loader().load_service_model("rds", "service-2")
    assert tuple(model["shapes"]["ApplyMethod"]["enum"]) == APPLY_METHODS


def test_the_table_covers_every_parameter_tap_sets_at_its_level() -> None:
    for level, parameters in (
        (CLUSTER, cluster_parameters("ddl", 1000)),
        (INSTANCE, instance_parameters("ddl", 1000)),
    ):
        for parameter in parameters:
            name, value = parameter["name"], parameter["value"]
            assert isinstance(name, str) and isinstance(value, str)  # plain values, no Outputs
            rule = PARAMETERS[name]
            assert level in rule.levels
            assert rule.accepts(value)
            assert not (rule.static and parameter["apply_method"] == "immediate")


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        ("log_min_duration_statement", ["-1", "0", "2147483647"], ["-2", "1e3", "2147483648"]),
        ("rds.force_ssl", ["0", "1"], ["true", "2"]),
        (
            "shared_preload_libraries",
            ["pg_stat_statements", "pg_stat_statements,auto_explain"],
            ["pg_stat_statements;drop"],
        ),
    ],
)
def test_parameter_values(name: str, good: list[str], bad: list[str]) -> None:
    rule = PARAMETERS[name]
    assert all(rule.accepts(v) for v in good)
    assert not any(rule.accepts(v) for v in bad)
