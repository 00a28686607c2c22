"""RDS rules that span values or resources: versions, classes, parameter groups, windows.

- The Aurora PostgreSQL engine version must be one RDS offers for new clusters (cfn-lint's RDS
  data, through awsdata). A bare major ("16", resolved to a release at deploy) is valid when
  that major has an offered release.
- An instance class must be orderable for aurora-postgresql in the instance's region.
- A parameter group family must be an offered major's, must match the engine of the clusters
  and instances that use the group, and its parameters must be ones AWS documents for that
  level (parameters.py), with a value and apply method AWS accepts.
- The backup window (`hh24:mi-hh24:mi`) and the maintenance window
  (`ddd:hh24:mi-ddd:hh24:mi`) must be well formed, at least 30 minutes long, and must not
  overlap (RDS API, CreateDBCluster; the same text is in the CloudFormation schema).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from tap import awsdata
from tap.constraints.model import Violation, violation
from tap.constraints.parameters import (
    APPLY_METHOD_DOC,
    APPLY_METHODS,
    CLUSTER,
    INSTANCE,
    PARAMETERS,
)
from tap.markers import MASKED

CLUSTER_TYPE = "aws:rds/cluster:Cluster"
INSTANCE_TYPE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL_TYPE = "aws:rds/globalCluster:GlobalCluster"
CLUSTER_PG_TYPE = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
INSTANCE_PG_TYPE = "aws:rds/parameterGroup:ParameterGroup"

_VERSIONED = (CLUSTER_TYPE, INSTANCE_TYPE, GLOBAL_TYPE)
_FAMILY = re.compile(r"aurora-postgresql([0-9]+)", re.ASCII)
_MAJOR = re.compile(r"[0-9]+", re.ASCII)
_RELEASE = re.compile(r"([0-9]+)\.[0-9]+", re.ASCII)

VERSIONS_DATA = "extensions/aws_rds_dbcluster/engine_version.json, engine_version_deprecated.json"
CLASSES_DATA = "extensions/aws_rds_dbinstance/dbinstanceclass_enum.json"
CREATE_DB_CLUSTER_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html"
)
BACKUP_WINDOW_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "Aurora.Managing.Backups.html#Aurora.Managing.Backups.BackupWindow"
)
MAINTENANCE_WINDOW_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
    "USER_UpgradeDBInstance.Maintenance.html#AdjustingTheMaintenanceWindow.Aurora"
)
PARAMETER_GROUP_DOC = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_WorkingWithParamGroups.html"
)


def _cfn_data(what: str) -> str:
    return f"{awsdata.source()}: {what}"


def _known(value: Any) -> TypeGuard[str]:
    """A string the plan knows (not `<unknown>` or `<secret>`)."""
    return isinstance(value, str) and value not in MASKED


def _is_aurora_pg(resource: Mapping[str, Any]) -> bool:
    return bool(resource["inputs"].get("engine") == awsdata.AURORA_POSTGRESQL)


# --- engine versions ---------------------------------------------------------------------------


def version_problem(version: str) -> str | None:
    """Why RDS would refuse `version` for a new Aurora PostgreSQL cluster (None if it won't)."""
    offered = awsdata.aurora_postgresql_versions()
    if _MAJOR.fullmatch(version):
        if int(version) in awsdata.aurora_postgresql_majors():
            return None
        majors = ", ".join(str(m) for m in awsdata.aurora_postgresql_majors())
        return f"major {version} has no release offered for new clusters (offered majors: {majors})"
    release = _RELEASE.fullmatch(version)
    if release is None:
        return "is not an Aurora PostgreSQL release number (MAJOR.MINOR, or a bare MAJOR)"
    if version in offered:
        return None
    same_major = [v for v in offered if v.split(".")[0] == release.group(1)]
    hint = (
        f"offered {release.group(1)}.x: {', '.join(same_major)}"
        if same_major
        else (f"offered majors: {', '.join(str(m) for m in awsdata.aurora_postgresql_majors())}")
    )
    if version in awsdata.deprecated_aurora_postgresql_versions():
        return f"is no longer offered for new clusters (deprecated by RDS; {hint})"
    return f"is not a release RDS lists ({hint})"


def _engine_versions(resources: list[dict[str, Any]]) -> Iterator[Violation]:
    for resource in resources:
        if resource["type"] not in _VERSIONED or not _is_aurora_pg(resource):
            continue
        version = resource["inputs"].get("engineVersion")
        if not _known(version):
            continue
        problem = version_problem(version)
        if problem:
            yield violation(
                resource,
                "engineVersion",
                version,
                f"Aurora PostgreSQL {version} {problem}",
                "engine version offered for new clusters",
                _cfn_data(VERSIONS_DATA),
            )


# --- instance classes --------------------------------------------------------------------------


def _instance_classes(resources: list[dict[str, Any]]) -> Iterator[Violation]:
    for resource in resources:
        if resource["type"] != INSTANCE_TYPE or not _is_aurora_pg(resource):
            continue
        instance_class = resource["inputs"].get("instanceClass")
        region = resource["region"]
        if not _known(instance_class) or not region:
            continue
        orderable = awsdata.aurora_postgresql_instance_classes(region)
        if instance_class not in orderable:
            family = instance_class.rsplit(".", 1)[0]
            sizes = sorted(c for c in orderable if c.startswith(family + "."))
            hint = (
                f"orderable {family} sizes: {', '.join(sizes)}"
                if sizes
                else (f"no {family} class is orderable there")
            )
            yield violation(
                resource,
                "instanceClass",
                instance_class,
                f"{instance_class} is not orderable for aurora-postgresql in {region} ({hint})",
                "orderable instance class",
                _cfn_data(f"{CLASSES_DATA} ({region})"),
            )


# --- parameter groups --------------------------------------------------------------------------


def _family_major(family: Any) -> int | None:
    match = _FAMILY.fullmatch(family) if isinstance(family, str) else None
    return int(match.group(1)) if match else None


def _engine_major(version: Any) -> int | None:
    if not _known(version):
        return None
    match = re.match(r"([0-9]+)(\.|$)", version)
    return int(match.group(1)) if match else None


def _parameter_groups(resources: list[dict[str, Any]]) -> Iterator[Violation]:
    levels = {CLUSTER_PG_TYPE: CLUSTER, INSTANCE_PG_TYPE: INSTANCE}
    for resource in resources:
        level = levels.get(resource["type"])
        if level is None:
            continue
        family = resource["inputs"].get("family")
        if not _known(family) or not family.startswith("aurora-postgresql"):
            continue
        major = _family_major(family)
        if major is None or major not in awsdata.aurora_postgresql_majors():
            majors = ", ".join(f"aurora-postgresql{m}" for m in awsdata.aurora_postgresql_majors())
            yield violation(
                resource,
                "family",
                family,
                f"{family} is not the family of an Aurora PostgreSQL major RDS offers ({majors})",
                "parameter group family",
                _cfn_data(VERSIONS_DATA),
            )
        parameters = resource["inputs"].get("parameters") or []
        for index, parameter in enumerate(parameters if isinstance(parameters, list) else []):
            if isinstance(parameter, dict):
                yield from _parameter(resource, level, family, index, parameter)


def _parameter(
    resource: dict[str, Any], level: str, family: str, index: int, parameter: dict[str, Any]
) -> Iterator[Violation]:
    name = parameter.get("name")
    if not _known(name):
        return
    where = f"parameters[{index}]"
    rule = PARAMETERS.get(name)
    if rule is None:
        known = ", ".join(sorted(p for p, r in PARAMETERS.items() if level in r.levels))
        yield violation(
            resource,
            f"{where}.name",
            name,
            f"{name} is not a parameter tap knows to be valid for {family} {level} parameter "
            f"groups (documented: {known}); add its documented row to "
            "tap/constraints/parameters.py",
            f"{family} {level} parameter names",
            PARAMETER_GROUP_DOC,
        )
        return
    if level not in rule.levels:
        yield violation(
            resource,
            f"{where}.name",
            name,
            f"{name} belongs in {' or '.join(sorted(rule.levels))} parameter groups, "
            f"not in {level} parameter groups",
            f"{family} {level} parameter names",
            rule.source,
        )
    value = parameter.get("value")
    if _known(value) and not rule.accepts(value):
        yield violation(
            resource,
            f"{where}.value",
            value,
            f"{name} takes {rule.values}",
            f"{name} values",
            rule.source,
        )
    method = parameter.get("applyMethod")
    if _known(method) and method not in APPLY_METHODS:
        yield violation(
            resource,
            f"{where}.applyMethod",
            method,
            f"apply method must be one of {', '.join(APPLY_METHODS)}",
            "ApplyMethod values",
            APPLY_METHOD_DOC,
        )
    elif method == "immediate" and rule.static:
        yield violation(
            resource,
            f"{where}.applyMethod",
            method,
            f"{name} is static: RDS applies it only after a reboot (use pending-reboot)",
            "immediate only for dynamic parameters",
            APPLY_METHOD_DOC,
        )


def _family_matches_engine(resources: list[dict[str, Any]]) -> Iterator[Violation]:
    """A cluster or instance can only use a parameter group of its engine's major."""
    groups: dict[tuple[str | None, str, str], dict[str, Any]] = {}
    for resource in resources:
        if resource["type"] in (CLUSTER_PG_TYPE, INSTANCE_PG_TYPE):
            name = resource["inputs"].get("name")
            if _known(name):
                groups[(resource["region"], resource["type"], name)] = resource
    users = {
        CLUSTER_TYPE: ("dbClusterParameterGroupName", CLUSTER_PG_TYPE),
        INSTANCE_TYPE: ("dbParameterGroupName", INSTANCE_PG_TYPE),
    }
    for resource in resources:
        if resource["type"] not in users or not _is_aurora_pg(resource):
            continue
        key, group_type = users[resource["type"]]
        group_name = resource["inputs"].get(key)
        engine_major = _engine_major(resource["inputs"].get("engineVersion"))
        group = groups.get((resource["region"], group_type, group_name))
        if group is None or engine_major is None:
            continue
        family = group["inputs"].get("family")
        family_major = _family_major(family)
        if family_major is not None and family_major != engine_major:
            yield violation(
                resource,
                key,
                group_name,
                f"{group_name} is of family {family}, but the engine is Aurora PostgreSQL "
                f"{engine_major}: RDS only accepts an aurora-postgresql{engine_major} group",
                "parameter group family matches the engine major",
                PARAMETER_GROUP_DOC,
            )


# --- backup and maintenance windows ------------------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
WEEK_MINUTES = 7 * DAY_MINUTES
MIN_WINDOW_MINUTES = 30
_HHMM = r"([01][0-9]|2[0-3]):([0-5][0-9])"
_BACKUP = re.compile(rf"{_HHMM}-{_HHMM}", re.ASCII)
_MAINTENANCE = re.compile(rf"([a-z]{{3}}):{_HHMM}-([a-z]{{3}}):{_HHMM}", re.ASCII | re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """A window as [start, start + length) in minutes; start is within the day or the week."""

    start: int
    length: int


def parse_backup_window(text: str) -> Window | str:
    """The daily backup window, or why it is malformed."""
    match = _BACKUP.fullmatch(text)
    if match is None:
        return "must be hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30"
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    return Window(start, (end - start) % DAY_MINUTES)


def parse_maintenance_window(text: str) -> Window | str:
    """The weekly maintenance window, or why it is malformed."""
    match = _MAINTENANCE.fullmatch(text)
    if match is None:
        return "must be ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. sun:04:30-sun:05:00"
    first, last = match.group(1).lower(), match.group(4).lower()
    if first not in DAYS or last not in DAYS:
        return f"days must be one of {', '.join(DAYS)}"
    start = DAYS.index(first) * DAY_MINUTES + int(match.group(2)) * 60 + int(match.group(3))
    end = DAYS.index(last) * DAY_MINUTES + int(match.group(5)) * 60 + int(match.group(6))
    return Window(start, (end - start) % WEEK_MINUTES)


def _spans(start: int, length: int, period: int) -> list[tuple[int, int]]:
    """[start, start+length) on a circle of `period` minutes, as at most two plain spans."""
    end = start + length
    if end <= period:
        return [(start, end)]
    return [(start, period), (0, end - period)]


def windows_overlap(backup: Window, maintenance: Window) -> bool:
    """Whether any day's backup window shares a minute with the weekly maintenance window."""
    maintenance_spans = _spans(maintenance.start, maintenance.length, WEEK_MINUTES)
    for day in range(7):
        for b_start, b_end in _spans(day * DAY_MINUTES + backup.start, backup.length, WEEK_MINUTES):
            for m_start, m_end in maintenance_spans:
                if b_start < m_end and m_start < b_end:
                    return True
    return False


def _windows(resources: list[dict[str, Any]]) -> Iterator[Violation]:
    for resource in resources:
        if resource["type"] not in (CLUSTER_TYPE, INSTANCE_TYPE):
            continue
        inputs = resource["inputs"]
        parsed: dict[str, Window] = {}
        for key, parse, doc in (
            ("preferredBackupWindow", parse_backup_window, BACKUP_WINDOW_DOC),
            ("preferredMaintenanceWindow", parse_maintenance_window, MAINTENANCE_WINDOW_DOC),
        ):
            text = inputs.get(key)
            if not _known(text):
                continue
            window = parse(text)
            source = f"{doc}; {CREATE_DB_CLUSTER_DOC}"
            if isinstance(window, str):
                yield violation(resource, key, text, window, "window format", source)
            elif window.length < MIN_WINDOW_MINUTES:
                yield violation(
                    resource,
                    key,
                    text,
                    f"is {window.length} minutes long; RDS needs at least {MIN_WINDOW_MINUTES}",
                    "window of at least 30 minutes",
                    source,
                )
            else:
                parsed[key] = window
        backup = parsed.get("preferredBackupWindow")
        maintenance = parsed.get("preferredMaintenanceWindow")
        if backup and maintenance and windows_overlap(backup, maintenance):
            yield violation(
                resource,
                "preferredBackupWindow",
                inputs["preferredBackupWindow"],
                f"overlaps the maintenance window {inputs['preferredMaintenanceWindow']}; "
                "RDS refuses a backup window that conflicts with it",
                "backup and maintenance windows do not overlap",
                f"{BACKUP_WINDOW_DOC}; {CREATE_DB_CLUSTER_DOC}",
            )


def check(resources: list[dict[str, Any]]) -> Iterator[Violation]:
    yield from _engine_versions(resources)
    yield from _instance_classes(resources)
    yield from _parameter_groups(resources)
    yield from _family_matches_engine(resources)
    yield from _windows(resources)
