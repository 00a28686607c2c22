"""`tap:database` and `tap:storage`: AWS's limits, versions and classes, checked once here."""

from __future__ import annotations

from typing import Any

import pytest

from tap import aurora, awsdata
from tap.config import parse
from tests.config.common import refuse

SOURCE = awsdata.source()
MAJORS = ", ".join(map(str, aurora.offered_majors()))
# Digits outside ASCII: a pattern written with `\d` would take them for 1 and 6.
FULLWIDTH_16 = "\uff11\uff16"
OFFERED_16 = ", ".join(v for v in aurora.offered_versions() if v.startswith("16."))


def refuse_database(database: dict[str, Any], stack: str = "dev", **raw: Any) -> str:
    return refuse({"database": database, **raw}, stack)


class TestDefaults:
    def test_dev_runs_a_serverless_database_that_scales_to_zero(self) -> None:
        database = parse({}, "dev").config.database
        assert database.serverless
        assert database.serverless_min_capacity == 0
        assert database.instance_count == 1
        assert database.global_database is False

    def test_staging_is_regional_with_one_instance(self) -> None:
        database = parse({}, "staging").config.database
        assert (database.instance_count, database.global_database) == (1, False)

    def test_prod_is_a_provisioned_global_database_with_two_instances(self) -> None:
        config = parse({}, "prod").config
        assert config.database.instance_class == "db.r6g.large"
        assert not config.database.serverless
        assert config.database.instance_count == 2
        assert config.database.global_database is True
        assert config.database.backup_retention_days == 14
        assert config.storage.replication_time_control is True

    def test_a_one_region_prod_falls_back_to_a_regional_database(self) -> None:
        assert parse({"regions": ["us-east-1"]}, "prod").config.database.global_database is False

    def test_an_explicit_global_is_kept(self) -> None:
        raw = {"regions": ["us-east-1", "us-west-2"], "database": {"global": True}}
        assert parse(raw, "dev").config.database.global_database is True


