"""Secrets Manager rotation of the Aurora master secret: the single-user strategy.

Secrets Manager invokes `handler` four times per rotation, with the secret's ARN, the new
version's token and a step (Secrets Manager User Guide, "Rotation function steps"):

1. `createSecret`: a new password (Secrets Manager's GetRandomPassword) goes into a new version
   of the secret labelled AWSPENDING; the other fields are copied from AWSCURRENT.
2. `setSecret`: logged in with the current password (or the previous one, after a rotation that
   stopped between steps 2 and 4), the master user changes its own password to the pending one.
3. `testSecret`: a new connection logs in with the pending password.
4. `finishSecret`: AWSCURRENT moves to the new version (Secrets Manager labels the old one
   AWSPREVIOUS).

Every step is idempotent: Secrets Manager retries a failed step, and a rotation that stopped
half-way restarts at step 1 with the same token.

Why single-user, not alternating users: the master user is the database's administrator
(`rds_superuser` in Aurora), and the alternating strategy would need a clone of it with the
same rights, a second administrator to guard. Its one cost is a window of a few seconds between
steps 2 and 4 in which AWSCURRENT still holds the old password: a login that reads the secret in
that window fails once and succeeds on retry. Only the migration function logs in with this
secret, once per deploy; the API logs in as `tap_app` with IAM authentication and never sees
it, so rotation does not touch the request path.

The password never reaches the server in clear text: the function sends a SCRAM-SHA-256
verifier (RFC 5802/7677, the format PostgreSQL stores), so `log_statement = ddl`, which logs
every ALTER ROLE, logs the verifier, from which the password cannot be read back.

Replicas: the global database's secret is replicated to every secondary region; Secrets Manager
copies each new version and its labels to the replicas itself. The password lives in the
database's catalog, which Aurora's storage replication carries to every secondary cluster.
The function runs in the writer's region, in its VPC, on the same driver (pg8000, tap.functions
.api.db) and over the same verified TLS as the API.

Settings, as the migration function's (tap.functions.api.db.resolve with admin=True):
TAP_DB_HOST (the writer endpoint), TAP_DB_PORT, TAP_DB_NAME, TAP_REGION, and
TAP_DB_ADMIN_SECRET_ARN (this secret); or TAP_DB_DSN for a local server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, Final

from . import db

CURRENT: Final = "AWSCURRENT"
PENDING: Final = "AWSPENDING"
PREVIOUS: Final = "AWSPREVIOUS"
STEPS: Final = ("createSecret", "setSecret", "testSecret", "finishSecret")
PASSWORD_LENGTH: Final = 32
# RDS refuses / @ " and spaces in a master password; quotes and backslash would need escaping in
# a DSN or a shell.
EXCLUDED_CHARACTERS: Final = "/@\"'\\ `"
# PostgreSQL's own default (scram_iterations, PostgreSQL 16); 15 and Aurora use 4096 too.
SCRAM_ITERATIONS: Final = 4096
SCRAM_SALT_BYTES: Final = 16

LOGGER = logging.getLogger(__name__)

Connect = Callable[[db.Settings, db.Login], Any]


class RotationError(Exception):
    """The rotation cannot proceed; the message says why (never a password)."""


def scram_sha_256_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as PostgreSQL stores it.

    RFC 5802 section 3: SaltedPassword = Hi(password, salt, i) (PBKDF2-HMAC-SHA-256),
    StoredKey = H(HMAC(SaltedPassword, "Client Key")), ServerKey = HMAC(SaltedPassword,
    "Server Key"). PostgreSQL takes a password in this form as already encrypted.
    """
    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def handler(
    event: Mapping[str, Any],
    context: Any = None,
    *,
    client: Any = None,
    environ: Mapping[str, str] | None = None,
    connect: Connect = db.connect,
) -> dict[str, str]:
    """Run one rotation step. `client` (Secrets Manager), `environ` and `connect` default to
    the Lambda environment's; tests pass their own."""
    try:
        secret_id = str(event["SecretId"])
        token = str(event["ClientRequestToken"])
        step = str(event["Step"])
    except KeyError as missing:
        raise RotationError(f"the rotation event has no {missing.args[0]}") from None
    if step not in STEPS:
        raise RotationError(f"unknown rotation step {step!r}; expected one of {', '.join(STEPS)}")
    env = os.environ if environ is None else environ
    if client is None:
        client = _secrets_client(env)
    rotation = Rotation(client, secret_id, token, env, connect)
    if not rotation.check_version():
        LOGGER.info("version %s of %s is already AWSCURRENT; nothing to do", token, secret_id)
        return {"step": step, "status": "already-current"}
    getattr(rotation, _STEP_METHODS[step])()
    LOGGER.info("rotation step %s done for %s", step, secret_id)
    return {"step": step, "status": "done"}


_STEP_METHODS: Final = {
    "createSecret": "create_secret",
    "setSecret": "set_secret",
    "testSecret": "test_secret",
    "finishSecret": "finish_secret",
}


def _secrets_client(env: Mapping[str, str]) -> Any:
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - in AWS only

    region = env.get(db.ENV_REGION) or env.get("AWS_REGION")
    return boto3.session.Session().client("secretsmanager", region_name=region)


