"""The rule catalogue as a whole: names, controls, every rule failing on its crafted case and
tolerating unknowns, the shipped stacks passing, and the model (PolicyConfig, from_manifest).

Each concern's test module holds that concern's crafted violations (VIOLATIONS) and its details;
this module runs the checks every rule must pass over all of them.
"""

from __future__ import annotations

import re
from collections import Counter
from types import ModuleType
from typing import Any

import pytest

from tap.policy.rules import (
    RULES,
    SECRET,
    UNKNOWN,
    PolicyConfig,
    PolicyResource,
    evaluate,
    from_manifest,
    rule_named,
    run_rule,
)
from tap.policy.rules import resource_types as r
from tests.conftest import Planned
from tests.policy.rules import (
    test_account,
    test_api,
    test_backup,
    test_database,
    test_entrypoint,
    test_function,
    test_iam,
    test_iam_lint,
    test_kms,
    test_messaging,
    test_monitoring,
    test_network,
    test_secrets,
    test_signing,
    test_storage,
    test_tagging,
    test_waf,
)
from tests.policy.rules.support import KEY_ARN, STACK, Case, messages, res

CONTROL_ID = re.compile(r"^(CIS \d+(\.\d+)*|[A-Za-z0-9]+\.\d+)$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

CONCERNS: tuple[ModuleType, ...] = (
    test_storage,
    test_database,
    test_kms,
    test_network,
    test_function,
    test_api,
    test_entrypoint,
    test_waf,
    test_backup,
    test_signing,
    test_monitoring,
    test_account,
    test_iam,
    test_iam_lint,
    test_secrets,
    test_messaging,
    test_tagging,
)
VIOLATIONS: dict[str, Case] = {
    name: case for module in CONCERNS for name, case in module.VIOLATIONS.items()
}
FLAG_ON_ABSENCE: set[str] = set().union(*(module.FLAG_ON_ABSENCE for module in CONCERNS))


# --- the catalogue ------------------------------------------------------------------------------


def test_there_are_at_least_30_rules_with_unique_kebab_case_names() -> None:
    assert len(RULES) >= 30
    names = [rule.name for rule in RULES]
    assert [n for n, count in Counter(names).items() if count > 1] == []
    assert all(KEBAB.match(n) for n in names), names


def test_every_rule_is_described_and_names_a_control() -> None:
    for rule in RULES:
        assert len(rule.description) > 20, rule.name
        assert CONTROL_ID.match(rule.control), (rule.name, rule.control)
        assert rule.enforcement in ("mandatory", "advisory")
        assert all(t.count(":") == 2 for t in rule.resource_types), rule.name


def test_most_rules_are_mandatory() -> None:
    mandatory = [rule for rule in RULES if rule.enforcement == "mandatory"]
    assert len(mandatory) > len(RULES) / 2


def test_the_violation_tables_cover_every_rule_once() -> None:
    # A new rule needs a failing case in its concern's test module before the suite passes.
    names = [name for module in CONCERNS for name in module.VIOLATIONS]
    assert sorted(names) == sorted(rule.name for rule in RULES)


def test_rule_named_finds_rules_and_refuses_unknown_names() -> None:
    assert rule_named("kms-key-rotation").control == "KMS.4"
    with pytest.raises(KeyError):
        rule_named("no-such-rule")


def test_only_declared_rules_read_the_environment() -> None:
    assert {rule.name for rule in RULES if rule.uses_environment} == {
        "rds-deletion-protection-in-prod",
        "rds-backup-retention",
        "cloudwatch-log-group-retention",
        "iam-password-policy-managed-in-prod",
        "apigateway-account-managed-in-prod",
        "apigateway-stage-waf-in-prod",
        "backup-aurora-covered-in-prod",
        "lambda-code-signing-in-prod",
        "secretsmanager-rotation-in-prod",
    }


def test_policy_config_refuses_an_unknown_environment() -> None:
    assert PolicyConfig().environment == "dev"
    assert PolicyConfig("prod").is_prod
    assert not PolicyConfig("staging").is_prod
    with pytest.raises(ValueError, match="environment must be one of"):
        PolicyConfig("qa")


def test_environment_limits_apply_in_prod_only() -> None:
    cluster = res(r.RDS_CLUSTER, deletionProtection=False, backupRetentionPeriod=1)
    logs = res(r.LOG_GROUP, retentionInDays=30, kmsKeyId=KEY_ARN)
    for name, resource in [
        ("rds-deletion-protection-in-prod", cluster),
        ("rds-backup-retention", cluster),
        ("cloudwatch-log-group-retention", logs),
    ]:
        rule = rule_named(name)
        assert messages(rule, [resource], "dev") == [], name
        assert messages(rule, [resource], "staging") == [], name
        assert messages(rule, [resource], "prod"), name
    assert messages(
        rule_named("rds-backup-retention"), [res(r.RDS_CLUSTER, backupRetentionPeriod=0)]
    )
    assert messages(rule_named("iam-password-policy-managed-in-prod"), [STACK], "dev") == []


# --- the shipped stacks -------------------------------------------------------------------------


def test_the_shipped_stacks_pass_every_rule(planned: Planned) -> None:
    resources = from_manifest(planned.manifest)
    violations = evaluate(resources, PolicyConfig(environment=planned.config.environment))
    assert [(v.rule, v.urn, v.message) for v in violations] == []


def test_the_rules_have_something_to_check_in_the_shipped_stacks(plans: dict[str, Planned]) -> None:
    # Guards against a type-token typo turning a rule vacuous.
    shipped = {res["type"] for planned in plans.values() for res in planned.resources}
    never_shipped = {
        # The API's dead-letter queue is gone (API Gateway invokes synchronously); the rule
        # stays for any queue a stack adds.
        r.SQS_QUEUE,
        r.SECURITY_GROUP_RULE,
        r.RDS_INSTANCE,
        r.IAM_POLICY,
        r.IAM_GROUP_POLICY,
        r.IAM_USER_POLICY,
        r.IAM_GROUP_POLICY_ATTACHMENT,
        r.IAM_POLICY_ATTACHMENT,
        r.IAM_USER_POLICY_ATTACHMENT,
        r.IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
        r.IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE,
        r.IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE,
    }
    for rule in RULES:
        if rule.resource_types and rule.name not in ("iam-no-user-policies", "sqs-queue-encrypted"):
            assert shipped & set(rule.resource_types), rule.name
        assert set(rule.resource_types) <= shipped | never_shipped | set(r.TAGGABLE_TYPES)


def test_from_manifest_keeps_what_the_rules_need(plans: dict[str, Planned]) -> None:
    manifest = plans["prod"].manifest
    resources = from_manifest(manifest)
    assert len(resources) == len(manifest["resources"])
    first = manifest["resources"][1]
    converted = resources[1]
    assert converted.urn == first["urn"] and converted.type == first["type"]
    assert converted.props == first["inputs"]
    assert converted.dependencies == tuple(first["dependencies"])
    assert any(res.protect for res in resources)


# --- every rule fails on its crafted violation --------------------------------------------------


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_every_rule_fails_on_its_violation(name: str) -> None:
    case = VIOLATIONS[name]
    rule = rule_named(name)
    violations = run_rule(rule, case.resources, PolicyConfig(case.environment))
    assert violations, f"{name} passed its violating input"
    assert any(case.message in v.message for v in violations), [v.message for v in violations]
    for violation in violations:
        assert (violation.rule, violation.control) == (rule.name, rule.control)
        assert violation.enforcement == rule.enforcement
    if not rule.is_stack_rule:
        assert {v.urn for v in violations} <= {res.urn for res in case.resources}


def test_evaluate_runs_every_rule_and_filters_by_type() -> None:
    key = res(r.KMS_KEY, enableKeyRotation=False, tags={})
    found = {v.rule for v in evaluate([key])}
    assert found == {"kms-key-rotation", "required-tags"}


# --- unknowns and secrets -----------------------------------------------------------------------


def _unknown_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unknown_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_leaves(v) for v in value]
    return UNKNOWN


