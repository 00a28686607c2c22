"""KMS: each region's key rotates, and which references name that key (tap.components.kms)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control
from tap.verify.replies import required

KEY_ROTATION = Control("KMS.4", "key-rotation", "the region's key rotates automatically")
CONTROLS = (KEY_ROTATION,)


def check(ctx: Context, region: str) -> list[CheckResult]:
    key = ctx.region(region)["kmsKeyArn"]
    reply = ctx.read("kms", region, "get_key_rotation_status", KeyId=key)
    return [KEY_ROTATION.evaluate(region, key, "enabled", reply, _rotation)]


def _rotation(reply: Mapping[str, Any]) -> str:
    return "enabled" if required(reply, "KeyRotationEnabled", bool) else "disabled"


def is_region_key(reference: str | None, region_outputs: Mapping[str, Any]) -> bool:
    """Whether a key reference (ARN, key id, alias name or alias ARN) is the region's key."""
    if not reference:
        return False
    arn: str = region_outputs["kmsKeyArn"]
    alias: str = region_outputs["kmsAliasName"]
    arn_prefix = arn.split(":key/", maxsplit=1)[0]
    return reference in {arn, arn.rsplit("/", 1)[-1], alias, f"{arn_prefix}:{alias}"}
