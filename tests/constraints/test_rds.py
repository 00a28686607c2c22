"""RDS rules from AWS's data and docs: versions, classes, parameter groups, windows."""

from __future__ import annotations

from typing import Any

import pytest

from tap import awsdata
from tap.constraints import rds
from tap.constraints.parameters import APPLY_METHOD_DOC
from tests.constraints.crafted import only, resource, violations

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
CLUSTER_PG = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
INSTANCE_PG = "aws:rds/parameterGroup:ParameterGroup"
PG = {"engine": "aurora-postgresql"}


def newest(major: str) -> str:
    return [v for v in awsdata.aurora_postgresql_versions() if v.startswith(f"{major}.")][-1]


def test_the_check_flags_the_retired_16_6() -> None:
    """16.6 is what main's stacks pinned; RDS no longer offers it for new clusters."""
    found = violations(
        resource(CLUSTER, {**PG, "engineVersion": "16.6"}, name="tap-prod-use1-aurora"),
        resource(INSTANCE, {**PG, "engineVersion": "16.6"}, name="tap-prod-use1-aurora-0"),
        resource(GLOBAL, {**PG, "engineVersion": "16.6"}, name="tap-prod-gbl-aurora-global"),
    )
    assert {v.resource for v in found} == {
        "tap-prod-use1-aurora",
        "tap-prod-use1-aurora-0",
        "tap-prod-gbl-aurora-global",
    }
    cluster = next(v for v in found if v.type == CLUSTER)
    assert cluster.property == "engineVersion"
    assert cluster.value == "16.6"
    assert cluster.message.startswith(
        "engineVersion='16.6': Aurora PostgreSQL 16.6 is no longer offered for new clusters "
        "(deprecated by RDS; offered 16.x: 16.8, "
    )
    assert cluster.rule == "engine version offered for new clusters"
    assert cluster.source == (
        f"{awsdata.source()}: extensions/aws_rds_dbcluster/engine_version.json, "
        "engine_version_deprecated.json"
    )


@pytest.mark.parametrize(
    ("version", "problem"),
    [
        ("16.99", "is not a release RDS lists (offered 16.x:"),
        ("19", "major 19 has no release offered for new clusters"),
        ("16.6.1", "is not an Aurora PostgreSQL release number"),
        ("v16", "is not an Aurora PostgreSQL release number"),
    ],
)
def test_versions_rds_does_not_offer(version: str, problem: str) -> None:
    found = only(violations(resource(CLUSTER, {**PG, "engineVersion": version})))
    assert problem in found.message


def test_offered_releases_and_bare_majors_pass() -> None:
    """A bare major is resolved to an offered release at deploy (aws.rds.get_engine_version)."""
    for version in (newest("16"), newest("17"), "16", "17"):
        assert violations(resource(CLUSTER, {**PG, "engineVersion": version})) == []
    assert violations(resource(CLUSTER, {**PG, "engineVersion": "<unknown>"})) == []
    # Another engine's versions are not Aurora PostgreSQL's to judge.
    assert violations(resource(CLUSTER, {"engine": "aurora-mysql", "engineVersion": "8.0"})) == []


def test_an_instance_class_that_is_not_orderable() -> None:
    found = only(
        violations(
            resource(INSTANCE, {**PG, "instanceClass": "db.r6g.3xlarge"}, region="eu-central-1")
        )
    )
    assert found.property == "instanceClass"
    assert found.message.startswith(
        "instanceClass='db.r6g.3xlarge': db.r6g.3xlarge is not orderable for "
        "aurora-postgresql in eu-central-1 (orderable db.r6g sizes: "
    )
    assert "db.r6g.large" in found.message
    assert found.source.endswith("dbinstanceclass_enum.json (eu-central-1)")
    for orderable in ("db.r6g.large", "db.serverless"):
        assert violations(resource(INSTANCE, {**PG, "instanceClass": orderable})) == []
    # db.m5 is orderable for RDS for PostgreSQL, not for Aurora.
    assert (
        "no db.m5 class"
        in only(violations(resource(INSTANCE, {**PG, "instanceClass": "db.m5.large"}))).message
    )


def group(
    type_token: str, *parameters: dict[str, str], family: str = "aurora-postgresql16"
) -> dict[str, Any]:
    return resource(
        type_token,
        {"name": "tap-test-use1-params", "family": family, "parameters": list(parameters)},
    )


def test_an_unknown_parameter_name() -> None:
    found = only(
        violations(
            group(CLUSTER_PG, {"name": "log_statment", "value": "ddl", "applyMethod": "immediate"})
        )
    )
    assert found.property == "parameters[0].name"
    assert found.value == "log_statment"
    assert found.message.startswith(
        "parameters[0].name='log_statment': log_statment is not a parameter tap knows to be "
        "valid for aurora-postgresql16 cluster parameter groups (documented: "
        "log_min_duration_statement, log_statement, rds.force_ssl, shared_preload_libraries)"
    )