class TestEngineVersion:
    @pytest.mark.parametrize("version", ["16", "17", "16.8", "16.15", "13.23"])
    def test_a_major_or_a_minimum(self, version: str) -> None:
        database = parse({"database": {"engineVersion": version}}, "dev").config.database
        assert database.engine_version == version
        assert database.engine == aurora.EngineVersionRequest.parse(version)
        assert database.engine_major == int(version.split(".", maxsplit=1)[0])

    def test_an_unquoted_major_is_its_text(self) -> None:
        assert (
            parse({"database": {"engineVersion": 17}}, "dev").config.database.engine_version == "17"
        )

    def test_an_unquoted_minimum_is_refused_as_a_number(self) -> None:
        assert refuse_database({"engineVersion": 16.1}) == (
            "tap:database.engineVersion 16.1 is a number to YAML, which drops trailing zeros "
            '(16.10 reads as 16.1); quote the version, e.g. "16.10"'
        )

    def test_a_retired_release_is_a_valid_minimum(self) -> None:
        # 16.2 is no longer offered, but the newest 16 release meets "16.2 or later".
        assert "16.2" not in aurora.offered_versions()
        assert parse({"database": {"engineVersion": "16.2"}}, "dev").config

    @pytest.mark.parametrize(
        "version", ["16.6.1", "v16", "16.x", "", "16.", " 16", "16\n", FULLWIDTH_16]
    )
    def test_not_a_version(self, version: str) -> None:
        assert refuse_database({"engineVersion": version}) == (
            f"tap:database.engineVersion {version!r} is not an Aurora PostgreSQL version; use a "
            f"major version (one of {MAJORS}) or a minimum such as 16.8"
        )

    def test_a_major_aws_does_not_offer(self) -> None:
        assert refuse_database({"engineVersion": "10"}) == (
            f"tap:database.engineVersion '10': AWS offers no Aurora PostgreSQL 10 release for "
            f"new clusters; use one of the majors {MAJORS} ({SOURCE})"
        )

    def test_an_unknown_minor(self) -> None:
        assert refuse_database({"engineVersion": "16.99"}) == (
            f"tap:database.engineVersion '16.99' is not an Aurora PostgreSQL release; releases "
            f"AWS offers in 16: {OFFERED_16} ({SOURCE})"
        )

    def test_a_minimum_no_offered_release_meets(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # 16.6 is a real release; had AWS retired every 16 release after it, nothing would match.
        monkeypatch.setattr(aurora, "offered_versions", lambda: ("16.4", "17.4"))
        assert refuse_database({"engineVersion": "16.6"}) == (
            "tap:database.engineVersion '16.6': AWS offers no release of 16 at or after it for "
            f"new clusters; offered: 16.4 ({SOURCE})"
        )

    def test_serverless_needs_a_major_with_serverless_v2(self) -> None:
        assert refuse_database({"engineVersion": "12"}) == (
            "tap:database.instanceClass db.serverless needs Aurora PostgreSQL 13.6, 14.3, 15.2, "
            f"16.1 or later in its major; tap:database.engineVersion 12 resolves to "
            f"{aurora.newest_offered(aurora.EngineVersionRequest(12))}, so use a provisioned "
            "class or a newer major"
        )

    def test_scale_to_zero_is_checked_against_the_resolved_release(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(aurora, "offered_versions", lambda: ("16.1", "16.2"))
        assert refuse_database({"engineVersion": "16", "serverlessMinCapacity": 0}) == (
            "tap:database.serverlessMinCapacity 0 (scale to zero) needs Aurora PostgreSQL 13.15, "
            "14.12, 15.7, 16.3, 17.4 or later in its major version; tap:database.engineVersion "
            "is 16 (resolves to 16.2), so use a minimum of 0.5 or a newer version"
        )
        raw = {"database": {"engineVersion": "16", "serverlessMinCapacity": 0.5}}
        assert parse(raw, "dev").config.database.serverless_min_capacity == 0.5

    def test_scale_to_zero_is_irrelevant_for_provisioned_classes(self) -> None:
        raw = {"database": {"engineVersion": "12", "instanceClass": "db.r7g.large"}}
        assert parse(raw, "dev").config.database.instance_class == "db.r7g.large"


class TestInstanceClass:
    @pytest.mark.parametrize("instance_class", ["db.m5.large", "db.r6g.3xlarge", "r6g.large", ""])
    def test_a_class_rds_does_not_offer(self, instance_class: str) -> None:
        assert refuse_database({"instanceClass": instance_class}) == (
            f"tap:database.instanceClass {instance_class!r} is not an instance class RDS offers "
            "for Aurora PostgreSQL; use db.serverless (Serverless v2) or a provisioned class "
            f"such as db.r6g.large, db.r7g.xlarge or db.t4g.medium ({SOURCE})"
        )

    def test_a_class_must_be_orderable_in_every_region(self) -> None:
        assert refuse_database({"instanceClass": "db.x2g.large"}, "staging") == (
            "tap:database.instanceClass db.x2g.large cannot be ordered for Aurora PostgreSQL in "
            "eu-central-1; every region of the stack runs the same class, so choose one offered "
            f"in all of us-east-1, us-west-2, eu-central-1 ({SOURCE})"
        )
        assert parse({"database": {"instanceClass": "db.x2g.large"}}, "dev").config

    def test_a_global_database_refuses_burstable_classes(self) -> None:
        assert refuse_database({"instanceClass": "db.t4g.medium"}, "prod") == (
            "tap:database.instanceClass db.t4g.medium is burstable, and Aurora global databases "
            "do not support burstable classes; use a memory-optimized class (db.r6g.large or "
            "larger) or db.serverless"
        )
        raw = {"database": {"instanceClass": "db.t4g.medium", "global": False}}
        assert parse(raw, "prod").config.database.instance_class == "db.t4g.medium"

    @pytest.mark.parametrize(
        ("instance_class", "serverless"),
        [("db.serverless", True), ("db.r6g.large", False), ("db.t4g.medium", False)],
    )
    def test_only_db_serverless_is_serverless(self, instance_class: str, serverless: bool) -> None:
        raw = {"database": {"instanceClass": instance_class, "global": False}}
        assert parse(raw, "prod").config.database.serverless is serverless


class TestLimits:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"instanceCount": 0},
                "tap:database.instanceCount 0 is out of range; use 1 to 16 (a writer and up to "
                "15 readers)",
            ),
            (
                {"instanceCount": 17},
                "tap:database.instanceCount 17 is out of range; use 1 to 16 (a writer and up to "
                "15 readers)",
            ),
            (
                {"backupRetentionDays": 36},
                "tap:database.backupRetentionDays 36 is out of range; use 1 to 35 days (the range "
                "Aurora allows)",
            ),
            (
                {"backupRetentionDays": 0},
                "tap:database.backupRetentionDays 0 is out of range; use 1 to 35 days (the range "
                "Aurora allows)",
            ),
            (
                {"serverlessMinCapacity": 0.25},
                "tap:database.serverlessMinCapacity 0.25 is out of range; use 0 to 256 ACUs in "
                "steps of 0.5",
            ),
            (
                {"serverlessMaxCapacity": 256.5},
                "tap:database.serverlessMaxCapacity 256.5 is out of range; use 1 to 256 ACUs in "
                "steps of 0.5",
            ),
            (
                {"serverlessMaxCapacity": 0.5},
                "tap:database.serverlessMaxCapacity 0.5 is out of range; use 1 to 256 ACUs in "
                "steps of 0.5",
            ),
            (
                {"serverlessMinCapacity": 8, "serverlessMaxCapacity": 4},
                "tap:database.serverlessMinCapacity 8 is above tap:database.serverlessMaxCapacity "
                "4; the minimum must not exceed the maximum",
            ),
            (
                {"logMinDurationStatementMs": -2},
                "tap:database.logMinDurationStatementMs -2 is out of range; use -1 (off), 0 (every "
                "statement) or a duration in ms",
            ),
            (
                {"logMinDurationStatementMs": 2**31},
                "tap:database.logMinDurationStatementMs 2147483648 is out of range; use -1 (off), "
                "0 (every statement) or a duration in ms",
            ),
            (
                {"monitoringInterval": 7},
                "tap:database.monitoringInterval 7 is not an enhanced-monitoring interval; use "
                "one of 0, 1, 5, 10, 15, 30, 60 (0 turns it off)",
            ),
            (
                {"logStatement": "some"},
                "tap:database.logStatement 'some' is not allowed; use one of none, ddl, mod or all",
            ),
            ({"global": "yes"}, "tap:database.global must be true or false, got 'yes'"),
        ],
    )
    def test_refused(self, raw: dict[str, Any], message: str) -> None:
        assert refuse_database(raw) == message

    @pytest.mark.parametrize(
        "raw",
        [
            {"instanceCount": 16},
            {"backupRetentionDays": 35},
            {"backupRetentionDays": 1},
            {"serverlessMinCapacity": 4, "serverlessMaxCapacity": 4},
            {"serverlessMaxCapacity": 256},
            {"serverlessMaxCapacity": 1},
            {"logMinDurationStatementMs": 2**31 - 1},
            {"logMinDurationStatementMs": -1},
            {"monitoringInterval": 60},
        ],
    )
    def test_the_limits_themselves_are_accepted(self, raw: dict[str, Any]) -> None:
        parse({"database": raw}, "dev")

    def test_provisioned_classes_ignore_the_serverless_range(self) -> None:
        raw = {
            "instanceClass": "db.r6g.large",
            "serverlessMinCapacity": 8,
            "serverlessMaxCapacity": 4,
        }
        assert parse({"database": raw}, "dev").config.database.serverless_min_capacity == 8

    def test_global_needs_two_regions(self) -> None:
        assert refuse({"regions": ["us-east-1"], "database": {"global": True}}) == (
            "tap:database.global is true but tap:regions lists one region; a global database "
            "needs a primary and at least one secondary region"
        )

    def test_prod_keeps_a_week_of_backups(self) -> None:
        assert refuse_database({"backupRetentionDays": 6}, "prod") == (
            "tap:database.backupRetentionDays 6 is below the prod minimum; use 7 to 35 days"
        )
        assert parse({"database": {"backupRetentionDays": 7}}, "prod").config.database
        assert parse({"database": {"backupRetentionDays": 3}}, "dev").config.database


