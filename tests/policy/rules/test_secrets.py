"""Secrets Manager rules: one violation per rule, rotation schedules."""

from __future__ import annotations

from typing import Any

from tap.policy.rules import resource_types as r
from tap.policy.rules import rule_named
from tap.policy.rules.core import PolicyResource
from tests.policy.rules.support import KEY_ARN, Case, messages, res

SECRET = res(r.SECRET_TYPE, "tap-prod-use1-aurora-master", kmsKeyId=KEY_ARN)


def rotation(**rules: Any) -> PolicyResource:
    return res(
        r.SECRET_ROTATION,
        "tap-prod-use1-aurora-master-rotation",
        deps=(SECRET.urn,),
        secretId="arn:secret",
        rotationRules=rules,
    )


# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "secretsmanager-secret-cmk": Case([res(r.SECRET_TYPE)], "uses the AWS managed key"),
    "secretsmanager-rotation-in-prod": Case(
        [SECRET], "tap-prod-use1-aurora-master is never rotated", "prod"
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "secretsmanager-secret-cmk",
    "secretsmanager-rotation-in-prod",
}


def test_rotation_within_90_days_passes_in_prod_and_longer_fails() -> None:
    rule = rule_named("secretsmanager-rotation-in-prod")
    assert messages(rule, [SECRET, rotation(automaticallyAfterDays=30)], "prod") == []
    assert messages(rule, [SECRET, rotation(scheduleExpression="rate(90 days)")], "prod") == []
    assert messages(rule, [SECRET, rotation(automaticallyAfterDays=91)], "prod") == [
        "tap-prod-use1-aurora-master rotates every 91 days; prod needs 90 days or less"
    ]
    assert messages(rule, [SECRET, rotation(scheduleExpression="rate(120 days)")], "prod")
    assert messages(rule, [SECRET], "staging") == []