@pytest.mark.parametrize("depth", ["top-level", "leaves"])
def test_unknown_props_neither_crash_nor_flag(plans: dict[str, Planned], depth: str) -> None:
    resources = []
    for res_ in from_manifest(plans["prod"].manifest):
        if depth == "top-level":
            props = dict.fromkeys(res_.props, UNKNOWN)
        else:
            props = _unknown_leaves(dict(res_.props))
        resources.append(
            PolicyResource(res_.urn, res_.type, res_.name, props, dependencies=res_.dependencies)
        )
    assert [(v.rule, v.message) for v in evaluate(resources, PolicyConfig("prod"))] == []


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_every_rule_tolerates_unknown_and_odd_shapes(name: str) -> None:
    rule = rule_named(name)

    def with_props(value: Any) -> list[PolicyResource]:
        return [
            PolicyResource(
                x.urn, x.type, x.name, dict.fromkeys(x.props, value), dependencies=x.dependencies
            )
            for x in VIOLATIONS[name].resources
        ]

    for odd in (SECRET, None, 7, "text", [], {}, [UNKNOWN], {"x": UNKNOWN}):
        run_rule(rule, with_props(odd), PolicyConfig("prod"))  # must not raise
    if rule.name not in FLAG_ON_ABSENCE:
        assert messages(rule, with_props(UNKNOWN), "prod") == []


def test_each_tap_control_id_names_one_rule() -> None:
    """tap's own ids (TAP.n) are allocated here, one per rule; AWS's ids (FSBP, CIS) may be
    shared by rules that check parts of one AWS control."""
    owners: dict[str, list[str]] = {}
    for rule in RULES:
        if rule.control.startswith("TAP."):
            owners.setdefault(rule.control, []).append(rule.name)
    shared = {control: names for control, names in owners.items() if len(names) > 1}
    assert not shared, f"TAP control ids used by more than one rule: {shared}"
