"""Versioned SQL migrations: one module for `tap db migrate` and the migration function.

The migrations are `migrations/NNNN_name.sql`, applied in version order. A run:

- takes a transaction-scoped advisory lock (`LOCK_KEY`), so concurrent runs queue and the later
  ones find nothing left to do;
- reads what was applied from `tap_migrations.history` and refuses to go on when an applied
  migration's file changed since (its SHA-256 is recorded);
- applies every pending migration in the same transaction, so a failing one leaves the schema
  exactly as it was (PostgreSQL's DDL is transactional). A migration must therefore not use
  statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY, VACUUM) or
  transaction control of its own.

Re-running is a no-op. A database ahead of this code (a rollback of the function) is reported,
not an error: migrations only add, so older code keeps working.

The migration function (`handler`) runs the same code inside the VPC at deploy, invoked by the
program with `{"migrationsHash": migrations_hash()}`, so a changed migration re-invokes it and a
stale function (older code than the deploy expects) refuses to run. It logs in with the cluster's
master secret (`db.resolve(admin=True)`). Any failure raises: the invocation, and so the deploy,
fails with the message.

Only the standard library at import time: the program imports `migrations_hash` at plan time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from . import db, jsonlog

if TYPE_CHECKING:
    from pg8000.native import Connection

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock's key: any fixed bigint, the same for every run against a database.
LOCK_KEY: Final = 0x7A9_0001
# How long a run waits for another run's lock before it gives up.
LOCK_TIMEOUT_SECONDS: Final = 120
# Every wait for the server during a run; DDL on a large table can take minutes. The function's
# own timeout bounds it in AWS.
IO_TIMEOUT_SECONDS: Final = 900.0
HISTORY_TABLE: Final = "tap_migrations.history"
_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql")


class MigrationError(Exception):
    """A migration could not be applied; nothing of this run was committed."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MigrationResult:
    applied: tuple[str, ...]
    version: int
    # Versions the database has that this code does not know (it is ahead of the code).
    unknown: tuple[int, ...] = ()

    def summary(self) -> str:
        if self.applied:
            count = len(self.applied)
            plural = "s" if count > 1 else ""
            text = f"applied {count} migration{plural}; now at version {self.version}"
        else:
            text = f"up to date at version {self.version}"
        if self.unknown:
            versions = ", ".join(f"{v:04d}" for v in self.unknown)
            text += f" (the database also has {versions}, which this code does not know)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": "applied" if self.applied else "up_to_date",
            "applied": list(self.applied),
            "version": self.version,
            "unknownVersions": list(self.unknown),
        }


