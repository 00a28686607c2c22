"""Pulumi URNs, built and taken apart as the engine does (pure).

A URN is `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. The qualified type chains
the types of every ancestor below the root stack with `$`, so a resource's URN changes when its
type, its name or any ancestor's type changes; the parent's name is not part of it.
"""

from __future__ import annotations

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
_PREFIX = "urn:pulumi:"
_NAME_DELIMITER = "::"
_TYPE_DELIMITER = "$"


def _components(urn: str) -> list[str]:
    """[stack, project, qualified type, name]; the name may itself contain `::`."""
    return urn.removeprefix(_PREFIX).split(_NAME_DELIMITER, 3)


def qualified_type(urn: str) -> str:
    return _components(urn)[2]


def urn_type(urn: str) -> str:
    """The resource's own type: the last link of the qualified type."""
    return qualified_type(urn).rsplit(_TYPE_DELIMITER, 1)[-1]


def urn_name(urn: str) -> str:
    return _components(urn)[3]


def new_urn(stack: str, project: str, parent_type: str, base_type: str, name: str) -> str:
    """A URN from its parts; the root stack's type never joins the chain."""
    typ = base_type
    if parent_type and parent_type != ROOT_STACK_TYPE:
        typ = parent_type + _TYPE_DELIMITER + base_type
    return _PREFIX + _NAME_DELIMITER.join((stack, project, typ, name))


def child_urn(stack: str, project: str, parent: str | None, base_type: str, name: str) -> str:
    """The URN of a resource registered under `parent` (a URN, or None for the root)."""
    return new_urn(stack, project, qualified_type(parent) if parent else "", base_type, name)
