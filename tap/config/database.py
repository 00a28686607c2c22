"""`tap:database` (Aurora PostgreSQL) and `tap:storage` (the data buckets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from tap import aurora, awsdata
from tap.aurora import (
    NAME_PATTERN,
    EngineVersionRequest,
    since_text,
    supports_scale_to_zero,
    supports_serverless_v2,
)
from tap.config.base import SUPPORTED_REGIONS, Model, Region, full_match
from tap.config.errors import KeyedError
from tap.limits import (
    AURORA_ACU_STEP,
    AURORA_BURSTABLE_CLASS_PREFIX,
    AURORA_MAX_ACU,
    AURORA_MAX_BACKUP_RETENTION_DAYS,
    AURORA_MAX_INSTANCES,
    AURORA_MIN_BACKUP_RETENTION_DAYS,
    AURORA_MIN_MAX_ACU,
    AURORA_MONITORING_INTERVALS,
    AURORA_NAME_MAX_LENGTH,
    AURORA_RESERVED_USERNAMES,
    AURORA_SCALE_TO_ZERO_SINCE,
    AURORA_SERVERLESS_CLASS,
    AURORA_SERVERLESS_V2_SINCE,
    POSTGRES_MAX_INT,
)

LogStatement = Literal["none", "ddl", "mod", "all"]  # tap.aurora.LOG_STATEMENTS
# apg_write_forward.consistency_mode of the API's sessions on a global secondary; the function
# package lists the same modes (tap.functions.api.db.WRITE_FORWARDING_MODES, a test keeps them
# equal).
WriteForwardingConsistency = Literal["session", "eventual", "global"]


def _key(field: str) -> tuple[str, str]:
    return ("database", field)


def _version_text(value: Any) -> Any:
    # An unquoted major (16) is unambiguous; an unquoted 16.10 is the number 16.1 to YAML.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        raise ValueError(
            f"{value!r} is a number to YAML, which drops trailing zeros (16.10 reads as 16.1); "
            'quote the version, e.g. "16.10"'
        )
    return value


class DatabaseConfig(Model):
    """`tap:database`: Aurora PostgreSQL, a regional cluster or a global database."""

    engine_version: Annotated[str, BeforeValidator(_version_text)]
    """Aurora PostgreSQL major version (`"17"`) or minimum (`"16.8"`: that major, at least that
    minor; quote it, YAML reads 16.10 as 16.1). The deploy creates the cluster with the newest
    release AWS offers in that major; the minimum must be a release AWS's data knows.
    """
    instance_class: str
    """`db.serverless` (Serverless v2) or a provisioned class RDS can order for Aurora PostgreSQL
    in every region of the stack (AWS's published data), such as `db.r6g.large`.
    """
    instance_count: Annotated[int, Field(ge=1, le=AURORA_MAX_INSTANCES)]
    """Instances per cluster: a writer and up to 15 readers; prod spreads them over AZs."""
    serverless_min_capacity: Annotated[
        float, Field(ge=0, le=AURORA_MAX_ACU, multiple_of=AURORA_ACU_STEP)
    ]
    """Serverless v2 minimum ACUs in steps of 0.5; 0 (scale to zero) needs 13.15, 14.12, 15.7, 16.3
    or 17.4 and later.
    """
    serverless_max_capacity: Annotated[
        float, Field(ge=AURORA_MIN_MAX_ACU, le=AURORA_MAX_ACU, multiple_of=AURORA_ACU_STEP)
    ]
    """Serverless v2 maximum ACUs in steps of 0.5, not below the minimum."""
    backup_retention_days: Annotated[
        int, Field(ge=AURORA_MIN_BACKUP_RETENTION_DAYS, le=AURORA_MAX_BACKUP_RETENTION_DAYS)
    ]
    """Automated backup retention; at least 7 in prod."""
    global_database: bool = Field(alias="global")
    """An Aurora Global Database: the primary region's cluster plus a secondary in every other
    region. Needs two or more regions and a non-burstable instance class.
    """
    log_statement: LogStatement
    """PostgreSQL `log_statement`."""
    log_min_duration_statement_ms: Annotated[int, Field(ge=-1, le=POSTGRES_MAX_INT)]
    """PostgreSQL `log_min_duration_statement` in ms; -1 turns it off."""
    performance_insights: bool
    """Performance Insights, encrypted with the region's key."""
    monitoring_interval: int
    """Enhanced monitoring interval in seconds: 0 (off), 1, 5, 10, 15, 30 or 60."""
    master_username: str
    """Letters, digits and underscores, starting with a letter; not a default name (postgres,
    admin, root, master, rdsadmin). The password is never configured: RDS or Secrets Manager
    keeps it.
    """
    database_name: str
    """The initial database: letters, digits and underscores, starting with a letter."""
    writer_region: Region | None = None
    """The region whose cluster is the global database's writer now: set it after `tap failover`
    moved the writer (docs/runbook.md, "Moving the writer"). One of `regions`; defaults to
    `primaryRegion`. Only a global database has a writer to move.
    """
    write_forwarding_consistency: WriteForwardingConsistency = "session"
    """Read consistency of the API on a global secondary, whose writes Aurora forwards to the
    writer (`apg_write_forward.consistency_mode`): `session` (a connection reads its own
    writes), `global` (every read waits until the region has caught up with the writer: slower)
    or `eventual` (no waiting).
    """

    @property
    def engine(self) -> EngineVersionRequest:
        return EngineVersionRequest.parse(self.engine_version)

    @property
    def engine_major(self) -> int:
        return self.engine.major

    @property
    def serverless(self) -> bool:
        return self.instance_class == AURORA_SERVERLESS_CLASS

    @field_validator("engine_version")
    @classmethod
    def _offered_engine_version(cls, value: str) -> str:
        majors = ", ".join(map(str, aurora.offered_majors()))
        try:
            request = EngineVersionRequest.parse(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is not an Aurora PostgreSQL version; use a major version (one of "
                f"{majors}) or a minimum such as 16.8"
            ) from None
        if request.major not in aurora.offered_majors():
            raise ValueError(
                f"{value!r}: AWS offers no Aurora PostgreSQL {request.major} release for new "
                f"clusters; use one of the majors {majors} ({awsdata.source()})"
            )
        if request.minimum_minor is not None and str(request) not in aurora.known_releases():
            raise ValueError(
                f"{value!r} is not an Aurora PostgreSQL release; releases AWS offers in "
                f"{request.major}: {_offered_in(request.major)} ({awsdata.source()})"
            )
        if aurora.newest_offered(request) is None:
            raise ValueError(
                f"{value!r}: AWS offers no release of {request.major} at or after it for new "
                f"clusters; offered: {_offered_in(request.major)} ({awsdata.source()})"
            )
        return value

    @field_validator("instance_class")
    @classmethod
    def _known_instance_class(cls, value: str) -> str:
        known = set().union(*map(awsdata.aurora_postgresql_instance_classes, SUPPORTED_REGIONS))
        if value not in known:
            raise ValueError(
                f"{value!r} is not an instance class RDS offers for Aurora PostgreSQL; use "
                "db.serverless (Serverless v2) or a provisioned class such as db.r6g.large, "
                f"db.r7g.xlarge or db.t4g.medium ({awsdata.source()})"
            )
        return value

    @field_validator("monitoring_interval")
    @classmethod
    def _valid_monitoring_interval(cls, value: int) -> int:
        if value not in AURORA_MONITORING_INTERVALS:
            allowed = ", ".join(map(str, AURORA_MONITORING_INTERVALS))
            raise ValueError(
                f"{value} is not an enhanced-monitoring interval; use one of {allowed} "
                "(0 turns it off)"
            )
        return value

    @field_validator("master_username")
    @classmethod
    def _valid_master_username(cls, value: str) -> str:
        _check_name(value)
        if value.lower() in AURORA_RESERVED_USERNAMES:
            raise ValueError(
                f"{value!r} is a default or reserved name; choose a non-default master "
                "username (e.g. tap_admin)"
            )
        return value

    @field_validator("database_name")
    @classmethod
    def _valid_database_name(cls, value: str) -> str:
        _check_name(value)
        return value

    @model_validator(mode="after")
    def _serverless_capacity(self) -> DatabaseConfig:
        if not self.serverless:
            return self
        if self.serverless_min_capacity > self.serverless_max_capacity:
            raise KeyedError(
                _key("serverlessMinCapacity"),
                f"{self.serverless_min_capacity:g} is above tap:database.serverlessMaxCapacity "
                f"{self.serverless_max_capacity:g}; the minimum must not exceed the maximum",
            )
        resolved = aurora.newest_offered(self.engine)
        assert resolved is not None  # the engine_version validator guarantees a release
        if not supports_serverless_v2(resolved):
            raise KeyedError(
                _key("instanceClass"),
                f"db.serverless needs Aurora PostgreSQL {since_text(AURORA_SERVERLESS_V2_SINCE)} "
                f"or later in its major; tap:database.engineVersion {self.engine_version} "
                f"resolves to {resolved}, so use a provisioned class or a newer major",
            )
        if self.serverless_min_capacity == 0 and not supports_scale_to_zero(resolved):
            raise KeyedError(
                _key("serverlessMinCapacity"),
                "0 (scale to zero) needs Aurora PostgreSQL "
                f"{since_text(AURORA_SCALE_TO_ZERO_SINCE)} or later in its major version; "
                f"tap:database.engineVersion is {self.engine_version} (resolves to {resolved}), "
                "so use a minimum of 0.5 or a newer version",
            )
        return self

    def check_for_stack(
        self,
        *,
        is_prod: bool,
        regions: Sequence[str],
        primary_region: str,
        min_prod_backup: int,
    ) -> None:
        """The rules that depend on the rest of the stack: environment and regions."""
        self._check_writer_region(regions, primary_region)
        if is_prod and self.backup_retention_days < min_prod_backup:
            raise KeyedError(
                _key("backupRetentionDays"),
                f"{self.backup_retention_days} is below the prod minimum; use "
                f"{min_prod_backup} to {AURORA_MAX_BACKUP_RETENTION_DAYS} days",
            )
        if self.global_database and len(regions) < 2:
            raise KeyedError(
                _key("global"),
                "is true but tap:regions lists one region; a global database needs a primary "
                "and at least one secondary region",
            )
        if self.global_database and self.instance_class.startswith(AURORA_BURSTABLE_CLASS_PREFIX):
            raise KeyedError(
                _key("instanceClass"),
                f"{self.instance_class} is burstable, and Aurora global databases do not support "
                "burstable classes; use a memory-optimized class (db.r6g.large or larger) or "
                "db.serverless",
            )
        missing = [
            r
            for r in regions
            if self.instance_class not in awsdata.aurora_postgresql_instance_classes(r)
        ]
        if missing:
            raise KeyedError(
                _key("instanceClass"),
                f"{self.instance_class} cannot be ordered for Aurora PostgreSQL in "
                f"{', '.join(missing)}; every region of the stack runs the same class, so choose "
                f"one offered in all of {', '.join(regions)} ({awsdata.source()})",
            )

    def _check_writer_region(self, regions: Sequence[str], primary_region: str) -> None:
        writer = self.writer_region
        if writer is None:
            return
        if writer not in regions:
            raise KeyedError(
                _key("writerRegion"),
                f"{writer} is not one of tap:regions ({', '.join(regions)}); name the region "
                "whose cluster is the writer now (`tap failover` prints it)",
            )
        if writer != primary_region and not self.global_database:
            raise KeyedError(
                _key("writerRegion"),
                f"{writer} is not tap:primaryRegion ({primary_region}), but tap:database.global "
                "is false: a regional cluster lives in the primary region and its writer cannot "
                "move to another region; remove the key",
            )


def _offered_in(major: int) -> str:
    return ", ".join(v for v in aurora.offered_versions() if v.startswith(f"{major}.")) or "none"


def _check_name(value: str) -> None:
    if not full_match(NAME_PATTERN, value):
        raise ValueError(
            f"{value!r} is not allowed; use 1-{AURORA_NAME_MAX_LENGTH} letters, digits and "
            "underscores, starting with a letter"
        )


class StorageConfig(Model):
    """`tap:storage`: the data bucket in the primary region and its replicas."""

    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)]
    """Days before noncurrent object versions expire."""
    abort_incomplete_multipart_days: Annotated[int, Field(ge=1, le=30)]
    """Days before incomplete multipart uploads are aborted."""
    replication_time_control: bool
    """S3 Replication Time Control (15-minute SLA) and replication metrics."""
