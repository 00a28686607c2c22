"""PostgreSQL for the API: where to connect, how to log in, verified TLS, one reused connection.

Where the settings come from (`resolve`):

- `TAP_DB_DSN` (local mode, tests, `tap db migrate`): a libpq connection string, keyword/value
  (`host=127.0.0.1 port=5432 dbname=tap user=tap_app sslmode=verify-full sslrootcert=ca.pem`)
  or URI (`postgresql://tap_app@127.0.0.1:5432/tap?sslmode=verify-full`). The password is the
  DSN's, else `PGPASSWORD`. It overrides everything below.
- In AWS: `TAP_DB_HOST`, `TAP_DB_PORT` (5432), `TAP_DB_NAME`, `TAP_DB_USER` (`tap_app`) and
  `TAP_REGION`; TLS is verify-full against the bundled RDS CA bundle. The API logs in with an
  IAM authentication token (`IamLogin`); the migration function with the cluster's Secrets
  Manager secret named by `TAP_DB_ADMIN_SECRET_ARN` (`SecretLogin`).

TLS: `sslmode` disable | require | verify-ca | verify-full (the default here, where libpq's is
prefer: the function never falls back to plain text). `prefer` and `allow` are refused for that
reason. As in libpq, `require` with an explicit `sslrootcert` verifies the chain.

Errors: `SettingsError` (bad or missing settings: the message names the key), `Unavailable`
(cannot reach or log in to the server, or it went away), and the driver's `DatabaseError` for an
error the server returned to a statement (`sqlstate` reads its code).

Only the standard library at import time: pg8000 loads on the first connection and boto3 only
in AWS, so the Pulumi program and `/health` without a database pay for neither.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from pg8000.native import Connection

# The role the API logs in as. Migration 0001 creates it with exactly the grants the API needs.
APP_ROLE: Final = "tap_app"
DEFAULT_PORT: Final = 5432
APPLICATION_NAME: Final = "tap-api"
# Connect, TLS handshake and login, each bounded. Two connects fit in the function's 10 s timeout
# with room for the statements (a lost connection is re-established once).
DEFAULT_CONNECT_TIMEOUT_SECONDS: Final = 3.0
# The server cancels a statement after this (SQLSTATE 57014) and the connection stays usable.
STATEMENT_TIMEOUT_MS: Final = 2000
# Tokens live 15 minutes (RDS, "IAM database authentication"); reusing one for 10 keeps signing
# off the hot path and well inside its lifetime. Only new connections need a token.
IAM_TOKEN_REUSE_SECONDS: Final = 600

# The RDS CA bundle of every commercial region, shipped so TLS verification needs no download.
# Source: https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem (102 self-signed
# "Amazon RDS <region> Root CA {RSA2048,RSA4096,ECC384} G1" roots). The test pins the hash;
# docs/runbook.md says how to refresh it.
CA_BUNDLE: Final = Path(__file__).resolve().parent / "certs" / "rds-global-bundle.pem"
CA_BUNDLE_SOURCE: Final = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
CA_BUNDLE_SHA256: Final = "516c8cb5e3436763cdd4fa5aa480cab529e7a1a75a35afa458a9d50d89618e4f"

ENV_DSN: Final = "TAP_DB_DSN"
ENV_HOST: Final = "TAP_DB_HOST"
ENV_PORT: Final = "TAP_DB_PORT"
ENV_NAME: Final = "TAP_DB_NAME"
ENV_USER: Final = "TAP_DB_USER"
ENV_ADMIN_SECRET: Final = "TAP_DB_ADMIN_SECRET_ARN"
ENV_CONNECT_TIMEOUT: Final = "TAP_DB_CONNECT_TIMEOUT_SECONDS"
ENV_WRITE_FORWARDING: Final = "TAP_DB_WRITE_FORWARDING"
ENV_REGION: Final = "TAP_REGION"

SSL_MODES: Final = ("disable", "require", "verify-ca", "verify-full")
# Aurora global write forwarding: the read consistency of a session on a secondary cluster
# (apg_write_forward.consistency_mode, "Using write forwarding in an Aurora PostgreSQL global
# database"). Unset in the writer's region.
WRITE_FORWARDING_MODES: Final = ("session", "eventual", "global")
DSN_KEYWORDS: Final = (
    "host",
    "port",
    "dbname",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "connect_timeout",
    "application_name",
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]{0,62}")
_HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}")

# SQLSTATEs after which a new connection may succeed where this one failed: the session is gone
# (class 08, admin/crash shutdown), the endpoint now leads to a reader (25006, after a failover
# before DNS caught up), or a prepared statement outlived a schema change (0A000).
_RECONNECT_STATES: Final = frozenset({"57P01", "57P02", "57P03", "25006", "0A000"})


class SettingsError(ValueError):
    """The database settings are missing or malformed; the message names the setting."""


class Unavailable(Exception):
    """The database cannot be reached, refused the login, or the connection was lost twice."""


class CredentialsUnavailable(Unavailable):
    """The login could not be obtained: no IAM token could be signed, or the secret not read."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Where and how to connect. The password is never part of it: a `Login` supplies it."""

    host: str
    port: int
    database: str
    sslmode: str = "verify-full"
    # None: the bundled RDS CA bundle; "system": the platform's trust store; else a file.
    sslrootcert: str | None = None
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS
    application_name: str = APPLICATION_NAME
    write_forwarding: str | None = None

    def describe(self) -> str:
        return f"{self.host}:{self.port}/{self.database}"

    def tls_context(self) -> ssl.SSLContext | None:
        """None for sslmode=disable; otherwise a context that never falls back to plain text."""
        if self.sslmode == "disable":
            return None
        verify = self.sslmode in ("verify-ca", "verify-full") or self.sslrootcert is not None
        if not verify:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif self.sslrootcert == "system":
            context = ssl.create_default_context()
        else:
            context = ssl.create_default_context(cafile=str(self.sslrootcert or CA_BUNDLE))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = self.sslmode == "verify-full"
        return context

    def startup_parameters(self) -> dict[str, str]:
        params = {"statement_timeout": str(STATEMENT_TIMEOUT_MS)}
        if self.write_forwarding is not None:
            params["apg_write_forward.consistency_mode"] = self.write_forwarding
        return params


