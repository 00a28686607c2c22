"""The pulumi-policy adapters, called directly: the pack itself is never built here.

Building a PolicyPack starts a gRPC server and blocks, so nothing may import tap.policy.__main__;
the last tests read that file instead.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from tap.policy.pack import (
    PACK_NAME,
    pack_config,
    plain_props,
    policy_config,
    pulumi_policies,
    to_policy_resource,
)
from tap.policy.rules import RULES, UNKNOWN, PolicyConfig
from tap.policy.rules import resource_types as r

POLICY_DIR = Path(__file__).resolve().parents[2] / "tap" / "policy"
URN = "urn:pulumi:test::tap::aws:kms/key:Key::tap-test-use1-kms"


class Reports:
    """A report_violation that remembers what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.calls.append((message, urn))


def policies_by_name() -> dict[str, Any]:
    return {p.name: p for p in pulumi_policies()}


def fake_args(type_: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> Any:
    name = "tap-test-use1-x"
    return SimpleNamespace(
        resource_type=type_,
        props=props,
        urn=f"urn:pulumi:test::tap::{type_}::{name}",
        name=name,
        get_config=lambda: config or {},
    )


def _options(protect: bool = False) -> PolicyResourceOptions:
    # No custom timeouts: zeros, as the engine's analyzer passes them.
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def stack_resource(
    type_: str, name: str, props: dict[str, Any], dependencies: list[PolicyResource] | None = None
) -> PolicyResource:
    return PolicyResource(
        type_,
        unknown_checking_proxy(props),
        f"urn:pulumi:test::tap::{type_}::{name}",
        name,
        _options(),
        None,
        None,
        dependencies or [],
        {},
    )


# --- one policy per rule ------------------------------------------------------------------------


def test_one_policy_per_rule_with_its_name_kind_and_enforcement() -> None:
    policies = pulumi_policies()
    assert [p.name for p in policies] == [rule.name for rule in RULES]
    levels = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}
    for policy, rule in zip(policies, RULES, strict=True):
        kind = StackValidationPolicy if rule.is_stack_rule else ResourceValidationPolicy
        assert isinstance(policy, kind), rule.name
        assert policy.enforcement_level == levels[rule.enforcement]
        assert policy.description == f"[{rule.control}] {rule.description}"


def test_environment_dependent_policies_declare_a_config_schema() -> None:
    for policy, rule in zip(pulumi_policies(), RULES, strict=True):
        if not rule.uses_environment:
            assert policy.config_schema is None, rule.name
            continue
        assert policy.config_schema is not None, rule.name
        environment = policy.config_schema.properties["environment"]
        assert environment == {
            "type": "string",
            "enum": ["dev", "staging", "prod"],
            "default": "dev",
            "description": environment["description"],
        }


def test_pack_config_sets_the_environment_of_every_configurable_policy() -> None:
    config = pack_config("prod")
    configurable = {p.name for p in pulumi_policies() if p.config_schema is not None}
    assert set(config) == configurable and configurable
    assert all(value == {"environment": "prod"} for value in config.values())
    assert policy_config(config["rds-backup-retention"]).is_prod
    with pytest.raises(ValueError, match="environment must be one of"):
        pack_config("qa")


def test_policy_config_defaults_to_dev() -> None:
    assert policy_config(None) == PolicyConfig("dev")
    assert policy_config({}) == PolicyConfig("dev")
    assert policy_config({"environment": "staging"}).environment == "staging"


# --- resource policies --------------------------------------------------------------------------


def test_a_resource_policy_reports_a_violation_and_passes_a_good_resource() -> None:
    rotation = policies_by_name()["kms-key-rotation"]
    good, bad = Reports(), Reports()
    rotation.validate(fake_args(r.KMS_KEY, {"enableKeyRotation": True}), good)
    rotation.validate(fake_args(r.KMS_KEY, {"enableKeyRotation": False}), bad)
    assert good.calls == []
    assert bad.calls == [
        ("tap-test-use1-x does not rotate automatically (enableKeyRotation)", None)
    ]


def test_a_resource_policy_ignores_other_types() -> None:
    reports = Reports()
    policies_by_name()["kms-key-rotation"].validate(fake_args(r.SNS_TOPIC, {}), reports)
    assert reports.calls == []


def test_a_resource_policy_reads_the_environment_from_its_config() -> None:
    deletion = policies_by_name()["rds-deletion-protection-in-prod"]
    props = {"deletionProtection": False}
    for config, expected in [({"environment": "prod"}, 1), ({"environment": "dev"}, 0), ({}, 0)]:
        reports = Reports()
        deletion.validate(fake_args(r.RDS_CLUSTER, props, config), reports)
        assert len(reports.calls) == expected, config


def test_a_resource_policy_reads_unknowns_without_raising() -> None:
    # The engine's own args: the props proxy raises on unknowns unless the adapter unwraps them.
    props = unknown_checking_proxy(
        {
            "enableKeyRotation": UNKNOWN_BOOLEAN_VALUE,
            "policy": UNKNOWN_STRING_VALUE,
            "deletionWindowInDays": 30.0,
            "tags": {"Name": UNKNOWN_STRING_VALUE},
        }
    )
    args = ResourceValidationArgs(r.KMS_KEY, props, URN, "tap-test-use1-kms", _options(), None)
    for name in ("kms-key-rotation", "kms-key-policy-not-public", "required-tags"):
        reports = Reports()
        policies_by_name()[name].validate(args, reports)
        if name == "required-tags":
            assert reports.calls == [
                ("tap-test-use1-kms lacks the tags Project, Environment, ManagedBy, Region", None)
            ]
        else:
            assert reports.calls == [], name


