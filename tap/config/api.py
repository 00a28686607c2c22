"""The API tier: `tap:function` (Lambda), `tap:api` (API Gateway) and `tap:monitoring`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, field_validator

from tap.config.base import Model, full_match
from tap.config.errors import KeyedError
from tap.limits import (
    ACCOUNT_ID_DIGITS,
    API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS,
    API_GATEWAY_MAX_BURST_LIMIT,
    API_GATEWAY_MAX_RATE_LIMIT,
    API_GATEWAY_STAGE_NAME_MAX_LENGTH,
    ECR_TAG_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    LAMBDA_CONCURRENCY_QUOTA,
    LAMBDA_MAX_MEMORY_MB,
    LAMBDA_MIN_MEMORY_MB,
)

LambdaRuntime = Literal["python3.11", "python3.12", "python3.13"]
Architecture = Literal["arm64", "x86_64"]
EndpointType = Literal["REGIONAL", "PRIVATE"]
LogLevel = Literal["ERROR", "INFO"]

# ASCII classes only: `\d` would accept any Unicode digit.
ECR_IMAGE_PATTERN = re.compile(
    rf"[0-9]{{{ACCOUNT_ID_DIGITS}}}\.dkr\.ecr\.(?P<region>\{{region\}}|[a-z0-9-]+)\.amazonaws\.com"
    rf"/[a-z0-9._/-]+(?::[A-Za-z0-9_.-]{{1,{ECR_TAG_MAX_LENGTH}}}|@sha256:[0-9a-f]{{64}})"
)
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
STAGE_NAME_PATTERN = re.compile(rf"[A-Za-z0-9_]{{1,{API_GATEWAY_STAGE_NAME_MAX_LENGTH}}}")
# The alarm fires above this p99; API Gateway never waits longer than its integration timeout.
MAX_P99_LATENCY_MS = API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS * 1000


class FunctionConfig(Model):
    """`tap:function`: the API's Lambda function."""

    memory_mb: Annotated[int, Field(ge=LAMBDA_MIN_MEMORY_MB, le=LAMBDA_MAX_MEMORY_MB)]
    """Lambda memory."""
    timeout_seconds: Annotated[int, Field(ge=1, le=API_GATEWAY_INTEGRATION_TIMEOUT_SECONDS)]
    """Lambda timeout; at most 29 s, API Gateway's integration limit."""
    reserved_concurrency: Annotated[int, Field(ge=1, le=LAMBDA_CONCURRENCY_QUOTA)]
    """Reserved concurrent executions."""
    runtime: LambdaRuntime
    """Python runtime of the zip package."""
    architecture: Architecture
    """Lambda instruction set."""
    docker_image_uri: str | None = None
    """An ECR image to run instead of the zip (`package_type=Image`); write `{region}` in the host,
    since Lambda pulls only from its own region.
    """

    def image_uri(self, region: str) -> str | None:
        return self.docker_image_uri.replace("{region}", region) if self.docker_image_uri else None

    @field_validator("docker_image_uri")
    @classmethod
    def _valid_image_uri(cls, value: str | None) -> str | None:
        if value is not None and not full_match(ECR_IMAGE_PATTERN, value):
            raise ValueError(
                f"{value!r} is not an ECR image URI; use "
                "<account>.dkr.ecr.{region}.amazonaws.com/<repository>:<tag> (or "
                "@sha256:<digest>); {region} is replaced per region because Lambda pulls only "
                "from its own region"
            )
        return value

    def check_image_region(self, regions: Sequence[str]) -> None:
        """Lambda pulls images only from ECR in its own region."""
        match = ECR_IMAGE_PATTERN.fullmatch(self.docker_image_uri or "")
        if match is None or match.group("region") == "{region}":
            return
        image_region = match.group("region")
        if set(regions) != {image_region}:
            raise KeyedError(
                ("function", "dockerImageUri"),
                f"points at ECR in {image_region}, but Lambda pulls images only from its own "
                f"region and this stack runs in {', '.join(regions)}; write {{region}} in place "
                "of the region",
            )


