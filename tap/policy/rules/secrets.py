"""Secrets Manager: secrets encrypted with a customer managed key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from tap.policy.rules.core import PolicyConfig, PolicyResource, RuleBook, is_set, items
from tap.policy.rules.resource_types import SECRET_TYPE

_book = RuleBook()


@_book.resource(
    "secretsmanager-secret-cmk",
    "TAP.3",
    "Secrets (and their replicas) are encrypted with a customer managed KMS key, not the AWS "
    "managed aws/secretsmanager key.",
    SECRET_TYPE,
)
def _secret_cmk(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not is_set(r.props.get("kmsKeyId")):
        yield f"{r.name} uses the AWS managed key; set kmsKeyId to a customer managed key"
    for replica in items(r.props.get("replicas")) or []:
        if isinstance(replica, Mapping) and not is_set(replica.get("kmsKeyId")):
            yield f"{r.name}: its replica in {replica.get('region')} has no kmsKeyId"


RULES = _book.rules
