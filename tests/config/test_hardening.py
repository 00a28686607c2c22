"""`tap:waf`, `tap:backup`, `tap:codeSigning`, `tap:secretRotation`: defaults, bounds, floors."""

from __future__ import annotations

from typing import Any

import pytest

from tap.config import parse
from tap.limits import WAF_EVALUATION_WINDOWS_SECONDS, WAF_RATE_LIMIT_MAX, WAF_RATE_LIMIT_MIN
from tests.config.common import refuse


class TestDefaults:
    def test_prod_turns_every_control_on_and_enforces_signing(self) -> None:
        config = parse({}, "prod").config
        assert config.waf.enabled
        assert config.backup.enabled
        assert config.code_signing.enabled
        assert config.code_signing.untrusted_artifact_on_deployment == "Enforce"
        assert config.secret_rotation.enabled
        assert config.secret_rotation.days <= 90

    @pytest.mark.parametrize(("endpoint", "enabled"), [("REGIONAL", True), ("PRIVATE", False)])
    def test_staging_gets_waf_exactly_when_its_api_is_public(
        self, endpoint: str, enabled: bool
    ) -> None:
        config = parse({"api": {"endpointType": endpoint}}, "staging").config
        assert config.waf.enabled is enabled

    def test_dev_warns_on_unsigned_code_and_runs_without_waf_or_backup(self) -> None:
        config = parse({}, "dev").config
        assert not config.waf.enabled
        assert not config.backup.enabled
        assert config.code_signing.untrusted_artifact_on_deployment == "Warn"

    def test_a_container_image_turns_signing_off_and_one_region_backs_up_locally(self) -> None:
        image = {"dockerImageUri": "123456789012.dkr.ecr.{region}.amazonaws.com/tap:1"}
        assert not parse({"function": image}, "dev").config.code_signing.enabled
        one_region = parse({"regions": ["us-east-1"]}, "prod").config
        # A one-region prod still backs up; there is no other region to copy to.
        assert one_region.backup.enabled
        assert one_region.backup.destination("us-east-1", one_region.regions) is None

    def test_an_explicit_choice_beats_the_computed_waf_default(self) -> None:
        assert parse({"waf": {"enabled": True}}, "dev").config.waf.enabled
        assert not parse({"waf": {"enabled": False}}, "staging").config.waf.enabled

    def test_the_copy_goes_to_the_first_region_other_than_the_writers_unless_chosen(
        self,
    ) -> None:
        config = parse({"primaryRegion": "us-west-2"}, "prod").config
        assert config.backup.destination(config.writer_region, config.regions) == "us-east-1"
        moved = parse({"database": {"writerRegion": "us-east-1"}}, "prod").config
        assert moved.backup.destination(moved.writer_region, moved.regions) == "us-west-2"
        refused = {"database": {"writerRegion": "us-west-2"}, "backup": {"copyRegion": "us-west-2"}}
        assert "tap:backup.copyRegion us-west-2 is the writer's region" in refuse(refused, "prod")
        chosen = parse({"backup": {"copyRegion": "eu-central-1"}}, "prod").config
        assert chosen.backup.destination(chosen.primary_region, chosen.regions) == "eu-central-1"


