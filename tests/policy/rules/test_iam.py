"""IAM permission policy rules: one violation per rule, where Resource "*" is allowed, and
managed policies judged by what they grant."""

from __future__ import annotations

from typing import Any

import pytest

from tap.policy.rules import UNKNOWN, PolicyResource, evaluate, from_manifest, rule_named
from tap.policy.rules import resource_types as r
from tap.policy.rules.core import items
from tap.policy.rules.iam import PERMISSION_POLICY_TYPES, grants
from tests.conftest import Planned
from tests.policy.rules.support import Case, messages, policy, res, urn

MANAGED = "arn:aws:iam::aws:policy"
VPC_ACCESS = f"{MANAGED}/service-role/AWSLambdaVPCAccessExecutionRole"
API_GATEWAY_LOGS = f"{MANAGED}/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
RDS_MONITORING = f"{MANAGED}/service-role/AmazonRDSEnhancedMonitoringRole"

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
    "iam-managed-policies-known": Case(
        [res(r.IAM_ROLE_POLICY_ATTACHMENT, role="r", policyArn=f"{MANAGED}/ReadOnlyAccess")],
        "an AWS managed policy whose document tap does not keep",
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


def _wildcard_resources(*resources: PolicyResource) -> list[str]:
    return messages(rule_named("iam-no-wildcard-resources"), list(resources))


@pytest.mark.parametrize(
    ("type_", "props"),
    [
        (r.IAM_ROLE_POLICY_ATTACHMENT, {"role": "r", "policyArn": VPC_ACCESS}),
        (r.IAM_GROUP_POLICY_ATTACHMENT, {"group": "g", "policyArn": VPC_ACCESS}),
        (r.IAM_POLICY_ATTACHMENT, {"roles": ["r"], "policyArn": VPC_ACCESS}),
        (r.IAM_ROLE, {"managedPolicyArns": [RDS_MONITORING, VPC_ACCESS]}),
        (r.IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE, {"roleName": "r", "policyArns": [VPC_ACCESS]}),
    ],
)
def test_a_managed_policy_is_judged_by_what_it_grants(type_: str, props: dict[str, Any]) -> None:
    assert _wildcard_resources(res(type_, "attacher", **props)) == [
        "attacher: AWSLambdaVPCAccessExecutionPermissions of AWSLambdaVPCAccessExecutionRole "
        "allows logs:CreateLogGroup, logs:CreateLogStream, logs:PutLogEvents, "
        "ec2:CreateNetworkInterface, ec2:DeleteNetworkInterface, ec2:AssignPrivateIpAddresses, "
        "ec2:UnassignPrivateIpAddresses on Resource '*'"
    ]


def test_the_managed_policies_tap_attaches_pass_or_are_accepted() -> None:
    # RDS's monitoring policy names its log groups; API Gateway's logging policy is an accepted
    # Resource "*" (see aws_managed.py for why).
    for arn in (RDS_MONITORING, API_GATEWAY_LOGS):
        attachment = res(r.IAM_ROLE_POLICY_ATTACHMENT, role="r", policyArn=arn)
        assert [v.message for v in evaluate([attachment]) if v.rule.startswith("iam-")] == []


def test_admin_policies_are_refused_however_they_are_attached() -> None:
    rule = rule_named("iam-no-admin-managed-policies")
    admin = f"{MANAGED}/AdministratorAccess"
    for attacher in (
        res(r.IAM_ROLE, managedPolicyArns=[RDS_MONITORING, admin]),
        res(r.IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE, policyArns=[admin]),
        res(r.IAM_USER_POLICY_ATTACHMENT, user="u", policyArn=f"{MANAGED}/IAMFullAccess"),
    ):
        assert len(messages(rule, [attacher])) == 1, attacher.type
    assert messages(rule, [res(r.IAM_ROLE, managedPolicyArns=[RDS_MONITORING])]) == []


def _known(*resources: PolicyResource) -> list[str]:
    return messages(rule_named("iam-managed-policies-known"), list(resources))


def test_an_aws_managed_policy_needs_its_document_in_tap_under_its_own_path() -> None:
    known = res(r.IAM_ROLE, managedPolicyArns=[RDS_MONITORING, API_GATEWAY_LOGS, VPC_ACCESS])
    assert _known(known) == []
    # The same name under another path is another policy (or none).
    wrong_path = f"{MANAGED}/AWSLambdaVPCAccessExecutionRole"
    assert _known(res(r.IAM_ROLE_POLICY_ATTACHMENT, "a", policyArn=wrong_path)) == [
        f"a attaches {wrong_path}, an AWS managed policy whose document tap does not keep; copy "
        "it from the AWS managed policy reference into tap/policy/rules/aws_managed.py, or "
        "grant an inline policy"
    ]
    assert _known(res(r.IAM_ROLE, managedPolicyArns=["arn:aws-cn:iam::aws:policy/Foo"]))


def test_a_customer_managed_policy_must_be_one_the_stack_defines() -> None:
    props = {"name": "tap-test-own", "path": "/tap/", "policy": policy()}
    defined = PolicyResource(urn(r.IAM_POLICY, "own"), r.IAM_POLICY, "own", props)
    by_name = res(
        r.IAM_ROLE_POLICY_ATTACHMENT,
        "by-name",
        role="r",
        policyArn="arn:aws:iam::123456789012:policy/tap/tap-test-own",
    )
    generated = "arn:aws:iam:us-east-1:123456789012:id-abc"  # what the mock engine hands out
    by_edge = res(
        r.IAM_ROLE_POLICY_ATTACHMENT, "by-edge", deps=(defined.urn,), role="r", policyArn=generated
    )
    assert _known(defined, by_name, by_edge) == []
    foreign = "arn:aws:iam::123456789012:policy/SomeoneElses"
    assert _known(defined, res(r.IAM_ROLE, "role", managedPolicyArns=[foreign])) == [
        f"role attaches {foreign}, a policy this stack does not define, so no rule sees what it "
        "grants; define it in the stack or grant an inline policy"
    ]
    # Unknown until deployed: nothing to judge yet.
    assert _known(res(r.IAM_ROLE_POLICY_ATTACHMENT, policyArn=UNKNOWN)) == []
    assert _known(res(r.IAM_ROLE, managedPolicyArns=UNKNOWN)) == []


def test_the_shipped_stacks_grant_actions_on_any_resource_only_where_the_docs_say(
    plans: dict[str, Planned],
) -> None:
    # docs/security.md, "Resource: * in permission policies", names exactly these.
    on_anything = set()
    for planned in plans.values():
        for resource in from_manifest(planned.manifest):
            if resource.type not in PERMISSION_POLICY_TYPES:
                continue
            for grant in grants(resource):
                if "*" in (items(grant.statement.get("Resource")) or []):
                    component = resource.name.split("-", 3)[-1]
                    on_anything.add((component, grant.label, grant.accepted_wildcard is not None))
    assert on_anything == {
        ("api-policy", "WriteXRayTraces", False),
        ("api-policy", "DescribeNetworkInterfaces", False),
        ("db-migrate-policy", "WriteXRayTraces", False),
        ("db-migrate-policy", "DescribeNetworkInterfaces", False),
        ("secret-rotation-policy", "WriteXRayTraces", False),
        ("secret-rotation-policy", "DescribeNetworkInterfaces", False),
        ("secret-rotation-policy", "GeneratePasswords", False),
        (
            "apigateway-cloudwatch-policy",
            "a statement of AmazonAPIGatewayPushToCloudWatchLogs",
            True,
        ),
    }
