"""The API's PostgreSQL access: settings, DSNs, TLS, IAM tokens, the reused connection.

Everything that connects does so to the real server from tests/postgres.py, over TLS.
"""

from __future__ import annotations

import hashlib
import ssl
import time
from pathlib import Path
from typing import Any, cast

import boto3  # type: ignore[import-untyped]
import pytest
from moto import mock_aws
from pg8000.exceptions import DatabaseError

from tap.config import SUPPORTED_REGIONS
from tap.functions.api import db
from tests.postgres import APP_PASSWORD, SUPERUSER_PASSWORD, PostgresServer

# --------------------------------------------------------------------------- the RDS CA bundle


def test_the_ca_bundle_is_the_recorded_one() -> None:
    assert hashlib.sha256(db.CA_BUNDLE.read_bytes()).hexdigest() == db.CA_BUNDLE_SHA256
    assert db.CA_BUNDLE_SOURCE.startswith("https://truststore.pki.rds.amazonaws.com/")


def _subjects(context: ssl.SSLContext) -> list[dict[str, str]]:
    # A certificate's subject: its RDNs, each a tuple of (key, value) pairs (the ssl docs).
    subjects = [
        cast(tuple[tuple[tuple[str, str], ...], ...], cert["subject"])
        for cert in context.get_ca_certs()
    ]
    return [{key: value for rdn in subject for key, value in rdn} for subject in subjects]


def test_the_ca_bundle_holds_rds_roots_for_every_region_we_deploy_to() -> None:
    context = ssl.create_default_context(cafile=str(db.CA_BUNDLE))
    certs = context.get_ca_certs()
    assert len(certs) == 102
    assert all(cert["subject"] == cert["issuer"] for cert in certs)  # self-signed roots
    names = {subject["commonName"] for subject in _subjects(context)}
    assert all(subject["organizationalUnitName"] == "Amazon RDS" for subject in _subjects(context))
    for region in SUPPORTED_REGIONS:
        for kind in ("RSA2048", "RSA4096", "ECC384"):
            assert f"Amazon RDS {region} Root CA {kind} G1" in names


# --------------------------------------------------------------------------- DSN parsing


def test_a_keyword_value_dsn() -> None:
    settings, login = db.parse_dsn(
        "host=db.example.com port=6543 dbname=records user=tap_app password=s3cret "
        "sslmode=verify-ca connect_timeout=7 application_name=runner",
        {},
    )
    assert settings == db.Settings(
        host="db.example.com",
        port=6543,
        database="records",
        sslmode="verify-ca",
        connect_timeout=7.0,
        application_name="runner",
    )
    assert login.credentials() == ("tap_app", "s3cret")
    assert login.source == "dsn"
    assert "s3cret" not in repr(login) and "s3cret" not in repr(settings)


def test_quoted_values_and_escapes(tmp_path: Path) -> None:
    ca = tmp_path / "my ca.pem"
    ca.write_text("")
    settings, login = db.parse_dsn(
        f"host = h  user='app'  password='it\\'s a \\\\ secret' sslrootcert='{ca}'", {}
    )
    assert login.credentials() == ("app", "it's a \\ secret")
    assert settings.sslrootcert == str(ca)
    assert settings.host == "h"


def test_a_uri_dsn() -> None:
    settings, login = db.parse_dsn(
        "postgresql://tap%40app:p%3Ass@db.example.com:6000/my%20db?sslmode=require", {}
    )
    assert (settings.host, settings.port, settings.database) == ("db.example.com", 6000, "my db")
    assert settings.sslmode == "require"
    assert login.credentials() == ("tap@app", "p:ss")


def test_defaults_follow_libpq_except_tls() -> None:
    settings, login = db.parse_dsn("host=h user=u", {})
    assert settings.port == 5432
    assert settings.database == "u"  # libpq: the database defaults to the user's name
    assert settings.sslmode == "verify-full"  # libpq's default is prefer: never plain text here
    assert settings.sslrootcert is None  # the bundled RDS CA bundle
    assert settings.connect_timeout == db.DEFAULT_CONNECT_TIMEOUT_SECONDS
    assert login.credentials() == ("u", None)


