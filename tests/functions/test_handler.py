"""The API Lambda, end to end against moto's S3: routing, validation, storage, errors, logs."""

from __future__ import annotations

import ast
import base64
import io
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tap.functions.api import handler as api

REGION = "eu-central-1"
BUCKET = "tap-test-euc1-records"
ENVIRONMENT = "test"
VERSION = "1.2.3"
SECRET_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:tap-test-db-AbCdEf"
CLUSTER_ARN = "arn:aws:rds:eu-central-1:123456789012:cluster:tap-test-euc1-aurora"
SOME_ID = "0b8f6a52-3d7e-4c4f-9a57-2f1d8e0c6b3a"  # fixed, so parametrized test ids are stable


@dataclass(frozen=True)
class LambdaContext:
    aws_request_id: str = "lambda-req-0001"
    function_name: str = "tap-test-euc1-api"


def api_event(
    method: str,
    path: str,
    *,
    body: str | None = None,
    base64_body: bool = False,
    resource: str | None = None,
    request_id: str = "apigw-req-0001",
) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0), as API Gateway sends it from stage `test`.

    The resource is derived from the path like the deployed API's resources do; pass
    `resource="/{proxy+}"` for a proxy resource.
    """
    path_parameters: dict[str, str] | None = None
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
            "path": f"/{ENVIRONMENT}{path}",
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


def call(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = api.handler(event, LambdaContext())
    assert set(response) == {"statusCode", "headers", "body"}
    return response["statusCode"], response["headers"], json.loads(response["body"])


def post_record(body: Any, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return call(api_event("POST", "/records", body=text, **kwargs))


def assert_error(result: tuple[int, dict[str, str], Any], status: int, code: str) -> dict[str, Any]:
    got_status, headers, body = result
    assert got_status == status, body
    assert headers["Content-Type"] == "application/json"
    assert set(body) == {"error", "requestId"}
    assert body["requestId"] == "apigw-req-0001"
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    """One moto account for the module: the records bucket and its CMK."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            mp.setenv(name, "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(
                Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
            yield {"s3": s3, "key_arn": key_arn}


@pytest.fixture(autouse=True)
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TAP_BUCKET_NAME", BUCKET)
    monkeypatch.setenv("TAP_REGION", REGION)
    monkeypatch.setenv("TAP_ENVIRONMENT", ENVIRONMENT)
    monkeypatch.setenv("TAP_VERSION", VERSION)
    monkeypatch.setenv("TAP_KMS_KEY_ARN", aws["key_arn"])
    monkeypatch.delenv("TAP_DB_SECRET_ARN", raising=False)
    monkeypatch.delenv("TAP_DB_CLUSTER_ARN", raising=False)
    monkeypatch.delenv("TAP_LOG_LEVEL", raising=False)
    api.reset_clients()
    yield
    api.reset_clients()


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the function writes to its log stream."""
    stream = io.StringIO()
    monkeypatch.setattr(api._log_handler, "stream", stream)
    return stream


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    lines = stream.getvalue().splitlines()
    assert lines, "nothing was logged"
    return [json.loads(line) for line in lines]  # every line is one JSON object


# --------------------------------------------------------------------------- health


def test_health_is_ok_when_configured_and_does_not_leak_settings(
    aws: dict[str, Any],
) -> None:
    status, headers, body = call(api_event("GET", "/health"))
    assert status == 200
    assert body == {
        "status": "ok",
        "region": REGION,
        "environment": ENVIRONMENT,
        "version": VERSION,
        "checks": {
            "region": "ok",
            "bucket": "ok",
            "kmsKey": "ok",
            "databaseSecret": "not_configured",
            "databaseCluster": "not_configured",
        },
    }
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Request-Id"] == "apigw-req-0001"
    assert aws["key_arn"] not in json.dumps(body) and BUCKET not in json.dumps(body)


def test_health_reports_configured_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAP_DB_SECRET_ARN", SECRET_ARN)
    monkeypatch.setenv("TAP_DB_CLUSTER_ARN", CLUSTER_ARN)
    status, _, body = call(api_event("GET", "/health"))
    assert status == 200
    assert body["checks"]["databaseSecret"] == "configured"
    assert body["checks"]["databaseCluster"] == "configured"


@pytest.mark.parametrize(
    ("variable", "value", "check", "state"),
    [
        ("TAP_BUCKET_NAME", None, "bucket", "missing"),
        ("TAP_BUCKET_NAME", "   ", "bucket", "missing"),
        ("TAP_KMS_KEY_ARN", None, "kmsKey", "missing"),
        ("TAP_KMS_KEY_ARN", "not-an-arn", "kmsKey", "invalid"),
    ],
)
def test_health_is_degraded_without_a_required_dependency(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None, check: str, state: str
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    status, _, body = call(api_event("GET", "/health"))
    assert status == 503
    assert body["status"] == "degraded"
    assert body["checks"][check] == state
    assert [name for name, s in body["checks"].items() if s in ("missing", "invalid")] == [check]


def test_health_makes_no_aws_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_aws() -> Any:
        raise AssertionError("/health must not call AWS")

    monkeypatch.setattr(api, "s3_client", no_aws)
    assert call(api_event("GET", "/health"))[0] == 200


# --------------------------------------------------------------------------- records


def test_create_then_get_round_trip(aws: dict[str, Any]) -> None:
    record = {"type": "order.created", "payload": {"orderId": 42, "items": ["a", "ü"]}}
    status, headers, body = post_record(record)
    assert status == 201, body
    record_id = body["id"]
    assert body == {"id": record_id}
    assert uuid.UUID(record_id).version == 4
    # The stage stays in the Location, so it resolves against the URL the client called.
    assert headers["Location"] == f"/{ENVIRONMENT}/records/{record_id}"

    stored = aws["s3"].head_object(Bucket=BUCKET, Key=f"records/{record_id}.json")
    assert stored["ServerSideEncryption"] == "aws:kms"
    assert stored["SSEKMSKeyId"] == aws["key_arn"]
    assert stored["ContentType"] == "application/json"

    status, _, got = call(api_event("GET", f"/records/{record_id}"))
    assert status == 200
    assert set(got) == {"id", "type", "payload", "createdAt"}
    assert got["id"] == record_id
    assert got["type"] == record["type"]
    assert got["payload"] == record["payload"]
    assert got["createdAt"].endswith("Z")


def test_get_accepts_an_upper_case_id() -> None:
    record_id = post_record({"type": "t", "payload": {}})[2]["id"]
    status, _, got = call(api_event("GET", f"/records/{record_id.upper()}"))
    assert status == 200
    assert got["id"] == record_id


def test_create_with_base64_body(aws: dict[str, Any]) -> None:
    text = json.dumps({"type": "binary.upload", "payload": {"n": 1}})
    encoded = base64.b64encode(text.encode()).decode()
    status, _, body = post_record(encoded, base64_body=True)
    assert status == 201, body
    stored = aws["s3"].get_object(Bucket=BUCKET, Key=f"records/{body['id']}.json")
    assert json.loads(stored["Body"].read())["type"] == "binary.upload"


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
    status, _, got = call(api_event("GET", f"/records/{body['id']}", resource="/{proxy+}"))
    assert status == 200 and got["id"] == body["id"]


def test_get_missing_record_is_404() -> None:
    missing = str(uuid.uuid4())
    error = assert_error(call(api_event("GET", f"/records/{missing}")), 404, "not_found")
    assert missing in error["message"]


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-uuid", "..", "%2e%2e%2fsecret", SOME_ID.replace("-", ""), "{" + SOME_ID + "}"],
)
def test_get_with_a_non_uuid_id_is_400(bad_id: str) -> None:
    error = assert_error(call(api_event("GET", f"/records/{bad_id}")), 400, "invalid_id")
    assert error["field"] == "id"


@pytest.mark.parametrize("body", ['{"type": "t", "payload": {}', "{'type': 1}", "NaN", "[" * 5000])
def test_malformed_json_is_400(body: str) -> None:
    assert_error(post_record(body), 400, "invalid_json")


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


def _body_of_size(size: int) -> str:
    skeleton = json.dumps({"type": "t", "payload": {"pad": ""}})
    text = json.dumps({"type": "t", "payload": {"pad": "x" * (size - len(skeleton))}})
    assert len(text.encode()) == size
    return text


@pytest.mark.parametrize("base64_body", [False, True])
def test_body_at_the_limit_is_accepted(base64_body: bool) -> None:
    text = _body_of_size(api.MAX_BODY_BYTES)
    if base64_body:
        text = base64.b64encode(text.encode()).decode()
    assert post_record(text, base64_body=base64_body)[0] == 201


@pytest.mark.parametrize("base64_body", [False, True])
def test_body_over_the_limit_is_413(base64_body: bool) -> None:
    text = _body_of_size(api.MAX_BODY_BYTES + 1)
    if base64_body:
        text = base64.b64encode(text.encode()).decode()
    assert_error(post_record(text, base64_body=base64_body), 413, "payload_too_large")


def test_oversized_base64_is_rejected_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decode(*_: Any, **__: Any) -> bytes:
        raise AssertionError("decoded an oversized body")

    monkeypatch.setattr(api.base64, "b64decode", no_decode)
    text = base64.b64encode(_body_of_size(api.MAX_BODY_BYTES + 1024).encode()).decode()
    assert_error(post_record(text, base64_body=True), 413, "payload_too_large")


def test_size_limit_counts_bytes_not_characters() -> None:
    # Under the limit in characters, over it in UTF-8 bytes.
    text = json.dumps({"type": "t", "payload": {"pad": "é" * 40_000}}, ensure_ascii=False)
    assert len(text) < api.MAX_BODY_BYTES < len(text.encode())
    assert_error(post_record(text), 413, "payload_too_large")


def test_records_are_503_when_not_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAP_KMS_KEY_ARN")
    assert_error(post_record({"type": "t", "payload": {}}), 503, "not_configured")
    monkeypatch.delenv("TAP_BUCKET_NAME")
    assert_error(call(api_event("GET", f"/records/{uuid.uuid4()}")), 503, "not_configured")


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize("path", ["/", "/nope", "/records/a/b", "/healthz"])
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


def test_s3_failure_is_502_without_details(
    monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    monkeypatch.setenv("TAP_BUCKET_NAME", "tap-test-euc1-no-such-bucket")
    for result in (
        post_record({"type": "t", "payload": {}}),
        call(api_event("GET", f"/records/{uuid.uuid4()}")),
    ):
        error = assert_error(result, 502, "upstream_error")
        text = json.dumps(result[2])
        assert "Traceback" not in text and "NoSuchBucket" not in text
        assert "no-such-bucket" not in text
        assert set(error) == {"code", "message"}
    failures = [line for line in log_lines(logs) if line["message"] == "S3 request failed"]
    assert [f["operation"] for f in failures] == ["PutObject", "GetObject"]
    assert {f["aws_error_code"] for f in failures} == {"NoSuchBucket"}


def test_unexpected_exception_is_500_and_logged_with_traceback(
    monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    class Broken:
        def put_object(self, **_: Any) -> None:
            raise RuntimeError("secret internals")

    monkeypatch.setattr(api, "s3_client", Broken)
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


def test_log_context_does_not_leak_between_invocations(logs: io.StringIO) -> None:
    call(api_event("GET", "/health", request_id="first"))
    api.handler({"httpMethod": "GET", "path": "/nope"}, None)
    last = log_lines(logs)[-1]
    assert last["request_id"] is None and last["aws_request_id"] is None
    assert last["route"] is None and last["status"] == 404
    api.logger.info("between invocations")
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
    call(api_event("GET", "/health"))
    assert log_lines(logs)[-1]["message"] == "request completed"


# --------------------------------------------------------------------------- packaging


def test_s3_client_is_cached_per_region(monkeypatch: pytest.MonkeyPatch) -> None:
    first = api.s3_client()
    assert first is api.s3_client()
    assert first.meta.region_name == REGION
    monkeypatch.setenv("TAP_REGION", "us-west-2")
    moved = api.s3_client()
    assert moved is not first and moved.meta.region_name == "us-west-2"
    api.reset_clients()
    assert api.s3_client() is not moved


def test_handler_imports_only_the_stdlib_and_boto3() -> None:
    tree = ast.parse(Path(api.__file__).read_text())
    roots = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert roots - set(sys.stdlib_module_names) == {"boto3", "botocore"}