class Login(Protocol):
    """Who to log in as, and with what secret. `source` names the mechanism for /health."""

    @property
    def source(self) -> str: ...

    def credentials(self) -> tuple[str, str | None]: ...


@dataclass(frozen=True)
class StaticLogin:
    """A user and password from a DSN (or PGPASSWORD)."""

    user: str
    password: str | None = field(default=None, repr=False)
    source: str = "dsn"

    def credentials(self) -> tuple[str, str | None]:
        return self.user, self.password


class IamLogin:
    """An IAM database authentication token for `user`, signed with the function's role.

    Signing is local (SigV4, no AWS call), but it needs credentials: a failure here means the
    role's credentials are missing, which /health reports as the `credentials` check.
    """

    source = "iam"

    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        region: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host, self.port, self.user, self.region = host, port, user, region
        self._clock = clock
        self._token: str | None = None
        self._signed_at = 0.0
        self._client: Any = None

    def credentials(self) -> tuple[str, str | None]:
        now = self._clock()
        if self._token is None or now - self._signed_at > IAM_TOKEN_REUSE_SECONDS:
            if self._client is None:
                import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - AWS only

                # A session of its own: the default one would keep credentials from elsewhere.
                self._client = boto3.session.Session().client("rds", region_name=self.region)
            self._token = self._client.generate_db_auth_token(
                DBHostname=self.host, Port=self.port, DBUsername=self.user, Region=self.region
            )
            self._signed_at = now
        return self.user, self._token


class SecretLogin:
    """The user and password in a Secrets Manager secret (an RDS master secret's JSON).

    Read on every call: the migration function connects once per deploy, and a rotated secret
    is then always the current one.
    """

    source = "secret"

    def __init__(self, secret_arn: str, region: str) -> None:
        self.secret_arn, self.region = secret_arn, region

    def credentials(self) -> tuple[str, str | None]:
        import boto3  # noqa: PLC0415 - AWS only

        client = boto3.session.Session().client("secretsmanager", region_name=self.region)
        value = client.get_secret_value(SecretId=self.secret_arn)
        try:
            secret = json.loads(value["SecretString"])
            return str(secret["username"]), str(secret["password"])
        except (KeyError, TypeError, ValueError):
            raise SettingsError(
                f"secret {self.secret_arn} does not hold JSON with username and password"
            ) from None