class ApiConfig(Model):
    """`tap:api`: the REST API in front of the function."""

    endpoint_type: EndpointType
    """`REGIONAL`, or `PRIVATE` through the VPC's execute-api endpoint (not with
    `networkingStackRef`).
    """
    throttling_burst_limit: Annotated[int, Field(ge=1, le=API_GATEWAY_MAX_BURST_LIMIT)]
    """Stage burst limit."""
    throttling_rate_limit: Annotated[float, Field(gt=0, le=API_GATEWAY_MAX_RATE_LIMIT)]
    """Stage steady-state requests per second."""
    execution_log_level: LogLevel
    """Execution logging level of every method."""
    stage_name: str
    """Letters, digits and underscores."""

    @field_validator("stage_name")
    @classmethod
    def _valid_stage_name(cls, value: str) -> str:
        if not full_match(STAGE_NAME_PATTERN, value):
            raise ValueError(f"{value!r} is not allowed; use 1-128 letters, digits and underscores")
        return value


class ThresholdsConfig(Model):
    """`tap:monitoring.thresholds`: when an alarm fires."""

    lambda_errors: Annotated[int, Field(ge=1)]
    """Lambda errors per period that raise the alarm."""
    lambda_throttles: Annotated[int, Field(ge=1)]
    """Lambda throttles per period that raise the alarm."""
    api_5xx_errors: Annotated[int, Field(ge=1)] = Field(alias="api5xxErrors")
    """API 5XX responses per period that raise the alarm."""
    api_p99_latency_ms: Annotated[int, Field(ge=1, le=MAX_P99_LATENCY_MS)]
    """API p99 latency (ms) above which the alarm is raised."""
    db_cpu_percent: Annotated[int, Field(ge=1, le=100)]
    """Aurora CPU % above which the alarm is raised."""
    db_free_memory_mb: Annotated[int, Field(ge=1)]
    """Aurora freeable memory (MB) below which the alarm is raised."""
    db_connections: Annotated[int, Field(ge=1)]
    """Aurora connections above which the alarm is raised."""
    db_connection_errors: Annotated[int, Field(ge=1)]
    """Requests per period the API answered 503 because it could not reach or log in to the
    database (from the function's logs) that raise the alarm.
    """
    db_commit_latency_ms: Annotated[int, Field(ge=1)]
    """Aurora commit latency (ms, the writer's cluster) above which the alarm is raised."""
    db_forwarded_write_latency_ms: Annotated[int, Field(ge=1)]
    """Latency (ms) of writes a global secondary forwards to the writer above which the alarm is
    raised (a cross-region round trip is part of it).
    """
    db_rpo_lag_ms: Annotated[int, Field(ge=1)]
    """Global database recovery point lag (ms) of a secondary above which the alarm is raised:
    the writes a failover to that region would lose.
    """
    replication_latency_seconds: Annotated[int, Field(ge=1)]
    """S3 replication latency (s) above which the alarm is raised (prod, primary region)."""
    nat_packet_drops: Annotated[int, Field(ge=1)]
    """NAT gateway dropped packets per period that raise the alarm."""
    waf_blocked_requests: Annotated[int, Field(ge=1)]
    """Requests AWS WAF blocks per period that raise the spike alarm (with `tap:waf`)."""


class MonitoringConfig(Model):
    """`tap:monitoring`: the alarm topic and the alarms."""

    alarm_email: str | None = None
    """An address subscribed to each region's alarm topic (the subscription must be confirmed from
    the mail).
    """
    thresholds: ThresholdsConfig
    """Alarm thresholds, below."""

    @field_validator("alarm_email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is not None and (
            len(value) > EMAIL_MAX_LENGTH or not full_match(EMAIL_PATTERN, value)
        ):
            raise ValueError(f"{value!r} is not an email address")
        return value
