"""IAM permission policies: no wildcard actions or resources, no admin policies, no user grants,
and every attached managed policy judged by what it grants."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from tap.awsdata import iam_actions
from tap.policy.rules.aws_managed import is_aws_managed, managed_policy
from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    dig,
    is_opaque,
    items,
    of_type,
    policy_document,
    statements,
)
from tap.policy.rules.resource_types import (
    IAM_GROUP_POLICY,
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE,
    IAM_POLICY,
    IAM_POLICY_ATTACHMENT,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE,
    IAM_USER_POLICY,
    IAM_USER_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE,
)

_book = RuleBook()

ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")

# What attaches managed policies, and the property that names them.
ATTACHING_PROPERTY = {
    IAM_ROLE: "managedPolicyArns",
    IAM_ROLE_POLICY_ATTACHMENT: "policyArn",
    IAM_GROUP_POLICY_ATTACHMENT: "policyArn",
    IAM_USER_POLICY_ATTACHMENT: "policyArn",
    IAM_POLICY_ATTACHMENT: "policyArn",
    IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE: "policyArns",
    IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE: "policyArns",
    IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE: "policyArns",
}
_ATTACHING_TYPES = tuple(ATTACHING_PROPERTY)
PERMISSION_POLICY_TYPES = (
    IAM_ROLE_POLICY,
    IAM_POLICY,
    IAM_GROUP_POLICY,
    IAM_USER_POLICY,
    *_ATTACHING_TYPES,
)


def attached_policy_arns(r: PolicyResource) -> list[Any] | None:
    """The managed policy ARNs a resource attaches ([] for none, None when unknown)."""
    key = ATTACHING_PROPERTY.get(r.type)
    return items(r.props.get(key)) if key else []


class Grant(NamedTuple):
    label: str  # how a message names the statement
    statement: Mapping[str, Any]
    accepted_wildcard: str | None = None


def grants(r: PolicyResource) -> Iterator[Grant]:
    """The Allow statements a resource grants: its own policy documents (a role's inline ones
    too) and those of the AWS managed policies it attaches. A customer managed policy is judged
    where it is defined; one tap can't see is iam-managed-policies-known's to refuse."""
    if r.type == IAM_ROLE:
        raw_documents = [dig(p, "policy") for p in items(r.props.get("inlinePolicies")) or []]
    elif r.type in ATTACHING_PROPERTY:
        raw_documents = []
    else:
        raw_documents = [r.props.get("policy")]
    for raw in raw_documents:
        for statement in statements(policy_document(raw) or {}):
            if statement.get("Effect") == "Allow":
                yield Grant(statement.get("Sid") or "a statement", statement)
    for arn in attached_policy_arns(r) or []:
        policy = managed_policy(arn) if isinstance(arn, str) else None
        if policy is None:
            continue
        for statement in statements(policy.document):
            if statement.get("Effect") == "Allow":
                sid = statement.get("Sid") or "a statement"
                yield Grant(f"{sid} of {policy.name}", statement, policy.accepted_wildcard)


@_book.resource(
    "iam-no-wildcard-actions",
    "IAM.21",
    'Permission policies allow no "*" or "service:*" actions, and no NotAction.',
    *PERMISSION_POLICY_TYPES,
)
def _iam_wildcard_actions(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for label, statement, _ in grants(r):
        if "NotAction" in statement:
            yield f"{r.name}: {label} allows NotAction, which grants everything else"
        for action in items(statement.get("Action")) or []:
            if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                yield f"{r.name}: {label} allows wildcard action {action!r}"


def _scopable(actions: Sequence[str]) -> list[str]:
    """The actions AWS lets a policy scope to resources, or that AWS's data does not know."""
    return [a for a in actions if not (found := iam_actions(a)) or any(found.values())]


@_book.resource(
    "iam-no-wildcard-resources",
    "IAM.1",
    'Permission policies scope every statement to resources: Resource "*" only for actions '
    "that support no resource-level permissions (such as xray:PutTraceSegments or "
    "ec2:DescribeNetworkInterfaces, per AWS's Service Authorization Reference). Attached AWS "
    "managed policies are judged by their documents.",
    *PERMISSION_POLICY_TYPES,
)
def _iam_wildcard_resources(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for label, statement, accepted in grants(r):
        if "NotResource" in statement:
            yield f"{r.name}: {label} uses NotResource"
        if "*" not in (items(statement.get("Resource")) or []) or accepted:
            continue
        actions = [str(a) for a in items(statement.get("Action")) or []]
        scopable = _scopable(actions) if actions else []
        if not actions or scopable:
            yield f"{r.name}: {label} allows {', '.join(scopable) or 'its actions'} on Resource '*'"


@_book.resource(
    "iam-no-admin-managed-policies",
    "IAM.1",
    "No role, group or user gets AdministratorAccess, PowerUserAccess or IAMFullAccess.",
    *_ATTACHING_TYPES,
)
def _iam_admin_policies(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for arn in attached_policy_arns(r) or []:
        if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in ADMIN_MANAGED_POLICIES:
            yield f"{r.name} attaches {arn}; grant only what the workload needs"


@_book.resource(
    "iam-no-user-policies",
    "IAM.2",
    "No policy is attached to an IAM user directly; grant through groups or roles.",
    IAM_USER_POLICY,
    IAM_USER_POLICY_ATTACHMENT,
    IAM_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE,
)
def _iam_user_policies(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.type == IAM_POLICY_ATTACHMENT and not items(r.props.get("users")):
        return
    if r.type == IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE and not items(r.props.get("policyArns")):
        return  # an empty exclusive set detaches every managed policy from the user
    yield f"{r.name} attaches a policy to an IAM user; use a group or a role"


def _defined_here(attacher: PolicyResource, arn: str, policies: Sequence[PolicyResource]) -> bool:
    """Whether `arn` names one of this stack's policies (which the rules then check)."""
    exact = attacher.property_dependencies.get(ATTACHING_PROPERTY[attacher.type])
    if exact:
        return any(p.urn in exact for p in policies)
    for policy in policies:
        name, path = policy.props.get("name"), policy.props.get("path") or "/"
        if isinstance(name, str) and isinstance(path, str) and arn.endswith(f":policy{path}{name}"):
            return True
    # A generated ARN reads like no name: the dependency edge tells.
    return any(p.urn in attacher.dependencies for p in policies)


@_book.stack(
    "iam-managed-policies-known",
    "TAP.5",
    "Every attached managed policy is one the rules can judge: an AWS managed policy whose "
    "document tap keeps (tap/policy/rules/aws_managed.py), or a policy the stack defines.",
    subjects=_ATTACHING_TYPES,
)
def _iam_managed_known(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    policies = of_type(resources, IAM_POLICY)
    for r in of_type(resources, *_ATTACHING_TYPES):
        for arn in attached_policy_arns(r) or []:
            if not isinstance(arn, str) or not arn or is_opaque(arn):
                continue
            if is_aws_managed(arn):
                if managed_policy(arn) is None:
                    yield Finding(
                        r.urn,
                        f"{r.name} attaches {arn}, an AWS managed policy whose document tap does "
                        "not keep; copy it from the AWS managed policy reference into "
                        "tap/policy/rules/aws_managed.py, or grant an inline policy",
                    )
            elif not _defined_here(r, arn, policies):
                yield Finding(
                    r.urn,
                    f"{r.name} attaches {arn}, a policy this stack does not define, so no rule "
                    "sees what it grants; define it in the stack or grant an inline policy",
                )


RULES = _book.rules
