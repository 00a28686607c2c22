"""Tagging rules: one violation per rule, configurable tags, the taggable types."""

from __future__ import annotations

from tap.policy.rules import PolicyConfig, rule_named, run_rule
from tap.policy.rules import resource_types as r
from tests.conftest import Planned, is_taggable
from tests.policy.rules.support import Case, messages, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "required-tags": Case(
        [res(r.VPC, tags={"Name": "tap-test-use1-vpc", "Project": "tap"})],
        "lacks the tags Environment, ManagedBy, Region",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = set()


def test_required_tags_are_configurable() -> None:
    rule = rule_named("required-tags")
    vpc = res(r.VPC, tags={"Name": "n", "Owner": ""})
    config = PolicyConfig(required_tags=("Name", "Owner"))
    assert [v.message for v in run_rule(rule, [vpc], config)] == [
        "tap-test-use1-x lacks the tags Owner"
    ]
    assert messages(rule, [res(r.VPC)]) == [
        "tap-test-use1-x has no tags; it needs Project, Environment, ManagedBy, Region, Name"
    ]


def test_the_taggable_types_match_pulumi_aws(plans: dict[str, Planned]) -> None:
    assert all(is_taggable(t) for t in r.TAGGABLE_TYPES)
    shipped = {
        res["type"]
        for planned in plans.values()
        for res in planned.cloud_resources()
        if is_taggable(res["type"])
    }
    assert shipped <= set(r.TAGGABLE_TYPES)