def test_parameters_in_the_wrong_group_with_bad_values_or_apply_methods() -> None:
    found = violations(
        group(
            INSTANCE_PG,
            {"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"},
            {"name": "log_statement", "value": "everything", "applyMethod": "immediate"},
            {
                "name": "shared_preload_libraries",
                "value": "pg_stat_statements",
                "applyMethod": "immediate",
            },
            {"name": "log_min_duration_statement", "value": "1000", "applyMethod": "later"},
        )
    )
    messages = {v.property: v.message for v in found}
    assert messages == {
        "parameters[0].name": "parameters[0].name='rds.force_ssl': rds.force_ssl belongs in "
        "cluster parameter groups, not in instance parameter groups",
        "parameters[1].value": "parameters[1].value='everything': log_statement takes "
        "none | ddl | mod | all",
        "parameters[2].applyMethod": "parameters[2].applyMethod='immediate': "
        "shared_preload_libraries is static: RDS applies it only after a reboot "
        "(use pending-reboot)",
        "parameters[3].applyMethod": "parameters[3].applyMethod='later': apply method must be "
        "one of immediate, pending-reboot",
    }
    assert next(v for v in found if v.property == "parameters[2].applyMethod").source == (
        APPLY_METHOD_DOC
    )


def test_a_family_rds_does_not_offer_and_one_that_does_not_match_the_engine() -> None:
    assert (
        "is not the family of an Aurora PostgreSQL major"
        in only(violations(group(CLUSTER_PG, family="aurora-postgresql9"))).message
    )
    cluster = resource(
        CLUSTER,
        {
            **PG,
            "engineVersion": newest("17"),
            "dbClusterParameterGroupName": "tap-test-use1-params",
        },
    )
    found = only(violations(group(CLUSTER_PG), cluster))
    assert found.property == "dbClusterParameterGroupName"
    assert "of family aurora-postgresql16, but the engine is Aurora PostgreSQL 17" in found.message


def window(backup: str | None = None, maintenance: str | None = None) -> dict[str, Any]:
    inputs = {**PG}
    if backup is not None:
        inputs["preferredBackupWindow"] = backup
    if maintenance is not None:
        inputs["preferredMaintenanceWindow"] = maintenance
    return resource(CLUSTER, inputs)


def test_overlapping_backup_and_maintenance_windows() -> None:
    found = only(violations(window("03:00-04:00", "sun:03:30-sun:04:30")))
    assert found.property == "preferredBackupWindow"
    assert found.message == (
        "preferredBackupWindow='03:00-04:00': overlaps the maintenance window "
        "sun:03:30-sun:04:30; RDS refuses a backup window that conflicts with it"
    )
    assert found.rule == "backup and maintenance windows do not overlap"
    assert "Aurora.Managing.Backups.BackupWindow" in found.source


@pytest.mark.parametrize(
    ("backup", "maintenance", "overlap"),
    [
        ("03:00-04:00", "sun:04:30-sun:05:30", False),  # the shipped stacks
        ("03:00-04:00", "sun:04:00-sun:04:30", False),  # touching is not overlapping
        ("23:30-00:30", "mon:00:00-mon:00:30", True),  # the backup window wraps midnight
        ("00:00-00:30", "sun:23:45-mon:00:15", True),  # the week wraps too
        ("12:00-12:30", "wed:08:00-thu:08:00", True),  # a day-long maintenance window
    ],
)
def test_windows_overlap_on_the_weekly_clock(backup: str, maintenance: str, overlap: bool) -> None:
    b, m = rds.parse_backup_window(backup), rds.parse_maintenance_window(maintenance)
    assert isinstance(b, rds.Window) and isinstance(m, rds.Window)
    assert rds.windows_overlap(b, m) is overlap


@pytest.mark.parametrize(
    ("backup", "maintenance", "problem"),
    [
        ("3:00-04:00", None, "must be hh24:mi-hh24:mi in UTC"),
        ("03:00-03:20", None, "is 20 minutes long; RDS needs at least 30"),
        ("24:00-00:30", None, "must be hh24:mi-hh24:mi in UTC"),
        (None, "sunday:04:00-sunday:05:00", "must be ddd:hh24:mi-ddd:hh24:mi in UTC"),
        (None, "sun:04:00-sun:04:15", "is 15 minutes long; RDS needs at least 30"),
        (None, "fun:04:00-sun:05:00", "days must be one of mon, tue"),
    ],
)
def test_malformed_or_short_windows(
    backup: str | None, maintenance: str | None, problem: str
) -> None:
    found = only(violations(window(backup, maintenance)))
    assert problem in found.message
    assert violations(window("03:00-03:30", "SUN:04:30-Sun:05:00")) == []
