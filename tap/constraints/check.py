"""Check every planned resource against AWS's published constraints (pure: reads a manifest).

For each planned resource whose type has a mapping (mappings.py), each mapped input is
evaluated against its property's sub-schema in the CloudFormation schema of the resource's
region, then against the documented rule for it, if any (documented.py). cfn-lint's extension
schemas named by the mapping run on the whole resource. The RDS rules (rds.py) run last, as
they read several values and resources together, and so does the Lambda runtime schedule
(runtimes.py).

Values the plan cannot know (`<unknown>`, `<secret>`) are skipped, as are values the provider
never sends to AWS (Prop.provider_only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from tap import awsdata
from tap.constraints import rds, runtimes
from tap.constraints.documented import DOCUMENTED
from tap.constraints.mappings import MAPPINGS, TAGS, Prop, TypeMap
from tap.constraints.model import Violation, violation
from tap.constraints.schema import Leaf, SchemaError, compile_schema, leaf
from tap.markers import MASKED

# Global services (IAM) have the same schema everywhere; a resource without a region is
# checked against us-east-1's.
DEFAULT_REGION = "us-east-1"


def check_manifest(manifest: Mapping[str, Any], *, today: date | None = None) -> list[Violation]:
    """Every constraint the manifest's resources break, in URN order.

    `today` (UTC by default) dates the rules AWS applies from a published day on (runtimes).
    """
    resources = [
        r for r in manifest["resources"] if r.get("custom") and str(r["type"]).startswith("aws:")
    ]
    found: list[Violation] = []
    for resource in resources:
        mapping = MAPPINGS.get(resource["type"])
        if mapping is not None:
            found += _schema_violations(resource, mapping)
    found += rds.check(resources)
    found += runtimes.check(resources, today or datetime.now(UTC).date())
    return sorted(found, key=lambda v: (v.urn, v.property, v.rule))


def _schema_violations(resource: dict[str, Any], mapping: TypeMap) -> Iterator[Violation]:
    region = resource.get("region") or DEFAULT_REGION
    shaped: dict[str, Any] = {}
    for pulumi_path, prop in mapping.properties.items():
        for where, value in _values(resource["inputs"], pulumi_path.split("."), ""):
            if not prop.checked or value is None or _masked(value) or _provider_only(value, prop):
                continue
            property_leaf = leaf(mapping.cfn_type, region, prop.cfn)
            cfn_value = _as_cfn(value, property_leaf, pulumi_path)
            if "." not in prop.cfn and "[" not in prop.cfn:
                shaped[prop.cfn] = cfn_value
            source = f"{awsdata.source()}: {mapping.cfn_type}#"
            for error in property_leaf.errors(cfn_value):
                yield _from_schema(resource, where, value, error, source + error.pointer)
            rule = DOCUMENTED.get((mapping.cfn_type, prop.cfn))
            if rule is not None:
                documented = _documented_leaf(mapping.cfn_type, prop.cfn)
                for error in documented.errors(cfn_value):
                    yield _from_schema(resource, where, value, error, rule.source)
    for name in mapping.extensions:
        yield from _extension_violations(resource, mapping, name, shaped)


def _extension_violations(
    resource: dict[str, Any], mapping: TypeMap, name: str, shaped: dict[str, Any]
) -> Iterator[Violation]:
    pulumi_names = {prop.cfn: path for path, prop in mapping.properties.items()}
    for error in _extension_leaf(name).errors(shaped):
        cfn_property = str(error.at[0]) if error.at else ""
        where = pulumi_names.get(cfn_property, cfn_property)
        value = resource["inputs"].get(where)
        source = f"{awsdata.source()}: extensions/{name}#{error.pointer}"
        yield _from_schema(resource, where, value, SchemaError(*_drop_at(error)), source)


def _drop_at(error: SchemaError) -> tuple[Any, ...]:
    return (error.keyword, error.expected, error.pointer, error.detail, error.at[1:])


def _from_schema(
    resource: dict[str, Any], where: str, value: Any, error: SchemaError, source: str
) -> Violation:
    if error.at and isinstance(value, dict):
        # A map checked as CloudFormation's list of {Key, Value}: name the entry.
        key = list(value)[int(error.at[0])] if isinstance(error.at[0], int) else error.at[0]
        part = error.at[1] if len(error.at) > 1 else "Key"
        where = f"{where}.{key}"
        value = key if part == "Key" else value[key]
    elif error.at and isinstance(value, list) and isinstance(error.at[0], int):
        where = f"{where}[{error.at[0]}]"
        value = value[error.at[0]]
    expected = _rule_value(error.expected)
    return violation(resource, where, value, error.detail, f"{error.keyword} {expected}", source)


def _rule_value(expected: Any) -> str:
    if isinstance(expected, list) and len(expected) > 8:
        return f"[{', '.join(str(v) for v in expected[:8])}, ...]"
    return str(expected)


@cache
def _documented_leaf(cfn_type: str, path: str) -> Leaf:
    return compile_schema(DOCUMENTED[(cfn_type, path)].schema, cfn_type, path)


@cache
def _extension_leaf(name: str) -> Leaf:
    return compile_schema(awsdata.extension_schema(name), name, "")


def _values(node: Any, segments: list[str], prefix: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for each value at `segments`; `name[]` walks a list's items."""
    if not segments:
        yield prefix, node
        return
    segment, rest = segments[0], segments[1:]
    name = segment.removesuffix("[]")
    if not isinstance(node, dict) or name not in node:
        return
    child = node[name]
    here = f"{prefix}.{name}" if prefix else name
    if segment.endswith("[]"):
        if isinstance(child, list):
            for index, item in enumerate(child):
                yield from _values(item, rest, f"{here}[{index}]")
    else:
        yield from _values(child, rest, here)


def _masked(value: Any) -> bool:
    if isinstance(value, str):
        return value in MASKED
    if isinstance(value, list):
        return any(_masked(item) for item in value)
    if isinstance(value, dict):
        return any(_masked(item) for item in value.values())
    return False


def _provider_only(value: Any, prop: Prop) -> bool:
    return any(value == v and type(value) is type(v) for v in prop.provider_only)


def _as_cfn(value: Any, property_leaf: Leaf, pulumi_path: str) -> Any:
    """The value as CloudFormation's JSON types have it (the engine's types differ)."""
    types = property_leaf.types
    if pulumi_path == TAGS and isinstance(value, dict) and "array" in types:
        return [{"Key": key, "Value": item} for key, item in value.items()]
    if isinstance(value, bool):
        return value
    if (
        isinstance(value, int | float)
        and "string" in types
        and not {"integer", "number"} & set(types)
    ):
        return str(value)
    if isinstance(value, str) and types and "string" not in types:
        try:
            return int(value) if "integer" in types else float(value)
        except ValueError:
            return value
    return value