def test_the_password_may_come_from_pgpassword() -> None:
    assert db.parse_dsn("host=h user=u", {"PGPASSWORD": "pw"})[1].credentials() == ("u", "pw")
    dsn = "host=h user=u password=own"
    assert db.parse_dsn(dsn, {"PGPASSWORD": "pw"})[1].credentials() == ("u", "own")


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("", "the DSN is empty"),
        ("host=h user=u hots=x", "unsupported connection parameter 'hots'"),
        ("user=u", "the DSN names no host"),
        ("host=a,b user=u", "several hosts"),
        ("postgresql://u@a:1,b:2/db", "several hosts"),
        ("host=/var/run/postgresql user=u", "not a socket directory"),
        ("host=h", "the DSN names no user"),
        ("host=h user=u sslmode=prefer", "sslmode=prefer may fall back to plain text"),
        ("host=h user=u sslmode=allow", "sslmode=allow may fall back to plain text"),
        ("host=h user=u sslmode=verify", "sslmode must be one of disable, require, verify-ca"),
        ("host=h user=u sslrootcert=/nonexistent/ca.pem", "sslrootcert /nonexistent/ca.pem"),
        ("host=h user=u connect_timeout=0", "connect_timeout must be a whole number"),
        ("host=h user=u connect_timeout=soon", "connect_timeout must be a whole number"),
        ("host=h user=u port=99999", "port must be a port number (1-65535), got '99999'"),
        ("host=h user=u port=x", "port must be a port number"),
        ("postgresql://u@h:99999/db", "the DSN is not a valid URI"),
        ("host=h user", "missing '=' after 'user'"),
        ("host='h user=u", "unterminated quoted value of 'host'"),
    ],
)
def test_bad_dsns_name_the_parameter(dsn: str, message: str) -> None:
    with pytest.raises(db.SettingsError) as error:
        db.parse_dsn(dsn, {})
    assert message in str(error.value)


def test_a_dsn_error_never_repeats_the_password() -> None:
    with pytest.raises(db.SettingsError) as error:
        db.parse_dsn("host=h user=u password=hunter2 sslmode=prefer", {})
    assert "hunter2" not in str(error.value)


# --------------------------------------------------------------------------- settings from env

AWS_ENV = {
    "TAP_DB_HOST": "tap-prod-use1-aurora.cluster-abc.us-east-1.rds.amazonaws.com",
    "TAP_DB_NAME": "tap",
    "TAP_REGION": "us-east-1",
}


def test_nothing_configured_is_none() -> None:
    assert db.resolve({}) is None
    assert db.resolve({"TAP_DB_DSN": "  "}) is None


def test_aws_settings_use_iam_authentication_and_the_bundle() -> None:
    resolved = db.resolve(AWS_ENV)
    assert resolved is not None
    settings, login = resolved
    assert settings == db.Settings(host=AWS_ENV["TAP_DB_HOST"], port=5432, database="tap")
    assert settings.sslmode == "verify-full" and settings.sslrootcert is None
    assert isinstance(login, db.IamLogin)
    assert (login.user, login.region, login.port) == ("tap_app", "us-east-1", 5432)


def test_the_admin_login_is_the_secret() -> None:
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc"
    resolved = db.resolve({**AWS_ENV, "TAP_DB_ADMIN_SECRET_ARN": secret}, admin=True)
    assert resolved is not None
    login = resolved[1]
    assert isinstance(login, db.SecretLogin)
    assert (login.secret_arn, login.region) == (secret, "us-east-1")


