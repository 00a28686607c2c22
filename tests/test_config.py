"""Config validation: every rule accepted and refused, with the exact message a user sees."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from tap.config import (
    LOG_RETENTION_DAYS,
    ConfigError,
    decode_raw,
    default_vpc_cidr,
    load,
    parse,
)


def refuse(raw: dict[str, Any], stack: str = "dev") -> str:
    with pytest.raises(ConfigError) as caught:
        parse(raw, stack)
    return str(caught.value)


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

    def test_prod_runs_three_azs_with_nat_per_az(self) -> None:
        config = parse({}, "prod").config
        assert config.regions == ("us-east-1", "us-west-2", "eu-central-1")
        assert {(n.az_count, n.nat_strategy) for n in config.networks} == {(3, "perAz")}
        assert config.kms_deletion_window_days == 30
        assert config.is_prod

    def test_suffix_defaults_to_the_stack_name(self) -> None:
        assert parse({"environment": "dev"}, "alice").config.environment_suffix == "alice"

    def test_environment_defaults_to_a_stack_named_like_one(self) -> None:
        assert parse({}, "staging").config.environment == "staging"

    def test_secure_toggles_default_off(self) -> None:
        config = parse({}, "dev").config
        assert config.enable_bastion_ssh is False
        assert config.allowed_cidrs == ()
        assert config.manage_account_password_policy is False
        assert config.networking_stack_ref is None
        assert config.log_retention_days == 30

    def test_default_cidrs_do_not_overlap_across_environments(self) -> None:
        cidrs = [
            default_vpc_cidr(env, region)
            for env in ("dev", "staging", "prod")
            for region in ("us-east-1", "us-west-2", "eu-central-1")
        ]
        assert len(set(cidrs)) == 9

    def test_per_region_overrides_keep_other_defaults(self) -> None:
        config = parse({"networks": {"us-west-2": {"azCount": 3}}}, "dev").config
        assert config.network("us-west-2").az_count == 3
        assert config.network("us-west-2").nat_strategy == "single"
        assert config.network("us-east-1").az_count == 2


class TestAccepted:
    def test_a_full_config(self) -> None:
        config = parse(
            {
                "environment": "prod",
                "environmentSuffix": "prod-2",
                "regions": ["eu-central-1", "us-east-1"],
                "primaryRegion": "eu-central-1",
                "networks": {
                    "eu-central-1": {
                        "cidr": "172.16.0.0/20",
                        "azCount": 3,
                        "natStrategy": "single",
                    },
                    "us-east-1": {"cidr": "192.168.0.0/22"},
                },
                "allowedCidrs": ["203.0.113.0/24"],
                "enableBastionSsh": True,
                "logRetentionDays": 3653,
                "kmsDeletionWindowDays": 7,
                "tags": {"Team": "payments"},
                "manageAccountPasswordPolicy": True,
                "networkingStackRef": "acme/network/prod",
                "allowedAccountIds": ["123456789012"],
            },
            "prod-2",
        ).config
        assert config.primary_region == "eu-central-1"
        assert config.secondary_regions == ("us-east-1",)
        assert config.network("eu-central-1").cidr == "172.16.0.0/20"
        assert config.allowed_cidrs == ("203.0.113.0/24",)

    @pytest.mark.parametrize("days", LOG_RETENTION_DAYS)
    def test_every_retention_cloudwatch_accepts(self, days: int) -> None:
        assert parse({"logRetentionDays": days}, "dev").config.log_retention_days == days

    @pytest.mark.parametrize("suffix", ["a", "dev", "pr-1234", "abcdefghijkl"])
    def test_suffixes(self, suffix: str) -> None:
        assert parse({"environmentSuffix": suffix}, "dev").config.environment_suffix == suffix

    @pytest.mark.parametrize("prefix", [16, 19, 22])
    def test_vpc_prefixes_in_range(self, prefix: int) -> None:
        parse({"networks": {"us-east-1": {"cidr": f"10.10.0.0/{prefix}"}}}, "dev")


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

    def test_expected_regions_do_not_warn(self) -> None:
        assert parse({"regions": ["us-west-2", "us-east-1"]}, "dev").warnings == ()


class TestRefused:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"regions": ["us-east-1", "ap-south-1"]},
                "tap:regions 'ap-south-1' is not allowed; use one of us-east-1, us-west-2 or "
                "eu-central-1",
            ),
            (
                {"networks": {"ap-south-1": {"cidr": "10.0.0.0/16"}}},
                "tap:networks 'ap-south-1' is not allowed; use one of us-east-1, us-west-2 or "
                "eu-central-1",
            ),
            (
                {"primaryRegion": "eu-central-1"},
                "tap:primaryRegion eu-central-1 is not one of tap:regions (us-east-1, us-west-2); "
                "choose one of those",
            ),
            ({"regions": []}, "tap:regions list at least one region"),
            (
                {"regions": ["us-east-1", "us-east-1"]},
                "tap:regions us-east-1 listed more than once",
            ),
        ],
    )
    def test_regions(self, raw: dict[str, Any], message: str) -> None:
        assert refuse(raw) == message

    @pytest.mark.parametrize(
        ("cidr", "message"),
        [
            (
                "10.10.0.0/24",
                "tap:networks.us-east-1.cidr prefix /24 is too small; use a prefix between /16 "
                "and /22",
            ),
            (
                "10.0.0.0/8",
                "tap:networks.us-east-1.cidr prefix /8 is larger than AWS allows; use a prefix "
                "between /16 and /22",
            ),
            (
                "8.8.0.0/16",
                "tap:networks.us-east-1.cidr 8.8.0.0/16 is not private address space; use a block "
                "inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
            ),
            (
                "10.10.0.1/16",
                "tap:networks.us-east-1.cidr '10.10.0.1/16' is not an IPv4 CIDR block like "
                "10.10.0.0/16 (10.10.0.1/16 has host bits set)",
            ),
            (
                "fd00::/48",
                "tap:networks.us-east-1.cidr 'fd00::/48' is IPv6; "
                "tap networks are IPv4 CIDR blocks",
            ),
        ],
    )
    def test_vpc_cidrs(self, cidr: str, message: str) -> None:
        assert refuse({"networks": {"us-east-1": {"cidr": cidr}}}) == message

    def test_overlapping_cidrs_across_regions(self) -> None:
        message = refuse(
            {
                "networks": {
                    "us-east-1": {"cidr": "10.10.0.0/16"},
                    "us-west-2": {"cidr": "10.10.128.0/17"},
                }
            }
        )
        assert message == (
            "tap:networks.us-west-2.cidr 10.10.128.0/17 overlaps tap:networks.us-east-1.cidr "
            "10.10.0.0/16; every region needs its own non-overlapping VPC CIDR"
        )

    def test_overlap_with_a_default_cidr(self) -> None:
        message = refuse({"networks": {"us-west-2": {"cidr": "10.10.0.0/20"}}})
        assert message.startswith("tap:networks.us-west-2.cidr 10.10.0.0/20 overlaps")

    @pytest.mark.parametrize(
        ("network", "message"),
        [
            (
                {"azCount": 4},
                "tap:networks.us-east-1.azCount 4 is out of range; use 2 or 3 availability zones",
            ),
            (
                {"azCount": 1},
                "tap:networks.us-east-1.azCount 1 is out of range; use 2 or 3 availability zones",
            ),
            (
                {"natStrategy": "multi"},
                "tap:networks.us-east-1.natStrategy 'multi' is not allowed; "
                "use one of single or perAz",
            ),
            (
                {"cidrr": "10.0.0.0/16"},
                "tap:networks.us-east-1.cidrr is not a known key (did you mean "
                "tap:networks.us-east-1.cidr?); allowed keys here: azCount, cidr, natStrategy",
            ),
        ],
    )
    def test_network_fields(self, network: dict[str, Any], message: str) -> None:
        assert refuse({"networks": {"us-east-1": network}}) == message

    def test_environment(self) -> None:
        assert refuse({"environment": "qa"}) == (
            "tap:environment 'qa' is not allowed; use one of dev, staging or prod"
        )

    def test_environment_is_required_when_the_stack_name_is_not_one(self) -> None:
        assert refuse({}, stack="alice") == "tap:environment is required"

    @pytest.mark.parametrize("suffix", ["Prod", "dev_1", "-dev", "dev-", "abcdefghijklm", ""])
    def test_suffix(self, suffix: str) -> None:
        assert refuse({"environmentSuffix": suffix}) == (
            f"tap:environmentSuffix {suffix!r} is not allowed; use 1-12 lowercase letters, digits "
            "and hyphens, starting and ending with a letter or digit (it goes into S3 bucket and "
            "IAM role names)"
        )

    @pytest.mark.parametrize("days", [0, 2, 31, 366, 10000])
    def test_log_retention(self, days: int) -> None:
        assert refuse({"logRetentionDays": days}) == (
            f"tap:logRetentionDays {days} is not a retention CloudWatch Logs accepts; use one of "
            "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, "
            "2557, 2922, 3288, 3653"
        )

    def test_kms_deletion_window(self) -> None:
        assert refuse({"kmsDeletionWindowDays": 3}) == (
            "tap:kmsDeletionWindowDays 3 is out of range; use 7 to 30 days (the window KMS allows)"
        )

    def test_allowed_cidrs(self) -> None:
        assert refuse({"allowedCidrs": ["10.0.0.0/33"]}).startswith(
            "tap:allowedCidrs '10.0.0.0/33' is not an IPv4 CIDR block like 10.10.0.0/16"
        )

    def test_bastion_needs_allowed_cidrs(self) -> None:
        assert refuse({"enableBastionSsh": True}) == (
            "tap:allowedCidrs is empty but tap:enableBastionSsh is true; list the CIDRs allowed "
            "to reach SSH (port 22)"
        )

    @pytest.mark.parametrize(
        "cidrs", [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["10.0.0.0/8", "64.0.0.0/3"]]
    )
    def test_bastion_refuses_the_whole_internet(self, cidrs: list[str]) -> None:
        too_wide = ", ".join(c for c in cidrs if int(c.split("/")[1]) < 8)
        assert refuse({"enableBastionSsh": True, "allowedCidrs": cidrs}) == (
            f"tap:allowedCidrs contains {too_wide} while tap:enableBastionSsh is true; SSH from "
            "the whole internet is never allowed (CIS 5.2), list specific CIDRs of /8 or narrower"
        )

    def test_https_from_anywhere_is_allowed_when_asked_for(self) -> None:
        assert parse({"allowedCidrs": ["0.0.0.0/0"]}, "dev").config.allowed_cidrs == ("0.0.0.0/0",)

    @pytest.mark.parametrize(
        ("tags", "message"),
        [
            (
                {"Name": "x"},
                "tap:tags tag 'Name' is set by tap itself; reserved keys are Environment, "
                "EnvironmentSuffix, ManagedBy, Name, Project, Region, Tier",
            ),
            ({"aws:foo": "x"}, "tap:tags tag 'aws:foo': the aws: prefix is reserved by AWS"),
            (
                {"k" * 129: "x"},
                f"tap:tags tag {'k' * 129!r}: keys must be 1-128 characters and values at most 256",
            ),
            ({f"t{i}": "x" for i in range(44)}, "tap:tags at most 43 tags are allowed, got 44"),
        ],
    )
    def test_tags(self, tags: dict[str, str], message: str) -> None:
        assert refuse({"tags": tags}) == message

    def test_stack_reference(self) -> None:
        assert refuse({"networkingStackRef": "a/b/c/d"}) == (
            "tap:networkingStackRef 'a/b/c/d' is not a stack reference; use <stack>, "
            "<project>/<stack> or <organization>/<project>/<stack>"
        )

    def test_unquoted_account_ids_keep_their_digits(self) -> None:
        config = parse({"allowedAccountIds": [12345678901]}, "dev").config
        assert config.allowed_account_ids == ("012345678901",)

    def test_account_ids(self) -> None:
        assert refuse({"allowedAccountIds": ["1234"]}) == (
            "tap:allowedAccountIds '1234' is not an AWS account id; use 12 digits"
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ({"enableBastionSsh": "yes"}, "tap:enableBastionSsh must be true or false, got 'yes'"),
            ({"logRetentionDays": "30"}, "tap:logRetentionDays must be a whole number, got '30'"),
            ({"regions": "us-east-1"}, "tap:regions must be a list, got 'us-east-1'"),
            ({"networks": ["us-east-1"]}, "tap:networks must be a map, got ['us-east-1']"),
        ],
    )
    def test_wrong_types(self, raw: dict[str, Any], message: str) -> None:
        assert refuse(raw) == message

    def test_unknown_key_suggests_the_close_one(self) -> None:
        message = refuse({"logRetentionDay": 30})
        assert message.startswith(
            "tap:logRetentionDay is not a known key (did you mean tap:logRetentionDays?)"
        )

    def test_the_error_is_one_line_without_pydantic_noise(self) -> None:
        message = refuse({"networks": {"us-east-1": {"azCount": 9}}})
        assert "\n" not in message
        assert "pydantic" not in message.lower()


class TestDecodeRaw:
    def test_structured_values_are_json_and_strings_stay_text(self) -> None:
        decoded = decode_raw(
            {
                "environment": "dev",
                "environmentSuffix": "123",
                "regions": '["us-east-1"]',
                "logRetentionDays": "14",
                "enableBastionSsh": "false",
                "networkingStackRef": "org/net/dev",
            }
        )
        assert decoded == {
            "environment": "dev",
            "environmentSuffix": "123",
            "regions": ["us-east-1"],
            "logRetentionDays": 14,
            "enableBastionSsh": False,
            "networkingStackRef": "org/net/dev",
        }

    def test_a_numeric_suffix_stays_a_string(self) -> None:
        parsed = parse(decode_raw({"environment": "dev", "environmentSuffix": "123"}), "123")
        assert parsed.config.environment_suffix == "123"


class TestLoadThroughPulumiConfig:
    """load() reads the `tap:` namespace the way `pulumi up` hands it to the program."""

    @pytest.fixture(autouse=True)
    def _runtime(self) -> None:
        pulumi.runtime.settings.reset_options(project="tap", stack="dev", preview=False)

    def test_reads_every_key_of_the_namespace(self) -> None:
        pulumi.runtime.set_all_config(
            {
                "aws:region": "us-east-1",
                "tap:environment": "dev",
                "tap:regions": '["us-east-1", "us-west-2"]',
                "tap:logRetentionDays": "90",
                "other:key": "ignored",
            }
        )
        parsed = load()
        assert parsed.config.stack == "dev"
        assert parsed.config.log_retention_days == 90

    def test_a_misspelt_key_is_refused_not_ignored(self) -> None:
        pulumi.runtime.set_all_config({"tap:environment": "dev", "tap:logRetention": "90"})
        with pytest.raises(ConfigError, match=r"^tap:logRetention is not a known key"):
            load()


class TestDataTier:
    def test_dev_runs_a_serverless_database_that_scales_to_zero(self) -> None:
        database = parse({}, "dev").config.database
        assert database.serverless
        assert database.serverless_min_capacity == 0
        assert database.instance_count == 1
        assert database.global_database is False

    def test_staging_is_regional_with_one_instance(self) -> None:
        database = parse({}, "staging").config.database
        assert (database.instance_count, database.global_database) == (1, False)

    def test_prod_is_a_provisioned_global_database_with_two_instances(self) -> None:
        config = parse({}, "prod").config
        assert config.database.instance_class == "db.r6g.large"
        assert config.database.instance_count == 2
        assert config.database.global_database is True
        assert config.database.backup_retention_days >= 7
        assert config.storage.replication_time_control is True

    def test_a_one_region_prod_falls_back_to_a_regional_database(self) -> None:
        assert parse({"regions": ["us-east-1"]}, "prod").config.database.global_database is False

    def test_overrides_keep_the_other_defaults(self) -> None:
        database = parse({"database": {"instanceCount": 3}}, "prod").config.database
        assert database.instance_count == 3
        assert database.instance_class == "db.r6g.large"

    @pytest.mark.parametrize(
        ("version", "supported"),
        [("16.3", True), ("16.2", False), ("13.15", True), ("13.9", False), ("17.4", True)],
    )
    def test_scale_to_zero_versions(self, version: str, supported: bool) -> None:
        raw = {"database": {"engineVersion": version, "serverlessMinCapacity": 0}}
        if supported:
            assert parse(raw, "dev").config.database.serverless_min_capacity == 0
        else:
            assert refuse(raw).startswith(
                "tap:database.serverlessMinCapacity 0 (scale to zero) needs Aurora PostgreSQL "
                "13.15, 14.12, 15.7, 16.3, 17.4 or later in its major version; "
                f"tap:database.engineVersion is {version}"
            )

    def test_scale_to_zero_is_irrelevant_for_provisioned_classes(self) -> None:
        raw = {"database": {"engineVersion": "16.1", "instanceClass": "db.r7g.large"}}
        assert parse(raw, "dev").config.database.instance_class == "db.r7g.large"

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"instanceCount": 0},
                "tap:database.instanceCount 0 is out of range; use 1 to 16 (a writer and up to 15 "
                "readers)",
            ),
            (
                {"engineVersion": "16"},
                "tap:database.engineVersion '16' is not an Aurora PostgreSQL version; use "
                "<major>.<minor> with major 13, 14, 15, 16, 17, e.g. 16.6",
            ),
            (
                {"engineVersion": "11.9"},
                "tap:database.engineVersion '11.9' is not an Aurora PostgreSQL version; use "
                "<major>.<minor> with major 13, 14, 15, 16, 17, e.g. 16.6",
            ),
            (
                {"instanceClass": "db.m5.large"},
                "tap:database.instanceClass 'db.m5.large' is not an Aurora PostgreSQL instance "
                "class; use db.serverless (Serverless v2) or a provisioned class such as "
                "db.r6g.large, db.r7g.xlarge or db.t4g.medium (families r5, r6g, r6gd, r6i, r6id, "
                "r7g, r7i, r8g, x2g, t3, t4g)",
            ),
            (
                {"backupRetentionDays": 36},
                "tap:database.backupRetentionDays 36 is out of range; use 1 to 35 days (the range "
                "Aurora allows)",
            ),
            (
                {"serverlessMinCapacity": 0.25},
                "tap:database.serverlessMinCapacity 0.25 is out of range; use 0 to 256 ACUs in "
                "steps of 0.5",
            ),
            (
                {"serverlessMinCapacity": 8, "serverlessMaxCapacity": 4},
                "tap:database.serverlessMinCapacity 8 is above tap:database.serverlessMaxCapacity "
                "4; the minimum must not exceed the maximum",
            ),
            (
                {"masterUsername": "postgres"},
                "tap:database.masterUsername 'postgres' is a default or reserved name; choose a "
                "non-default master username (e.g. tap_admin)",
            ),
            (
                {"masterUsername": "1admin"},
                "tap:database.masterUsername '1admin' is not allowed; use 1-63 letters, digits "
                "and underscores, starting with a letter",
            ),
            (
                {"monitoringInterval": 7},
                "tap:database.monitoringInterval 7 is not an enhanced-monitoring interval; use "
                "one of 0, 1, 5, 10, 15, 30, 60 (0 turns it off)",
            ),
            (
                {"logStatement": "some"},
                "tap:database.logStatement 'some' is not allowed; use one of none, ddl, mod or all",
            ),
            (
                {"global": "yes"},
                "tap:database.global must be true or false, got 'yes'",
            ),
        ],
    )
    def test_database_refusals(self, raw: dict[str, Any], message: str) -> None:
        assert refuse({"database": raw}) == message

    def test_global_needs_two_regions(self) -> None:
        assert refuse({"regions": ["us-east-1"], "database": {"global": True}}) == (
            "tap:database.global is true but tap:regions lists one region; a global database "
            "needs a primary and at least one secondary region"
        )

    def test_prod_keeps_a_week_of_backups(self) -> None:
        assert refuse({"database": {"backupRetentionDays": 3}}, "prod") == (
            "tap:database.backupRetentionDays 3 is below the prod minimum; use 7 to 35 days"
        )
        assert parse({"database": {"backupRetentionDays": 3}}, "dev").config.database

    def test_unknown_database_key(self) -> None:
        assert refuse({"database": {"instancecount": 2}}).startswith(
            "tap:database.instancecount is not a known key (did you mean "
            "tap:database.instanceCount?)"
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"noncurrentVersionExpirationDays": 0},
                "tap:storage.noncurrentVersionExpirationDays 0 is out of range; use 1 to 3650 days",
            ),
            (
                {"abortIncompleteMultipartDays": 31},
                "tap:storage.abortIncompleteMultipartDays 31 is out of range; use 1 to 30 days",
            ),
            (
                {"replicationTimeControl": 1},
                "tap:storage.replicationTimeControl must be true or false, got 1",
            ),
        ],
    )
    def test_storage_refusals(self, raw: dict[str, Any], message: str) -> None:
        assert refuse({"storage": raw}) == message


class TestApiTier:
    def test_defaults_per_environment(self) -> None:
        dev, prod = parse({}, "dev").config, parse({}, "prod").config
        assert (dev.function.reserved_concurrency, prod.function.reserved_concurrency) == (5, 100)
        assert dev.function.runtime == "python3.12"
        assert dev.function.timeout_seconds <= 29
        assert (dev.api.execution_log_level, prod.api.execution_log_level) == ("INFO", "ERROR")
        assert prod.api.throttling_burst_limit > dev.api.throttling_burst_limit
        assert prod.monitoring.thresholds.api_p99_latency_ms == 2000
        assert dev.monitoring.alarm_email is None

    def test_image_uri_per_region(self) -> None:
        uri = "123456789012.dkr.ecr.{region}.amazonaws.com/tap-api:1.4.0"
        function = parse({"function": {"dockerImageUri": uri}}, "dev").config.function
        assert function.image_uri("us-west-2") == (
            "123456789012.dkr.ecr.us-west-2.amazonaws.com/tap-api:1.4.0"
        )

    def test_a_fixed_region_image_is_fine_for_a_one_region_stack(self) -> None:
        uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tap-api@sha256:" + "a" * 64
        raw = {"regions": ["us-east-1"], "function": {"dockerImageUri": uri}}
        assert parse(raw, "dev").config.function.image_uri("us-east-1") == uri

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"function": {"timeoutSeconds": 60}},
                "tap:function.timeoutSeconds 60 is out of range; use 1 to 29 seconds (API Gateway "
                "stops waiting after 29)",
            ),
            (
                {"function": {"memoryMb": 64}},
                "tap:function.memoryMb 64 is out of range; use 128 to 10240 MB",
            ),
            (
                {"function": {"reservedConcurrency": 0}},
                "tap:function.reservedConcurrency 0 is out of range; use 1 to 1000",
            ),
            (
                {"function": {"runtime": "python3.9"}},
                "tap:function.runtime 'python3.9' is not allowed; use one of python3.11, "
                "python3.12 or python3.13",
            ),
            (
                {"function": {"dockerImageUri": "nginx:latest"}},
                "tap:function.dockerImageUri 'nginx:latest' is not an ECR image URI; use "
                "<account>.dkr.ecr.{region}.amazonaws.com/<repository>:<tag> (or "
                "@sha256:<digest>); {region} is replaced per region because Lambda pulls only "
                "from its own region",
            ),
            (
                {
                    "function": {
                        "dockerImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/a:1"
                    }
                },
                "tap:function.dockerImageUri points at ECR in us-east-1, but Lambda pulls images "
                "only from its own region and this stack runs in us-east-1, us-west-2; write "
                "{region} in place of the region",
            ),
            (
                {"api": {"endpointType": "EDGE"}},
                "tap:api.endpointType 'EDGE' is not allowed; use one of REGIONAL or PRIVATE",
            ),
            (
                {"api": {"throttlingRateLimit": 0}},
                "tap:api.throttlingRateLimit 0 is out of range; use more than 0 and at most "
                "10000 requests per second",
            ),
            (
                {"api": {"executionLogLevel": "DEBUG"}},
                "tap:api.executionLogLevel 'DEBUG' is not allowed; use one of ERROR or INFO",
            ),
            (
                {"api": {"stageName": "v-1"}},
                "tap:api.stageName 'v-1' is not allowed; use 1-128 letters, digits and underscores",
            ),
            (
                {"monitoring": {"alarmEmail": "oncall"}},
                "tap:monitoring.alarmEmail 'oncall' is not an email address",
            ),
            (
                {"monitoring": {"thresholds": {"api5xxErrors": 0}}},
                "tap:monitoring.thresholds.api5xxErrors 0 is out of range; use at least 1",
            ),
            (
                {"monitoring": {"thresholds": {"lambdaErrorz": 1}}},
                "tap:monitoring.thresholds.lambdaErrorz is not a known key (did you mean "
                "tap:monitoring.thresholds.lambdaErrors?); allowed keys here: api5xxErrors, "
                "apiP99LatencyMs, dbConnections, dbCpuPercent, dbFreeMemoryMb, lambdaErrors, "
                "lambdaThrottles, natPacketDrops, replicationLatencySeconds",
            ),
            (
                {"api": {"endpointType": "PRIVATE"}, "networkingStackRef": "org/net/dev"},
                "tap:api.endpointType PRIVATE needs the execute-api endpoint tap creates in its "
                "own VPC, and tap:networkingStackRef replaces that VPC; use REGIONAL with a "
                "shared network",
            ),
        ],
    )
    def test_refusals(self, raw: dict[str, Any], message: str) -> None:
        assert refuse(raw) == message
