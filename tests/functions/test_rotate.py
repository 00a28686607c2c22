"""Master-secret rotation against the real PostgreSQL server and Secrets Manager (a moto server).

The master user's password is rotated by tap.functions.api.rotate's four steps, as Secrets
Manager would invoke them. Afterwards the old password is refused, the new one logs in, and the
API (logging in as tap_app) served every request before, between and after the steps.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.server import ThreadedMotoServer
from pg8000.exceptions import DatabaseError

from tap.functions.api import db
from tap.functions.api import handler as api
from tap.functions.api.rotate import (
    CURRENT,
    PENDING,
    PREVIOUS,
    RotationError,
    handler,
    scram_sha_256_verifier,
)
from tests.functions.test_handler import LambdaContext, api_event
from tests.postgres import PostgresServer

REGION = "us-east-1"
MASTER = "tap_admin"
OLD_PASSWORD = "old-master-password-0123456789"
LOGGER = "tap.functions.api.rotate"


@pytest.fixture(scope="module")
def secrets() -> Iterator[Any]:
    """A Secrets Manager client on a moto server of its own, on 127.0.0.1."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    assert server._server is not None
    try:
        yield boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        ).client(
            "secretsmanager",
            endpoint_url=f"http://127.0.0.1:{server._server.server_port}",
        )
    finally:
        server.stop()


@pytest.fixture
def master(postgres: PostgresServer, app_database: str) -> Iterator[str]:
    """A master user with CREATEROLE (like Aurora's), holding OLD_PASSWORD."""
    role = f"{MASTER}_{uuid.uuid4().hex[:8]}"
    postgres.admin_run(
        app_database,
        f"CREATE ROLE {role} LOGIN CREATEROLE PASSWORD '{OLD_PASSWORD}'",
        f'GRANT CONNECT ON DATABASE "{app_database}" TO {role}',
    )
    yield role
    # DROP OWNED removes its CONNECT grant, so the role can go.
    postgres.admin_run(
        app_database,
        f"DROP OWNED BY {role}",
        f"DROP ROLE {role}",
    )


@pytest.fixture
def secret(secrets: Any, master: str) -> Iterator[str]:
    arn = secrets.create_secret(
        Name=f"tap-test-use1-aurora-master-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps(
            {"engine": "postgres", "port": 5432, "username": master, "password": OLD_PASSWORD}
        ),
    )["ARN"]
    yield arn
    secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


@pytest.fixture
def environ(postgres: PostgresServer, app_database: str, secret: str) -> dict[str, str]:
    """The rotation function's settings: the server, verified TLS, the secret's ARN."""
    return {
        db.ENV_DSN: postgres.dsn(app_database, user="ignored", password=None),
        db.ENV_REGION: REGION,
    }


