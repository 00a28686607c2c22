"""Each environment's defaults: applied before validation, held to the same rules as a value."""

from __future__ import annotations

import pytest

from tap.baseline import PROD_MIN_LOG_RETENTION_DAYS
from tap.config import CIDR_BASE, ENVIRONMENT_DEFAULTS, ENVIRONMENTS, default_vpc_cidr, parse
from tap.config.defaults import merged, with_defaults


class TestDefaults:
    def test_dev_runs_two_regions_with_single_nat(self) -> None:
        config = parse({}, "dev").config
        assert config.regions == ("us-east-1", "us-west-2")
        assert config.primary_region == "us-east-1"
        assert {n.nat_strategy for n in config.networks} == {"single"}
        assert {n.az_count for n in config.networks} == {2}
        assert config.kms_deletion_window_days == 7

    def test_staging_runs_all_three_regions(self) -> None:
        config = parse({}, "staging").config
        assert config.regions == ("us-east-1", "us-west-2", "eu-central-1")
        assert config.kms_deletion_window_days == 14

    def test_prod_runs_three_azs_with_nat_per_az(self) -> None:
        config = parse({}, "prod").config
        assert config.regions == ("us-east-1", "us-west-2", "eu-central-1")
        assert {(n.az_count, n.nat_strategy) for n in config.networks} == {(3, "perAz")}
        assert config.kms_deletion_window_days == 30
        assert config.is_prod

    def test_prod_keeps_logs_exactly_the_prod_minimum(self) -> None:
        assert parse({}, "prod").config.log_retention_days == PROD_MIN_LOG_RETENTION_DAYS == 365
        assert parse({}, "dev").config.log_retention_days == 30

    def test_suffix_defaults_to_the_stack_name(self) -> None:
        assert parse({"environment": "dev"}, "alice").config.environment_suffix == "alice"

    def test_environment_defaults_to_a_stack_named_like_one(self) -> None:
        assert parse({}, "staging").config.environment == "staging"

    def test_the_stack_name_is_kept_but_is_not_a_key(self) -> None:
        assert parse({"environment": "dev"}, "alice").config.stack == "alice"
        assert "stack" not in parse({}, "dev").config.model_dump()

    def test_secure_toggles_default_off(self) -> None:
        config = parse({}, "dev").config
        assert config.enable_bastion_ssh is False
        assert config.allowed_cidrs == ()
        assert config.manage_account_password_policy is False
        # Account-wide, one owner per account: a stack owns it only when its file says so.
        for environment in ENVIRONMENTS:
            assert parse({}, environment).config.manage_api_gateway_account is False
        assert config.networking_stack_ref is None
        assert config.allowed_account_ids == ()
        assert config.tags == {}

    def test_default_cidrs_do_not_overlap_across_environments(self) -> None:
        cidrs = [
            default_vpc_cidr(CIDR_BASE[env], region)
            for env in ENVIRONMENTS
            for region in ("us-east-1", "us-west-2", "eu-central-1")
        ]
        assert len(set(cidrs)) == 9
        assert default_vpc_cidr(CIDR_BASE["prod"], "eu-central-1") == "10.32.0.0/16"

    def test_per_region_overrides_keep_other_defaults(self) -> None:
        config = parse({"networks": {"us-west-2": {"azCount": 3}}}, "dev").config
        assert config.network("us-west-2").az_count == 3
        assert config.network("us-west-2").nat_strategy == "single"
        assert config.network("us-east-1").az_count == 2

    def test_network_returns_the_asked_region(self) -> None:
        config = parse({}, "prod").config
        for region in config.regions:
            assert config.network(region).region == region
        assert config.network("eu-central-1").cidr == "10.32.0.0/16"

    def test_section_overrides_keep_the_other_defaults(self) -> None:
        database = parse({"database": {"instanceCount": 3}}, "prod").config.database
        assert database.instance_count == 3
        assert database.instance_class == "db.r6g.large"
        thresholds = parse(
            {"monitoring": {"thresholds": {"dbCpuPercent": 90}}}, "prod"
        ).config.monitoring.thresholds
        assert (thresholds.db_cpu_percent, thresholds.api_p99_latency_ms) == (90, 2000)

    @pytest.mark.parametrize("environment", ENVIRONMENTS)
    def test_every_default_passes_validation(self, environment: str) -> None:
        config = parse({}, environment).config
        dumped = config.model_dump(by_alias=True)
        defaults = ENVIRONMENT_DEFAULTS[environment]
        assert dumped["database"]["engineVersion"] == defaults["database"]["engineVersion"]