def test_plain_props_unwraps_proxies_unknowns_and_whole_floats() -> None:
    props = unknown_checking_proxy(
        {
            "retentionInDays": 365.0,
            "ratio": 0.5,
            "nested": {"list": [UNKNOWN_NUMBER_VALUE, 1.0], "flag": True},
        }
    )
    assert plain_props(props) == {
        "retentionInDays": 365,
        "ratio": 0.5,
        "nested": {"list": [UNKNOWN, 1], "flag": True},
    }


# --- stack policies -----------------------------------------------------------------------------


def test_a_stack_policy_reports_against_the_offending_resource() -> None:
    flow_logs = policies_by_name()["vpc-flow-logs-enabled"]
    vpc = stack_resource(r.VPC, "tap-test-use1-vpc", {"cidrBlock": "10.0.0.0/16"})
    lonely = stack_resource(r.VPC, "tap-test-usw2-vpc", {"cidrBlock": "10.1.0.0/16"})
    flow = stack_resource(
        r.FLOW_LOG, "tap-test-use1-flow-log", {"vpcId": UNKNOWN_STRING_VALUE}, [vpc]
    )
    reports = Reports()
    flow_logs.validate(StackValidationArgs([vpc, flow]), reports)
    assert reports.calls == []
    flow_logs.validate(StackValidationArgs([vpc, lonely, flow]), reports)
    assert reports.calls == [("VPC tap-test-usw2-vpc has no flow log", lonely.urn)]


def test_a_stack_policy_takes_duck_typed_resources_and_its_config() -> None:
    managed = policies_by_name()["iam-password-policy-managed-in-prod"]
    stack = SimpleNamespace(
        resource_type="pulumi:pulumi:Stack",
        props={},
        urn="urn:pulumi:prod::tap::pulumi:pulumi:Stack::tap-prod",
        name="tap-prod",
        dependencies=[],
    )
    for environment, expected in [("prod", 1), ("dev", 0)]:
        reports = Reports()
        args = SimpleNamespace(
            resources=[stack], get_config=lambda e=environment: {"environment": e}
        )
        managed.validate(args, reports)
        assert len(reports.calls) == expected
        if expected:
            assert reports.calls[0][1] == stack.urn


def test_to_policy_resource_keeps_dependencies_parent_and_property_dependencies() -> None:
    vpc = stack_resource(r.VPC, "vpc", {})
    flow = PolicyResource(
        r.FLOW_LOG,
        unknown_checking_proxy({"vpcId": UNKNOWN_STRING_VALUE}),
        "urn:flow",
        "flow",
        _options(protect=True),
        PolicyProviderResource(
            "pulumi:providers:aws",
            unknown_checking_proxy({"region": "eu-central-1"}),
            "urn:provider",
            "provider",
        ),
        vpc,
        [vpc],
        {"vpcId": [vpc]},
    )
    converted = to_policy_resource(flow)
    assert converted.props == {"vpcId": UNKNOWN}
    assert converted.dependencies == (vpc.urn,)
    assert converted.parent == vpc.urn
    assert converted.property_dependencies == {"vpcId": (vpc.urn,)}
    assert converted.protect and converted.region == "eu-central-1"


# --- the pack's entry point ---------------------------------------------------------------------


def test_main_only_builds_the_pack() -> None:
    tree = ast.parse((POLICY_DIR / "__main__.py").read_text())
    body = [node for node in tree.body if not isinstance(node, ast.Import | ast.ImportFrom)]
    docstring, build = body
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    assert isinstance(build, ast.Expr) and isinstance(build.value, ast.Call)
    call = build.value
    assert isinstance(call.func, ast.Name) and call.func.id == "PolicyPack"
    keywords = {k.arg: ast.unparse(k.value) for k in call.keywords}
    assert keywords == {
        "name": "PACK_NAME",
        "enforcement_level": "EnforcementLevel.MANDATORY",
        "policies": "list[Policy](pulumi_policies())",
    }
    assert PACK_NAME == "tap-aws-guardrails"


def test_nothing_imports_the_entry_point() -> None:
    root = POLICY_DIR.parents[1]
    for path in [*root.joinpath("tap").rglob("*.py"), *root.joinpath("tests").rglob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names]
                names.append(node.module or "")
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert "tap.policy.__main__" not in names, path


def test_importing_the_package_does_not_start_the_pack() -> None:
    code = (
        "import sys, tap.policy, tap.policy.pack, tap.policy.rules; "
        "assert 'tap.policy.__main__' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert done.returncode == 0


def test_rules_import_without_pulumi() -> None:
    code = (
        "import sys; import tap.policy.rules; "
        "assert not [m for m in sys.modules if m.split('.')[0] in "
        "('pulumi', 'pulumi_aws', 'pulumi_policy')], sorted(sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], timeout=60, check=False)
    assert done.returncode == 0


def test_the_policy_yaml_names_the_uv_python_runtime() -> None:
    import yaml  # noqa: PLC0415

    document = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert document["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert document["description"] and document["version"]
