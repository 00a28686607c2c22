"""The API Lambda end to end against the real PostgreSQL server: routing, validation, storage,
health, failures, logs. Events are REST API proxy events (payload 1.0) as API Gateway sends."""

from __future__ import annotations

import ast
import base64
import io
import json
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from tap.functions.api import contract, db, jsonlog
from tap.functions.api import handler as api
from tests.postgres import APP_PASSWORD, PostgresServer

REGION = "eu-central-1"
ENVIRONMENT = "test"
VERSION = "1.2.3"
SOME_ID = "0b8f6a52-3d7e-4c4f-9a57-2f1d8e0c6b3a"  # fixed, so parametrized test ids are stable


@dataclass(frozen=True)
class LambdaContext:
    aws_request_id: str = "lambda-req-0001"
    function_name: str = "tap-test-euc1-api"
    remaining_ms: int = 10_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def api_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    base64_body: Any = False,
    resource: str | None = None,
    request_id: str = "apigw-req-0001",
    context_path: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0), as API Gateway sends it from stage `test`.

    The resource is derived from the path like the deployed API's resources do; pass
    `resource="/{proxy+}"` for a proxy resource.
    """
    path_parameters: dict[str, Any] | None = None
    if resource is None:
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "records":
            resource, path_parameters = "/records/{id}", {"id": parts[1]}
        else:
            resource = path
    elif resource == "/{proxy+}":
        path_parameters = {"proxy": path.lstrip("/")}
    headers = {"Content-Type": "application/json", "Host": "abc123.execute-api.amazonaws.com"}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc",
            "resourcePath": resource,
            "httpMethod": method,
            "path": context_path if context_path is not None else f"/{ENVIRONMENT}{path}",
            "stage": ENVIRONMENT,
            "requestId": request_id,
            "accountId": "123456789012",
            "apiId": "abc123",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "pytest"},
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


def call(event: dict[str, Any], context: Any = None) -> tuple[int, dict[str, str], Any]:
    response = api.handler(event, context or LambdaContext())
    assert set(response) == {"statusCode", "headers", "body"}
    return response["statusCode"], response["headers"], json.loads(response["body"])


def post_record(body: Any, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return call(api_event("POST", "/records", body=text, **kwargs))


def get(record_id: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    return call(api_event("GET", f"/records/{record_id}", **kwargs))


def assert_error(result: tuple[int, dict[str, str], Any], status: int, code: str) -> dict[str, Any]:
    got_status, headers, body = result
    assert got_status == status, body
    assert headers["Content-Type"] == "application/json"
    assert set(body) == {"error", "requestId"}
    assert body["requestId"] == "apigw-req-0001"
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


def stored(postgres: PostgresServer, database: str, record_id: str) -> list[Any]:
    admin = postgres.admin(database)
    try:
        rows = admin.run(
            "SELECT type, payload, created_at FROM tap.records WHERE id = CAST(:id AS uuid)",
            id=record_id,
        )
    finally:
        admin.close()
    assert len(rows) == 1
    return list(rows[0])


@pytest.fixture(autouse=True)
def env(
    postgres: PostgresServer, app_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    monkeypatch.setenv("TAP_DB_DSN", postgres.app_dsn(app_database))
    monkeypatch.setenv("TAP_REGION", REGION)
    monkeypatch.setenv("TAP_ENVIRONMENT", ENVIRONMENT)
    monkeypatch.setenv("TAP_VERSION", VERSION)
    for name in ("TAP_DB_HOST", "TAP_DB_WRITE_FORWARDING", "TAP_LOG_LEVEL", "PGPASSWORD"):
        monkeypatch.delenv(name, raising=False)
    api.reset()
    yield
    api.reset()


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the function writes to its log stream."""
    stream = io.StringIO()
    monkeypatch.setattr(jsonlog.log_handler, "stream", stream)
    return stream


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


def backend_pids(postgres: PostgresServer, database: str) -> list[int]:
    admin = postgres.admin(database)
    try:
        rows = admin.run(
            "SELECT pid FROM pg_stat_activity WHERE datname = :db AND application_name = :app",
            db=database,
            app=db.APPLICATION_NAME,
        )
    finally:
        admin.close()
    return [int(row[0]) for row in rows]