class TestNames:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"masterUsername": "postgres"},
                "tap:database.masterUsername 'postgres' is a default or reserved name; choose a "
                "non-default master username (e.g. tap_admin)",
            ),
            (
                {"masterUsername": "Admin"},
                "tap:database.masterUsername 'Admin' is a default or reserved name; choose a "
                "non-default master username (e.g. tap_admin)",
            ),
            (
                {"masterUsername": "1admin"},
                "tap:database.masterUsername '1admin' is not allowed; use 1-63 letters, digits "
                "and underscores, starting with a letter",
            ),
            (
                {"masterUsername": "tap_admin\n"},
                "tap:database.masterUsername 'tap_admin\\n' is not allowed; use 1-63 letters, "
                "digits and underscores, starting with a letter",
            ),
            (
                {"masterUsername": "tapädmin"},
                "tap:database.masterUsername 'tapädmin' is not allowed; use 1-63 letters, digits "
                "and underscores, starting with a letter",
            ),
            (
                {"databaseName": "tap-db"},
                "tap:database.databaseName 'tap-db' is not allowed; use 1-63 letters, digits and "
                "underscores, starting with a letter",
            ),
            (
                {"databaseName": "a" * 64},
                f"tap:database.databaseName {'a' * 64!r} is not allowed; use 1-63 letters, digits "
                "and underscores, starting with a letter",
            ),
        ],
    )
    def test_refused(self, raw: dict[str, Any], message: str) -> None:
        assert refuse_database(raw) == message

    def test_63_characters_are_allowed(self) -> None:
        assert parse({"database": {"databaseName": "a" * 63}}, "dev").config

    def test_unknown_database_key(self) -> None:
        assert refuse_database({"instancecount": 2}).startswith(
            "tap:database.instancecount is not a known key (did you mean "
            "tap:database.instanceCount?)"
        )


