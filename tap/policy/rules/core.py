"""The rules' shared model: what a rule sees, what it reports, how rules are declared and run.

Rules read resource properties by the engine's camelCase names. Values a preview can't know yet
("<unknown>") or that the plan masks ("<secret>") mean "can't tell": a rule skips them rather
than failing. JSON policy documents may be strings or dicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from tap.markers import SECRET, UNKNOWN

ENVIRONMENTS = ("dev", "staging", "prod")
REQUIRED_TAGS = ("Project", "Environment", "ManagedBy", "Region", "Name")

Enforcement = Literal["mandatory", "advisory"]
MANDATORY: Enforcement = "mandatory"
ADVISORY: Enforcement = "advisory"


# --- the model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyResource:
    """One resource as the rules see it (from a plan manifest or from pulumi-policy)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    region: str | None = None
    protect: bool = False
    dependencies: tuple[str, ...] = ()
    parent: str | None = None
    # Which URNs feed each property; the engine knows, the plan manifest does not.
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyConfig:
    environment: str = "dev"
    required_tags: tuple[str, ...] = REQUIRED_TAGS

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ValueError(
                f"environment must be one of {', '.join(ENVIRONMENTS)}, not {self.environment!r}"
            )

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


@dataclass(frozen=True)
class Violation:
    rule: str
    control: str
    urn: str
    message: str
    enforcement: Enforcement


class Finding(NamedTuple):
    """What a stack rule yields: a message and the resource it is about."""

    urn: str
    message: str


ResourceCheck = Callable[[PolicyResource, PolicyConfig], Iterable[str]]
StackCheck = Callable[[Sequence[PolicyResource], PolicyConfig], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A resource rule (non-empty `resource_types`; check(resource, config) yields messages) or a
    stack rule (empty; check(resources, config) yields Findings)."""

    name: str
    description: str
    control: str
    enforcement: Enforcement
    resource_types: tuple[str, ...]
    check: Callable[..., Iterable[str | Finding]]
    uses_environment: bool = False
    # A stack rule's findings are about resources of these types (what the docs map it to).
    subjects: tuple[str, ...] = ()

    @property
    def is_stack_rule(self) -> bool:
        return not self.resource_types


class RuleBook:
    """The rules of one concern, in the order they are declared.

    Each concern module declares its rules with `@book.resource(...)` or `@book.stack(...)`;
    the package puts the modules' books together in one catalogue.
    """

    def __init__(self) -> None:
        self._rules: list[Rule] = []

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self._rules)

    def resource(
        self,
        name: str,
        control: str,
        description: str,
        *types: str,
        enforcement: Enforcement = MANDATORY,
        uses_environment: bool = False,
    ) -> Callable[[ResourceCheck], ResourceCheck]:
        def register(check: ResourceCheck) -> ResourceCheck:
            self._rules.append(
                Rule(name, description, control, enforcement, types, check, uses_environment)
            )
            return check

        return register

    def stack(
        self,
        name: str,
        control: str,
        description: str,
        *,
        enforcement: Enforcement = MANDATORY,
        uses_environment: bool = False,
        subjects: tuple[str, ...] = (),
    ) -> Callable[[StackCheck], StackCheck]:
        def register(check: StackCheck) -> StackCheck:
            self._rules.append(
                Rule(name, description, control, enforcement, (), check, uses_environment, subjects)
            )
            return check

        return register


# --- reading props ------------------------------------------------------------------------------


def is_opaque(value: object) -> bool:
    """Unknown in a preview, or a secret the plan masks: the rules can't tell its value."""
    return isinstance(value, str) and value in (UNKNOWN, SECRET)


def dig(value: Any, *path: str) -> Any:
    """value[path...]: None when a step is missing, UNKNOWN when a step isn't known yet."""
    for key in path:
        if is_opaque(value):
            return UNKNOWN
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def items(value: Any) -> list[Any] | None:
    """A list-valued prop as a list ([] when absent, None when unknown); a lone value as [value]."""
    if value is None:
        return []
    if is_opaque(value):
        return None
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def is_set(value: Any) -> bool:
    """A known, non-empty value (or one we can't see, which a preview may still fill)."""
    return value not in (None, "", [], {})


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """A JSON policy document (string or dict); None when absent, unknown or unparseable."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or is_opaque(value) or not value:
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, Mapping) else None


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in items(document.get("Statement")) or [] if isinstance(s, Mapping)]


def is_everyone(principal: Any) -> bool:
    """A policy principal that names anybody: "*" or {"AWS": "*"}."""
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in (items(principal.get("AWS")) or [])
    return False


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.type in types]


Identities = Callable[[PolicyResource], set[str] | None]


def referenced(
    resource: PolicyResource,
    key: str,
    candidates: Sequence[PolicyResource],
    identities: Identities | None = None,
) -> list[PolicyResource] | None:
    """The candidates that `resource.props[key]` points at; None when that can't be told yet.

    Property dependencies are exact. Otherwise a known value is matched against the candidates'
    identities (when those are reliable), and failing that the resource's dependency edges decide
    if they name exactly one candidate.
    """
    value = resource.props.get(key)
    if value in (None, ""):
        return []
    exact = resource.property_dependencies.get(key)
    if exact:
        return [c for c in candidates if c.urn in exact]
    if identities is not None and isinstance(value, str) and not is_opaque(value):
        hits: list[PolicyResource] = []
        unsure = False
        for candidate in candidates:
            ids = identities(candidate)
            if ids is None:
                unsure = True
            elif value in ids:
                hits.append(candidate)
        if hits or not unsure:
            return hits
    linked = [c for c in candidates if c.urn in resource.dependencies]
    return linked if len(linked) <= 1 else None


def covers(
    companion: PolicyResource,
    key: str,
    target: PolicyResource,
    pool: Sequence[PolicyResource],
    identities: Identities | None = None,
) -> bool:
    """Whether `companion.props[key]` points at `target` (one of `pool`)."""
    refs = referenced(companion, key, pool, identities)
    if refs is None:  # can't tell which: give it the benefit of the doubt
        return target.urn in companion.dependencies
    return any(r.urn == target.urn for r in refs)


# --- running the rules --------------------------------------------------------------------------


def run_rule(
    rule: Rule, resources: Sequence[PolicyResource], config: PolicyConfig
) -> list[Violation]:
    """One rule over the resources: a resource rule over those of its types, or a stack rule."""
    found: list[Violation] = []

    def add(urn: str, message: str) -> None:
        found.append(Violation(rule.name, rule.control, urn, message, rule.enforcement))

    if rule.is_stack_rule:
        for result in rule.check(resources, config):
            if isinstance(result, Finding):
                add(result.urn, result.message)
            else:
                add("", result)
        return found
    for resource in resources:
        if resource.type in rule.resource_types:
            for result in rule.check(resource, config):
                add(resource.urn, result.message if isinstance(result, Finding) else result)
    return found


def from_manifest(manifest: Mapping[str, Any]) -> list[PolicyResource]:
    """The resources of a `tap plan --format json` manifest."""
    return [
        PolicyResource(
            urn=r["urn"],
            type=r["type"],
            name=r["name"],
            props=r.get("inputs") or {},
            region=r.get("region"),
            protect=bool(r.get("protect")),
            dependencies=tuple(r.get("dependencies") or ()),
            parent=r.get("parent"),
        )
        for r in manifest.get("resources", [])
    ]