# --------------------------------------------------------------------------- health


def test_health_is_ok_and_names_each_dependency(logs: io.StringIO) -> None:
    status, headers, body = call(api_event("GET", "/health"))
    assert status == 200
    assert body == {
        "status": "ok",
        "region": REGION,
        "environment": ENVIRONMENT,
        "version": VERSION,
        "checks": {"configuration": "ok", "credentials": "ok", "database": "ok"},
    }
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Request-Id"] == "apigw-req-0001"
    assert APP_PASSWORD not in json.dumps(body) and "127.0.0.1" not in json.dumps(body)
    assert APP_PASSWORD not in logs.getvalue()


def test_health_without_a_database_is_degraded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAP_DB_DSN")
    status, _, body = call(api_event("GET", "/health"))
    assert status == 503
    assert body["status"] == "degraded"
    assert body["checks"] == {
        "configuration": "missing",
        "credentials": "not_checked",
        "database": "not_checked",
    }


def test_health_with_malformed_settings_is_degraded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAP_DB_DSN", "host=127.0.0.1 user=tap_app sslmode=prefer")
    status, _, body = call(api_event("GET", "/health"))
    assert status == 503
    assert body["checks"]["configuration"] == "invalid"


def test_health_without_aws_credentials_names_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TAP_DB_DSN")
    monkeypatch.setenv("TAP_DB_HOST", "127.0.0.1")
    monkeypatch.setenv("TAP_DB_NAME", "tap")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    status, _, body = call(api_event("GET", "/health"))
    assert status == 503
    assert body["checks"] == {
        "configuration": "ok",
        "credentials": "failed",
        "database": "not_checked",
    }
    assert_error(post_record({"type": "t", "payload": {}}), 503, "database_unavailable")


def test_health_is_cached_for_a_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(api, "_clock", lambda: now[0])
    database = api.current_database()
    assert database is not None
    probes: list[float] = []
    real_run = database.run

    def counting_run(*args: Any, **kwargs: Any) -> Any:
        probes.append(now[0])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(database, "run", counting_run)
    assert call(api_event("GET", "/health"))[0] == 200
    now[0] += api.HEALTH_CACHE_SECONDS - 0.1
    assert call(api_event("GET", "/health"))[0] == 200
    assert probes == [1000.0]
    now[0] += 0.2
    assert call(api_event("GET", "/health"))[0] == 200
    assert len(probes) == 2


# --------------------------------------------------------------------------- records


def test_create_then_get_round_trip(postgres: PostgresServer, app_database: str) -> None:
    record = {"type": "order.created", "payload": {"orderId": 42, "items": ["a", "ü"], "x": 0.5}}
    status, headers, body = post_record(record)
    assert status == 201, body
    record_id = body["id"]
    assert body == {"id": record_id}
    assert uuid.UUID(record_id).version == 4
    # The stage stays in the Location, so it resolves against the URL the client called.
    assert headers["Location"] == f"/{ENVIRONMENT}/records/{record_id}"

    row_type, row_payload, created_at = stored(postgres, app_database, record_id)
    assert (row_type, row_payload) == (record["type"], record["payload"])

    status, _, got = get(record_id)
    assert status == 200
    assert got == {
        "id": record_id,
        "type": record["type"],
        "payload": record["payload"],
        "createdAt": created_at.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
    }


def test_get_accepts_an_upper_case_id() -> None:
    record_id = post_record({"type": "t", "payload": {}})[2]["id"]
    status, _, got = get(record_id.upper())
    assert status == 200
    assert got["id"] == record_id


def test_create_with_base64_body(postgres: PostgresServer, app_database: str) -> None:
    text = json.dumps({"type": "binary.upload", "payload": {"n": 1}})
    encoded = base64.b64encode(text.encode()).decode()
    status, _, body = post_record(encoded, base64_body=True)
    assert status == 201, body
    assert stored(postgres, app_database, body["id"])[0] == "binary.upload"


