"""API Gateway: each region's REST API stage logs and traces (tap.components.api).

Execution logging at `api.executionLogLevel`, X-Ray tracing, and access logs with a format
into one of the stack's log groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control
from tap.verify.replies import optional

EXECUTION_LOGGING = Control(
    "APIGateway.1", "execution-logging", "*/* loggingLevel is api.executionLogLevel"
)
STAGE_TRACING = Control("APIGateway.3", "stage-tracing", "X-Ray tracing is enabled on the stage")
ACCESS_LOGGING = Control(
    "APIGateway.9", "access-logging", "access logs go to a log group of the stack"
)
CONTROLS = (EXECUTION_LOGGING, STAGE_TRACING, ACCESS_LOGGING)


def check(ctx: Context, region: str) -> list[CheckResult]:
    api = ctx.region(region)["api"]
    if api["restApiId"] is None:
        return []  # no API in a region without a data path
    resource = f"{api['restApiId']}/{api['stageName']}"
    level = f"*/* loggingLevel {ctx.config.api.execution_log_level}"
    groups: list[str] = api["logGroupNames"]

    def execution_logging(stage: Mapping[str, Any]) -> str:
        settings = optional(optional(stage, "methodSettings", dict) or {}, "*/*", dict) or {}
        return f"*/* loggingLevel {optional(settings, 'loggingLevel', str) or 'OFF'}"

    def tracing(stage: Mapping[str, Any]) -> str:
        return "enabled" if optional(stage, "tracingEnabled", bool) else "disabled"

    def access_logging(stage: Mapping[str, Any]) -> tuple[str, bool]:
        access = optional(stage, "accessLogSettings", dict) or {}
        group = log_group_of(optional(access, "destinationArn", str) or "")
        log_format = optional(access, "format", str)
        if not group:
            actual = "off"
        elif not log_format:
            actual = f"to {group}, without a format"
        else:
            actual = f"to {group}"
        return actual, group in groups and bool(log_format)

    stage = ctx.read(
        "apigateway", region, "get_stage", restApiId=api["restApiId"], stageName=api["stageName"]
    )
    return [
        EXECUTION_LOGGING.evaluate(region, resource, level, stage, execution_logging),
        STAGE_TRACING.evaluate(region, resource, "enabled", stage, tracing),
        ACCESS_LOGGING.evaluate(
            region, resource, f"to one of {', '.join(groups)}", stage, access_logging
        ),
    ]


def log_group_of(arn: str) -> str:
    """`arn:aws:logs:<region>:<account>:log-group:<name>[:*]` -> `<name>`."""
    if ":log-group:" not in arn:
        return ""
    return arn.split(":log-group:", 1)[1].removesuffix(":*")
