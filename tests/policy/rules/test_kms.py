"""KMS rules: one violation per rule, and key policies that open a key only under a condition."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tap.policy.rules import rule_named
from tests.policy.rules.support import Case, messages, policy, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "kms-key-rotation": Case(
        [res(r.KMS_KEY, enableKeyRotation=False)], "does not rotate automatically"
    ),
    "kms-key-policy-not-public": Case(
        [
            res(
                r.KMS_KEY,
                enableKeyRotation=True,
                policy=policy(
                    {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}
                ),
            )
        ],
        "Open allows any principal without a Condition",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = set()


def test_a_kms_key_policy_wildcard_with_a_condition_is_fine() -> None:
    rule = rule_named("kms-key-policy-not-public")
    scoped = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Decrypt",
        "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
    }
    assert messages(rule, [res(r.KMS_KEY, policy=policy(scoped))]) == []
    assert messages(rule, [res(r.KMS_KEY)]) == []  # AWS's default key policy