class TestBounds:
    @pytest.mark.parametrize(
        ("raw", "read"),
        [
            ({"waf": {"enabled": True, "rateLimit": 10}}, lambda c: c.waf.rate_limit),
            ({"secretRotation": {"days": 1}}, lambda c: c.secret_rotation.days),
            ({"secretRotation": {"days": 1000}}, lambda c: c.secret_rotation.days),
            (
                {"backup": {"lockMaxRetentionDays": 36500}},
                lambda c: c.backup.lock_max_retention_days,
            ),
        ],
    )
    def test_awss_own_bounds_are_accepted(self, raw: dict[str, Any], read: Any) -> None:
        # AWS's documented limits, written out: WAF's rate limit starts at 10, rotation runs
        # every 1 to 1000 days, a vault lock keeps at most 36500 days.
        (section,) = raw.values()
        (value,) = [v for k, v in section.items() if k != "enabled"]
        assert read(parse(raw, "dev").config) == value

    def test_rotation_every_zero_days_is_refused(self) -> None:
        assert refuse({"secretRotation": {"days": 0}}, "dev").startswith(
            "tap:secretRotation.days 0 is out of range"
        )

    @pytest.mark.parametrize("limit", [WAF_RATE_LIMIT_MIN, 2000, WAF_RATE_LIMIT_MAX])
    @pytest.mark.parametrize("window", WAF_EVALUATION_WINDOWS_SECONDS)
    def test_rate_limits_inside_wafs_bounds(self, limit: int, window: int) -> None:
        waf = {"enabled": True, "rateLimit": limit, "rateLimitWindowSeconds": window}
        config = parse({"waf": waf}, "dev").config
        assert (config.waf.rate_limit, config.waf.rate_limit_window_seconds) == (limit, window)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"waf": {"rateLimit": 9}},
                "tap:waf.rateLimit 9 is out of range; use 10 to 2000000000 requests per window",
            ),
            ({"waf": {"rateLimit": WAF_RATE_LIMIT_MAX + 1}}, "tap:waf.rateLimit 2000000001 is out"),
            ({"waf": {"rateLimit": "2000"}}, "tap:waf.rateLimit"),
            (
                {"waf": {"rateLimitWindowSeconds": 30}},
                "tap:waf.rateLimitWindowSeconds 30 is not allowed; use one of 60, 120, 300 or 600",
            ),
            ({"backup": {"retentionDays": 0}}, "tap:backup.retentionDays 0 is out of range"),
            (
                {"backup": {"lockMaxRetentionDays": 36501}},
                "tap:backup.lockMaxRetentionDays 36501 is out of range; use 1 to 36500 days",
            ),
            (
                {"backup": {"retentionDays": 5}},
                "tap:backup.retentionDays 5 is outside the vault lock's 7-365 days",
            ),
            (
                {"backup": {"copyRetentionDays": 400}},
                "tap:backup.copyRetentionDays 400 is outside the vault lock's 7-365 days",
            ),
            (
                {"backup": {"lockMinRetentionDays": 30, "lockMaxRetentionDays": 14}},
                "tap:backup.lockMinRetentionDays 30 is above tap:backup.lockMaxRetentionDays 14",
            ),
            (
                {"codeSigning": {"untrustedArtifactOnDeployment": "Audit"}},
                "tap:codeSigning.untrustedArtifactOnDeployment 'Audit' is not allowed",
            ),
            ({"secretRotation": {"days": 1001}}, "tap:secretRotation.days 1001 is out of range"),
        ],
    )
    def test_values_aws_refuses(self, raw: dict[str, Any], message: str) -> None:
        assert message in refuse(raw)


class TestAcrossSections:
    @pytest.mark.parametrize(
        ("raw", "stack", "message"),
        [
            (
                {"waf": {"enabled": True}, "api": {"endpointType": "PRIVATE"}},
                "dev",
                "tap:waf.enabled is true but tap:api.endpointType is PRIVATE",
            ),
            (
                {"backup": {"copyRegion": "us-east-1"}},
                "prod",
                "tap:backup.copyRegion us-east-1 is the writer's region",
            ),
            (
                {"backup": {"enabled": True, "copyRegion": "eu-central-1"}},
                "dev",
                "tap:backup.copyRegion eu-central-1 is not one of tap:regions",
            ),
            (
                {
                    "codeSigning": {"enabled": True},
                    "function": {
                        "dockerImageUri": "123456789012.dkr.ecr.{region}.amazonaws.com/tap:1"
                    },
                },
                "dev",
                "tap:codeSigning.enabled is true but tap:function.dockerImageUri deploys a "
                "container image",
            ),
        ],
    )
    def test_rules_across_sections(self, raw: dict[str, Any], stack: str, message: str) -> None:
        assert message in refuse(raw, stack)


class TestProdFloors:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ({"waf": {"enabled": False}}, "tap:waf.enabled is false; prod's REGIONAL API stages"),
            ({"backup": {"enabled": False}}, "tap:backup.enabled is false; prod backs Aurora up"),
            (
                {"backup": {"retentionDays": 6, "lockMinRetentionDays": 1}},
                "tap:backup.retentionDays 6 is below prod's minimum of 7 days",
            ),
            (
                {"codeSigning": {"untrustedArtifactOnDeployment": "Warn"}},
                "tap:codeSigning.untrustedArtifactOnDeployment must be Enforce in prod",
            ),
            (
                {"codeSigning": {"enabled": False}},
                "tap:codeSigning.untrustedArtifactOnDeployment must be Enforce in prod",
            ),
            (
                {"secretRotation": {"enabled": False}},
                "tap:secretRotation.enabled is false; prod's global database",
            ),
            (
                {"secretRotation": {"days": 91}},
                "tap:secretRotation.days 91 is above prod's maximum",
            ),
        ],
    )
    def test_prod_refuses_to_drop_a_control(self, raw: dict[str, Any], message: str) -> None:
        assert message in refuse(raw, "prod")

    def test_prod_without_the_thing_a_control_protects_needs_no_control(self) -> None:
        private = parse(
            {"waf": {"enabled": False}, "api": {"endpointType": "PRIVATE"}}, "prod"
        ).config
        assert not private.waf.enabled
        regional_db = parse(
            {"secretRotation": {"enabled": False}, "database": {"global": False}}, "prod"
        ).config
        assert not regional_db.secret_rotation.enabled
