"""`tap:function`, `tap:api` and `tap:monitoring`: Lambda's and API Gateway's limits, once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tap.config import parse
from tests.config.common import refuse

IMAGE_HINT = (
    "is not an ECR image URI; use <account>.dkr.ecr.{region}.amazonaws.com/<repository>:<tag> "
    "(or @sha256:<digest>); {region} is replaced per region because Lambda pulls only from its "
    "own region"
)


class TestDefaults:
    def test_defaults_per_environment(self) -> None:
        dev, prod = parse({}, "dev").config, parse({}, "prod").config
        assert (dev.function.reserved_concurrency, prod.function.reserved_concurrency) == (5, 100)
        assert dev.function.runtime == "python3.12"
        assert dev.function.timeout_seconds <= 29
        assert (dev.api.execution_log_level, prod.api.execution_log_level) == ("INFO", "ERROR")
        assert prod.api.throttling_burst_limit > dev.api.throttling_burst_limit
        assert prod.monitoring.thresholds.api_p99_latency_ms == 2000
        assert dev.monitoring.alarm_email is None


class TestImages:
    def test_image_uri_per_region(self) -> None:
        uri = "123456789012.dkr.ecr.{region}.amazonaws.com/tap-api:1.4.0"
        function = parse({"function": {"dockerImageUri": uri}}, "dev").config.function
        assert function.image_uri("us-west-2") == (
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/tap-api:1.4.0"
        )
        assert parse({}, "dev").config.function.image_uri("us-west-2") is None

    def test_a_fixed_region_image_is_fine_for_a_one_region_stack(self) -> None:
        uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tap-api@sha256:" + "a" * 64
        raw = {"regions": ["us-east-1"], "function": {"dockerImageUri": uri}}
        assert parse(raw, "dev").config.function.image_uri("us-east-1") == uri

    def test_a_fixed_region_image_is_refused_for_a_stack_elsewhere(self) -> None:
        uri = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/a:1"
        raw = {"regions": ["us-east-1"], "function": {"dockerImageUri": uri}}
        assert refuse(raw).startswith(
            "tap:function.dockerImageUri points at ECR in eu-central-1, but Lambda pulls images "
            "only from its own region and this stack runs in us-east-1;"
        )

    def test_a_fixed_region_image_is_refused_for_other_regions(self) -> None:
        uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1"
        assert refuse({"function": {"dockerImageUri": uri}}) == (
            "tap:function.dockerImageUri points at ECR in us-east-1, but Lambda pulls images "
            "only from its own region and this stack runs in us-east-1, us-west-2; write "
            "{region} in place of the region"
        )

    @pytest.mark.parametrize(
        "uri",
        [
            "nginx:latest",
            # A trailing newline, which `$` alone would accept.
            "123456789012.dkr.ecr.{region}.amazonaws.com/tap-api:1.4.0\n",
            # Arabic-Indic digits in the account: `\d` would accept them.
            "١٢٣٤٥٦٧٨٩٠١٢.dkr.ecr.{region}.amazonaws.com/tap-api:1.4.0",
            "12345678901.dkr.ecr.{region}.amazonaws.com/tap-api:1.4.0",
            "123456789012.dkr.ecr.{region}.amazonaws.com/tap-api:" + "t" * 129,
            "123456789012.dkr.ecr.{region}.amazonaws.com/tap-api@sha256:abc",
        ],
    )
    def test_not_an_ecr_image(self, uri: str) -> None:
        assert refuse({"function": {"dockerImageUri": uri}}) == (
            f"tap:function.dockerImageUri {uri!r} {IMAGE_HINT}"
        )

    def test_a_tag_of_128_characters(self) -> None:
        uri = "123456789012.dkr.ecr.{region}.amazonaws.com/tap-api:" + "t" * 128
        assert parse({"function": {"dockerImageUri": uri}}, "dev").config


class TestFunction:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"timeoutSeconds": 30},
                "tap:function.timeoutSeconds 30 is out of range; use 1 to 29 seconds (API Gateway "
                "stops waiting after 29)",
            ),
            (
                {"timeoutSeconds": 0},
                "tap:function.timeoutSeconds 0 is out of range; use 1 to 29 seconds (API Gateway "
                "stops waiting after 29)",
            ),
            ({"memoryMb": 127}, "tap:function.memoryMb 127 is out of range; use 128 to 10240 MB"),
            (
                {"memoryMb": 10241},
                "tap:function.memoryMb 10241 is out of range; use 128 to 10240 MB",
            ),
            (
                {"reservedConcurrency": 0},
                "tap:function.reservedConcurrency 0 is out of range; use 1 to 1000",
            ),
            (
                {"reservedConcurrency": 1001},
                "tap:function.reservedConcurrency 1001 is out of range; use 1 to 1000",
            ),
            (
                {"runtime": "python3.9"},
                "tap:function.runtime 'python3.9' is not allowed; use one of python3.11, "
                "python3.12 or python3.13",
            ),
            (
                {"architecture": "amd64"},
                "tap:function.architecture 'amd64' is not allowed; use one of arm64 or x86_64",
            ),
        ],
    )
    def test_refused(self, raw: dict[str, Any], message: str) -> None:
        assert refuse({"function": raw}) == message

    @pytest.mark.parametrize(
        "raw",
        [
            {"timeoutSeconds": 29},
            {"timeoutSeconds": 1},
            {"memoryMb": 128},
            {"memoryMb": 10240},
            {"reservedConcurrency": 1},
            {"reservedConcurrency": 1000},
            {"runtime": "python3.13"},
            {"architecture": "x86_64"},
        ],
    )
    def test_the_limits_themselves_are_accepted(self, raw: dict[str, Any]) -> None:
        parse({"function": raw}, "dev")


class TestApi:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"endpointType": "EDGE"},
                "tap:api.endpointType 'EDGE' is not allowed; use one of REGIONAL or PRIVATE",
            ),
            (
                {"throttlingRateLimit": 0},
                "tap:api.throttlingRateLimit 0 is out of range; use more than 0 and at most "
                "10000 requests per second",
            ),
            (
                {"throttlingRateLimit": 10000.5},
                "tap:api.throttlingRateLimit 10000.5 is out of range; use more than 0 and at most "
                "10000 requests per second",
            ),
            (
                {"throttlingBurstLimit": 5001},
                "tap:api.throttlingBurstLimit 5001 is out of range; use 1 to 5000 requests",
            ),
            (
                {"throttlingBurstLimit": 0},
                "tap:api.throttlingBurstLimit 0 is out of range; use 1 to 5000 requests",
            ),
            (
                {"executionLogLevel": "DEBUG"},
                "tap:api.executionLogLevel 'DEBUG' is not allowed; use one of ERROR or INFO",
            ),
            (
                {"stageName": "v-1"},
                "tap:api.stageName 'v-1' is not allowed; use 1-128 letters, digits and underscores",
            ),
            (
                {"stageName": "v1\n"},
                "tap:api.stageName 'v1\\n' is not allowed; use 1-128 letters, digits and "
                "underscores",
            ),
            (
                {"stageName": "x" * 129},
                f"tap:api.stageName {'x' * 129!r} is not allowed; use 1-128 letters, digits and "
                "underscores",
            ),
            (
                {"stageName": ""},
                "tap:api.stageName '' is not allowed; use 1-128 letters, digits and underscores",
            ),
        ],
    )
    def test_refused(self, raw: dict[str, Any], message: str) -> None:
        assert refuse({"api": raw}) == message

    def test_the_smallest_throttling_limits_are_accepted(self) -> None:
        # Burst at least 1 request; the rate only more than 0 (half a request per second is fine).
        api = parse({"api": {"throttlingBurstLimit": 1, "throttlingRateLimit": 0.5}}, "dev")
        assert (api.config.api.throttling_burst_limit, api.config.api.throttling_rate_limit) == (
            1,
            0.5,
        )

    def test_the_limits_themselves_are_accepted(self) -> None:
        raw = {"throttlingRateLimit": 10000, "throttlingBurstLimit": 5000, "stageName": "x" * 128}
        assert parse({"api": raw}, "dev").config.api.throttling_burst_limit == 5000

    def test_a_private_api_needs_tap_to_own_the_vpc(self) -> None:
        raw = {"api": {"endpointType": "PRIVATE"}, "networkingStackRef": "org/net/dev"}
        assert refuse(raw) == (
            "tap:api.endpointType PRIVATE needs the execute-api endpoint tap creates in its "
            "own VPC, and tap:networkingStackRef replaces that VPC; use REGIONAL with a "
            "shared network"
        )


class TestMonitoring:
    @pytest.mark.parametrize("email", ["oncall@example.com", "a.b+tap@mail.example.co.uk"])
    def test_valid_alarm_emails_pass(self, email: str) -> None:
        assert parse({"monitoring": {"alarmEmail": email}}, "dev").config.monitoring.alarm_email

    @pytest.mark.parametrize(
        "email",
        [
            "oncall",
            "oncall@",
            "@example.com",
            "on call@example.com",
            "oncall@example",
            "a@b@c.com",
            "oncall@example.com\n",
            "oncall@exämple.com",
            "a" * 243 + "@example.com",
        ],
    )
    def test_invalid_alarm_emails_are_refused(self, email: str) -> None:
        assert refuse({"monitoring": {"alarmEmail": email}}) == (
            f"tap:monitoring.alarmEmail {email!r} is not an email address"
        )

    def test_an_address_of_254_characters(self) -> None:
        email = "a" * 242 + "@example.com"
        assert len(email) == 254
        assert parse({"monitoring": {"alarmEmail": email}}, "dev").config

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"api5xxErrors": 0},
                "tap:monitoring.thresholds.api5xxErrors 0 is out of range; use at least 1",
            ),
            (
                {"apiP99LatencyMs": 29001},
                "tap:monitoring.thresholds.apiP99LatencyMs 29001 is out of range; use 1 to 29000 "
                "ms",
            ),
            (
                {"dbCpuPercent": 101},
                "tap:monitoring.thresholds.dbCpuPercent 101 is out of range; use 1 to 100",
            ),
            (
                {"lambdaErrorz": 1},
                "tap:monitoring.thresholds.lambdaErrorz is not a known key (did you mean "
                "tap:monitoring.thresholds.lambdaErrors?); allowed keys here: api5xxErrors, "
                "apiP99LatencyMs, dbCommitLatencyMs, dbConnectionErrors, dbConnections, "
                "dbCpuPercent, dbForwardedWriteLatencyMs, dbFreeMemoryMb, dbRpoLagMs, "
                "lambdaErrors, lambdaThrottles, natPacketDrops, replicationLatencySeconds, "
                "wafBlockedRequests",
            ),
        ],
    )
    def test_thresholds(self, raw: dict[str, Any], message: str) -> None:
        assert refuse({"monitoring": {"thresholds": raw}}) == message

    @pytest.mark.parametrize(
        "key",
        [
            "lambdaErrors",
            "lambdaThrottles",
            "api5xxErrors",
            "apiP99LatencyMs",
            "dbCpuPercent",
            "dbFreeMemoryMb",
            "dbConnections",
            "replicationLatencySeconds",
            "natPacketDrops",
        ],
    )
    def test_every_threshold_is_at_least_1(self, key: str) -> None:
        # 0 would raise the alarm on every period (or, for free memory, never).
        message = refuse({"monitoring": {"thresholds": {key: 0}}})
        assert re.fullmatch(
            rf"tap:monitoring\.thresholds\.{key} 0 is out of range; use (at least 1|1 to .*)",
            message,
        ), message
        config = parse({"monitoring": {"thresholds": {key: 1}}}, "dev").config
        assert config.monitoring.thresholds.model_dump(by_alias=True)[key] == 1

    def test_the_threshold_limits_themselves_are_accepted(self) -> None:
        raw = {"apiP99LatencyMs": 29000, "dbCpuPercent": 100, "lambdaErrors": 1}
        thresholds = parse({"monitoring": {"thresholds": raw}}, "dev").config.monitoring.thresholds
        assert (thresholds.api_p99_latency_ms, thresholds.db_cpu_percent) == (29000, 100)
