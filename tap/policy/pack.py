"""pulumi-policy adapters for the pure rules in rules/.

Building a `PolicyPack` starts the analyzer's gRPC server and never returns, so only
`tap/policy/__main__.py` does that; this module stays importable and testable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import (
    SPECIAL_ARCHIVE_SIG,
    SPECIAL_ASSET_SIG,
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    serialize_properties,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from tap.policy.rules import (
    ENVIRONMENTS,
    RULES,
    SECRET,
    UNKNOWN,
    PolicyConfig,
    PolicyResource,
    Rule,
    run_rule,
)

PACK_NAME = "tap-aws-guardrails"

_UNKNOWNS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)
_ENFORCEMENT = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}

AnyPolicy = ResourceValidationPolicy | StackValidationPolicy


def plain_props(props: Mapping[str, Any]) -> dict[str, Any]:
    """Props as plain data, the way the plan manifest writes them.

    pulumi-policy wraps props in a proxy that raises on any unknown value; the rules want to
    see "<unknown>" and decide for themselves (skip: can't tell yet). Whole floats (the wire
    format's numbers) become ints.
    """
    raw = serialize_properties(props)  # unwraps the proxies, keeps the unknown sentinels
    return {str(key): _plain(value) for key, value in raw.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return UNKNOWN if value in _UNKNOWNS else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        signature = value.get(SPECIAL_SIG_KEY)
        if signature == SPECIAL_SECRET_SIG:
            return SECRET
        if signature in (SPECIAL_ASSET_SIG, SPECIAL_ARCHIVE_SIG):
            kind = "<asset>" if signature == SPECIAL_ASSET_SIG else "<archive>"
            return {kind: {k: _plain(v) for k, v in value.items() if k != SPECIAL_SIG_KEY}}
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def policy_config(raw: Mapping[str, Any] | None) -> PolicyConfig:
    """A policy's `--policy-pack-config` properties as a PolicyConfig (defaults when absent)."""
    environment = (raw or {}).get("environment") or PolicyConfig().environment
    return PolicyConfig(environment=str(environment))


def _urn(value: Any) -> str:
    """A dependency or parent as a URN: pulumi-policy hands over resource objects."""
    return value if isinstance(value, str) else str(value.urn)


def _region(provider: Any, props: Mapping[str, Any]) -> str | None:
    provider_props = getattr(provider, "props", None)  # a proxy: unknowns raise unless unwrapped
    region = (plain_props(provider_props).get("region") if provider_props else None) or props.get(
        "region"
    )
    return region if isinstance(region, str) and region != UNKNOWN else None


def to_policy_resource(resource: Any) -> PolicyResource:
    """A pulumi-policy stack resource (or anything shaped like one) as a rules PolicyResource."""
    props = plain_props(resource.props)
    opts = getattr(resource, "opts", None)
    # A stack resource has a parent object; a validated resource only its options' parent URN.
    parent = getattr(resource, "parent", None) or getattr(opts, "parent", None)
    property_dependencies: Mapping[str, Iterable[Any]] = (
        getattr(resource, "property_dependencies", None) or {}
    )
    return PolicyResource(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        props=props,
        region=_region(getattr(resource, "provider", None), props),
        protect=bool(getattr(opts, "protect", False)),
        dependencies=tuple(_urn(d) for d in getattr(resource, "dependencies", None) or ()),
        parent=_urn(parent) if parent is not None else None,
        property_dependencies={
            k: tuple(_urn(d) for d in v) for k, v in property_dependencies.items()
        },
    )


def _validate_resource(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    types = frozenset(rule.resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        resource = to_policy_resource(args)
        for violation in run_rule(rule, [resource], policy_config(args.get_config())):
            report_violation(violation.message, None)

    return validate


def _validate_stack(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [to_policy_resource(r) for r in args.resources]
        for violation in run_rule(rule, resources, policy_config(args.get_config())):
            report_violation(violation.message, violation.urn or None)

    return validate


def _environment_schema() -> PolicyConfigSchema:
    return PolicyConfigSchema(
        properties={
            "environment": {
                "type": "string",
                "enum": list(ENVIRONMENTS),
                "default": PolicyConfig().environment,
                "description": "The stack's environment; prod applies the stricter limits.",
            }
        }
    )


def pulumi_policy(rule: Rule) -> AnyPolicy:
    """One rule as a pulumi-policy policy of the same name and enforcement."""
    description = f"[{rule.control}] {rule.description}"
    enforcement = _ENFORCEMENT[rule.enforcement]
    schema = _environment_schema() if rule.uses_environment else None
    if rule.is_stack_rule:
        return StackValidationPolicy(
            name=rule.name,
            description=description,
            validate=_validate_stack(rule),
            enforcement_level=enforcement,
            config_schema=schema,
        )
    return ResourceValidationPolicy(
        name=rule.name,
        description=description,
        validate=_validate_resource(rule),
        enforcement_level=enforcement,
        config_schema=schema,
    )


def pulumi_policies(rules: Sequence[Rule] = RULES) -> list[AnyPolicy]:
    return [pulumi_policy(rule) for rule in rules]


def pack_config(environment: str, rules: Sequence[Rule] = RULES) -> dict[str, dict[str, str]]:
    """The `--policy-pack-config` JSON that tells every environment-dependent policy the stack's
    environment (the others take no config)."""
    PolicyConfig(environment=environment)  # refuses an unknown environment
    return {rule.name: {"environment": environment} for rule in rules if rule.uses_environment}
