"""Account password policy rules: one violation per rule."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tests.policy.rules.support import STACK, Case, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "iam-password-policy-length": Case(
        [res(r.PASSWORD_POLICY, minimumPasswordLength=8)], "shorter than 14 characters"
    ),
    "iam-password-policy-complexity": Case(
        [
            res(
                r.PASSWORD_POLICY,
                requireUppercaseCharacters=True,
                requireLowercaseCharacters=True,
                requireNumbers=True,
                requireSymbols=False,
            )
        ],
        "does not require requireSymbols",
    ),
    "iam-password-policy-max-age": Case(
        [res(r.PASSWORD_POLICY, maxPasswordAge=180)], "live 180 days"
    ),
    "iam-password-policy-reuse": Case(
        [res(r.PASSWORD_POLICY, passwordReusePrevention=5)], "reuse of the last 24"
    ),
    "iam-password-policy-managed-in-prod": Case(
        [STACK], "prod manages no account password policy", "prod"
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "iam-password-policy-managed-in-prod",
}
