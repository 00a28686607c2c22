"""Secrets Manager: secrets encrypted with a customer managed key, and rotated in prod."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from tap.baseline import PROD_MAX_SECRET_ROTATION_DAYS
from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    covers,
    dig,
    is_opaque,
    is_set,
    items,
    number,
    of_type,
)
from tap.policy.rules.resource_types import SECRET_ROTATION, SECRET_TYPE

# `rate(30 days)`: Secrets Manager's rate() in days (hours are for sub-day schedules).
_RATE_DAYS = re.compile(r"rate\((\d+) days?\)")

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


def _rotation_days(rotation: PolicyResource) -> float | None:
    """The days between rotations, from automaticallyAfterDays or a rate() in days."""
    days = number(dig(rotation.props, "rotationRules", "automaticallyAfterDays"))
    if days is not None:
        return days
    expression = dig(rotation.props, "rotationRules", "scheduleExpression")
    match = _RATE_DAYS.fullmatch(expression) if isinstance(expression, str) else None
    return float(match.group(1)) if match else None


@_book.stack(
    "secretsmanager-rotation-in-prod",
    "SecretsManager.1",
    "In prod, every secret the stack creates rotates automatically (a SecretRotation), at least "
    f"every {PROD_MAX_SECRET_ROTATION_DAYS} days (SecretsManager.4's default).",
    uses_environment=True,
    subjects=(SECRET_TYPE, SECRET_ROTATION),
)
def _secret_rotation(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    if not config.is_prod:
        return
    secrets = of_type(resources, SECRET_TYPE)
    rotations = of_type(resources, SECRET_ROTATION)
    for secret in secrets:
        mine = [r for r in rotations if covers(r, "secretId", secret, secrets)]
        if not mine:
            yield Finding(secret.urn, f"{secret.name} is never rotated (no SecretRotation)")
            continue
        for rotation in mine:
            rules = rotation.props.get("rotationRules")
            if is_opaque(rules) or any(
                is_opaque(dig(rules, key))
                for key in ("automaticallyAfterDays", "scheduleExpression")
            ):
                continue
            days = _rotation_days(rotation)
            if days is None or days > PROD_MAX_SECRET_ROTATION_DAYS:
                yield Finding(
                    rotation.urn,
                    f"{secret.name} rotates every {f'{days:g} days' if days else '?'}; prod "
                    f"needs {PROD_MAX_SECRET_ROTATION_DAYS} days or less",
                )


RULES = _book.rules