def load_migrations(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """The migrations in `directory`, checked: names NNNN_name.sql, versions 1, 2, 3, ..."""
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        found = _FILE_NAME.fullmatch(path.name)
        if found is None:
            raise MigrationError(
                f"migration file {path.name} must be named NNNN_name.sql "
                "(four digits, then lower-case letters, digits and underscores)"
            )
        sql = path.read_text(encoding="utf-8")
        migrations.append(Migration(int(found["version"]), found["name"], sql))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise MigrationError(
                f"migration versions must run 1, 2, 3, ... without gaps or repeats; "
                f"{migration.label} is where {expected:04d} should be"
            )
    return tuple(migrations)


def migrations_hash(directory: Path = MIGRATIONS_DIR) -> str:
    """SHA-256 over every migration's label and checksum: changes when any migration does."""
    digest = hashlib.sha256()
    for migration in load_migrations(directory):
        digest.update(f"{migration.label} {migration.checksum}\n".encode())
    return digest.hexdigest()


def migrate(
    settings: db.Settings, login: db.Login, *, directory: Path = MIGRATIONS_DIR
) -> MigrationResult:
    """Apply the pending migrations in one transaction; see the module docstring."""
    migrations = load_migrations(directory)
    connection = db.connect(settings, login, io_timeout=IO_TIMEOUT_SECONDS)
    try:
        connection.run("BEGIN")
        result = _apply(connection, migrations)
        connection.run("COMMIT")
        return result
    except MigrationError:
        raise
    except Exception as error:
        from pg8000.exceptions import DatabaseError  # noqa: PLC0415

        if db.connection_lost(error):
            raise db.Unavailable(
                f"lost the connection to {settings.describe()} during the migration; "
                "nothing was committed"
            ) from None
        if isinstance(error, DatabaseError):
            raise MigrationError(
                f"the migration run failed: {db.server_message(error)}; nothing was applied"
            ) from None
        raise
    finally:
        _close(connection)


def _apply(connection: Connection, migrations: tuple[Migration, ...]) -> MigrationResult:
    from pg8000.exceptions import DatabaseError  # noqa: PLC0415

    try:
        # Migrations may run long; the API's statement timeout is not theirs.
        connection.run("SET LOCAL statement_timeout = 0")
        connection.run(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_SECONDS}s'")
        connection.run("SELECT pg_advisory_xact_lock(:key)", key=LOCK_KEY)
    except DatabaseError as error:
        if db.sqlstate(error) == "55P03":
            raise MigrationError(
                f"another migration run held the lock for more than {LOCK_TIMEOUT_SECONDS} s; "
                "nothing was applied"
            ) from None
        raise
    try:
        connection.run("CREATE SCHEMA IF NOT EXISTS tap_migrations")
        connection.run(
            f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = connection.run(f"SELECT version, name, checksum FROM {HISTORY_TABLE}")
    except DatabaseError as error:
        raise MigrationError(
            f"cannot read or create {HISTORY_TABLE}: {db.server_message(error)}"
        ) from None
    applied = {int(version): (name, checksum) for version, name, checksum in rows}
    known = {migration.version: migration for migration in migrations}
    for version, (name, checksum) in sorted(applied.items()):
        migration = known.get(version)
        if migration is not None and migration.checksum != checksum:
            raise MigrationError(
                f"migration {migration.label} changed after it was applied (applied as "
                f"{version:04d}_{name}, checksum {checksum[:12]}, now {migration.checksum[:12]}); "
                "never edit an applied migration: add a new one. Nothing was applied"
            )
    done: list[Migration] = []
    for migration in migrations:
        if migration.version in applied:
            continue
        try:
            connection.run(migration.sql)
        except DatabaseError as error:
            raise MigrationError(
                f"migration {migration.label} failed: {db.server_message(error)}; "
                "nothing was applied (the run rolled back)"
            ) from None
        connection.run(
            f"INSERT INTO {HISTORY_TABLE} (version, name, checksum) "
            "VALUES (:version, :name, :checksum)",
            version=migration.version,
            name=migration.name,
            checksum=migration.checksum,
        )
        done.append(migration)
    version = max([*applied, *(m.version for m in done)], default=0)
    unknown = tuple(sorted(set(applied) - set(known)))
    return MigrationResult(tuple(m.label for m in done), version, unknown)


def _close(connection: Connection) -> None:
    # An open transaction ends with the session: rolled back. It may already be gone.
    with contextlib.suppress(Exception):
        connection.close()


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point of the migration function (`tap.functions.api.migrate.handler`).

    Event: `{"migrationsHash": "<hex>"}` (see `migrations_hash`), optionally with the `tf`
    lifecycle field `aws.lambda_.Invocation` adds in its CRUD scope. Response: `to_dict()` of
    the result plus `migrationsHash`. Raises on any failure, so the invocation fails.
    """
    jsonlog.configure_level()
    event = event if isinstance(event, Mapping) else {}
    current = migrations_hash()
    lifecycle = event.get("tf")
    if isinstance(lifecycle, Mapping) and lifecycle.get("action") == "delete":
        return {"status": "skipped", "migrationsHash": current}
    expected = event.get("migrationsHash")
    if expected is not None and expected != current:
        raise MigrationError(
            f"this function carries migrations {current[:12]} but the deploy expects "
            f"{str(expected)[:12]}: the invocation ran before the function's code was updated"
        )
    resolved = db.resolve(admin=True)
    if resolved is None:
        raise MigrationError(
            f"no database configured: set {db.ENV_HOST}, {db.ENV_NAME} and "
            f"{db.ENV_ADMIN_SECRET} (or {db.ENV_DSN})"
        )
    settings, login = resolved
    try:
        result = migrate(settings, login)
    except (MigrationError, db.Unavailable) as error:
        jsonlog.log(
            logging.ERROR, "migration failed", database=settings.describe(), error=str(error)
        )
        raise
    jsonlog.log(logging.INFO, "migrations done", database=settings.describe(), **result.to_dict())
    return {**result.to_dict(), "migrationsHash": current}
