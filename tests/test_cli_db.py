"""`tap db migrate --dsn DSN` against the real server: output, idempotence, and one clear line
with a documented exit code for each failure."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tap import cli
from tests.conftest import PROJECT_DIR
from tests.postgres import SUPERUSER_PASSWORD, PostgresServer


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["db", "migrate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def no_ambient_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAP_DB_DSN", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)


def test_migrate_then_nothing_left(
    postgres: PostgresServer, fresh_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = postgres.dsn(fresh_database)
    code, out, err = run(capsys, "--dsn", dsn)
    assert (code, err) == (0, "")
    where = f"127.0.0.1:{postgres.port}/{fresh_database}"
    assert out == f"applied 0001_records\n{where}: applied 1 migration; now at version 1\n"
    code, out, _ = run(capsys, "--dsn", dsn)
    assert (code, out) == (0, f"{where}: up to date at version 1\n")
    assert SUPERUSER_PASSWORD not in out


def test_the_dsn_may_come_from_the_environment_and_the_password_from_pgpassword(
    postgres: PostgresServer,
    fresh_database: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dsn = postgres.dsn(fresh_database, password=None)
    monkeypatch.setenv("TAP_DB_DSN", dsn)
    monkeypatch.setenv("PGPASSWORD", SUPERUSER_PASSWORD)
    code, out, _ = run(capsys)
    assert code == 0 and "applied 0001_records" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "tap: error: give --dsn or set TAP_DB_DSN\n"),
        (
            ["--dsn", "host=h user=u password=hunter2 sslmode=prefer"],
            "tap: error: invalid DSN: sslmode=prefer may fall back to plain text; use require, "
            "verify-ca or verify-full (or disable, for a local server without TLS)\n",
        ),
        (
            ["--dsn", "postgresql://u@h:port/db"],
            "tap: error: invalid DSN: the DSN is not a valid URI: Port could not be cast to "
            "integer value as 'port'\n",
        ),
    ],
)
def test_a_bad_dsn_is_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run(capsys, *args) == (2, "", message)


def test_an_unreachable_server_is_exit_3(
    postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = postgres.dsn().replace(f"port={postgres.port}", "port=1")
    assert run(capsys, "--dsn", dsn) == (
        3,
        "",
        "tap: error: cannot connect to 127.0.0.1:1/postgres: Connection refused\n",
    )


def test_a_server_we_cannot_verify_is_exit_3(
    postgres: PostgresServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = postgres.dsn(sslrootcert=postgres.certificates.wrong_ca)
    code, out, err = run(capsys, "--dsn", dsn)
    assert (code, out) == (3, "")
    assert err == (
        f"tap: error: cannot connect to 127.0.0.1:{postgres.port}/postgres: "
        "TLS verification failed: unable to get local issuer certificate\n"
    )


def test_a_refused_migration_is_exit_1(
    postgres: PostgresServer, fresh_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = postgres.dsn(fresh_database)
    assert run(capsys, "--dsn", dsn)[0] == 0
    admin = postgres.admin(fresh_database)
    try:  # as if the applied migration's file had been edited since
        admin.run("UPDATE tap_migrations.history SET checksum = 'edited' WHERE version = 1")
    finally:
        admin.close()
    code, out, err = run(capsys, "--dsn", dsn)
    assert (code, out) == (1, "")
    assert err.startswith("tap: error: migration 0001_records changed after it was applied")
    assert err.count("\n") == 1


def test_the_real_command_prints_one_line_and_no_traceback(postgres: PostgresServer) -> None:
    dsn = postgres.dsn().replace(f"port={postgres.port}", "port=1")
    completed = subprocess.run(
        [sys.executable, "-m", "tap.cli", "db", "migrate", "--dsn", dsn],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_DIR,
        timeout=60,
    )
    assert completed.returncode == 3
    assert completed.stdout == ""
    assert completed.stderr == (
        "tap: error: cannot connect to 127.0.0.1:1/postgres: Connection refused\n"
    )