def resolve(
    environ: Mapping[str, str] | None = None, *, admin: bool = False
) -> tuple[Settings, Login] | None:
    """The settings and login for this environment, or None when no database is configured.

    `admin` selects the migration function's login (the secret) over the API's (IAM).
    """
    env = os.environ if environ is None else environ
    dsn = _env(env, ENV_DSN)
    write_forwarding = _write_forwarding(env)
    if dsn is not None:
        parsed, static = parse_dsn(dsn, env)
        return replace(parsed, write_forwarding=write_forwarding), static
    host = _env(env, ENV_HOST)
    if host is None:
        return None
    if not _HOST.fullmatch(host):
        raise SettingsError(f"{ENV_HOST} is not a host name: {host!r}")
    port = _port(_env(env, ENV_PORT) or str(DEFAULT_PORT), ENV_PORT)
    database = _required(env, ENV_NAME)
    _identifier(database, ENV_NAME)
    region = _env(env, ENV_REGION) or _env(env, "AWS_REGION")
    if region is None:
        raise SettingsError(f"{ENV_REGION} is required with {ENV_HOST}")
    timeout = _timeout(_env(env, ENV_CONNECT_TIMEOUT), ENV_CONNECT_TIMEOUT)
    settings = Settings(
        host=host,
        port=port,
        database=database,
        connect_timeout=timeout,
        write_forwarding=write_forwarding,
    )
    login: Login
    if admin:
        login = SecretLogin(_required(env, ENV_ADMIN_SECRET), region)
    else:
        user = _env(env, ENV_USER) or APP_ROLE
        _identifier(user, ENV_USER)
        login = IamLogin(host, port, user, region)
    return settings, login


