"""IAM permission policies: no wildcard actions or resources, no admin policies, no user grants."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tap.awsdata import iam_actions
from tap.policy.rules.core import (
    PolicyConfig,
    PolicyResource,
    RuleBook,
    dig,
    items,
    policy_document,
    statements,
)
from tap.policy.rules.resource_types import (
    IAM_GROUP_POLICY,
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_POLICY,
    IAM_POLICY_ATTACHMENT,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_USER_POLICY,
    IAM_USER_POLICY_ATTACHMENT,
)

_book = RuleBook()

ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")

_POLICY_TYPES = (IAM_ROLE_POLICY, IAM_POLICY, IAM_GROUP_POLICY, IAM_USER_POLICY, IAM_ROLE)


def _permission_statements(r: PolicyResource) -> Iterator[Mapping[str, Any]]:
    """The Allow statements of a resource's permission policies (a role's inline ones too)."""
    if r.type == IAM_ROLE:
        raw_documents = [dig(p, "policy") for p in items(r.props.get("inlinePolicies")) or []]
    else:
        raw_documents = [r.props.get("policy")]
    for raw in raw_documents:
        for statement in statements(policy_document(raw) or {}):
            if statement.get("Effect") == "Allow":
                yield statement


@_book.resource(
    "iam-no-wildcard-actions",
    "IAM.21",
    'Permission policies allow no "*" or "service:*" actions, and no NotAction.',
    *_POLICY_TYPES,
)
def _iam_wildcard_actions(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for statement in _permission_statements(r):
        sid = statement.get("Sid") or "a statement"
        if "NotAction" in statement:
            yield f"{r.name}: {sid} allows NotAction, which grants everything else"
        for action in items(statement.get("Action")) or []:
            if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                yield f"{r.name}: {sid} allows wildcard action {action!r}"


def _scopable(actions: Sequence[str]) -> list[str]:
    """The actions AWS lets a policy scope to resources, or that AWS's data does not know."""
    return [a for a in actions if not (found := iam_actions(a)) or any(found.values())]


@_book.resource(
    "iam-no-wildcard-resources",
    "IAM.1",
    'Permission policies scope every statement to resources: Resource "*" only for actions '
    "that support no resource-level permissions (such as xray:PutTraceSegments or "
    "ec2:DescribeNetworkInterfaces, per AWS's Service Authorization Reference).",
    *_POLICY_TYPES,
)
def _iam_wildcard_resources(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for statement in _permission_statements(r):
        sid = statement.get("Sid") or "a statement"
        if "NotResource" in statement:
            yield f"{r.name}: {sid} uses NotResource"
        if "*" not in (items(statement.get("Resource")) or []):
            continue
        actions = [str(a) for a in items(statement.get("Action")) or []]
        scopable = _scopable(actions) if actions else []
        if not actions or scopable:
            yield f"{r.name}: {sid} allows {', '.join(scopable) or 'its actions'} on Resource '*'"


@_book.resource(
    "iam-no-admin-managed-policies",
    "IAM.1",
    "No role, group or user gets AdministratorAccess, PowerUserAccess or IAMFullAccess.",
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENT,
)
def _iam_admin_policies(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    arn = r.props.get("policyArn")
    if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in ADMIN_MANAGED_POLICIES:
        yield f"{r.name} attaches {arn}; grant only what the workload needs"


@_book.resource(
    "iam-no-user-policies",
    "IAM.2",
    "No policy is attached to an IAM user directly; grant through groups or roles.",
    IAM_USER_POLICY,
    IAM_USER_POLICY_ATTACHMENT,
    IAM_POLICY_ATTACHMENT,
)
def _iam_user_policies(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.type == IAM_POLICY_ATTACHMENT and not items(r.props.get("users")):
        return
    yield f"{r.name} attaches a policy to an IAM user; use a group or a role"


RULES = _book.rules