class TestMerging:
    def test_maps_merge_and_everything_else_is_replaced(self) -> None:
        base = {"a": {"b": 1, "c": 2}, "list": [1, 2], "x": 1}
        assert merged(base, {"a": {"c": 3}, "list": [9], "y": 2}) == {
            "a": {"b": 1, "c": 3},
            "list": [9],
            "x": 1,
            "y": 2,
        }

    def test_a_map_replacing_a_value_of_another_shape_is_kept_whole(self) -> None:
        assert merged({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
        assert merged({"a": {"b": 2}}, {"a": "text"}) == {"a": "text"}

    def test_the_defaults_are_never_changed_by_a_stack(self) -> None:
        # A one-region prod runs a regional database; the next prod stack still gets the global.
        assert parse({"regions": ["us-east-1"]}, "prod").config.database.global_database is False
        two = parse({"regions": ["us-east-1", "us-west-2"]}, "prod")
        assert two.config.database.global_database is True
        assert parse({}, "prod").config.database.global_database is True
        assert ENVIRONMENT_DEFAULTS["prod"]["database"]["global"] is True

    def test_a_wrong_shape_is_left_for_validation_to_name(self) -> None:
        data, _ = with_defaults({"database": "big", "networks": ["x"]}, "dev")
        assert data["database"] == "big"
        assert data["networks"] == ["x"]

    def test_no_defaults_without_a_valid_environment(self) -> None:
        data, warnings = with_defaults({"environment": "qa"}, "alice")
        assert data == {"environment": "qa", "environmentSuffix": "alice"}
        assert warnings == ()


class TestWarnings:
    def test_regions_differing_from_the_environment_warn_but_pass(self) -> None:
        parsed = parse({"regions": ["us-east-1"]}, "prod")
        assert parsed.config.regions == ("us-east-1",)
        assert parsed.warnings == (
            "tap:regions is us-east-1; prod normally runs in us-east-1, us-west-2, eu-central-1",
        )

    def test_networks_for_unlisted_regions_warn(self) -> None:
        parsed = parse({"networks": {"eu-central-1": {"cidr": "10.50.0.0/16"}}}, "dev")
        assert parsed.warnings == (
            "tap:networks has entries for eu-central-1, which tap:regions does not list; "
            "they are ignored",
        )
        assert [n.region for n in parsed.config.networks] == ["us-east-1", "us-west-2"]

    def test_both_warnings_regions_first(self) -> None:
        parsed = parse({"regions": ["us-east-1"], "networks": {"us-west-2": {"azCount": 3}}}, "dev")
        assert [w.split(" ")[0] for w in parsed.warnings] == ["tap:regions", "tap:networks"]

    def test_expected_regions_do_not_warn(self) -> None:
        assert parse({"regions": ["us-west-2", "us-east-1"]}, "dev").warnings == ()

    def test_more_regions_than_usual_warn(self) -> None:
        parsed = parse({"regions": ["us-east-1", "us-west-2", "eu-central-1"]}, "dev")
        assert parsed.warnings == (
            "tap:regions is us-east-1, us-west-2, eu-central-1; dev normally runs in "
            "us-east-1, us-west-2",
        )

    def test_networks_for_listed_regions_do_not_warn(self) -> None:
        assert parse({"networks": {"us-west-2": {"azCount": 3}}}, "dev").warnings == ()
