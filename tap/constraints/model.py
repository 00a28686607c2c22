"""A constraint violation: what the manifest's `constraints` field lists, one per problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SHOWN = 80


@dataclass(frozen=True)
class Violation:
    urn: str
    resource: str  # the resource's name, as in the manifest
    type: str
    property: str  # the pulumi input, as a path: `bucket`, `rules[0].status`, `tags.Owner`
    value: Any
    rule: str  # the constraint, e.g. `maxLength 63` or `engine version offered for new clusters`
    source: str  # where AWS publishes it: cfn-lint's data and a schema pointer, or a doc page
    message: str


def violation(
    resource: Mapping[str, Any], prop: str, value: Any, problem: str, rule: str, source: str
) -> Violation:
    return Violation(
        urn=resource["urn"],
        resource=resource["name"],
        type=resource["type"],
        property=prop,
        value=value,
        rule=rule,
        source=source,
        message=f"{prop}={shown(value)}: {problem}",
    )


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
