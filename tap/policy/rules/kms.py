"""KMS: key rotation and key policies that nobody outside can use."""

from __future__ import annotations

from collections.abc import Iterator

from tap.policy.rules.core import (
    PolicyConfig,
    PolicyResource,
    RuleBook,
    is_everyone,
    is_opaque,
    policy_document,
    statements,
)
from tap.policy.rules.resource_types import KMS_KEY

_book = RuleBook()


@_book.resource(
    "kms-key-rotation",
    "KMS.4",
    "Symmetric customer managed KMS keys rotate automatically (enableKeyRotation).",
    KMS_KEY,
)
def _kms_rotation(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    spec = r.props.get("customerMasterKeySpec") or r.props.get("keySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return  # only symmetric keys can rotate
    value = r.props.get("enableKeyRotation")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not rotate automatically (enableKeyRotation)"


@_book.resource(
    "kms-key-policy-not-public",
    "KMS.5",
    'No key policy statement allows Principal "*" (or {"AWS": "*"}) without a Condition.',
    KMS_KEY,
)
def _kms_not_public(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    document = policy_document(r.props.get("policy"))
    for statement in statements(document or {}):
        if (
            statement.get("Effect") == "Allow"
            and is_everyone(statement.get("Principal"))
            and not statement.get("Condition")
        ):
            sid = statement.get("Sid") or "a statement"
            yield f"{r.name}: {sid} allows any principal without a Condition"


RULES = _book.rules
