"""Migrations against the real server: fresh, re-run, a failing one rolled back, concurrency,
changed files, the role and its grants, and the migration function's contract."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tap.functions.api import db, migrate
from tests.postgres import PostgresServer

REPO_MIGRATIONS = migrate.MIGRATIONS_DIR


def settings_for(postgres: PostgresServer, database: str) -> tuple[db.Settings, db.StaticLogin]:
    return db.parse_dsn(postgres.dsn(database), {})


def query(postgres: PostgresServer, database: str, sql: str, **params: Any) -> list[list[Any]]:
    admin = postgres.admin(database)
    try:
        return list(admin.run(sql, **params) or [])
    finally:
        admin.close()


def migrations_dir(tmp_path: Path, **extra: str) -> Path:
    """The repo's migrations plus `extra` files (name -> SQL)."""
    directory = tmp_path / "migrations"
    shutil.copytree(REPO_MIGRATIONS, directory)
    for name, sql in extra.items():
        (directory / name).write_text(sql)
    return directory


def schema_objects(postgres: PostgresServer, database: str) -> list[list[Any]]:
    return query(
        postgres,
        database,
        "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tap%' ORDER BY nspname",
    )


# --------------------------------------------------------------------------- files and hash


def test_the_repo_migrations_are_numbered_from_one() -> None:
    migrations = migrate.load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].label == "0001_records"


def test_the_hash_is_stable_and_follows_every_change(tmp_path: Path) -> None:
    digest = migrate.migrations_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert migrate.migrations_hash() == digest
    directory = migrations_dir(tmp_path)
    assert migrate.migrations_hash(directory) == digest  # the content, not the location
    sql = directory / "0001_records.sql"
    sql.write_text(sql.read_text() + "\n-- a comment is a change too\n")
    assert migrate.migrations_hash(directory) != digest
    (directory / "0002_more.sql").write_text("SELECT 1;")
    assert len({digest, migrate.migrations_hash(directory)}) == 2


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["1_records.sql"], "migration file 1_records.sql must be named NNNN_name.sql"),
        (["0001_Records.sql"], "must be named NNNN_name.sql"),
        (["0002_second.sql"], "0002_second is where 0001 should be"),
        (["0001_a.sql", "0001_b.sql"], "0001_b is where 0002 should be"),
        (["0001_a.sql", "0003_c.sql"], "0003_c is where 0002 should be"),
    ],
)
def test_badly_numbered_migrations_are_refused(
    tmp_path: Path, files: list[str], message: str
) -> None:
    for name in files:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(migrate.MigrationError) as error:
        migrate.load_migrations(tmp_path)
    assert message in str(error.value)


def test_the_migration_creates_the_role_the_api_logs_in_as() -> None:
    sql = (REPO_MIGRATIONS / "0001_records.sql").read_text()
    assert f"CREATE ROLE {db.APP_ROLE} LOGIN" in sql


# --------------------------------------------------------------------------- applying


def test_a_fresh_database_gets_every_migration(
    postgres: PostgresServer, fresh_database: str
) -> None:
    result = migrate.migrate(*settings_for(postgres, fresh_database))
    assert result == migrate.MigrationResult(("0001_records",), 1)
    assert result.summary() == "applied 1 migration; now at version 1"
    assert schema_objects(postgres, fresh_database) == [["tap"], ["tap_migrations"]]
    history = query(
        postgres, fresh_database, "SELECT version, name, checksum FROM tap_migrations.history"
    )
    assert history == [[1, "records", migrate.load_migrations()[0].checksum]]


def test_the_app_role_may_read_and_insert_records_and_nothing_more(
    postgres: PostgresServer, fresh_database: str
) -> None:
    migrate.migrate(*settings_for(postgres, fresh_database))
    privileges = query(
        postgres,
        fresh_database,
        "SELECT p, has_table_privilege('tap_app', 'tap.records', p) "
        "FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES',"
        " 'TRIGGER']) AS p",
    )
    assert dict(privileges) == {
        "SELECT": True,
        "INSERT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
        "REFERENCES": False,
        "TRIGGER": False,
    }
    assert query(
        postgres,
        fresh_database,
        "SELECT has_schema_privilege('tap_app', 'tap', 'USAGE'),"
        " has_schema_privilege('tap_app', 'tap', 'CREATE'),"
        " has_schema_privilege('tap_app', 'tap_migrations', 'USAGE'),"
        " has_database_privilege('tap_app', current_database(), 'CONNECT')",
    ) == [[True, False, False, True]]
    role = query(
        postgres,
        fresh_database,
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls, rolpassword "
        "FROM pg_authid WHERE rolname = 'tap_app'",
    )
    assert role[0][:5] == [True, False, False, False, False]