@pytest.fixture(autouse=True)
def api_env(
    postgres: PostgresServer, app_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("TAP_DB_DSN", postgres.app_dsn(app_database))
    monkeypatch.setenv("TAP_REGION", REGION)
    monkeypatch.setenv("TAP_ENVIRONMENT", "test")
    monkeypatch.setenv("TAP_VERSION", "1.2.3")
    for name in ("TAP_DB_HOST", "TAP_DB_WRITE_FORWARDING", "TAP_LOG_LEVEL", "PGPASSWORD"):
        monkeypatch.delenv(name, raising=False)
    api.reset()
    yield
    api.reset()


def logs_in(postgres: PostgresServer, database: str, user: str, password: str) -> bool:
    settings, _ = db.parse_dsn(postgres.dsn(database, user=user, password=password))
    try:
        connection = db.connect(settings, db.StaticLogin(user, password))
    except db.Unavailable:
        return False
    connection.close()
    return True


def api_serves() -> None:
    """A write and its read through the API handler, as tap_app."""
    response = api.handler(
        api_event("POST", "/records", body=json.dumps({"type": "rotation", "payload": {}})),
        LambdaContext(),
    )
    assert response["statusCode"] == 201, response["body"]
    record_id = json.loads(response["body"])["id"]
    read = api.handler(api_event("GET", f"/records/{record_id}"), LambdaContext())
    assert read["statusCode"] == 200, read["body"]


def step(secret: str, token: str, name: str, secrets: Any, environ: dict[str, str]) -> Any:
    event = {"SecretId": secret, "ClientRequestToken": token, "Step": name}
    return handler(event, client=secrets, environ=environ)


def start_rotation(secrets: Any, secret: str) -> str:
    """RotateSecret: Secrets Manager enables rotation, adds an AWSPENDING version without a value
    under a new token, and invokes the function. moto does the first two, then fails to find the
    function (it cannot run it), so the test plays Secrets Manager and invokes the steps."""
    token = str(uuid.uuid4())
    with pytest.raises(secrets.exceptions.ResourceNotFoundException, match="function:rotation"):
        secrets.rotate_secret(
            SecretId=secret,
            ClientRequestToken=token,
            RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:rotation",
            RotationRules={"AutomaticallyAfterDays": 30},
        )
    assert stages(secrets, secret)[token] == [PENDING]
    return token


def rotate(secrets: Any, secret: str, environ: dict[str, str], between: Any = None) -> str:
    token = start_rotation(secrets, secret)
    for name in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        if between:
            between()
        step(secret, token, name, secrets, environ)
    return token


def step_create(secrets: Any, secret: str, token: str, environ: dict[str, str]) -> None:
    step(secret, token, "createSecret", secrets, environ)


def stages(secrets: Any, secret: str) -> dict[str, list[str]]:
    return dict(secrets.describe_secret(SecretId=secret)["VersionIdsToStages"])


def password_at(secrets: Any, secret: str, stage: str) -> str:
    value = secrets.get_secret_value(SecretId=secret, VersionStage=stage)["SecretString"]
    return str(json.loads(value)["password"])


# --- the whole rotation ------------------------------------------------------------------------


def test_after_a_rotation_the_old_password_fails_the_new_one_works_and_the_api_serves(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    assert logs_in(postgres, app_database, master, OLD_PASSWORD)
    api_serves()
    token = rotate(secrets, secret, environ, between=api_serves)
    api_serves()

    new_password = password_at(secrets, secret, CURRENT)
    assert new_password != OLD_PASSWORD
    assert len(new_password) == 32
    assert logs_in(postgres, app_database, master, new_password)
    assert not logs_in(postgres, app_database, master, OLD_PASSWORD)
    assert stages(secrets, secret)[token] == [CURRENT]
    assert password_at(secrets, secret, PREVIOUS) == OLD_PASSWORD
    # The other fields of the secret are kept.
    current = json.loads(
        secrets.get_secret_value(SecretId=secret, VersionStage=CURRENT)["SecretString"]
    )
    assert current == {
        "engine": "postgres",
        "port": 5432,
        "username": master,
        "password": new_password,
    }


def test_a_second_rotation_works_from_the_first_ones_password(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    rotate(secrets, secret, environ)
    first = password_at(secrets, secret, CURRENT)
    rotate(secrets, secret, environ)
    second = password_at(secrets, secret, CURRENT)
    assert len({OLD_PASSWORD, first, second}) == 3
    assert logs_in(postgres, app_database, master, second)
    assert not logs_in(postgres, app_database, master, first)


def test_the_server_never_receives_the_password_in_clear(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    # Log every statement of the master user, as Aurora's log_statement = ddl would its ALTER.
    postgres.admin_run(app_database, f"ALTER ROLE {master} SET log_statement = 'all'")
    rotate(secrets, secret, environ)
    new_password = password_at(secrets, secret, CURRENT)
    log = postgres.logfile.read_text(errors="replace")
    assert f"ALTER ROLE {master} PASSWORD 'SCRAM-SHA-256$4096:" in log
    assert new_password not in log
    stored = postgres.admin_run(
        app_database, "SELECT rolpassword FROM pg_authid WHERE rolname = :r", r=master
    )
    assert stored[0][0].startswith("SCRAM-SHA-256$4096:")


# --- idempotence and refusals ------------------------------------------------------------------


def test_every_step_can_be_repeated(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    token = start_rotation(secrets, secret)
    step_create(secrets, secret, token, environ)
    pending = password_at(secrets, secret, PENDING)
    step_create(secrets, secret, token, environ)
    assert password_at(secrets, secret, PENDING) == pending  # not a second new password
    for name in ("setSecret", "setSecret", "testSecret", "testSecret", "finishSecret"):
        step(secret, token, name, secrets, environ)
    assert step(secret, token, "finishSecret", secrets, environ)["status"] == "already-current"
    assert logs_in(postgres, app_database, master, pending)


def test_after_a_restore_from_an_older_snapshot_rotation_logs_in_with_the_previous_password(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    rotate(secrets, secret, environ)
    # A cluster restored from a backup taken before that rotation has the old password, which
    # is now AWSPREVIOUS; the next rotation must still get in.
    postgres.admin_run(app_database, f"ALTER ROLE {master} PASSWORD '{OLD_PASSWORD}'")
    assert password_at(secrets, secret, PREVIOUS) == OLD_PASSWORD
    rotate(secrets, secret, environ)
    assert logs_in(postgres, app_database, master, password_at(secrets, secret, CURRENT))
    assert not logs_in(postgres, app_database, master, OLD_PASSWORD)


def test_set_secret_refuses_when_no_known_password_logs_in(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    postgres.admin_run(
        app_database, f"ALTER ROLE {master} PASSWORD 'changed-behind-the-secrets-back'"
    )
    token = start_rotation(secrets, secret)
    step_create(secrets, secret, token, environ)
    with pytest.raises(RotationError, match=f"cannot log in as {master} with the current"):
        step(secret, token, "setSecret", secrets, environ)


def test_test_secret_fails_when_the_pending_password_was_never_set(
    master: str, secrets: Any, secret: str, environ: dict[str, str]
) -> None:
    token = start_rotation(secrets, secret)
    step_create(secrets, secret, token, environ)
    with pytest.raises(RotationError, match=r"does not log .* in"):
        step(secret, token, "testSecret", secrets, environ)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"ClientRequestToken": "t", "Step": "setSecret"}, "the rotation event has no SecretId"),
        ({"SecretId": "s", "ClientRequestToken": "t", "Step": "dance"}, "unknown rotation step"),
    ],
)
def test_malformed_events_are_refused(event: dict[str, str], message: str) -> None:
    with pytest.raises(RotationError, match=message):
        handler(event, client=object(), environ={})


def test_a_token_that_is_neither_pending_nor_current_is_refused(
    secrets: Any, secret: str, environ: dict[str, str]
) -> None:
    start_rotation(secrets, secret)
    with pytest.raises(RotationError, match="does not exist"):
        step(secret, str(uuid.uuid4()), "setSecret", secrets, environ)


def test_rotation_must_be_enabled(secrets: Any, master: str, environ: dict[str, str]) -> None:
    arn = secrets.create_secret(
        Name=f"plain-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({"username": master, "password": OLD_PASSWORD}),
    )["ARN"]
    with pytest.raises(RotationError, match="rotation is not enabled"):
        step(arn, str(uuid.uuid4()), "createSecret", secrets, environ)


def test_without_database_settings_the_step_says_which_is_missing(
    master: str, secrets: Any, secret: str
) -> None:
    token = start_rotation(secrets, secret)
    step_create(secrets, secret, token, {db.ENV_REGION: REGION})
    with pytest.raises(RotationError, match="TAP_DB_HOST is not set"):
        step(secret, token, "setSecret", secrets, {db.ENV_REGION: REGION})


# --- the verifier ------------------------------------------------------------------------------


def test_the_verifier_matches_rfc_7677s_test_vector() -> None:
    # RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, i=4096.
    import base64  # noqa: PLC0415

    verifier = scram_sha_256_verifier(
        "pencil", salt=base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="), iterations=4096
    )
    prefix, stored_and_server = verifier.rsplit("$", 1)
    assert prefix == "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = stored_and_server.split(":")
    # ServerSignature of the RFC's exchange, recomputed from ServerKey and the AuthMessage.
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    auth_message = (
        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    signature = hmac.new(
        base64.b64decode(server_key), auth_message.encode(), hashlib.sha256
    ).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert len(base64.b64decode(stored_key)) == 32


def test_on_a_read_only_cluster_set_secret_fails_and_changes_nothing(
    postgres: PostgresServer,
    app_database: str,
    master: str,
    secrets: Any,
    secret: str,
    environ: dict[str, str],
) -> None:
    """A global secondary (the writer moved away) refuses the ALTER ROLE: the step fails, the
    current password still works, and AWSCURRENT still holds it."""
    # What a secondary cluster does to every session: read-only transactions.
    postgres.admin_run(app_database, f"ALTER ROLE {master} SET default_transaction_read_only = on")
    token = start_rotation(secrets, secret)
    step(secret, token, "createSecret", secrets, environ)
    with pytest.raises(DatabaseError, match="read-only transaction"):
        step(secret, token, "setSecret", secrets, environ)
    assert logs_in(postgres, app_database, master, OLD_PASSWORD)
    assert password_at(secrets, secret, CURRENT) == OLD_PASSWORD