def _env(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _required(env: Mapping[str, str], name: str) -> str:
    value = _env(env, name)
    if value is None:
        raise SettingsError(f"{name} is required with {ENV_HOST}")
    return value


def _identifier(value: str, name: str) -> None:
    if not _IDENTIFIER.fullmatch(value):
        raise SettingsError(f"{name} must be a PostgreSQL identifier, got {value!r}")


def _port(value: str, name: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"{name} must be a port number (1-65535), got {value!r}")
    return int(value)


def _timeout(value: str | None, name: str) -> float:
    if value is None:
        return DEFAULT_CONNECT_TIMEOUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 60:
        raise SettingsError(f"{name} must be a number of seconds (0-60], got {value!r}")
    return seconds


def _write_forwarding(env: Mapping[str, str]) -> str | None:
    mode = _env(env, ENV_WRITE_FORWARDING)
    if mode is not None and mode.lower() not in WRITE_FORWARDING_MODES:
        raise SettingsError(
            f"{ENV_WRITE_FORWARDING} must be one of {', '.join(WRITE_FORWARDING_MODES)}, "
            f"got {mode!r}"
        )
    return mode.lower() if mode else None


# --------------------------------------------------------------------------- DSN parsing


def parse_dsn(dsn: str, environ: Mapping[str, str] | None = None) -> tuple[Settings, StaticLogin]:
    """A libpq connection string (keyword/value or URI) as settings and a login.

    Raises SettingsError naming the offending parameter; the message never repeats a password.
    """
    env = os.environ if environ is None else environ
    text = dsn.strip()
    if not text:
        raise SettingsError("the DSN is empty")
    if text.startswith(("postgresql://", "postgres://")):
        params = _parse_uri(text)
    else:
        params = dict(_parse_keywords(text))
    unknown = sorted(set(params) - set(DSN_KEYWORDS))
    if unknown:
        raise SettingsError(
            f"unsupported connection parameter {unknown[0]!r} "
            f"(supported: {', '.join(DSN_KEYWORDS)})"
        )
    host = params.get("host", "")
    if not host:
        raise SettingsError("the DSN names no host (host=...)")
    if "," in host:
        raise SettingsError("the DSN names several hosts; give exactly one")
    if host.startswith("/"):
        raise SettingsError("host must be a TCP host name or address, not a socket directory")
    user = params.get("user", "")
    if not user:
        raise SettingsError("the DSN names no user (user=...)")
    sslmode = params.get("sslmode", "verify-full")
    if sslmode in ("allow", "prefer"):
        raise SettingsError(
            f"sslmode={sslmode} may fall back to plain text; use require, verify-ca or "
            "verify-full (or disable, for a local server without TLS)"
        )
    if sslmode not in SSL_MODES:
        raise SettingsError(f"sslmode must be one of {', '.join(SSL_MODES)}, got {sslmode!r}")
    rootcert = params.get("sslrootcert") or None
    if rootcert is not None and rootcert != "system" and not Path(rootcert).is_file():
        raise SettingsError(f"sslrootcert {rootcert} is not a file")
    timeout = DEFAULT_CONNECT_TIMEOUT_SECONDS
    if "connect_timeout" in params:
        value = params["connect_timeout"]
        if not value.isdigit() or int(value) < 1:
            raise SettingsError(
                f"connect_timeout must be a whole number of seconds (1 or more), got {value!r}"
            )
        timeout = float(value)
    password = params.get("password") or _env(env, "PGPASSWORD")
    settings = Settings(
        host=host,
        port=_port(params.get("port") or str(DEFAULT_PORT), "port"),
        database=params.get("dbname") or user,
        sslmode=sslmode,
        sslrootcert=rootcert,
        connect_timeout=timeout,
        application_name=params.get("application_name") or APPLICATION_NAME,
    )
    return settings, StaticLogin(user, password)


def _parse_keywords(text: str) -> Iterator[tuple[str, str]]:
    """`key = value` pairs; values may be single-quoted, with backslash escapes (libpq)."""
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        start = i
        while i < n and not text[i].isspace() and text[i] != "=":
            i += 1
        key = text[start:i]
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=" or not key:
            raise SettingsError(f"missing '=' after {key!r} in the DSN")
        i += 1
        while i < n and text[i].isspace():
            i += 1
        value: list[str] = []
        if i < n and text[i] == "'":
            i += 1
            while True:
                if i >= n:
                    raise SettingsError(f"unterminated quoted value of {key!r} in the DSN")
                char = text[i]
                if char == "\\" and i + 1 < n:
                    value.append(text[i + 1])
                    i += 2
                elif char == "'":
                    i += 1
                    break
                else:
                    value.append(char)
                    i += 1
        else:
            while i < n and not text[i].isspace():
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                value.append(text[i])
                i += 1
        yield key, "".join(value)


def _parse_uri(text: str) -> dict[str, str]:
    try:
        parts = urlsplit(text)
        if "," in parts.netloc:
            raise SettingsError("the DSN names several hosts; give exactly one")
        port = parts.port  # raises ValueError on a non-numeric or out-of-range port
    except SettingsError:
        raise
    except ValueError as error:
        raise SettingsError(f"the DSN is not a valid URI: {error}") from None
    params: dict[str, str] = {}
    if parts.hostname:
        params["host"] = unquote(parts.hostname)
    if port is not None:
        params["port"] = str(port)
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    if parts.path.strip("/"):
        params["dbname"] = unquote(parts.path.lstrip("/"))
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        params[key] = value
    return params


# --------------------------------------------------------------------------- connections


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of an error the server sent, if it is one."""
    detail = error.args[0] if error.args else None
    return detail.get("C") if isinstance(detail, dict) else None


def server_message(error: BaseException) -> str:
    """`ERROR 42P01: relation "x" does not exist` from the server's fields, without the query."""
    detail = error.args[0] if error.args else None
    if not isinstance(detail, dict):
        return str(error)
    text = f"{detail.get('S', 'ERROR')} {detail.get('C', '?????')}: {detail.get('M', '')}"
    if detail.get("D"):
        text += f" ({detail['D']})"
    return text


def connection_lost(error: BaseException) -> bool:
    """Whether `error` means this connection is unusable, so a new one may do better."""
    from pg8000.exceptions import DatabaseError, InterfaceError  # noqa: PLC0415

    if isinstance(error, InterfaceError | OSError):
        return True
    if isinstance(error, DatabaseError):
        detail = error.args[0] if error.args else None
        if isinstance(detail, dict):
            state = str(detail.get("C", ""))
            fatal = detail.get("S") in ("FATAL", "PANIC")
            return fatal or state.startswith("08") or state in _RECONNECT_STATES
    return False


def obtain_credentials(login: Login) -> tuple[str, str | None]:
    """The login's user and password, or CredentialsUnavailable naming the mechanism."""
    try:
        return login.credentials()
    except SettingsError:
        raise
    except Exception as error:
        raise CredentialsUnavailable(
            f"cannot obtain the {login.source} credentials: {type(error).__name__}: {error}"
        ) from None


def connect(
    settings: Settings,
    login: Login,
    *,
    timeout: float | None = None,
    io_timeout: float | None = None,
) -> Connection:
    """A new connection, or Unavailable with one line saying why (never the password).

    `timeout` bounds the TCP connect (default: the settings'); `io_timeout` bounds every later
    wait for the server, TLS handshake and login included (default: the same). The socket is
    opened here rather than by pg8000, which has a single timeout for both.
    """
    from pg8000.exceptions import DatabaseError, InterfaceError  # noqa: PLC0415
    from pg8000.native import Connection  # noqa: PLC0415

    where = settings.describe()
    user, password = obtain_credentials(login)
    connect_timeout = timeout or settings.connect_timeout
    try:
        sock = socket.create_connection((settings.host, settings.port), connect_timeout)
    except OSError as error:
        reason = "timed out" if isinstance(error, TimeoutError) else error.strerror or str(error)
        raise Unavailable(f"cannot connect to {where}: {reason}") from None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.settimeout(io_timeout if io_timeout is not None else connect_timeout)
    context = settings.tls_context()
    try:
        return Connection(
            user=user,
            host=settings.host,
            sock=sock,
            database=settings.database,
            password=password,
            ssl_context=context if context is not None else False,
            application_name=settings.application_name,
            startup_params=settings.startup_parameters(),
        )
    except Exception as error:
        sock.close()
        cause = error.__cause__ if isinstance(error, InterfaceError) else error
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = f"TLS verification failed: {cause.verify_message or cause}"
        elif isinstance(cause, ssl.SSLError):
            reason = f"TLS failed: {cause.reason or cause}"
        elif isinstance(error, DatabaseError):
            reason = f"refused user {user}: {server_message(error)}"
        elif isinstance(cause, TimeoutError):
            reason = "timed out"
        elif isinstance(cause, OSError):
            reason = cause.strerror or type(cause).__name__
        elif isinstance(error, InterfaceError):
            refused_tls = str(error) == "Server refuses SSL"
            reason = "the server does not offer TLS" if refused_tls else str(error)
        else:
            raise
        raise Unavailable(f"cannot connect to {where}: {reason}") from None


T = TypeVar("T")


class Database:
    """One connection, opened on first use and reused by every later call.

    `run(operation)` runs `operation(connection)`. When the connection turns out to be lost, it
    is re-established once and the operation runs again; a second loss, or a failed connect,
    raises Unavailable. Operations must therefore be safe to repeat (the API's INSERT is: the
    record id comes from the caller and a repeat does nothing). A lock serialises callers, so
    threads may share it; Lambda never runs two invocations in one environment at once.
    """

    def __init__(self, settings: Settings, login: Login) -> None:
        self.settings = settings
        self.login = login
        self._connection: Connection | None = None
        self._statements: dict[str, Any] = {}
        self._lock = threading.Lock()

    def run(self, operation: Callable[[Connection], T], *, deadline: float | None = None) -> T:
        with self._lock:
            connection = self._connection or self._open(deadline)
            try:
                return operation(connection)
            except Exception as error:
                if not connection_lost(error):
                    raise
                self.close()
            try:
                return operation(self._open(deadline))
            except Exception as error:
                if not connection_lost(error):
                    raise
                self.close()
                raise Unavailable(
                    f"lost the connection to {self.settings.describe()} twice"
                ) from None

    def prepared(self, connection: Connection, name: str, sql: str) -> Any:
        """A statement prepared once per connection: one round trip per execution after it."""
        statement = self._statements.get(name)
        if statement is None:
            statement = self._statements[name] = connection.prepare(sql)
        return statement

    def close(self) -> None:
        connection, self._connection = self._connection, None
        self._statements = {}
        if connection is not None:
            with contextlib.suppress(Exception):  # it is already broken; we only let go
                connection.close()

    def _open(self, deadline: float | None) -> Connection:
        timeout = self.settings.connect_timeout
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
            if timeout <= 0:
                raise Unavailable(f"no time left to connect to {self.settings.describe()}")
        self._connection = connect(self.settings, self.login, timeout=timeout)
        return self._connection
