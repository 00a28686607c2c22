"""Secrets Manager rules: one violation per rule."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tests.policy.rules.support import Case, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "secretsmanager-secret-cmk": Case([res(r.SECRET_TYPE)], "uses the AWS managed key"),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "secretsmanager-secret-cmk",
}
