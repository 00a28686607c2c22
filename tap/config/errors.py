"""Config errors: one message per mistake, naming the key and what is allowed.

pydantic reports a validation failure as a location and an error type; `describe` turns the
first one into the sentence a user editing `Pulumi.<stack>.yaml` needs, e.g.
`tap:database.backupRetentionDays 36 is out of range; use 1 to 35 days (...)`, and suggests
the key a typo was meant to be.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from tap.limits import (
    API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS,
    API_GATEWAY_MAX_BURST_LIMIT,
    API_GATEWAY_MAX_RATE_LIMIT,
    AURORA_ACU_STEP,
    AURORA_MAX_ACU,
    AURORA_MAX_BACKUP_RETENTION_DAYS,
    AURORA_MAX_INSTANCES,
    AURORA_MIN_BACKUP_RETENTION_DAYS,
    AURORA_MIN_MAX_ACU,
    KMS_MAX_DELETION_WINDOW_DAYS,
    KMS_MIN_DELETION_WINDOW_DAYS,
    LAMBDA_CONCURRENCY_QUOTA,
    LAMBDA_MAX_MEMORY_MB,
    LAMBDA_MIN_MEMORY_MB,
)

NAMESPACE = "tap"


class ConfigError(ValueError):
    """A user error in stack configuration. Its message is meant to be shown as is."""


class KeyedError(ValueError):
    """A rule across fields that still knows which key it is about.

    Raised inside model validators; pydantic hands it to `describe` as the error's cause.
    """

    def __init__(self, key: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.key = tuple(key)
        self.message = message


def config_key(*parts: str | int) -> str:
    """`config_key("networks", "us-east-1", "cidr")` -> `tap:networks.us-east-1.cidr`."""
    return f"{NAMESPACE}:" + ".".join(str(p) for p in parts)


# What to do when a number is out of range, per key (the last part of its name).
# AWS's limits come from tap.limits, so a message cannot disagree with the check.
_API_TIMEOUT = API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS
RANGE_HINTS = {
    "azCount": "use 2 or 3 availability zones",
    "kmsDeletionWindowDays": (
        f"use {KMS_MIN_DELETION_WINDOW_DAYS} to {KMS_MAX_DELETION_WINDOW_DAYS} days "
        "(the window KMS allows)"
    ),
    "instanceCount": (
        f"use 1 to {AURORA_MAX_INSTANCES} (a writer and up to {AURORA_MAX_INSTANCES - 1} readers)"
    ),
    "backupRetentionDays": (
        f"use {AURORA_MIN_BACKUP_RETENTION_DAYS} to {AURORA_MAX_BACKUP_RETENTION_DAYS} days "
        "(the range Aurora allows)"
    ),
    "serverlessMinCapacity": f"use 0 to {AURORA_MAX_ACU} ACUs in steps of {AURORA_ACU_STEP}",
    "serverlessMaxCapacity": (
        f"use {AURORA_MIN_MAX_ACU} to {AURORA_MAX_ACU} ACUs in steps of {AURORA_ACU_STEP}"
    ),
    "logMinDurationStatementMs": "use -1 (off), 0 (every statement) or a duration in ms",
    "noncurrentVersionExpirationDays": "use 1 to 3650 days",
    "abortIncompleteMultipartDays": "use 1 to 30 days",
    "memoryMb": f"use {LAMBDA_MIN_MEMORY_MB} to {LAMBDA_MAX_MEMORY_MB} MB",
    "timeoutSeconds": (
        f"use 1 to {_API_TIMEOUT} seconds (API Gateway stops waiting after {_API_TIMEOUT})"
    ),
    "reservedConcurrency": f"use 1 to {LAMBDA_CONCURRENCY_QUOTA}",
    "throttlingBurstLimit": f"use 1 to {API_GATEWAY_MAX_BURST_LIMIT} requests",
    "throttlingRateLimit": (
        f"use more than 0 and at most {API_GATEWAY_MAX_RATE_LIMIT} requests per second"
    ),
    "apiP99LatencyMs": f"use 1 to {_API_TIMEOUT * 1000} ms",
    "dbCpuPercent": "use 1 to 100",
    "rateLimit": "use 10 to 2000000000 requests per window (AWS WAF's bounds)",
    "retentionDays": "use 1 to 36500 days (AWS Backup Vault Lock's bounds)",
    "copyRetentionDays": "use 1 to 36500 days (AWS Backup Vault Lock's bounds)",
    "lockMinRetentionDays": "use 1 to 36500 days (AWS Backup Vault Lock's bounds)",
    "lockMaxRetentionDays": "use 1 to 36500 days (AWS Backup Vault Lock's bounds)",
    "days": "use 1 to 1000 days (Secrets Manager's rotation interval)",
}

_EXPECTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a map",
    "model_type": "a map",
    "model_attributes_type": "a map",
}
_RANGE_ERRORS = frozenset(
    {"greater_than_equal", "less_than_equal", "greater_than", "less_than", "multiple_of"}
)


def describe(exc: ValidationError, data: Mapping[str, Any], root: type[BaseModel]) -> str:
    """One message for the first error: the key, the problem, and what is allowed."""
    error = exc.errors()[0]
    location = _user_location(error["loc"], data)
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return _unknown_key_message(location, root)
    key = config_key(*location) if location else f"{NAMESPACE}:"
    if kind == "missing":
        return f"{key} is required"
    if kind == "value_error":
        cause = error["ctx"]["error"]
        if isinstance(cause, KeyedError):
            return f"{config_key(*cause.key)} {cause.message}"
        return f"{key} {cause}"
    if kind in ("literal_error", "enum"):
        allowed = error["ctx"]["expected"].replace("'", "")
        return f"{key} {value!r} is not allowed; use one of {allowed}"
    if kind in _RANGE_ERRORS:
        return f"{key} {value!r} is out of range; {_bounds(location, error.get('ctx', {}))}"
    expected = _EXPECTED.get(kind, error["msg"].lower())
    return f"{key} must be {expected}, got {value!r}"


def _user_location(loc: Sequence[str | int], data: Mapping[str, Any]) -> list[str]:
    """The error's location as the stack file spells it.

    `networks` is a map keyed by region in the stack file and a list of regional networks in
    the model: list index i is the i-th key of that map, and an error on an entry's `region`
    is an error on the map key itself. Other list indexes say nothing to a user editing YAML.
    """
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "networks" and isinstance(parts[1], int):
        regions = list(data.get("networks") or {})
        if parts[2:] == ["region"]:
            return ["networks"]
        if parts[1] < len(regions):
            parts[1] = str(regions[parts[1]])
    return [str(p) for p in parts if isinstance(p, str) and p != "[key]"]


def _bounds(location: Sequence[str], limits: Mapping[str, Any]) -> str:
    hint = RANGE_HINTS.get(location[-1]) if location else None
    if hint:
        return hint
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return "use " + " and ".join(f"{words[k]} {v}" for k, v in limits.items() if k in words)


def _section_model(root: type[BaseModel], path: Sequence[str]) -> type[BaseModel]:
    """The model that holds the keys at `path` (map keys such as regions are stepped over)."""
    model = root
    for part in path:
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is not None:
            model = _model_in(field.annotation) or model
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *get_args(annotation)]
    for candidate in candidates + [a for c in candidates for a in get_args(c)]:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def user_keys(model: type[BaseModel]) -> list[str]:
    """The keys a stack file may write in this section, as it spells them."""
    keys = (f.alias or n for n, f in model.model_fields.items())
    return sorted(k for k in keys if k not in getattr(model, "NOT_USER_KEYS", ()))


def _unknown_key_message(location: list[str], root: type[BaseModel]) -> str:
    *parent, unknown = location
    allowed = user_keys(_section_model(root, parent))
    hint = difflib.get_close_matches(unknown, allowed, n=1)
    suggestion = f" (did you mean {config_key(*parent, hint[0])}?)" if hint else ""
    return (
        f"{config_key(*location)} is not a known key{suggestion}; allowed keys here: "
        + ", ".join(allowed)
    )
