"""The tap API: a Lambda behind a REST API Gateway with Lambda proxy integration (payload 1.0).

Routes:

    GET  /health        200 {"status": "ok", ...}, or 503 {"status": "degraded", ...} when this
                        region cannot serve. `checks` reports each dependency: `configuration`
                        (the database settings), `credentials` (the IAM token signed, or the
                        DSN's password), `database` (a `SELECT 1` on the reused connection).
                        The answer is cached for HEALTH_CACHE_SECONDS.
    POST /records       201 {"id": ...} with a Location header. The record is a row of
                        tap.records in PostgreSQL (Aurora in AWS).
    GET  /records/{id}  200 {"id", "type", "payload", "createdAt"}, 404 when there is none.

Every error is JSON, {"error": {"code": ..., "message": ...}, "requestId": ...}: 400 invalid
input, 404 unknown route or record, 405 wrong method (with Allow), 413 body over 64 KiB,
502 the database rejected a statement it should have accepted (`upstream_error`), 503 not
configured (`not_configured`) or the database unreachable (`database_unavailable`, with
Retry-After), 500 anything else. Tracebacks go to the log, never into a response.

Configuration comes only from environment variables, read once per execution environment
(`db.resolve` reads the database ones):

    TAP_DB_DSN          libpq connection string: local mode; overrides the AWS settings below
    TAP_DB_HOST         the region's cluster endpoint (AWS; IAM authentication, verified TLS)
    TAP_DB_PORT         default 5432
    TAP_DB_NAME         the database
    TAP_DB_USER         the role to log in as, default tap_app
    TAP_DB_CONNECT_TIMEOUT_SECONDS  default 3
    TAP_DB_WRITE_FORWARDING         session | eventual | global, on an Aurora global secondary
    TAP_REGION          region (falls back to AWS_REGION): /health, IAM token signing
    TAP_ENVIRONMENT     dev | staging | prod, reported by /health
    TAP_VERSION         deployed version, reported by /health
    TAP_LOG_LEVEL       DEBUG | INFO | WARNING | ERROR (optional, default INFO)

The connection is opened on the first request and reused by later invocations of the same
execution environment. A lost connection is re-established once; after that the answer is 503.

Logs are one JSON object per line on stdout, each with the API Gateway request id and the Lambda
request id. The package imports the standard library, pg8000 (bundled into the zip) and, in AWS,
boto3 (the runtime's); never the rest of `tap`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from . import db
from .contract import (
    ENV_ENVIRONMENT,
    ENV_VERSION,
    LOG_DATABASE_UNAVAILABLE,
    LOG_HEALTH_DATABASE_UNAVAILABLE,
    LOG_HEALTH_NO_CREDENTIALS,
    MAX_BODY_BYTES,
    MAX_TYPE_LENGTH,
    RECORD_FIELDS,
    SECURITY_HEADERS,
)
from .jsonlog import configure_level, log, log_context

if TYPE_CHECKING:
    from pg8000.native import Connection

T = TypeVar("T")

# MAX_BODY_BYTES, MAX_TYPE_LENGTH and RECORD_FIELDS live in contract.py: API Gateway's
# request model is built from the same values.
# Health checkers (Route 53: every 10 or 30 s from each of several locations) share one answer
# per execution environment for this long, so the database sees at most one probe per period.
HEALTH_CACHE_SECONDS: Final = 5.0
# Time kept back from the invocation's deadline for answering (503 rather than a timeout).
DEADLINE_MARGIN_SECONDS: Final = 0.5
RETRY_AFTER_SECONDS: Final = "1"

ENV_REGION: Final = db.ENV_REGION

# fullmatch everywhere: `$` would also match before a trailing newline.
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
# What may be echoed into a response header: API Gateway's ids and paths, nothing that could
# end a header line (CR/LF) or start a protocol-relative URL (//host).
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")
_STAGE_PATH = re.compile(r"/(?!/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,1023}")

INSERT_RECORD: Final = (
    "INSERT INTO tap.records (id, type, payload) "
    "VALUES (CAST(:id AS uuid), :type, CAST(:payload AS jsonb)) "
    # The id is generated here, so a repeat after a lost connection is the same record.
    "ON CONFLICT (id) DO NOTHING"
)
SELECT_RECORD: Final = (
    "SELECT type, payload, created_at FROM tap.records WHERE id = CAST(:id AS uuid)"
)


# --------------------------------------------------------------------------- configuration


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _region() -> str | None:
    return _env(ENV_REGION) or _env("AWS_REGION")


# --------------------------------------------------------------------------- the database

# When the current invocation must have answered: monotonic seconds, or None outside Lambda.
_deadline: ContextVar[float | None] = ContextVar("tap_deadline", default=None)


@dataclass
class _Environment:
    """What the function reads from its environment, read once per execution environment:
    Lambda never changes the variables under a running one."""

    loaded: bool = False
    database: db.Database | None = None
    error: db.SettingsError | None = None


_state = _Environment()
_state_lock = threading.Lock()


def current_database() -> db.Database | None:
    """The Database for this environment's settings, created once and reused.

    None when no database is configured; raises SettingsError when the settings are malformed.
    """
    with _state_lock:
        if not _state.loaded:
            configure_level()
            try:
                resolved = db.resolve()
            except db.SettingsError as error:
                _state.error = error
            else:
                _state.database = db.Database(*resolved) if resolved is not None else None
            _state.loaded = True
        if _state.error is not None:
            raise _state.error
        return _state.database


def reset() -> None:
    """Close the connection and forget what was read from the environment and the cached
    health (tests, which change the environment; Lambda never does)."""
    global _health  # noqa: PLW0603
    with _state_lock:
        if _state.database is not None:
            _state.database.close()
        _state.loaded, _state.database, _state.error = False, None, None
    _health = None


def _require_database() -> db.Database:
    try:
        database = current_database()
    except db.SettingsError as error:
        log(logging.ERROR, "database settings are invalid", error=str(error))
        raise HttpError(503, "not_configured", "the service is not configured") from None
    if database is None:
        log(logging.ERROR, "no database is configured", settings=[db.ENV_DSN, db.ENV_HOST])
        raise HttpError(503, "not_configured", "the service is not configured")
    return database


def _unavailable() -> HttpError:
    return HttpError(
        503,
        "database_unavailable",
        "the database is unavailable; try again later",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def _run(database: db.Database, operation: str, work: Callable[[Connection], T]) -> T:
    """`work` on the reused connection, its failures as the HTTP errors clients should see."""
    try:
        return database.run(work, deadline=_deadline.get())
    except db.Unavailable as error:
        log(logging.ERROR, LOG_DATABASE_UNAVAILABLE, operation=operation, error=str(error))
        raise _unavailable() from None
    except Exception as error:
        from pg8000.exceptions import DatabaseError  # noqa: PLC0415 - loaded by the connection

        if not isinstance(error, DatabaseError):
            raise
        state = db.sqlstate(error)
        log(
            logging.ERROR,
            "database statement failed",
            operation=operation,
            sqlstate=state,
            error=db.server_message(error),
        )
        if state == "57014":  # statement_timeout: the server is there but too slow
            raise _unavailable() from None
        raise HttpError(502, "upstream_error", "the database failed; try again later") from None


# --------------------------------------------------------------------------- HTTP plumbing


class HttpError(Exception):
    """An error the client should see: status, stable code, safe message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    resource: str | None
    path_parameters: Mapping[str, object]
    body: str | None
    is_base64: bool
    stage_path: str | None

    @classmethod
    def from_event(cls, event: Any) -> Request:
        # Lambda hands over the event as decoded JSON: objects are dicts.
        if not isinstance(event, dict) or not isinstance(event.get("httpMethod"), str):
            raise HttpError(400, "invalid_request", "not an API Gateway proxy request")
        context = event.get("requestContext")
        context = context if isinstance(context, dict) else {}
        params = event.get("pathParameters")
        body = event.get("body")
        return cls(
            method=event["httpMethod"].upper(),
            path=_str_or_none(event.get("path")) or "/",
            resource=_str_or_none(event.get("resource")),
            path_parameters=dict(params) if isinstance(params, dict) else {},
            body=body if isinstance(body, str) else None,
            # Only the boolean: the string "false" is truthy.
            is_base64=event.get("isBase64Encoded") is True,
            stage_path=_safe(_STAGE_PATH, context.get("path")),
        )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _safe(pattern: re.Pattern[str], value: object) -> str | None:
    return value if isinstance(value, str) and pattern.fullmatch(value) else None