class TestStorage:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"noncurrentVersionExpirationDays": 0},
                "tap:storage.noncurrentVersionExpirationDays 0 is out of range; use 1 to 3650 days",
            ),
            (
                {"noncurrentVersionExpirationDays": 3651},
                "tap:storage.noncurrentVersionExpirationDays 3651 is out of range; use 1 to 3650 "
                "days",
            ),
            (
                {"abortIncompleteMultipartDays": 0},
                "tap:storage.abortIncompleteMultipartDays 0 is out of range; use 1 to 30 days",
            ),
            (
                {"abortIncompleteMultipartDays": 31},
                "tap:storage.abortIncompleteMultipartDays 31 is out of range; use 1 to 30 days",
            ),
            (
                {"replicationTimeControl": 1},
                "tap:storage.replicationTimeControl must be true or false, got 1",
            ),
        ],
    )
    def test_refused(self, raw: dict[str, Any], message: str) -> None:
        assert refuse({"storage": raw}) == message

    @pytest.mark.parametrize(
        ("noncurrent", "abort"),
        [(1, 1), (3650, 30)],
    )
    def test_the_bounds_themselves_are_accepted(self, noncurrent: int, abort: int) -> None:
        raw = {"noncurrentVersionExpirationDays": noncurrent, "abortIncompleteMultipartDays": abort}
        storage = parse({"storage": raw}, "dev").config.storage
        assert storage.noncurrent_version_expiration_days == noncurrent
        assert storage.abort_incomplete_multipart_days == abort


