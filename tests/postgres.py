"""A real PostgreSQL server for the tests: Debian's binaries, a temporary directory, 127.0.0.1.

`PostgresServer` runs initdb and pg_ctl (from /usr/lib/postgresql/<version>/bin, else PATH) in a
fresh directory, on a free port of 127.0.0.1 only, without a Unix socket, with TLS on and plain
connections refused. Its certificate comes from a test CA generated here, for the address
127.0.0.1 only, so verified TLS (`sslmode=verify-full sslrootcert=<ca>`) is exercised for real;
`wrong_ca` is a second CA that signed nothing. Run as root (CI), the server runs as the
`postgres` user that Debian's package creates: PostgreSQL refuses to run as root.

Fixtures (registered from tests/conftest.py):

- `postgres`: one server per test process (so per xdist worker), started on first use. A
  server that cannot start fails every test that needs it: none is skipped.
- `app_database`: one migrated database per test module, with `tap_app`'s password set.
- `fresh_database`: an empty database per test.

`.ci/run` installs Debian's `postgresql` package when the binaries are missing.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tap.functions.api import db, migrate

HOST = "127.0.0.1"
SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "superuser-test-password"
APP_PASSWORD = "tap-app-test-password"
START_TIMEOUT_SECONDS = 60


class ServerError(RuntimeError):
    """The test server could not be set up; the message says what to install or fix."""


def find_binaries() -> Path:
    """The directory of initdb and pg_ctl: the newest /usr/lib/postgresql/<v>/bin, else PATH."""
    versions = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        if (candidate / "initdb").exists() and candidate.parent.name.isdigit():
            versions.append((int(candidate.parent.name), candidate))
    if versions:
        return max(versions)[1]
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb).resolve().parent
    raise ServerError(
        "PostgreSQL's initdb and pg_ctl were not found (/usr/lib/postgresql/*/bin or PATH): "
        "install Debian's postgresql package (.ci/run does)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Certificates:
    ca: Path
    wrong_ca: Path
    server_cert: bytes
    server_key: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_certificates(directory: Path) -> Certificates:
    """A test CA, a server certificate it signs for 127.0.0.1 only, and an unrelated CA."""
    ca_key, ca_cert = _ca("tap test CA")
    _, wrong_cert = _ca("tap wrong CA")
    server_key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path, wrong_path = directory / "ca.pem", directory / "wrong-ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(pem))
    wrong_path.write_bytes(wrong_cert.public_bytes(pem))
    return Certificates(
        ca=ca_path,
        wrong_ca=wrong_path,
        server_cert=server_cert.public_bytes(pem),
        server_key=server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


class PostgresServer:
    """One PostgreSQL cluster in a temporary directory; see the module docstring."""

    def __init__(self) -> None:
        self.bin = find_binaries()
        self.root = Path(tempfile.mkdtemp(prefix="tap-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "server.log"
        self._owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerError(
                    "PostgreSQL will not run as root and there is no postgres user: install "
                    "Debian's postgresql package (it creates one) or run the tests as a "
                    "non-root user"
                ) from None
        self.certificates = make_certificates(self.root)
        self.port = 0
        self._initdb()

    # --- lifecycle ---------------------------------------------------------------------

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        owner = self._owner
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            user=owner.pw_uid if owner else None,
            group=owner.pw_gid if owner else None,
            cwd=self.root,
            timeout=START_TIMEOUT_SECONDS + 30,
        )
        if completed.returncode != 0:
            log = self.logfile.read_text() if self.logfile.exists() else ""
            raise ServerError(
                f"{' '.join(args[:2])} failed ({completed.returncode}): "
                f"{completed.stderr.strip() or completed.stdout.strip()}\n{log[-2000:]}"
            )

    def _chown(self, path: Path) -> None:
        if self._owner is not None:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _initdb(self) -> None:
        self._chown(self.root)
        self.root.chmod(0o755)  # the test process reads the CA files
        password_file = self.root / "superuser-password"
        password_file.write_text(SUPERUSER_PASSWORD + "\n")
        self._chown(password_file)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            f"--pwfile={password_file}",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        password_file.unlink()
        for name, content in (
            ("server.crt", self.certificates.server_cert),
            ("server.key", self.certificates.server_key),
        ):
            path = self.data / name
            path.write_bytes(content)
            path.chmod(0o600)
            self._chown(path)
        # TLS only, from 127.0.0.1 only: a plain connection is refused by the server itself.
        (self.data / "pg_hba.conf").write_text(
            f"hostssl all all {HOST}/32 scram-sha-256\nhostnossl all all {HOST}/32 reject\n"
        )

    def start(self) -> None:
        for _ in range(3):  # another process may take the port between probe and start
            self.port = free_port()
            with (self.data / "postgresql.auto.conf").open("w") as conf:
                conf.write(
                    f"listen_addresses = '{HOST}'\n"
                    f"port = {self.port}\n"
                    "unix_socket_directories = ''\n"
                    "ssl = on\n"
                    "ssl_cert_file = 'server.crt'\n"
                    "ssl_key_file = 'server.key'\n"
                    "max_connections = 100\n"
                    "shared_buffers = 16MB\n"
                    # A throwaway cluster: durability costs time and buys nothing here.
                    "fsync = off\n"
                    "synchronous_commit = off\n"
                    "full_page_writes = off\n"
                )
            self._chown(self.data / "postgresql.auto.conf")
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    str(START_TIMEOUT_SECONDS),
                )
                return
            except ServerError as error:
                if "could not bind" not in self.logfile.read_text(errors="replace"):
                    raise error
        raise ServerError(f"PostgreSQL found no free port on {HOST}")

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")

    def start_again(self) -> None:
        """Start a stopped server on the same port, so a client's settings stay valid."""
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            str(START_TIMEOUT_SECONDS),
        )

    def restart(self) -> None:
        self.stop()
        self.start_again()

    def destroy(self) -> None:
        with contextlib.suppress(ServerError):
            if (self.data / "postmaster.pid").exists():
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # --- connections -------------------------------------------------------------------

    def dsn(
        self,
        database: str = "postgres",
        *,
        user: str = SUPERUSER,
        password: str | None = SUPERUSER_PASSWORD,
        sslmode: str = "verify-full",
        sslrootcert: Path | None = None,
        host: str = HOST,
    ) -> str:
        parts = [f"host={host}", f"port={self.port}", f"dbname={database}", f"user={user}"]
        if password is not None:
            parts.append(f"password={password}")
        parts.append(f"sslmode={sslmode}")
        parts.append(f"sslrootcert={sslrootcert or self.certificates.ca}")
        return " ".join(parts)

    def admin(self, database: str = "postgres") -> Any:
        """A superuser connection (pg8000), over verified TLS like every other. Its
        application_name tells it apart from the API's connections (`tap-api`)."""
        settings, login = db.parse_dsn(self.dsn(database) + " application_name=tap-tests")
        return db.connect(settings, login)

    def admin_run(self, database: str, *statements: str, **params: Any) -> Any:
        """Run `statements` as the superuser on one connection; the last one's rows."""
        admin = self.admin(database)
        try:
            rows = None
            for statement in statements:
                rows = admin.run(statement, **params)
            return rows
        finally:
            admin.close()

    def create_database(self, prefix: str = "tap_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        admin = self.admin()
        try:
            admin.run(f'CREATE DATABASE "{name}"')
        finally:
            admin.close()
        return name

    def drop_database(self, name: str) -> None:
        admin = self.admin()
        try:
            admin.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            admin.close()

    def migrated_database(self, prefix: str = "tap_test") -> str:
        """A new database with every migration applied and tap_app able to log in."""
        name = self.create_database(prefix)
        settings, login = db.parse_dsn(self.dsn(name))
        migrate.migrate(settings, login)
        admin = self.admin(name)
        try:
            admin.run(f"ALTER ROLE {db.APP_ROLE} PASSWORD '{APP_PASSWORD}'")
        finally:
            admin.close()
        return name

    def app_dsn(self, database: str, **kwargs: Any) -> str:
        return self.dsn(database, user=db.APP_ROLE, password=APP_PASSWORD, **kwargs)


def module_slug(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^a-z0-9]+", "_", request.module.__name__.rsplit(".", 1)[-1].lower())[:30]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def app_database(postgres: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    name = postgres.migrated_database(module_slug(request))
    yield name
    postgres.drop_database(name)


@pytest.fixture
def fresh_database(postgres: PostgresServer, request: pytest.FixtureRequest) -> Iterator[str]:
    name = postgres.create_database(module_slug(request))
    yield name
    postgres.drop_database(name)
