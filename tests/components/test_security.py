"""SecurityGroups and AccountPasswordPolicy on their own."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from tap.components.security import (
    AccountPasswordPolicy,
    AccountPasswordPolicyArgs,
    SecurityGroups,
    SecurityGroupsArgs,
)
from tests.conftest import labels_for, plan_program

VPC_CIDR = "10.20.0.0/16"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GROUP = "aws:ec2/securityGroup:SecurityGroup"


@cache
def build(
    allowed: tuple[str, ...] = (), bastion: bool = False, private_api: bool = True
) -> tuple[dict[str, Any], ...]:
    def program() -> None:
        SecurityGroups(
            "tap-test-use1-security",
            SecurityGroupsArgs(
                labels=labels_for("us-east-1"),
                vpc_id="vpc-123",
                vpc_cidr=VPC_CIDR,
                allowed_cidrs=allowed,
                enable_bastion_ssh=bastion,
                private_api=private_api,
            ),
        )

    return tuple(plan_program(program)["resources"])


def rules(resources: tuple[dict[str, Any], ...], group: str, kind: str) -> list[dict[str, Any]]:
    prefix = f"tap-test-use1-sg-{group}-{'in' if kind == INGRESS else 'out'}-"
    return [r for r in resources if r["type"] == kind and r["name"].startswith(prefix)]


def group_urn(resources: tuple[dict[str, Any], ...], group: str) -> str:
    (match,) = [
        r for r in resources if r["type"] == GROUP and r["name"] == f"tap-test-use1-sg-{group}"
    ]
    return str(match["urn"])


def test_groups_and_names() -> None:
    groups = [r for r in build() if r["type"] == GROUP]
    assert sorted(g["inputs"]["name"] for g in groups) == [
        "tap-test-use1-sg-api",
        "tap-test-use1-sg-app",
        "tap-test-use1-sg-db",
    ]
    for group in groups:
        assert group["inputs"]["vpcId"] == "vpc-123"
        assert group["inputs"]["description"]
        assert "ingress" not in group["inputs"] and "egress" not in group["inputs"]
        assert group["inputs"]["tags"]["Name"] == group["inputs"]["name"]


def test_app_group_has_no_ingress_and_narrow_egress() -> None:
    resources = build()
    assert rules(resources, "app", INGRESS) == []
    egress = {
        (r["inputs"]["fromPort"], r["inputs"].get("cidrIpv4"))
        for r in rules(resources, "app", EGRESS)
    }
    assert egress == {(443, "0.0.0.0/0"), (5432, None)}


def test_database_accepts_postgres_from_the_app_group_only() -> None:
    resources = build()
    (rule,) = rules(resources, "db", INGRESS)
    assert rule["inputs"]["fromPort"] == rule["inputs"]["toPort"] == 5432
    assert rule["inputs"]["ipProtocol"] == "tcp"
    assert "cidrIpv4" not in rule["inputs"]
    assert group_urn(resources, "app") in rule["dependencies"]
    assert rules(resources, "db", EGRESS) == []


def test_api_endpoint_group_accepts_https_from_the_vpc_and_allowed_cidrs() -> None:
    resources = build(allowed=("10.100.0.0/16", "203.0.113.0/24"))
    sources = sorted(
        (r["inputs"]["fromPort"], r["inputs"]["cidrIpv4"]) for r in rules(resources, "api", INGRESS)
    )
    assert sources == [(443, "10.100.0.0/16"), (443, "10.20.0.0/16"), (443, "203.0.113.0/24")]


def test_a_regional_api_gets_no_endpoint_group() -> None:
    """A REGIONAL API is reached over the internet: a group of this VPC would sit in front of
    nothing, and tap:allowedCidrs would seem to limit an API it cannot limit."""
    resources = build(allowed=("10.100.0.0/16",), private_api=False)
    assert sorted(r["inputs"]["name"] for r in resources if r["type"] == GROUP) == [
        "tap-test-use1-sg-app",
        "tap-test-use1-sg-db",
    ]
    assert rules(resources, "api", INGRESS) == []


def test_no_bastion_unless_enabled() -> None:
    resources = build(allowed=("203.0.113.0/24",))
    assert not [r for r in resources if "bastion" in r["name"]]
    assert not [r for r in resources if r["type"] == INGRESS and r["inputs"]["fromPort"] == 22]


def test_bastion_allows_ssh_from_allowed_cidrs_only() -> None:
    resources = build(allowed=("203.0.113.0/24", "198.51.100.7/32"), bastion=True)
    ssh = rules(resources, "bastion", INGRESS)
    assert sorted(r["inputs"]["cidrIpv4"] for r in ssh) == ["198.51.100.7/32", "203.0.113.0/24"]
    assert all(r["inputs"]["fromPort"] == r["inputs"]["toPort"] == 22 for r in ssh)
    db_sources = [r for r in rules(resources, "db", INGRESS) if "bastion" in r["name"]]
    assert len(db_sources) == 1
    assert group_urn(resources, "bastion") in db_sources[0]["dependencies"]


@pytest.mark.parametrize("bastion", [False, True])
def test_every_rule_is_described_and_tagged(bastion: bool) -> None:
    resources = build(allowed=("203.0.113.0/24",), bastion=bastion)
    for rule in (r for r in resources if r["type"] in (INGRESS, EGRESS)):
        assert rule["inputs"]["description"], rule["name"]
        assert rule["inputs"]["tags"]["Name"] == rule["name"]


def test_password_policy_meets_cis() -> None:
    def program() -> None:
        AccountPasswordPolicy("tap-test-gbl-password-policy")

    (policy,) = [
        r
        for r in plan_program(program)["resources"]
        if r["type"] == "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
    ]
    assert policy["inputs"] == {
        "minimumPasswordLength": 14,
        "requireLowercaseCharacters": True,
        "requireUppercaseCharacters": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "allowUsersToChangePassword": True,
        "maxPasswordAge": 90,
        "passwordReusePrevention": 24,
        "hardExpiry": False,
    }


@pytest.mark.parametrize(
    "args",
    [
        AccountPasswordPolicyArgs(minimum_length=8),
        AccountPasswordPolicyArgs(max_age_days=365),
        AccountPasswordPolicyArgs(reuse_prevention=5),
    ],
)
def test_password_policy_refuses_anything_weaker(args: AccountPasswordPolicyArgs) -> None:
    def program() -> None:
        AccountPasswordPolicy("tap-test-gbl-password-policy", args)

    with pytest.raises(ValueError, match="may only be stricter than CIS"):
        plan_program(program)
