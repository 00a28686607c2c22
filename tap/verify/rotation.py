"""Secrets Manager: the global database's master secret rotates with the stack's function.

Mirrors tap.components.rotation: rotation is on, by the stack's rotation function, every
`secretRotation.days` at most, and the last rotation is no older than that.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import optional, required

ROTATION = Control(
    "SecretsManager.1",
    "rotation",
    "rotation is on, by the stack's function, at most every secretRotation.days",
)
ROTATED = Control(
    "SecretsManager.4", "rotated", "the secret was rotated within secretRotation.days (+1 day)"
)
CONTROLS = (ROTATION, ROTATED)


def check(ctx: Context, region: str, *, now: datetime | None = None) -> list[CheckResult]:
    settings = ctx.config.secret_rotation
    if (
        not settings.enabled
        or not ctx.config.database.global_database
        or region != ctx.primary_region
    ):
        return []
    rotation = ctx.outputs.get("secretRotation")
    days = settings.days
    expected = f"every {days} days by the stack's rotation function"
    if not isinstance(rotation, Mapping):
        missing = Failure("fail", "no secretRotation in the stack's outputs")
        return [ROTATION.unread(region, "master secret", expected, missing)]
    secret, function = rotation["secretName"], rotation["functionName"]
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days + 1)

    def scheduled(reply: Mapping[str, Any]) -> tuple[str, bool]:
        enabled = optional(reply, "RotationEnabled", bool) or False
        if not enabled:
            return "rotation off", False
        lambda_arn = required(reply, "RotationLambdaARN", str)
        every = optional(required(reply, "RotationRules", dict), "AutomaticallyAfterDays", int)
        actual = f"every {every} days by {lambda_arn.rsplit(':', 1)[-1]}"
        return actual, every is not None and every <= days and lambda_arn.endswith(
            f":function:{function}"
        )

    def rotated(reply: Mapping[str, Any]) -> tuple[str, bool]:
        last = optional(reply, "LastRotatedDate", datetime)
        if last is None:
            return "never rotated", False
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        return f"last rotated {last:%Y-%m-%d %H:%M} UTC", last >= since

    reply = ctx.read("secretsmanager", region, "describe_secret", SecretId=secret)
    return [
        ROTATION.evaluate(region, secret, expected, reply, scheduled),
        ROTATED.evaluate(region, secret, f"rotated since {since:%Y-%m-%d} UTC", reply, rotated),
    ]