def test_on_plain_postgresql_there_is_no_rds_iam_to_grant(
    postgres: PostgresServer, fresh_database: str
) -> None:
    migrate.migrate(*settings_for(postgres, fresh_database))
    assert query(postgres, fresh_database, "SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'") == []


def test_on_rds_the_app_role_gets_rds_iam(postgres: PostgresServer, fresh_database: str) -> None:
    # RDS and Aurora ship the rds_iam role; here we stand one in, then take it away again.
    query(postgres, fresh_database, "CREATE ROLE rds_iam NOLOGIN")
    try:
        migrate.migrate(*settings_for(postgres, fresh_database))
        assert query(
            postgres, fresh_database, "SELECT pg_has_role('tap_app', 'rds_iam', 'MEMBER')"
        ) == [[True]]
    finally:
        query(postgres, fresh_database, "DROP ROLE rds_iam")


def test_re_running_is_a_no_op(postgres: PostgresServer, fresh_database: str) -> None:
    settings = settings_for(postgres, fresh_database)
    migrate.migrate(*settings)
    before = query(
        postgres, fresh_database, "SELECT version, applied_at FROM tap_migrations.history"
    )
    again = migrate.migrate(*settings)
    assert again == migrate.MigrationResult((), 1)
    assert again.summary() == "up to date at version 1"
    assert (
        query(postgres, fresh_database, "SELECT version, applied_at FROM tap_migrations.history")
        == before
    )


def test_a_failing_migration_leaves_the_schema_as_it_was(
    postgres: PostgresServer, fresh_database: str, tmp_path: Path
) -> None:
    broken = migrations_dir(
        tmp_path, **{"0002_broken.sql": "CREATE TABLE tap.extra (x int);\nSELECT 1 / 0;\n"}
    )
    settings = settings_for(postgres, fresh_database)
    with pytest.raises(migrate.MigrationError) as error:
        migrate.migrate(*settings, directory=broken)
    assert str(error.value) == (
        "migration 0002_broken failed: ERROR 22012: division by zero; "
        "nothing was applied (the run rolled back)"
    )
    # 0001 ran in the same transaction: nothing of the run is left, not even the history table.
    assert schema_objects(postgres, fresh_database) == []
    (broken / "0002_broken.sql").write_text("CREATE TABLE tap.extra (x int);\n")
    result = migrate.migrate(*settings, directory=broken)
    assert result.applied == ("0001_records", "0002_broken")


def test_an_applied_migration_must_not_change(
    postgres: PostgresServer, fresh_database: str, tmp_path: Path
) -> None:
    settings = settings_for(postgres, fresh_database)
    directory = migrations_dir(tmp_path, **{"0002_more.sql": "CREATE TABLE tap.more (x int);"})
    migrate.migrate(*settings, directory=directory)
    (directory / "0002_more.sql").write_text("CREATE TABLE tap.more (x bigint);")
    (directory / "0003_next.sql").write_text("CREATE TABLE tap.next (x int);")
    with pytest.raises(migrate.MigrationError) as error:
        migrate.migrate(*settings, directory=directory)
    assert "migration 0002_more changed after it was applied" in str(error.value)
    assert "never edit an applied migration: add a new one" in str(error.value)
    assert query(postgres, fresh_database, "SELECT to_regclass('tap.next')") == [[None]]


def test_a_database_ahead_of_the_code_is_reported_not_refused(
    postgres: PostgresServer, fresh_database: str, tmp_path: Path
) -> None:
    settings = settings_for(postgres, fresh_database)
    newer = migrations_dir(tmp_path, **{"0002_more.sql": "CREATE TABLE tap.more (x int);"})
    migrate.migrate(*settings, directory=newer)
    result = migrate.migrate(*settings)  # the repo's migrations: only 0001
    assert result == migrate.MigrationResult((), 2, (2,))
    assert result.summary() == (
        "up to date at version 2 (the database also has 0002, which this code does not know)"
    )


