"""Reading AWS replies strictly: a field that is missing or of the wrong type is never a verdict.

botocore does not check the types of what an endpoint returns (a JSON reply of `{}` parses to
an empty dict), so a check that read `reply.get("KeyRotationEnabled")` would report a proxy's
error page or an emulator's gap as drift. These readers raise UnexpectedReply instead, which
the check reports as `unknown`.

`required` is for fields the API always returns; `optional` for fields AWS leaves out when
they are unset (S3 versioning's Status, a log group's retentionInDays), where absence has a
meaning the check states.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_KIND_NAMES: dict[type, str] = {
    bool: "a boolean",
    int: "a whole number",
    float: "a decimal number",
    str: "a string",
    dict: "a map",
    list: "a list",
}


class UnexpectedReply(Exception):
    """AWS (or whatever answered) returned a document its API does not promise."""


def required(document: Mapping[str, Any], key: str, kind: type[T]) -> T:
    value = optional(document, key, kind)
    if value is None:
        raise UnexpectedReply(f"no {key}")
    return value


def optional(document: Mapping[str, Any], key: str, kind: type[T]) -> T | None:
    if not isinstance(document, Mapping):
        raise UnexpectedReply(f"{_kind(document)} where a map with {key} was expected")
    value = document.get(key)
    if value is None:
        return None
    # bool is an int to Python, never to AWS.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UnexpectedReply(f"{key} is {_kind(value)}, not {_KIND_NAMES.get(kind, kind)}")
    return value


def items(document: Mapping[str, Any], key: str, kind: type[T]) -> list[T]:
    """A list field (absent: empty), each item of `kind`."""
    values = optional(document, key, list) or []
    for index, value in enumerate(values):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise UnexpectedReply(
                f"{key}[{index}] is {_kind(value)}, not {_KIND_NAMES.get(kind, kind)}"
            )
    return values


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    return _KIND_NAMES.get(type(value), type(value).__name__)