class TestWriterRegion:
    """`tap:database.writerRegion`: where the program treats the global writer as being."""

    def test_it_defaults_to_the_primary_region(self) -> None:
        config = parse({}, "prod").config
        assert config.database.writer_region is None
        assert config.writer_region == config.primary_region == "us-east-1"

    def test_a_secondary_region_of_a_global_database_is_accepted(self) -> None:
        config = parse({"database": {"writerRegion": "us-west-2"}}, "prod").config
        assert config.writer_region == "us-west-2"
        assert config.primary_region == "us-east-1"  # the primary keeps placing the rest

    def test_a_region_outside_the_stack_is_refused(self) -> None:
        raw = {"regions": ["us-east-1", "us-west-2"], "database": {"writerRegion": "eu-central-1"}}
        assert refuse(raw, "prod") == (
            "tap:database.writerRegion eu-central-1 is not one of tap:regions (us-east-1, "
            "us-west-2); name the region whose cluster is the writer now (`tap failover` prints "
            "it)"
        )

    def test_a_regional_cluster_cannot_move_its_writer(self) -> None:
        assert refuse({"database": {"writerRegion": "us-west-2"}}, "dev") == (
            "tap:database.writerRegion us-west-2 is not tap:primaryRegion (us-east-1), but "
            "tap:database.global is false: a regional cluster lives in the primary region and "
            "its writer cannot move to another region; remove the key"
        )

    def test_naming_the_primary_region_is_harmless_anywhere(self) -> None:
        assert parse({"database": {"writerRegion": "us-east-1"}}, "dev").config.writer_region == (
            "us-east-1"
        )

    def test_an_unsupported_region_is_refused_by_name(self) -> None:
        message = refuse({"database": {"writerRegion": "ap-south-1"}}, "prod")
        assert message.startswith("tap:database.writerRegion")
        assert "us-east-1" in message


class TestWriteForwardingConsistency:
    def test_session_by_default(self) -> None:
        assert parse({}, "prod").config.database.write_forwarding_consistency == "session"

    @pytest.mark.parametrize("mode", ["session", "eventual", "global"])
    def test_the_modes_aurora_offers(self, mode: str) -> None:
        raw = {"database": {"writeForwardingConsistency": mode}}
        assert parse(raw, "prod").config.database.write_forwarding_consistency == mode

    def test_the_modes_are_the_ones_the_function_accepts(self) -> None:
        from typing import get_args  # noqa: PLC0415

        from tap.config.database import WriteForwardingConsistency  # noqa: PLC0415
        from tap.functions.api.db import WRITE_FORWARDING_MODES  # noqa: PLC0415

        assert get_args(WriteForwardingConsistency) == WRITE_FORWARDING_MODES

    def test_off_is_refused(self) -> None:
        # OFF would turn write forwarding off in the session: the secondary's writes would fail.
        message = refuse({"database": {"writeForwardingConsistency": "off"}}, "prod")
        assert message.startswith("tap:database.writeForwardingConsistency")


class TestDataRegions:
    def test_a_regional_database_serves_the_primary_region_only(self) -> None:
        assert parse({}, "dev").config.data_regions == ("us-east-1",)
        assert parse({}, "staging").config.data_regions == ("us-east-1",)

    def test_a_global_database_serves_every_region(self) -> None:
        assert parse({}, "prod").config.data_regions == ("us-east-1", "us-west-2", "eu-central-1")


def test_tap_failover_prints_the_key_the_config_reads() -> None:
    from tap.failover import WRITER_REGION_KEY  # noqa: PLC0415

    namespace, _, path = WRITER_REGION_KEY.partition(":")
    section, key = path.split(".")
    assert namespace == "tap"
    config = parse({section: {key: "us-west-2"}}, "prod").config
    assert config.writer_region == "us-west-2"
