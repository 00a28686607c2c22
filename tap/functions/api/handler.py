"""The tap API: a Lambda behind a REST API Gateway with Lambda proxy integration (payload 1.0).

Routes:

    GET  /health        200 {"status": "ok", ...}, or 503 with "degraded" when a required
                        setting is missing or malformed. Never calls AWS.
    POST /records       201 {"id": ...} with a Location header. The record is stored as
                        records/<id>.json in the region's bucket, SSE-KMS with the region's CMK.
    GET  /records/{id}  200 with the stored record, 404 when there is none.

Every error is JSON, {"error": {"code": ..., "message": ...}, "requestId": ...}: 400 invalid
input, 404 unknown route or record, 405 wrong method (with Allow), 413 body over 64 KiB,
502 S3 failed, 503 not configured, 500 anything else. Tracebacks go to the log, never into a
response.

Configuration comes only from environment variables, read on every call:

    TAP_BUCKET_NAME     bucket for records (required)
    TAP_KMS_KEY_ARN     CMK that encrypts records (required)
    TAP_REGION          region of the bucket and the S3 client (falls back to AWS_REGION)
    TAP_ENVIRONMENT     dev | staging | prod, reported by /health
    TAP_VERSION         deployed version, reported by /health
    TAP_DB_SECRET_ARN   Aurora's managed master secret (optional, not used yet)
    TAP_DB_CLUSTER_ARN  Aurora cluster (optional, not used yet)
    TAP_LOG_LEVEL       DEBUG | INFO | WARNING | ERROR (optional, default INFO)

Logs are one JSON object per line on stdout, each with the API Gateway request id and the
Lambda request id. The code is zipped from this directory, so it imports only the standard
library and boto3.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

MAX_BODY_BYTES: Final = 64 * 1024
MAX_TYPE_LENGTH: Final = 128
RECORD_PREFIX: Final = "records/"
RECORD_FIELDS: Final = frozenset({"type", "payload"})
NOT_FOUND_CODES: Final = frozenset({"NoSuchKey", "404", "NotFound"})

ENV_BUCKET: Final = "TAP_BUCKET_NAME"
ENV_REGION: Final = "TAP_REGION"
ENV_ENVIRONMENT: Final = "TAP_ENVIRONMENT"
ENV_VERSION: Final = "TAP_VERSION"
ENV_KMS_KEY: Final = "TAP_KMS_KEY_ARN"
ENV_DB_SECRET: Final = "TAP_DB_SECRET_ARN"
ENV_DB_CLUSTER: Final = "TAP_DB_CLUSTER_ARN"
ENV_LOG_LEVEL: Final = "TAP_LOG_LEVEL"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key|alias)/\S+$")
_SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$")
_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:\S+$")

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

# --------------------------------------------------------------------------- logging

# Fields every log line of the current invocation carries (request ids, route).
_log_context: ContextVar[dict[str, Any] | None] = ContextVar("tap_log_context", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, message, the invocation's context, the
    record's own `fields` and, for exceptions, the traceback (escaped, so still one line)."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "timestamp": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_log_context.get() or {})
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


logger = logging.getLogger("tap.api")
# The Lambda runtime gives the root logger a plain-text handler: keep our lines off it, or
# every line would be written twice, once not as JSON.
logger.propagate = False
_log_handler = logging.StreamHandler(sys.stdout)
_log_handler.set_name("tap-json")
_log_handler.setFormatter(JsonFormatter())
for _old in [h for h in logger.handlers if h.get_name() == "tap-json"]:
    logger.removeHandler(_old)  # a re-import must not log every line twice
logger.addHandler(_log_handler)
logger.setLevel(logging.INFO)


def _log(level: int, message: str, *, exc_info: bool = False, **fields: Any) -> None:
    logger.log(level, message, exc_info=exc_info, extra={"fields": fields})


def _configure_log_level() -> None:
    name = os.environ.get(ENV_LOG_LEVEL, "INFO").strip().upper()
    logger.setLevel(logging.getLevelNamesMapping().get(name, logging.INFO))


# --------------------------------------------------------------------------- configuration


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _region() -> str | None:
    return _env(ENV_REGION) or _env("AWS_REGION")


@dataclass(frozen=True)
class Check:
    """One dependency of the function: its setting, whether it must be there, how it looks."""

    name: str
    env: str
    required: bool
    pattern: re.Pattern[str]

    def status(self) -> str:
        value = _region() if self.env == ENV_REGION else _env(self.env)
        if value is None:
            return "missing" if self.required else "not_configured"
        return ("ok" if self.required else "configured") if self.pattern.match(value) else "invalid"


CHECKS: Final = (
    Check("region", ENV_REGION, required=True, pattern=_REGION),
    Check(
        "bucket",
        ENV_BUCKET,
        required=True,
        pattern=re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
    ),
    Check("kmsKey", ENV_KMS_KEY, required=True, pattern=_KMS_KEY_ARN),
    Check("databaseSecret", ENV_DB_SECRET, required=False, pattern=_SECRET_ARN),
    Check("databaseCluster", ENV_DB_CLUSTER, required=False, pattern=_CLUSTER_ARN),
)


# --------------------------------------------------------------------------- AWS clients

_s3_client: Any = None
_s3_region: str | None = None

_CLIENT_CONFIG: Final = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"max_attempts": 3, "mode": "standard"},
)


def s3_client() -> Any:
    """The S3 client for TAP_REGION, created on first use and cached for warm invocations."""
    global _s3_client, _s3_region  # noqa: PLW0603 - the cache is the point
    region = _region()
    if _s3_client is None or region != _s3_region:
        _s3_client = boto3.client("s3", region_name=region, config=_CLIENT_CONFIG)
        _s3_region = region
    return _s3_client


def reset_clients() -> None:
    """Forget cached clients (tests; a changed region is picked up on its own)."""
    global _s3_client, _s3_region  # noqa: PLW0603
    _s3_client = None
    _s3_region = None


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
    path_parameters: Mapping[str, str]
    body: str | None
    is_base64: bool
    request_id: str | None
    stage_path: str | None

    @classmethod
    def from_event(cls, event: Any) -> Request:
        if not isinstance(event, Mapping) or not isinstance(event.get("httpMethod"), str):
            raise HttpError(400, "invalid_request", "not an API Gateway proxy request")
        context = event.get("requestContext")
        context = context if isinstance(context, Mapping) else {}
        params = event.get("pathParameters")
        body = event.get("body")
        return cls(
            method=event["httpMethod"].upper(),
            path=_str_or_none(event.get("path")) or "/",
            resource=_str_or_none(event.get("resource")),
            path_parameters=dict(params) if isinstance(params, Mapping) else {},
            body=body if isinstance(body, str) else None,
            is_base64=bool(event.get("isBase64Encoded")),
            request_id=_str_or_none(context.get("requestId")),
            stage_path=_str_or_none(context.get("path")),
        )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


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
        "body": json.dumps(body, separators=(",", ":")),
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


Action = Callable[[Request, Mapping[str, str]], Result]


@dataclass(frozen=True)
class Route:
    template: str  # the API Gateway resource, e.g. /records/{id}
    pattern: re.Pattern[str]  # matches the request path when the resource is a proxy
    actions: Mapping[str, Action]


# --------------------------------------------------------------------------- /health


def health(_request: Request, _params: Mapping[str, str]) -> Result:
    checks = {check.name: check.status() for check in CHECKS}
    degraded = any(check.required and checks[check.name] != "ok" for check in CHECKS)
    return Result(
        503 if degraded else 200,
        {
            "status": "degraded" if degraded else "ok",
            "region": _region(),
            "environment": _env(ENV_ENVIRONMENT),
            "version": _env(ENV_VERSION),
            "checks": checks,
        },
    )


# --------------------------------------------------------------------------- /records


def _require(env: str) -> str:
    value = _env(env)
    if value is None:
        _log(logging.ERROR, "required setting is missing", setting=env)
        raise HttpError(503, "not_configured", "the service is not configured")
    return value


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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_object(raw: bytes) -> dict[str, Any]:
    try:
        value: object = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise HttpError(400, "invalid_json", "the body is not UTF-8") from None
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise HttpError(400, "invalid_json", "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise HttpError(400, "invalid_body", "the body must be a JSON object")
    return value


def _validate_record(body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    unexpected = sorted(set(body) - RECORD_FIELDS)
    if unexpected:
        raise HttpError(
            400, "invalid_field", f"unexpected field: {unexpected[0]}", field=unexpected[0]
        )
    record_type = body.get("type")
    if "type" not in body:
        raise HttpError(400, "invalid_field", "field 'type' is required", field="type")
    if not isinstance(record_type, str) or not record_type.strip():
        raise HttpError(
            400, "invalid_field", "field 'type' must be a non-empty string", field="type"
        )
    if len(record_type) > MAX_TYPE_LENGTH:
        raise HttpError(
            400,
            "invalid_field",
            f"field 'type' must be at most {MAX_TYPE_LENGTH} characters",
            field="type",
        )
    payload = body.get("payload")
    if "payload" not in body:
        raise HttpError(400, "invalid_field", "field 'payload' is required", field="payload")
    if not isinstance(payload, dict):
        raise HttpError(
            400, "invalid_field", "field 'payload' must be a JSON object", field="payload"
        )
    return record_type, payload


def _record_key(record_id: str) -> str:
    return f"{RECORD_PREFIX}{record_id}.json"


def _location(request: Request, record_id: str) -> str:
    # requestContext.path keeps the stage (/dev/records) or custom-domain base path, so the
    # Location resolves against the URL the client actually called.
    base = (request.stage_path or "").rstrip("/")
    if not base.endswith("/records"):
        base = "/records"
    return f"{base}/{record_id}"


def _upstream_error(operation: str, exc: Exception) -> HttpError:
    code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else None
    _log(
        logging.ERROR,
        "S3 request failed",
        operation=operation,
        aws_error_code=code,
        aws_error=str(exc),
        error_type=type(exc).__name__,
    )
    return HttpError(502, "upstream_error", "the storage service failed; try again later")


def create_record(request: Request, _params: Mapping[str, str]) -> Result:
    bucket = _require(ENV_BUCKET)
    kms_key = _require(ENV_KMS_KEY)  # never write a record without its CMK
    record_type, payload = _validate_record(_parse_object(_read_body(request)))
    record_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {"id": record_id, "type": record_type, "payload": payload, "createdAt": now}
    try:
        s3_client().put_object(
            Bucket=bucket,
            Key=_record_key(record_id),
            Body=json.dumps(record, separators=(",", ":")).encode("utf-8"),
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=kms_key,
            BucketKeyEnabled=True,
        )
    except (ClientError, BotoCoreError) as exc:
        raise _upstream_error("PutObject", exc) from exc
    _log(logging.INFO, "record stored", record_id=record_id, record_type=record_type)
    return Result(201, {"id": record_id}, {"Location": _location(request, record_id)})


def get_record(_request: Request, params: Mapping[str, str]) -> Result:
    record_id = params.get("id", "")
    if not _UUID.match(record_id):
        raise HttpError(400, "invalid_id", "the record id must be a UUID", field="id")
    record_id = record_id.lower()
    bucket = _require(ENV_BUCKET)
    try:
        response = s3_client().get_object(Bucket=bucket, Key=_record_key(record_id))
        raw: bytes = response["Body"].read()
    except ClientError as exc:
        # Only these codes mean "no such record": NoSuchBucket is an HTTP 404 too, and a role
        # without s3:ListBucket gets AccessDenied for a missing key; both are failures (502).
        if exc.response.get("Error", {}).get("Code") in NOT_FOUND_CODES:
            raise HttpError(404, "not_found", f"record {record_id} does not exist") from None
        raise _upstream_error("GetObject", exc) from exc
    except BotoCoreError as exc:
        raise _upstream_error("GetObject", exc) from exc
    record: dict[str, Any] = json.loads(raw)
    return Result(200, record)


# --------------------------------------------------------------------------- routing

ROUTES: Final = (
    Route("/health", re.compile(r"^/health$"), {"GET": health}),
    Route("/records", re.compile(r"^/records$"), {"POST": create_record}),
    Route("/records/{id}", re.compile(r"^/records/(?P<id>[^/]+)$"), {"GET": get_record}),
)


def _match(request: Request) -> tuple[Route, dict[str, str]] | None:
    # An explicit resource names the route; a proxy resource ({proxy+}) or none falls back to
    # matching the path.
    for route in ROUTES:
        if request.resource == route.template:
            return route, dict(request.path_parameters)
    path = request.path.rstrip("/") or "/"
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            return route, found.groupdict()
    return None


def _dispatch(request: Request) -> Result:
    matched = _match(request)
    if matched is None:
        raise HttpError(404, "not_found", "no such route")
    route, params = matched
    _log_context.set({**(_log_context.get() or {}), "route": route.template})
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


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point (`handler.handler`)."""
    started = time.perf_counter()
    _configure_log_level()
    aws_request_id = getattr(context, "aws_request_id", None)
    api_request_id = None
    if isinstance(event, Mapping) and isinstance(event.get("requestContext"), Mapping):
        api_request_id = _str_or_none(event["requestContext"].get("requestId"))
    request_id = api_request_id or aws_request_id
    token = _log_context.set(
        {"request_id": api_request_id, "aws_request_id": aws_request_id, "route": None}
    )
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
            _log(logging.ERROR, "unhandled error", exc_info=True)
            response = _error_response(
                HttpError(500, "internal_error", "an internal error occurred"), request_id
            )
        status = response["statusCode"]
        _log(
            logging.ERROR if status >= 500 else logging.INFO,
            "request completed",
            method=method,
            path=path,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        )
        return response
    finally:
        _log_context.reset(token)
