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


def test_resource_star_only_for_actions_aws_cannot_scope() -> None:
    rule = rule_named("iam-no-wildcard-resources")
    unscopable = {
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "ec2:DescribeNetworkInterfaces"],
        "Resource": "*",
    }
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert messages(rule, [res(r.IAM_ROLE_POLICY, policy=policy(unscopable, deny))]) == []
    mixed = {**unscopable, "Sid": "Mixed", "Action": ["xray:PutTraceSegments", "logs:PutLogEvents"]}
    inline = [{"name": "p", "policy": policy(mixed)}]
    assert messages(rule, [res(r.IAM_ROLE, inlinePolicies=inline)]) == [
        "tap-test-use1-x: Mixed allows logs:PutLogEvents on Resource '*'"
    ]
    # An action AWS's data does not know can't be shown to need "*"; nor can a pattern that
    # matches scopable actions.
    for action in ("xray:PutTraceSegmentz", "ec2:Describe*", "ec2:CreateNetworkInterface"):
        statement = {**unscopable, "Action": action}
        assert messages(rule, [res(r.IAM_POLICY, policy=policy(statement))]), action
