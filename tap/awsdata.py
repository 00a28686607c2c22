"""AWS's published constraint data (pure), read from the copy that ships in cfn-lint.

cfn-lint packages the CloudFormation resource provider schemas of every region, and the RDS
engine-version and orderable-instance-class data AWS publishes, refreshed with each release.
Pinned through uv.lock, so `uv lock --upgrade-package cfn-lint` refreshes what tap checks
against. tap never keeps its own copy of these lists: config validation, the constraint check
of `tap plan` and the docs all read them from here.

Only the JSON files are read. cfn-lint itself is never imported (its import costs 0.7 s, more
than the whole data read), so the package is located with `find_spec`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

AURORA_POSTGRESQL = "aurora-postgresql"
# A numbered Aurora PostgreSQL release: MAJOR.MINOR (no "-limitless" or other variants).
_RELEASE = re.compile(r"[0-9]+\.[0-9]+")


class AwsDataError(RuntimeError):
    """cfn-lint's data is missing or not in the shape this module reads (an install problem)."""


@cache
def schemas_dir() -> Path:
    spec = find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise AwsDataError(
            "cfn-lint is not installed; it carries AWS's constraint data (run `scripts/uv sync`)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@cache
def _json(relative: str) -> Any:
    path = schemas_dir() / relative
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AwsDataError(f"cannot read AWS constraint data {path}: {exc}") from None


def data_date() -> str:
    """When cfn-lint's copy of the schemas was taken (shown in messages and docs)."""
    return str(_json("version.json").get("schema_date", "unknown"))


def source() -> str:
    """The citation a constraint message carries."""
    return f"AWS CloudFormation schemas and RDS data in cfn-lint (schemas of {data_date()})"


@cache
def resource_schema(cfn_type: str, region: str) -> dict[str, Any]:
    """The CloudFormation resource provider schema of `cfn_type` (AWS::S3::Bucket) in `region`."""
    providers = _json(f"providers/{region}.json")
    digest = providers.get(cfn_type)
    if digest is None:
        raise AwsDataError(f"no CloudFormation schema for {cfn_type} in {region}")
    schema: dict[str, Any] = _json(f"resources/{digest}.json")
    return schema


def _branches_for_engine(document: Any, engine: str) -> list[dict[str, Any]]:
    """The `allOf` branches of an extension schema whose `if` pins `Engine` to `engine`."""
    branches = []
    for branch in document.get("allOf", []):
        condition = branch.get("if", {}).get("properties", {}).get("Engine", {})
        if condition.get("const") == engine:
            branches.append(branch)
    return branches


def _enum_of(branches: list[dict[str, Any]], section: str, prop: str) -> list[str]:
    values: list[str] = []
    for branch in branches:
        where = branch.get(section)
        if isinstance(where, dict):
            values += [str(v) for v in where.get("properties", {}).get(prop, {}).get("enum", [])]
    return values


@cache
def deprecated_aurora_postgresql_versions() -> frozenset[str]:
    """Versions RDS no longer offers for new clusters (`then: false` in cfn-lint's data)."""
    document = _json("extensions/aws_rds_dbcluster/engine_version_deprecated.json")
    return frozenset(
        _enum_of(_branches_for_engine(document, AURORA_POSTGRESQL), "if", "EngineVersion")
    )


@cache
def aurora_postgresql_versions() -> tuple[str, ...]:
    """Numbered Aurora PostgreSQL releases a new cluster can use, oldest first."""
    document = _json("extensions/aws_rds_dbcluster/engine_version.json")
    known = _enum_of(_branches_for_engine(document, AURORA_POSTGRESQL), "then", "EngineVersion")
    deprecated = deprecated_aurora_postgresql_versions()
    offered = {v for v in known if _RELEASE.fullmatch(v) and v not in deprecated}
    if not offered:
        raise AwsDataError("cfn-lint's RDS data lists no Aurora PostgreSQL versions")
    return tuple(sorted(offered, key=version_key))


def version_key(version: str) -> tuple[int, ...]:
    """'16.10' sorts after '16.9'."""
    return tuple(int(part) for part in version.split("."))


def aurora_postgresql_majors() -> tuple[int, ...]:
    return tuple(sorted({version_key(v)[0] for v in aurora_postgresql_versions()}))


@cache
def aurora_postgresql_instance_classes(region: str) -> frozenset[str]:
    """Instance classes RDS can order for Aurora PostgreSQL in `region` (db.serverless too)."""
    document = _json("extensions/aws_rds_dbinstance/dbinstanceclass_enum.json")
    if region not in document:
        raise AwsDataError(f"no RDS instance-class data for region {region}")
    branches = _branches_for_engine(document[region], AURORA_POSTGRESQL)
    return frozenset(_enum_of(branches, "then", "DBInstanceClass"))


@cache
def log_retention_days() -> tuple[int, ...]:
    """The only values CloudWatch Logs accepts for a log group's retention."""
    schema = resource_schema("AWS::Logs::LogGroup", "us-east-1")
    values = schema["properties"]["RetentionInDays"]["enum"]
    return tuple(sorted(int(v) for v in values))
