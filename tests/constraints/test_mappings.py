"""The mapping table is the class guard: every planned type is mapped or explicitly skipped,
and every mapped name exists on both sides (pulumi-aws's classes, cfn-lint's schemas)."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pulumi_aws
import pytest

from tap import awsdata
from tap.config import SUPPORTED_REGIONS
from tap.constraints import schema
from tap.constraints.documented import DOCUMENTED
from tap.constraints.mappings import MAPPINGS, UNCHECKED
from tests.conftest import Planned


@pytest.mark.parametrize("region", SUPPORTED_REGIONS)
def test_every_mapped_property_exists_in_the_schema_of_every_region(region: str) -> None:
    for type_map in MAPPINGS.values():
        for prop in type_map.properties.values():
            compiled = schema.leaf(type_map.cfn_type, region, prop.cfn)
            assert compiled.pointer.startswith(("/properties/", "/definitions/")), prop


def test_documented_rules_sit_on_mapped_properties() -> None:
    mapped = {(m.cfn_type, p.cfn) for m in MAPPINGS.values() for p in m.properties.values()}
    assert set(DOCUMENTED) <= mapped


def test_cloudformation_types_agree_with_awsdata() -> None:
    for pulumi_type, type_map in MAPPINGS.items():
        if type_map.part_of:
            # A part of another resource has no CloudFormation type (and holds no state) itself.
            assert pulumi_type not in awsdata.CFN_TYPES
            assert type_map.cfn_type in awsdata.CFN_TYPES.values()
        else:
            assert awsdata.CFN_TYPES[pulumi_type] == type_map.cfn_type
    assert not set(MAPPINGS) & set(UNCHECKED)


def test_every_planned_aws_type_is_mapped_or_skipped_with_a_reason(planned: Planned) -> None:
    planned_types = {r["type"] for r in planned.cloud_resources()}
    unreviewed = planned_types - set(MAPPINGS) - set(UNCHECKED)
    assert not unreviewed, (
        f"map these types' inputs in tap/constraints/mappings.py (or list them in UNCHECKED "
        f"with the reason): {sorted(unreviewed)}"
    )


def _pulumi_class(type_token: str) -> type:
    module_name, _, rest = type_token.split(":", 1)[1].partition("/")
    module = getattr(pulumi_aws, module_name + "_" if module_name == "lambda" else module_name)
    cls: type = getattr(module, rest.split(":")[-1])
    return cls


def _property(cls: type, name: str) -> Any:
    for value in vars(cls).values():
        if isinstance(value, property) and getattr(value.fget, "_pulumi_name", None) == name:
            return value
    return None


_OUTPUT_TYPE = re.compile(r"\boutputs\.(\w+)")


def _resolve(type_token: str, path: str) -> str | None:
    """Walk a mapping's pulumi path through pulumi-aws's classes; None if every name exists."""
    cls = _pulumi_class(type_token)
    package = cls.__module__.rsplit(".", 1)[0]
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        found = _property(cls, name)
        if found is None:
            return f"{cls.__name__} has no input {name!r}"
        match = _OUTPUT_TYPE.search(str(found.fget.__annotations__.get("return")))
        if match:
            cls = getattr(importlib.import_module(f"{package}.outputs"), match.group(1))
    return None


def test_every_mapped_input_exists_in_pulumi_aws() -> None:
    problems = []
    for pulumi_type, type_map in MAPPINGS.items():
        for path in type_map.properties:
            problem = _resolve(pulumi_type, path)
            if problem:
                problems.append(f"{pulumi_type} {path}: {problem}")
    assert problems == []


def test_a_misspelled_input_is_caught() -> None:
    assert _resolve("aws:sqs/queue:Queue", "messageRetentionPeriod") == (
        "Queue has no input 'messageRetentionPeriod'"
    )
    assert _resolve("aws:lambda/function:Function", "tracingConfig.mod") == (
        "FunctionTracingConfig has no input 'mod'"
    )
