"""IAM permission policy rules: one violation per rule, and where Resource "*" is allowed."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tap.policy.rules import rule_named
from tests.policy.rules.support import Case, messages, policy, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "iam-no-wildcard-actions": Case(
        [
            res(
                r.IAM_ROLE_POLICY,
                policy=policy(
                    {
                        "Sid": "All",
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::b",
                    }
                ),
            )
        ],
        "All allows wildcard action 's3:*'",
    ),
    "iam-no-wildcard-resources": Case(
        [
            res(
                r.IAM_POLICY,
                policy=policy(
                    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
                ),
            )
        ],
        "Read allows s3:GetObject on Resource '*'",
    ),
    "iam-no-admin-managed-policies": Case(
        [
            res(
                r.IAM_ROLE_POLICY_ATTACHMENT,
                role="r",
                policyArn="arn:aws:iam::aws:policy/AdministratorAccess",
            )
        ],
        "attaches arn:aws:iam::aws:policy/AdministratorAccess",
    ),
    "iam-no-user-policies": Case(
        [res(r.IAM_USER_POLICY, user="alice", policy=policy())],
        "attaches a policy to an IAM user",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "iam-no-user-policies",
}


def test_resource_star_is_only_for_xray() -> None:
    rule = rule_named("iam-no-wildcard-resources")
    xray = {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert messages(rule, [res(r.IAM_ROLE_POLICY, policy=policy(xray, deny))]) == []
    inline = [{"name": "p", "policy": policy({**xray, "Action": "logs:PutLogEvents"})}]
    assert messages(rule, [res(r.IAM_ROLE, inlinePolicies=inline)])