@pytest.mark.parametrize("flag", ["false", "true", 1, "yes", None])
def test_only_the_boolean_true_means_base64(flag: Any) -> None:
    # API Gateway sends a JSON boolean; a string (even "true") is not base64 and the body is text.
    status, _, body = post_record({"type": "t", "payload": {}}, base64_body=flag)
    assert status == 201, body


def test_invalid_base64_is_rejected() -> None:
    assert_error(post_record("not base64!", base64_body=True), 400, "invalid_body")


def test_routes_through_a_proxy_resource() -> None:
    status, _, body = call(
        api_event(
            "POST",
            "/records",
            body=json.dumps({"type": "t", "payload": {}}),
            resource="/{proxy+}",
        )
    )
    assert status == 201
    status, _, got = get(body["id"], resource="/{proxy+}")
    assert status == 200 and got["id"] == body["id"]


def test_a_repeated_insert_is_the_same_record(postgres: PostgresServer, app_database: str) -> None:
    # A retry after a lost connection repeats the INSERT with the same id: nothing changes.
    database = api.current_database()
    assert database is not None
    record_id = post_record({"type": "t", "payload": {"n": 1}})[2]["id"]

    def again(connection: Any) -> None:
        statement = database.prepared(connection, "insert_record", api.INSERT_RECORD)
        statement.run(id=record_id, type="other", payload='{"n": 2}')

    database.run(again)
    assert stored(postgres, app_database, record_id)[:2] == ["t", {"n": 1}]


def test_get_missing_record_is_404() -> None:
    missing = str(uuid.uuid4())
    error = assert_error(get(missing), 404, "not_found")
    assert missing in error["message"]


@pytest.mark.parametrize(
    "bad_id",
    [
        "not-a-uuid",
        "..",
        "%2e%2e%2fsecret",
        SOME_ID.replace("-", ""),
        "{" + SOME_ID + "}",
        SOME_ID + "\n",  # `$` would match before the newline; fullmatch does not
        " " + SOME_ID,
    ],
)
def test_get_with_a_non_uuid_id_is_400(bad_id: str) -> None:
    error = assert_error(get(bad_id), 400, "invalid_id")
    assert error["field"] == "id"


@pytest.mark.parametrize("bad_id", [42, None, [SOME_ID], {"id": SOME_ID}, True])
def test_a_non_string_id_is_400(bad_id: Any) -> None:
    event = api_event("GET", f"/records/{SOME_ID}")
    event["pathParameters"] = {"id": bad_id}
    assert_error(call(event), 400, "invalid_id")


def test_a_missing_id_parameter_is_400() -> None:
    event = api_event("GET", f"/records/{SOME_ID}")
    event["pathParameters"] = None
    assert_error(call(event), 400, "invalid_id")


@pytest.mark.parametrize(
    "body",
    [
        '{"type": "t", "payload": {}',
        "{'type': 1}",
        "NaN",
        "[" * 5000,
        '{"type": "t", "payload": {"n": NaN}}',
        '{"type": "t", "payload": {"n": -Infinity}}',
    ],
)
def test_malformed_json_is_400(body: str) -> None:
    assert_error(post_record(body), 400, "invalid_json")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "1E400", "123456789e999"])
def test_a_number_that_overflows_is_400_not_infinity(number: str) -> None:
    body = '{"type": "t", "payload": {"n": ' + number + "}}"
    error = assert_error(post_record(body), 400, "invalid_json")
    assert "not finite" in error["message"]


def test_large_finite_numbers_keep_their_value() -> None:
    # jsonb keeps numbers as exact decimals and prints them without an exponent: the value
    # survives, the spelling may not (1.7976931348623157e308 comes back as 309 digits).
    body = (
        '{"type": "t", "payload": {"big": 1.7976931348623157e308, "tiny": 5e-324,'
        ' "int": 123456789012345678901234567890}}'
    )
    payload = get(post_record(body)[2]["id"])[2]["payload"]
    assert float(payload["big"]) == 1.7976931348623157e308
    assert float(payload["tiny"]) == 5e-324
    assert payload["int"] == 123456789012345678901234567890


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"type": "t\\u0000", "payload": {}}', "type"),
        ('{"type": "\\ud800", "payload": {}}', "type"),
        ('{"type": "t", "payload": {"a": "x\\u0000y"}}', "payload"),
        ('{"type": "t", "payload": {"a\\u0000": 1}}', "payload"),
        ('{"type": "t", "payload": {"a": [["\\udfff"]]}}', "payload"),
    ],
)
def test_text_postgresql_cannot_store_is_400(body: str, field: str) -> None:
    error = assert_error(post_record(body), 400, "invalid_field")
    assert error["field"] == field
    assert "NUL" in error["message"]