def safe_request_id(value: object) -> str | None:
    """An API Gateway request id fit for a header, or None (CR/LF, controls, junk)."""
    return _safe(_REQUEST_ID, value)


def _response(
    status: int,
    body: Mapping[str, Any],
    request_id: str | None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = dict(SECURITY_HEADERS)
    if request_id:
        all_headers["X-Request-Id"] = request_id
    all_headers.update(headers or {})
    return {
        "statusCode": status,
        "headers": all_headers,
        "body": _RESPONSE_JSON.encode(body),
    }


def _error_response(error: HttpError, request_id: str | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.field is not None:
        detail["field"] = error.field
    return _response(
        error.status, {"error": detail, "requestId": request_id}, request_id, error.headers
    )


@dataclass(frozen=True)
class Result:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


Action = Callable[[Request, Mapping[str, object]], Result]


@dataclass(frozen=True)
class Route:
    template: str  # the API Gateway resource, e.g. /records/{id}
    pattern: re.Pattern[str]  # matches the request path when the resource is a proxy
    actions: Mapping[str, Action]


# --------------------------------------------------------------------------- /health

_clock: Callable[[], float] = time.monotonic
_health: tuple[float, Result] | None = None


def health(_request: Request, _params: Mapping[str, object]) -> Result:
    global _health  # noqa: PLW0603 - the cache is the point
    now = _clock()
    if _health is not None and now - _health[0] < HEALTH_CACHE_SECONDS:
        return _health[1]
    checks = _health_checks()
    degraded = any(state != "ok" for state in checks.values())
    result = Result(
        503 if degraded else 200,
        {
            "status": "degraded" if degraded else "ok",
            "region": _region(),
            "environment": _env(ENV_ENVIRONMENT),
            "version": _env(ENV_VERSION),
            "checks": checks,
        },
    )
    _health = (now, result)
    return result


def _health_checks() -> dict[str, str]:
    """Each dependency in order; one that fails leaves the later ones `not_checked`."""
    checks = {"configuration": "ok", "credentials": "not_checked", "database": "not_checked"}
    try:
        database = current_database()
    except db.SettingsError as error:
        log(logging.ERROR, "health: database settings are invalid", error=str(error))
        checks["configuration"] = "invalid"
        return checks
    if database is None:
        checks["configuration"] = "missing"
        return checks
    try:
        db.obtain_credentials(database.login)
    except (db.CredentialsUnavailable, db.SettingsError) as error:
        log(logging.ERROR, LOG_HEALTH_NO_CREDENTIALS, error=str(error))
        checks["credentials"] = "failed"
        return checks
    checks["credentials"] = "ok"
    from pg8000.exceptions import DatabaseError  # noqa: PLC0415 - only with a database

    try:
        database.run(lambda connection: connection.run("SELECT 1"), deadline=_deadline.get())
    except db.Unavailable as error:
        log(logging.ERROR, LOG_HEALTH_DATABASE_UNAVAILABLE, error=str(error))
        checks["database"] = "unavailable"
    except DatabaseError as error:
        log(logging.ERROR, "health: database error", error=db.server_message(error))
        checks["database"] = "error"
    else:
        checks["database"] = "ok"
    return checks


# --------------------------------------------------------------------------- /records


def _read_body(request: Request) -> bytes:
    """The raw body as bytes, with the size limit applied before any parsing."""
    text = request.body
    if text is None or text == "":
        raise HttpError(400, "invalid_body", "a request body is required")
    if request.is_base64:
        # Four base64 characters carry three bytes: reject before decoding what is too big.
        if len(text) > (MAX_BODY_BYTES + 2) // 3 * 4 + 4:
            raise _too_large()
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(400, "invalid_body", "the body is not valid base64") from None
    else:
        if len(text) > MAX_BODY_BYTES:  # every character is at least one byte
            raise _too_large()
        raw = text.encode("utf-8", errors="surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _too_large() -> HttpError:
    return HttpError(413, "payload_too_large", f"the request body exceeds {MAX_BODY_BYTES} bytes")


class _NotFinite(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # 1e999 is valid JSON but overflows to inf, which would come back out as `Infinity`.
    number = float(text)
    if not math.isfinite(number):
        raise _NotFinite(text)
    return number


# Built once: json.loads and json.dumps with options build a new coder on every call.
_REQUEST_JSON: Final = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_PAYLOAD_JSON: Final = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_RESPONSE_JSON: Final = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def _parse_object(raw: bytes) -> dict[str, Any]:
    try:
        value: object = _REQUEST_JSON.decode(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise HttpError(400, "invalid_json", "the body is not UTF-8") from None
    except _NotFinite as error:
        raise HttpError(
            400, "invalid_json", f"the number {str(error)[:32]} is out of range (not finite)"
        ) from None
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise HttpError(400, "invalid_json", "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise HttpError(400, "invalid_body", "the body must be a JSON object")
    return value


def _invalid(name: str, problem: str) -> HttpError:
    return HttpError(400, "invalid_field", f"field '{name}' {problem}", field=name)


_UNSTORABLE: Final = "must not contain NUL characters or unpaired surrogates"


def _storable(value: str) -> bool:
    """PostgreSQL text and jsonb hold neither NUL nor lone surrogates (\\ud800 without a pair)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable_json(value: object) -> bool:
    """Every key and string in `value` is storable; iterative, so deep nesting cannot recurse."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if not _storable(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _validate_record(body: Mapping[str, Any]) -> tuple[str, str]:
    """The record's type and its payload serialised for jsonb."""
    unexpected = sorted(set(body) - RECORD_FIELDS)
    if unexpected:
        raise HttpError(
            400, "invalid_field", f"unexpected field: {unexpected[0]}", field=unexpected[0]
        )
    if "type" not in body:
        raise _invalid("type", "is required")
    record_type = body["type"]
    if not isinstance(record_type, str) or not record_type.strip():
        raise _invalid("type", "must be a non-empty string")
    if len(record_type) > MAX_TYPE_LENGTH:
        raise _invalid("type", f"must be at most {MAX_TYPE_LENGTH} characters")
    if not _storable(record_type):
        raise _invalid("type", _UNSTORABLE)
    if "payload" not in body:
        raise _invalid("payload", "is required")
    payload = body["payload"]
    if not isinstance(payload, dict):
        raise _invalid("payload", "must be a JSON object")
    try:
        text = _PAYLOAD_JSON.encode(payload)
    except RecursionError:
        raise _invalid("payload", "is nested too deeply") from None
    # The serialised text shows a NUL as \u0000 and keeps a lone surrogate, which cannot be
    # encoded: two C-speed checks, and the exact walk only when the first may have matched.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("payload", _UNSTORABLE) from None
    if "\\u0000" in text and not _storable_json(payload):
        raise _invalid("payload", _UNSTORABLE)
    return record_type, text


def _location(request: Request, record_id: str) -> str:
    # requestContext.path keeps the stage (/dev/records) or custom-domain base path, so the
    # Location resolves against the URL the client actually called.
    base = (request.stage_path or "").rstrip("/")
    if not base.endswith("/records"):
        base = "/records"
    return f"{base}/{record_id}"


def _timestamp(value: datetime) -> str:
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_record(request: Request, _params: Mapping[str, object]) -> Result:
    database = _require_database()
    record_type, payload = _validate_record(_parse_object(_read_body(request)))
    record_id = str(uuid.uuid4())

    def insert(connection: Connection) -> None:
        statement = database.prepared(connection, "insert_record", INSERT_RECORD)
        statement.run(id=record_id, type=record_type, payload=payload)

    _run(database, "insert_record", insert)
    # One log line per request: the completion line carries the record it stored.
    log_context.set({**(log_context.get() or {}), "record_id": record_id, "type": record_type})
    return Result(201, {"id": record_id}, {"Location": _location(request, record_id)})


def get_record(_request: Request, params: Mapping[str, object]) -> Result:
    record_id = params.get("id")
    if not isinstance(record_id, str) or not _UUID.fullmatch(record_id):
        raise HttpError(400, "invalid_id", "the record id must be a UUID", field="id")
    record_id = record_id.lower()
    database = _require_database()

    def select(connection: Connection) -> list[list[Any]]:
        statement = database.prepared(connection, "select_record", SELECT_RECORD)
        rows: list[list[Any]] = statement.run(id=record_id)
        return rows

    rows = _run(database, "select_record", select)
    if not rows:
        raise HttpError(404, "not_found", f"record {record_id} does not exist")
    record_type, payload, created_at = rows[0]
    return Result(
        200,
        {
            "id": record_id,
            "type": record_type,
            "payload": payload,
            "createdAt": _timestamp(created_at),
        },
    )


# --------------------------------------------------------------------------- routing

ROUTES: Final = (
    Route("/health", re.compile(r"/health"), {"GET": health}),
    Route("/records", re.compile(r"/records"), {"POST": create_record}),
    Route("/records/{id}", re.compile(r"/records/(?P<id>[^/]+)"), {"GET": get_record}),
)


def _match(request: Request) -> tuple[Route, dict[str, object]] | None:
    # An explicit resource names the route; a proxy resource ({proxy+}) or none falls back to
    # matching the path.
    for route in ROUTES:
        if request.resource == route.template:
            return route, dict(request.path_parameters)
    path = request.path.rstrip("/") or "/"
    for route in ROUTES:
        found = route.pattern.fullmatch(path)
        if found:
            return route, dict(found.groupdict())
    return None


def _dispatch(request: Request) -> Result:
    matched = _match(request)
    if matched is None:
        raise HttpError(404, "not_found", "no such route")
    route, params = matched
    log_context.set({**(log_context.get() or {}), "route": route.template})
    action = route.actions.get(request.method)
    if action is None:
        allow = ", ".join(sorted(route.actions))
        raise HttpError(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {route.template}",
            headers={"Allow": allow},
        )
    return action(request, params)


def _invocation_deadline(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        milliseconds = float(remaining())
    except (TypeError, ValueError):
        return None
    return time.monotonic() + milliseconds / 1000 - DEADLINE_MARGIN_SECONDS


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point (`tap.functions.api.handler.handler`)."""
    started = time.perf_counter()
    if not _state.loaded:
        with contextlib.suppress(db.SettingsError):  # reported where the database is needed
            current_database()
    aws_request_id = safe_request_id(getattr(context, "aws_request_id", None))
    api_request_id = None
    if isinstance(event, dict) and isinstance(event.get("requestContext"), dict):
        api_request_id = safe_request_id(event["requestContext"].get("requestId"))
    request_id = api_request_id or aws_request_id
    token = log_context.set(
        {"request_id": api_request_id, "aws_request_id": aws_request_id, "route": None}
    )
    deadline_token = _deadline.set(_invocation_deadline(context))
    method = path = None
    try:
        try:
            request = Request.from_event(event)
            method, path = request.method, request.path[:256]
            result = _dispatch(request)
            response = _response(result.status, result.body, request_id, result.headers)
        except HttpError as error:
            response = _error_response(error, request_id)
        except Exception:
            log(logging.ERROR, "unhandled error", exc_info=True)
            response = _error_response(
                HttpError(500, "internal_error", "an internal error occurred"), request_id
            )
        status = response["statusCode"]
        log(
            logging.ERROR if status >= 500 else logging.INFO,
            "request completed",
            method=method,
            path=path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        return response
    finally:
        _deadline.reset(deadline_token)
        log_context.reset(token)