def test_concurrent_runs_are_serialised(
    postgres: PostgresServer, fresh_database: str, tmp_path: Path
) -> None:
    # A slow second migration keeps the first run inside its transaction while the other waits.
    directory = migrations_dir(
        tmp_path, **{"0002_slow.sql": "SELECT pg_sleep(1);\nCREATE TABLE tap.slow (x int);\n"}
    )
    settings = settings_for(postgres, fresh_database)
    results: list[migrate.MigrationResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(migrate.migrate(*settings, directory=directory))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r.applied for r in results) == [(), (), ("0001_records", "0002_slow")]
    assert {r.version for r in results} == {2}
    history = query(
        postgres, fresh_database, "SELECT version FROM tap_migrations.history ORDER BY 1"
    )
    assert history == [[1], [2]]


def test_a_run_gives_up_on_a_lock_held_too_long(
    postgres: PostgresServer, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrate, "LOCK_TIMEOUT_SECONDS", 1)
    holder = postgres.admin(fresh_database)
    try:
        holder.run("SELECT pg_advisory_lock(:key)", key=migrate.LOCK_KEY)
        with pytest.raises(migrate.MigrationError) as error:
            migrate.migrate(*settings_for(postgres, fresh_database))
    finally:
        holder.close()
    assert str(error.value) == (
        "another migration run held the lock for more than 1 s; nothing was applied"
    )
    assert schema_objects(postgres, fresh_database) == []


def test_an_unreachable_server_is_unavailable(postgres: PostgresServer) -> None:
    settings, login = db.parse_dsn(postgres.dsn().replace(f"port={postgres.port}", "port=1"), {})
    with pytest.raises(db.Unavailable) as error:
        migrate.migrate(settings, login)
    assert str(error.value) == "cannot connect to 127.0.0.1:1/postgres: Connection refused"


# --------------------------------------------------------------------------- the function


@pytest.fixture
def function_env(
    postgres: PostgresServer, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    monkeypatch.setenv("TAP_DB_DSN", postgres.dsn(fresh_database))
    yield fresh_database


def test_the_function_applies_then_reports_up_to_date(function_env: str) -> None:
    digest = migrate.migrations_hash()
    first = migrate.handler({"migrationsHash": digest}, None)
    assert first == {
        "status": "applied",
        "applied": ["0001_records"],
        "version": 1,
        "unknownVersions": [],
        "migrationsHash": digest,
    }
    second = migrate.handler({"migrationsHash": digest}, None)
    assert second["status"] == "up_to_date" and second["applied"] == []


def test_the_function_refuses_a_stale_code_version(
    function_env: str, postgres: PostgresServer
) -> None:
    with pytest.raises(migrate.MigrationError) as error:
        migrate.handler({"migrationsHash": "0" * 64}, None)
    assert "the invocation ran before the function's code was updated" in str(error.value)
    assert schema_objects(postgres, function_env) == []


def test_the_function_does_nothing_when_the_invocation_is_deleted(
    function_env: str, postgres: PostgresServer
) -> None:
    event = {"migrationsHash": "0" * 64, "tf": {"action": "delete", "prev_input": {}}}
    assert migrate.handler(event, None) == {
        "status": "skipped",
        "migrationsHash": migrate.migrations_hash(),
    }
    assert schema_objects(postgres, function_env) == []


def test_the_function_without_settings_fails_naming_them(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TAP_DB_DSN", "TAP_DB_HOST"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(migrate.MigrationError) as error:
        migrate.handler({}, None)
    assert str(error.value) == (
        "no database configured: set TAP_DB_HOST, TAP_DB_NAME and TAP_DB_ADMIN_SECRET_ARN "
        "(or TAP_DB_DSN)"
    )


def test_the_function_fails_the_invocation_on_an_unreachable_server(
    monkeypatch: pytest.MonkeyPatch, postgres: PostgresServer
) -> None:
    monkeypatch.setenv("TAP_DB_DSN", postgres.dsn().replace(f"port={postgres.port}", "port=1"))
    with pytest.raises(db.Unavailable):
        migrate.handler({"migrationsHash": migrate.migrations_hash()}, None)