def test_paired_surrogates_are_ordinary_text() -> None:
    record_id = post_record('{"type": "emoji", "payload": {"e": "\\ud83d\\ude00"}}')[2]["id"]
    assert get(record_id)[2]["payload"] == {"e": "\U0001f600"}


def test_non_utf8_body_is_400() -> None:
    encoded = base64.b64encode(b'{"type": "\xff"}').decode()
    error = assert_error(post_record(encoded, base64_body=True), 400, "invalid_json")
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize("body", ["[]", '"text"', "42", "null", "true"])
def test_non_object_json_is_400(body: str) -> None:
    error = assert_error(post_record(body), 400, "invalid_body")
    assert "object" in error["message"]


@pytest.mark.parametrize("body", [None, ""])
def test_missing_body_is_400(body: str | None) -> None:
    assert_error(call(api_event("POST", "/records", body=body)), 400, "invalid_body")


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ({"payload": {}}, "type", "required"),
        ({"type": "", "payload": {}}, "type", "non-empty string"),
        ({"type": "  ", "payload": {}}, "type", "non-empty string"),
        ({"type": 5, "payload": {}}, "type", "non-empty string"),
        ({"type": None, "payload": {}}, "type", "non-empty string"),
        ({"type": "x" * 129, "payload": {}}, "type", "at most 128"),
        ({"type": "t"}, "payload", "required"),
        ({"type": "t", "payload": [1]}, "payload", "JSON object"),
        ({"type": "t", "payload": None}, "payload", "JSON object"),
        ({"type": "t", "payload": {}, "id": "mine"}, "id", "unexpected"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(
    body: dict[str, Any], field: str, problem: str
) -> None:
    error = assert_error(post_record(body), 400, "invalid_field")
    assert error["field"] == field
    assert field in error["message"] and problem in error["message"]


def test_the_longest_type_is_stored() -> None:
    record_id = post_record({"type": "é" * 128, "payload": {}})[2]["id"]
    assert get(record_id)[2]["type"] == "é" * 128


def _body_of_size(size: int) -> str:
    skeleton = json.dumps({"type": "t", "payload": {"pad": ""}})
    text = json.dumps({"type": "t", "payload": {"pad": "x" * (size - len(skeleton))}})
    assert len(text.encode()) == size
    return text


@pytest.mark.parametrize("base64_body", [False, True])
def test_body_at_the_limit_is_accepted(base64_body: bool) -> None:
    text = _body_of_size(contract.MAX_BODY_BYTES)
    if base64_body:
        text = base64.b64encode(text.encode()).decode()
    assert post_record(text, base64_body=base64_body)[0] == 201


@pytest.mark.parametrize("base64_body", [False, True])
def test_body_over_the_limit_is_413(base64_body: bool) -> None:
    text = _body_of_size(contract.MAX_BODY_BYTES + 1)
    if base64_body:
        text = base64.b64encode(text.encode()).decode()
    assert_error(post_record(text, base64_body=base64_body), 413, "payload_too_large")


def test_oversized_base64_is_rejected_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decode(*_: Any, **__: Any) -> bytes:
        raise AssertionError("decoded an oversized body")

    monkeypatch.setattr(base64, "b64decode", no_decode)  # the module the handler uses
    text = base64.b64encode(_body_of_size(contract.MAX_BODY_BYTES + 1024).encode()).decode()
    assert_error(post_record(text, base64_body=True), 413, "payload_too_large")


def test_size_limit_counts_bytes_not_characters() -> None:
    # Under the limit in characters, over it in UTF-8 bytes.
    text = json.dumps({"type": "t", "payload": {"pad": "é" * 40_000}}, ensure_ascii=False)
    assert len(text) < contract.MAX_BODY_BYTES < len(text.encode())
    assert_error(post_record(text), 413, "payload_too_large")


def test_records_are_503_when_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAP_DB_DSN")
    assert_error(post_record({"type": "t", "payload": {}}), 503, "not_configured")
    assert_error(get(str(uuid.uuid4())), 503, "not_configured")
    monkeypatch.setenv("TAP_DB_DSN", "host=h user=u sslmode=allow")
    api.reset()  # a new execution environment: the variables are read once
    assert_error(get(str(uuid.uuid4())), 503, "not_configured")


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    "request_id",
    ["abc\r\nSet-Cookie: stolen=1", "abc\nX: y", "a" * 200, "", "\x00", "id with space"],
)
def test_a_request_id_unfit_for_a_header_is_not_echoed(request_id: str) -> None:
    status, headers, body = call(api_event("GET", "/health", request_id=request_id))
    assert status == 200
    assert headers["X-Request-Id"] == LambdaContext().aws_request_id
    assert body["status"] == "ok"
    assert all("\n" not in v and "\r" not in v for v in headers.values())


