"""Pulumi URNs, built and taken apart as the engine does (pure).

A URN is `urn:pulumi:<stack>::<project>::<qualified type>::<name>`. The qualified type chains
the types of every ancestor below the root stack with `$`, so a resource's URN changes when its
type, its name or any ancestor's type changes; the parent's name is not part of it.

The alias functions follow the engine's step generator (`collapseAliasToUrn`,
`inheritedChildAlias` and `generateAliases` in pulumi/pulumi's
`pkg/resource/deploy/step_generator.go`): the plan resolves each resource's aliases to the URNs
the engine would look up in the old state, and `tap diff` reads them to tell a rename from a
delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True)
class AliasSpec:
    """An alias as a program declares it (`pulumi.Alias`): empty fields mean "unchanged"."""

    name: str = ""
    type: str = ""
    stack: str = ""
    project: str = ""
    parent: str = ""
    no_parent: bool = False


def collapse_alias(
    alias: AliasSpec, *, name: str, type_: str, parent: str | None, project: str, stack: str
) -> str:
    """The old URN an alias spec stands for, for a resource now at (name, type_, parent).

    The engine also swaps an explicit old parent for the alias that parent matched in the old
    state; offline there is no old state, so the parent URN is taken as given.
    """
    old_parent = alias.parent or parent or ""
    if alias.no_parent or (old_parent and qualified_type(old_parent) == ROOT_STACK_TYPE):
        old_parent = ""
    old_name = alias.name or name
    old_type = alias.type or type_
    if not old_parent:
        return new_urn(alias.stack or stack, alias.project or project, "", old_type, old_name)
    # As the engine's CreateURN: the old parent's URN, up to its name, is the prefix.
    prefix = old_parent[: old_parent.rindex(_NAME_DELIMITER)]
    return f"{prefix}{_TYPE_DELIMITER}{old_type}{_NAME_DELIMITER}{old_name}"


def inherited_child_alias(child_type: str, child_name: str, parent: str, parent_alias: str) -> str:
    """The alias a child under `parent` gets from one of its parent's aliases.

    A child named after its parent (`{parent}-suffix`) is renamed along with it, as the engine
    assumes.
    """
    parent_name = urn_name(parent)
    alias_name = child_name
    if child_name.startswith(parent_name):
        alias_name = urn_name(parent_alias) + child_name[len(parent_name) :]
    stack, project = _components(parent)[:2]
    return new_urn(stack, project, qualified_type(parent_alias), child_type, alias_name)


def with_inherited_aliases(
    declared: Iterable[str],
    *,
    type_: str,
    name: str,
    parent: str | None,
    parent_aliases: Iterable[str],
) -> list[str]:
    """Every URN the engine may look up for a resource besides its own, in the engine's order.

    `declared` are the resource's own aliases, already collapsed to URNs; `parent_aliases` are
    its parent's (with their own inherited ones). The engine multiplies out the one alias its
    parent matched in the old state; offline the old state is unknown, so every parent alias
    counts.
    """
    own = list(declared)
    result = dict.fromkeys(own)
    if parent:
        for parent_alias in parent_aliases:
            result.setdefault(inherited_child_alias(type_, name, parent, parent_alias))
            for alias in own:
                old_type, old_name = urn_type(alias), urn_name(alias)
                result.setdefault(inherited_child_alias(old_type, old_name, parent, parent_alias))
    return list(result)