class Rotation:
    """The four steps for one secret version."""

    def __init__(
        self,
        client: Any,
        secret_id: str,
        token: str,
        environ: Mapping[str, str],
        connect: Connect,
    ) -> None:
        self.client, self.secret_id, self.token = client, secret_id, token
        self.environ, self._connect = environ, connect

    # --- the secret -----------------------------------------------------------------------

    def check_version(self) -> bool:
        """False when the token's version is already current; raises when it is not pending."""
        metadata = self.client.describe_secret(SecretId=self.secret_id)
        if not metadata.get("RotationEnabled"):
            raise RotationError(f"rotation is not enabled on {self.secret_id}")
        stages = metadata.get("VersionIdsToStages") or {}
        if self.token not in stages:
            raise RotationError(f"version {self.token} of {self.secret_id} does not exist")
        if CURRENT in stages[self.token]:
            return False
        if PENDING not in stages[self.token]:
            raise RotationError(f"version {self.token} of {self.secret_id} is not AWSPENDING")
        return True

    def value(self, stage: str, version: str | None = None) -> dict[str, Any]:
        """The secret's JSON at `stage` (and `version`), with a username and a password."""
        request: dict[str, str] = {"SecretId": self.secret_id, "VersionStage": stage}
        if version is not None:
            request["VersionId"] = version
        reply = self.client.get_secret_value(**request)
        try:
            secret = json.loads(reply["SecretString"])
            if not isinstance(secret["username"], str) or not isinstance(secret["password"], str):
                raise TypeError
        except (KeyError, TypeError, ValueError):
            raise RotationError(
                f"{stage} of {self.secret_id} is not JSON with a username and a password"
            ) from None
        return dict(secret)

    def _has_pending(self) -> bool:
        try:
            self.value(PENDING, self.token)
        except self.client.exceptions.ResourceNotFoundException:
            return False
        return True

    # --- the database ---------------------------------------------------------------------

    def settings(self) -> db.Settings:
        try:
            resolved = db.resolve(self.environ, admin=True)
        except db.SettingsError as error:
            raise RotationError(str(error)) from None
        if resolved is None:
            raise RotationError(f"{db.ENV_HOST} is not set: the function has no database")
        return resolved[0]

    def login(self, secret: Mapping[str, Any]) -> Any:
        """A connection as the secret's user, or None when the server refuses the password."""
        try:
            return self._connect(
                self.settings(), db.StaticLogin(secret["username"], secret["password"])
            )
        except db.Unavailable as error:
            LOGGER.info("login as %s failed: %s", secret["username"], error)
            return None

    # --- the steps ------------------------------------------------------------------------

    def create_secret(self) -> None:
        current = self.value(CURRENT)
        if self._has_pending():
            return
        password = self.client.get_random_password(
            PasswordLength=PASSWORD_LENGTH,
            ExcludeCharacters=EXCLUDED_CHARACTERS,
            RequireEachIncludedType=True,
        )["RandomPassword"]
        self.client.put_secret_value(
            SecretId=self.secret_id,
            ClientRequestToken=self.token,
            SecretString=json.dumps({**current, "password": password}),
            VersionStages=[PENDING],
        )

    def set_secret(self) -> None:
        pending = self.value(PENDING, self.token)
        already = self.login(pending)
        if already is not None:  # a retried step: the password is set
            already.close()
            return
        connection = self.login(self.value(CURRENT))
        if connection is None:
            previous = self._previous()
            connection = self.login(previous) if previous is not None else None
        if connection is None:
            raise RotationError(
                f"cannot log in as {pending['username']} with the current or the previous "
                f"password of {self.secret_id}"
            )
        try:
            rows = connection.run("SELECT current_user")
            if rows[0][0] != pending["username"]:
                raise RotationError(
                    f"the secret's user {pending['username']} is not the user logged in"
                )
            # The server quotes the identifier and the literal; the literal is a verifier.
            statement = connection.run(
                "SELECT format('ALTER ROLE %I PASSWORD %L', CAST(:role AS text), "
                "CAST(:verifier AS text))",
                role=pending["username"],
                verifier=scram_sha_256_verifier(pending["password"]),
            )[0][0]
            connection.run(statement)
        finally:
            connection.close()

    def _previous(self) -> dict[str, Any] | None:
        try:
            return self.value(PREVIOUS)
        except self.client.exceptions.ResourceNotFoundException:
            return None

    def test_secret(self) -> None:
        pending = self.value(PENDING, self.token)
        connection = self.login(pending)
        if connection is None:
            raise RotationError(
                f"the pending password of {self.secret_id} does not log {pending['username']} in"
            )
        try:
            user = connection.run("SELECT current_user")[0][0]
        finally:
            connection.close()
        if user != pending["username"]:
            raise RotationError(f"logged in as {user}, not {pending['username']}")

    def finish_secret(self) -> None:
        stages = self.client.describe_secret(SecretId=self.secret_id)["VersionIdsToStages"]
        current = next((v for v, labels in stages.items() if CURRENT in labels), None)
        if current != self.token:
            self.client.update_secret_version_stage(
                SecretId=self.secret_id,
                VersionStage=CURRENT,
                MoveToVersionId=self.token,
                RemoveFromVersionId=current,
            )
        # No AWSPENDING left behind: the next rotation starts from a clean state.
        self.client.update_secret_version_stage(
            SecretId=self.secret_id, VersionStage=PENDING, RemoveFromVersionId=self.token
        )