@pytest.mark.parametrize(
    "context_path",
    [
        "/test/records\r\nSet-Cookie: stolen=1",
        "//evil.example/records",
        "/test/re cords",
        "relative/records",
    ],
)
def test_a_stage_path_unfit_for_a_header_falls_back(context_path: str) -> None:
    status, headers, body = post_record({"type": "t", "payload": {}}, context_path=context_path)
    assert status == 201
    assert headers["Location"] == f"/records/{body['id']}"


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("path", ["/", "/nope", "/records/a/b", "/healthz", "/health\n"])
def test_unknown_route_is_404(path: str) -> None:
    error = assert_error(call(api_event("GET", path, resource="/{proxy+}")), 404, "not_found")
    assert "route" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", f"/records/{SOME_ID}", "GET"),
        ("PUT", f"/records/{SOME_ID}", "GET"),
        ("GET", "/records", "POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_wrong_method_is_405_with_allow(method: str, path: str, allow: str) -> None:
    result = call(api_event(method, path))
    assert_error(result, 405, "method_not_allowed")
    assert result[1]["Allow"] == allow


def test_an_event_that_is_not_from_api_gateway_is_400() -> None:
    response = api.handler({"source": "aws.events"}, LambdaContext())
    body = json.loads(response["body"])
    assert response["statusCode"] == 400
    assert body["error"]["code"] == "invalid_request"
    assert body["requestId"] == LambdaContext().aws_request_id


# --------------------------------------------------------------------------- failures


def test_a_killed_connection_is_re_established(postgres: PostgresServer, app_database: str) -> None:
    record_id = post_record({"type": "t", "payload": {}})[2]["id"]
    (before,) = backend_pids(postgres, app_database)
    admin = postgres.admin(app_database)
    try:
        admin.run("SELECT pg_terminate_backend(:pid)", pid=before)
    finally:
        admin.close()
    status, _, got = get(record_id)
    assert status == 200 and got["id"] == record_id
    (after,) = backend_pids(postgres, app_database)
    assert after != before


def test_a_statement_error_is_502_without_details(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    # A database without the migrations: tap.records does not exist there.
    empty = postgres.create_database("tap_handler_empty")
    try:
        monkeypatch.setenv("TAP_DB_DSN", postgres.app_dsn(empty))
        result = get(str(uuid.uuid4()))
        error = assert_error(result, 502, "upstream_error")
        assert set(error) == {"code", "message"}
        assert "tap.records" not in json.dumps(result[2])
        (failure,) = [x for x in log_lines(logs) if x["message"] == "database statement failed"]
        assert failure["sqlstate"] == "42P01"
        assert failure["operation"] == "select_record"
        assert 'relation "tap.records" does not exist' in failure["error"]
    finally:
        api.reset()
        postgres.drop_database(empty)


def test_a_statement_timeout_is_503(postgres: PostgresServer, app_database: str) -> None:
    record_id = post_record({"type": "t", "payload": {}})[2]["id"]
    holder = postgres.admin(app_database)
    try:
        holder.run("BEGIN")
        holder.run("LOCK TABLE tap.records IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        result = get(record_id)
        elapsed = time.monotonic() - started
    finally:
        holder.run("ROLLBACK")
        holder.close()
    headers = assert_error(result, 503, "database_unavailable") and result[1]
    assert headers["Retry-After"] == "1"
    assert db.STATEMENT_TIMEOUT_MS / 1000 <= elapsed < db.STATEMENT_TIMEOUT_MS / 1000 + 2
    assert get(record_id)[0] == 200  # the same connection goes on


def test_no_time_left_in_the_invocation_is_503_at_once() -> None:
    started = time.monotonic()
    result = call(api_event("GET", f"/records/{SOME_ID}"), LambdaContext(remaining_ms=100))
    assert time.monotonic() - started < 1
    assert_error(result, 503, "database_unavailable")


def test_unexpected_exception_is_500_and_logged_with_traceback(
    monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    def broken(_: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api, "_validate_record", broken)
    result = post_record({"type": "t", "payload": {}})
    error = assert_error(result, 500, "internal_error")
    assert "secret internals" not in json.dumps(result[2])
    assert "Traceback" not in json.dumps(result[2])
    assert error["message"] == "an internal error occurred"
    (logged,) = [line for line in log_lines(logs) if line["message"] == "unhandled error"]
    assert logged["level"] == "ERROR"
    assert "Traceback" in logged["exception"] and "secret internals" in logged["exception"]
    assert logged["request_id"] == "apigw-req-0001"


# --------------------------------------------------------------------------- logging


def test_logs_are_json_lines_with_request_ids(logs: io.StringIO) -> None:
    call(api_event("GET", "/health", request_id="apigw-req-logs"))
    lines = log_lines(logs)
    assert len(logs.getvalue().splitlines()) == len(lines)
    (done,) = [line for line in lines if line["message"] == "request completed"]
    assert done["request_id"] == "apigw-req-logs"
    assert done["aws_request_id"] == LambdaContext().aws_request_id
    assert done["level"] == "INFO"
    assert done["route"] == "/health"
    assert done["method"] == "GET"
    assert done["status"] == 200
    assert isinstance(done["duration_ms"], float) and done["duration_ms"] >= 0
    assert done["timestamp"].endswith("Z")


def test_a_stored_record_is_logged_without_its_payload(logs: io.StringIO) -> None:
    record_id = post_record({"type": "t", "payload": {"card": "4111-1111"}})[2]["id"]
    (line,) = log_lines(logs)  # one line per request
    assert line["message"] == "request completed" and line["status"] == 201
    assert line["record_id"] == record_id and line["type"] == "t"
    assert "4111" not in logs.getvalue()


def test_log_context_does_not_leak_between_invocations(logs: io.StringIO) -> None:
    call(api_event("GET", "/health", request_id="first"))
    api.handler({"httpMethod": "GET", "path": "/nope"}, None)
    last = log_lines(logs)[-1]
    assert last["request_id"] is None and last["aws_request_id"] is None
    assert last["route"] is None and last["status"] == 404
    jsonlog.logger.info("between invocations")
    outside = log_lines(logs)[-1]
    assert outside["message"] == "between invocations"
    assert "request_id" not in outside and "route" not in outside


def test_log_level_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    monkeypatch.setenv("TAP_LOG_LEVEL", "warning")
    call(api_event("GET", "/health"))
    assert logs.getvalue() == ""
    monkeypatch.setenv("TAP_LOG_LEVEL", "bogus")  # falls back to INFO
    api.reset()
    call(api_event("GET", "/health"))
    assert log_lines(logs)[-1]["message"] == "request completed"


# --------------------------------------------------------------------------- the package


def test_the_package_imports_only_the_stdlib_the_driver_and_boto3() -> None:
    allowed = set(sys.stdlib_module_names) | {"pg8000", "boto3"}
    for path in sorted(Path(api.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                continue  # the package's own modules
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
