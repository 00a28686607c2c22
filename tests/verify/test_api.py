"""API Gateway checks: the stage's execution logging, tracing and access logging."""

from __future__ import annotations

from pathlib import Path

from tap.verify import log_group_of
from tests.verify.canned import ACCOUNT, REGION, conforming, findings_with


def test_a_stage_without_logging_or_tracing(project: Path) -> None:
    stage = {"methodSettings": {}, "tracingEnabled": False, "accessLogSettings": {}}

    assert findings_with(project, GetStage=stage) == [
        ("APIGateway.1", "drift", "*/* loggingLevel OFF"),
        ("APIGateway.3", "drift", "disabled"),
        ("APIGateway.9", "drift", "off"),
    ]


def test_access_logs_need_a_format_and_a_log_group_of_the_stack(project: Path) -> None:
    def stage(group: str, log_format: str) -> dict[str, object]:
        return {
            "methodSettings": {"*/*": {"loggingLevel": "INFO"}},
            "tracingEnabled": True,
            "accessLogSettings": {
                "destinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}",
                "format": log_format,
            },
        }

    own = "/aws/apigateway/tap-unit-use1-api/access"
    assert findings_with(project, GetStage=stage(own, "")) == [
        ("APIGateway.9", "drift", f"to {own}, without a format")
    ]
    assert findings_with(project, GetStage=stage("/elsewhere", "$context.requestId")) == [
        ("APIGateway.9", "drift", "to /elsewhere")
    ]


def test_log_group_of_an_arn() -> None:
    assert log_group_of("arn:aws:logs:us-east-1:1:log-group:/aws/x/access:*") == "/aws/x/access"
    assert log_group_of("arn:aws:logs:us-east-1:1:log-group:/aws/x/access") == "/aws/x/access"
    assert log_group_of("arn:aws:firehose:us-east-1:1:deliverystream/x") == ""


def test_a_throttled_stage_is_unknown_not_a_fail(project: Path) -> None:
    assert findings_with(project, GetStage="TooManyRequestsException") == [
        (c, "unknown", "could not read (TooManyRequestsException)")
        for c in ("APIGateway.1", "APIGateway.3", "APIGateway.9")
    ]


def test_a_missing_stage_fails_every_stage_check(project: Path) -> None:
    assert findings_with(project, GetStage="NotFoundException") == [
        (c, "fail", "not found (NotFoundException)")
        for c in ("APIGateway.1", "APIGateway.3", "APIGateway.9")
    ]


def test_a_reply_that_is_not_the_document_is_unknown(project: Path) -> None:
    stage = conforming()["GetStage"]
    assert isinstance(stage, dict)

    assert findings_with(project, GetStage={**stage, "tracingEnabled": "true"}) == [
        ("APIGateway.3", "unknown", "unexpected reply (tracingEnabled is a string, not a boolean)")
    ]