def test_the_dsn_overrides_the_aws_settings() -> None:
    env = {**AWS_ENV, "TAP_DB_DSN": "host=127.0.0.1 user=me", "TAP_DB_WRITE_FORWARDING": "GLOBAL"}
    resolved = db.resolve(env, admin=True)
    assert resolved is not None
    settings, login = resolved
    assert settings.host == "127.0.0.1"
    assert settings.write_forwarding == "global"
    assert isinstance(login, db.StaticLogin)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"TAP_DB_NAME": ""}, "TAP_DB_NAME is required with TAP_DB_HOST"),
        ({"TAP_DB_NAME": "tap; drop"}, "TAP_DB_NAME must be a PostgreSQL identifier"),
        ({"TAP_DB_USER": "Robert'); --"}, "TAP_DB_USER must be a PostgreSQL identifier"),
        ({"TAP_DB_PORT": "5432x"}, "TAP_DB_PORT must be a port number"),
        ({"TAP_DB_HOST": "host name"}, "TAP_DB_HOST is not a host name"),
        ({"TAP_REGION": ""}, "TAP_REGION is required with TAP_DB_HOST"),
        ({"TAP_DB_WRITE_FORWARDING": "strong"}, "TAP_DB_WRITE_FORWARDING must be one of"),
        ({"TAP_DB_CONNECT_TIMEOUT_SECONDS": "0"}, "TAP_DB_CONNECT_TIMEOUT_SECONDS must be"),
        ({"TAP_DB_CONNECT_TIMEOUT_SECONDS": "ten"}, "TAP_DB_CONNECT_TIMEOUT_SECONDS must be"),
    ],
)
def test_bad_aws_settings_name_the_variable(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(db.SettingsError) as error:
        db.resolve({**AWS_ENV, **overrides})
    assert message in str(error.value)


def test_the_migration_function_needs_the_secret() -> None:
    with pytest.raises(db.SettingsError) as error:
        db.resolve(AWS_ENV, admin=True)
    assert "TAP_DB_ADMIN_SECRET_ARN is required" in str(error.value)


# --------------------------------------------------------------------------- TLS contexts


def test_tls_contexts_per_sslmode(tmp_path: Path) -> None:
    base = db.Settings(host="h", port=1, database="d")
    full = base.tls_context()
    assert full is not None
    assert full.verify_mode == ssl.CERT_REQUIRED and full.check_hostname
    assert full.minimum_version == ssl.TLSVersion.TLSv1_2
    assert len(full.get_ca_certs()) == 102  # the bundled RDS roots
    ca_only = db.Settings(host="h", port=1, database="d", sslmode="verify-ca").tls_context()
    assert ca_only is not None
    assert ca_only.verify_mode == ssl.CERT_REQUIRED and not ca_only.check_hostname
    encrypt_only = db.Settings(host="h", port=1, database="d", sslmode="require").tls_context()
    assert encrypt_only is not None and encrypt_only.verify_mode == ssl.CERT_NONE
    # libpq: require with a root certificate verifies the chain.
    pinned = db.Settings(
        host="h", port=1, database="d", sslmode="require", sslrootcert=str(db.CA_BUNDLE)
    ).tls_context()
    assert pinned is not None and pinned.verify_mode == ssl.CERT_REQUIRED
    assert db.Settings(host="h", port=1, database="d", sslmode="disable").tls_context() is None


# --------------------------------------------------------------------------- credentials


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_an_iam_token_is_signed_locally_for_the_user(aws_credentials: None) -> None:
    clock = [1000.0]
    login = db.IamLogin("db.example.com", 5432, "tap_app", "eu-central-1", clock=lambda: clock[0])
    user, token = login.credentials()
    assert user == "tap_app"
    assert token is not None
    assert token.startswith("db.example.com:5432/?Action=connect&DBUser=tap_app&")
    assert "X-Amz-Expires=900" in token
    assert "%2Feu-central-1%2Frds-db%2Faws4_request" in token
    assert "X-Amz-Signature=" in token

    signed: list[Any] = []
    real = login._client.generate_db_auth_token

    def counting(**kwargs: Any) -> str:
        signed.append(kwargs)
        return str(real(**kwargs))

    login._client.generate_db_auth_token = counting
    clock[0] += db.IAM_TOKEN_REUSE_SECONDS - 1
    assert login.credentials() == (user, token)  # reused: no signing
    assert signed == []
    clock[0] += 2
    login.credentials()
    assert len(signed) == 1  # re-signed once the reuse period is over


def test_no_aws_credentials_is_a_credentials_failure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    login = db.IamLogin("db.example.com", 5432, "tap_app", "us-east-1")
    with pytest.raises(db.CredentialsUnavailable) as error:
        db.obtain_credentials(login)
    assert str(error.value) == (
        "cannot obtain the iam credentials: NoCredentialsError: Unable to locate credentials"
    )


def test_the_secret_login_reads_the_master_secret(aws_credentials: None) -> None:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        arn = client.create_secret(
            Name="tap-prod-use1-aurora-master-credentials",
            SecretString='{"engine": "postgres", "username": "tapadmin", "password": "pw"}',
        )["ARN"]
        assert db.SecretLogin(arn, "us-east-1").credentials() == ("tapadmin", "pw")
        bad = client.create_secret(Name="not-json", SecretString="tapadmin:pw")["ARN"]
        with pytest.raises(db.SettingsError) as error:
            db.SecretLogin(bad, "us-east-1").credentials()
        assert "does not hold JSON with username and password" in str(error.value)
        missing = arn.replace("master", "absent")
        with pytest.raises(db.CredentialsUnavailable) as unavailable:
            db.obtain_credentials(db.SecretLogin(missing, "us-east-1"))
        assert "cannot obtain the secret credentials: ResourceNotFoundException" in str(
            unavailable.value
        )


# --------------------------------------------------------------------------- the real server


def _connect(dsn: str, **kwargs: Any) -> Any:
    settings, login = db.parse_dsn(dsn, {})
    return db.connect(settings, login, **kwargs)


def test_verified_tls_as_the_app_role(postgres: PostgresServer, app_database: str) -> None:
    connection = _connect(postgres.app_dsn(app_database))
    try:
        rows = connection.run(
            "SELECT current_user, ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        )
        assert rows[0][:2] == ["tap_app", True]
        assert rows[0][2] in ("TLSv1.2", "TLSv1.3")
        assert connection.run("SHOW statement_timeout") == [["2s"]]
        assert connection.run("SHOW application_name") == [[db.APPLICATION_NAME]]
    finally:
        connection.close()


def test_a_certificate_from_another_ca_is_refused(postgres: PostgresServer) -> None:
    dsn = postgres.dsn(sslrootcert=postgres.certificates.wrong_ca)
    with pytest.raises(db.Unavailable) as error:
        _connect(dsn)
    assert str(error.value) == (
        f"cannot connect to 127.0.0.1:{postgres.port}/postgres: "
        "TLS verification failed: unable to get local issuer certificate"
    )


def test_the_bundled_rds_roots_do_not_trust_the_test_server(postgres: PostgresServer) -> None:
    # No sslrootcert: the RDS bundle, which did not sign the test CA's certificate.
    dsn = f"host=127.0.0.1 port={postgres.port} user=postgres password={SUPERUSER_PASSWORD}"
    with pytest.raises(db.Unavailable) as error:
        _connect(dsn)
    assert "TLS verification failed" in str(error.value)


def test_verify_full_checks_the_host_name_and_verify_ca_does_not(
    postgres: PostgresServer,
) -> None:
    # The server's certificate names 127.0.0.1 only; localhost reaches the same server.
    with pytest.raises(db.Unavailable) as error:
        _connect(postgres.dsn(host="localhost"))
    assert "TLS verification failed" in str(error.value)
    assert "localhost" in str(error.value)
    connection = _connect(postgres.dsn(host="localhost", sslmode="verify-ca"))
    connection.close()


def test_plain_text_is_refused_by_the_server(postgres: PostgresServer) -> None:
    with pytest.raises(db.Unavailable) as error:
        _connect(postgres.dsn(sslmode="disable"))
    message = str(error.value)
    assert "refused user postgres: FATAL 28000" in message
    assert "no encryption" in message


def test_a_wrong_password_is_refused_without_repeating_it(
    postgres: PostgresServer, app_database: str
) -> None:
    dsn = postgres.app_dsn(app_database).replace(APP_PASSWORD, "not-the-password")
    with pytest.raises(db.Unavailable) as error:
        _connect(dsn)
    assert "refused user tap_app: FATAL 28P01: password authentication failed" in str(error.value)
    assert "not-the-password" not in str(error.value)


def test_nothing_listening_is_unavailable(postgres: PostgresServer) -> None:
    dsn = postgres.dsn().replace(f"port={postgres.port}", "port=1")
    with pytest.raises(db.Unavailable) as error:
        _connect(dsn)
    assert str(error.value) == "cannot connect to 127.0.0.1:1/postgres: Connection refused"


def test_write_forwarding_consistency_is_set_for_the_session(
    postgres: PostgresServer, app_database: str
) -> None:
    settings, login = db.parse_dsn(postgres.app_dsn(app_database), {})
    forwarding = db.Settings(**{**settings.__dict__, "write_forwarding": "global"})
    connection = db.connect(forwarding, login)
    try:
        # A plain server keeps the Aurora parameter as an unknown custom setting: proof it was sent.
        assert connection.run("SHOW apg_write_forward.consistency_mode") == [["global"]]
    finally:
        connection.close()


# --------------------------------------------------------------------------- Database


def _database(postgres: PostgresServer, name: str) -> db.Database:
    return db.Database(*db.parse_dsn(postgres.app_dsn(name), {}))


def _pid(connection: Any) -> int:
    return int(connection.run("SELECT pg_backend_pid()")[0][0])


def _terminate(postgres: PostgresServer, pid: int) -> None:
    admin = postgres.admin()
    try:
        admin.run("SELECT pg_terminate_backend(:pid)", pid=pid)
        for _ in range(100):  # termination is asynchronous
            if not admin.run("SELECT 1 FROM pg_stat_activity WHERE pid = :pid", pid=pid):
                return
            time.sleep(0.01)
    finally:
        admin.close()


def test_the_connection_is_reused(postgres: PostgresServer, app_database: str) -> None:
    database = _database(postgres, app_database)
    try:
        assert database.run(_pid) == database.run(_pid)
    finally:
        database.close()


def test_a_terminated_connection_is_re_established_once(
    postgres: PostgresServer, app_database: str
) -> None:
    database = _database(postgres, app_database)
    try:
        first = database.run(_pid)
        _terminate(postgres, first)
        second = database.run(_pid)
        assert second != first
        assert database.run(_pid) == second
    finally:
        database.close()


def test_losing_the_connection_twice_is_unavailable(
    postgres: PostgresServer, app_database: str
) -> None:
    database = _database(postgres, app_database)
    attempts: list[int] = []

    def suicidal(connection: Any) -> None:
        attempts.append(_pid(connection))
        connection.run("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(db.Unavailable) as error:
        database.run(suicidal)
    assert len(attempts) == 2 and attempts[0] != attempts[1]
    assert "twice" in str(error.value)
    assert database.run(_pid) not in attempts  # and the next call connects afresh
    database.close()


def test_a_statement_error_keeps_the_connection(
    postgres: PostgresServer, app_database: str
) -> None:
    database = _database(postgres, app_database)
    try:
        pid = database.run(_pid)
        with pytest.raises(DatabaseError) as error:
            database.run(lambda connection: connection.run("DELETE FROM tap.records"))
        assert db.sqlstate(error.value) == "42501"  # tap_app may not delete
        assert database.run(_pid) == pid
    finally:
        database.close()


def test_no_time_left_is_unavailable_before_connecting(
    postgres: PostgresServer, app_database: str
) -> None:
    database = _database(postgres, app_database)
    with pytest.raises(db.Unavailable) as error:
        database.run(_pid, deadline=time.monotonic() - 1)
    assert "no time left" in str(error.value)
