"""IAM: the account password policy meets CIS 1.8-1.9 / FSBP IAM.7, where the stack owns it.

Mirrors tap.components.security.AccountPasswordPolicy; the floors are tap.baseline's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.baseline import PASSWORD_MAX_AGE_DAYS, PASSWORD_MIN_LENGTH, PASSWORD_REUSE_PREVENTION
from tap.verify.context import Context
from tap.verify.model import GLOBAL, CheckResult, Control
from tap.verify.replies import optional, required

PASSWORD_POLICY = Control(
    "IAM.7",
    "password-policy",
    f"length >= {PASSWORD_MIN_LENGTH}, 4 classes, max age <= {PASSWORD_MAX_AGE_DAYS}, "
    f"reuse >= {PASSWORD_REUSE_PREVENTION}",
)
CONTROLS = (PASSWORD_POLICY,)

_CHARACTER_CLASSES = {
    "RequireUppercaseCharacters": "upper",
    "RequireLowercaseCharacters": "lower",
    "RequireNumbers": "numbers",
    "RequireSymbols": "symbols",
}


def check_account(ctx: Context) -> list[CheckResult]:
    """IAM is global: read through the primary region, reported in the `global` column."""
    if not ctx.config.manage_account_password_policy:
        return []
    expected = (
        f"length >= {PASSWORD_MIN_LENGTH}, classes upper+lower+numbers+symbols, "
        f"max age <= {PASSWORD_MAX_AGE_DAYS}, reuse >= {PASSWORD_REUSE_PREVENTION}"
    )
    reply = ctx.read("iam", ctx.primary_region, "get_account_password_policy")
    return [
        PASSWORD_POLICY.evaluate(
            GLOBAL,
            "account password policy",
            expected,
            reply,
            lambda r: describe_password_policy(required(r, "PasswordPolicy", dict)),
        )
    ]


def describe_password_policy(policy: Mapping[str, Any]) -> tuple[str, bool]:
    """The policy as one line, and whether it meets IAM.7."""
    length = optional(policy, "MinimumPasswordLength", int) or 0
    classes = [label for key, label in _CHARACTER_CLASSES.items() if optional(policy, key, bool)]
    # IAM leaves these out when they are unset: passwords never expire, any reuse is allowed.
    max_age = optional(policy, "MaxPasswordAge", int) or 0
    reuse = optional(policy, "PasswordReusePrevention", int) or 0
    text = (
        f"length {length}, classes {'+'.join(classes) or 'none'}, "
        f"max age {max_age or 'never'}, reuse {reuse}"
    )
    ok = (
        length >= PASSWORD_MIN_LENGTH
        and len(classes) == len(_CHARACTER_CLASSES)
        and 0 < max_age <= PASSWORD_MAX_AGE_DAYS
        and reuse >= PASSWORD_REUSE_PREVENTION
    )
    return text, ok
