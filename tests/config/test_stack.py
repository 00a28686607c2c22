"""The stack's own keys, the rules across sections, and how errors are reported."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from typing import Any

import pulumi
import pytest

from tap.awsdata import log_retention_days
from tap.config import ConfigError, decode_raw, load, parse
from tests.config.common import refuse

SUFFIX_MESSAGE = (
    "is not allowed; use 1-12 lowercase letters, digits and hyphens, starting and ending with a "
    "letter or digit, with no doubled hyphen (it goes into S3 bucket, IAM role and RDS names)"
)


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
        assert config.stack == "prod-2"

    @pytest.mark.parametrize("days", log_retention_days())
    def test_every_retention_cloudwatch_accepts(self, days: int) -> None:
        assert parse({"logRetentionDays": days}, "dev").config.log_retention_days == days

    @pytest.mark.parametrize("suffix", ["a", "dev", "pr-1234", "abcdefghijkl", "1dev", "a-b-c"])
    def test_suffixes(self, suffix: str) -> None:
        assert parse({"environmentSuffix": suffix}, "dev").config.environment_suffix == suffix

    def test_the_resolved_config_is_immutable(self) -> None:
        config = parse({}, "dev").config
        with pytest.raises(ValueError, match="frozen"):
            config.environment = "prod"  # type: ignore[misc]
        # Every section too: components get them one by one.
        with pytest.raises(ValueError, match="frozen"):
            config.database.instance_count = 5  # type: ignore[misc]
        with pytest.raises(ValueError, match="frozen"):
            config.network("us-east-1").az_count = 3  # type: ignore[misc]


class TestRefused:
    def test_environment(self) -> None:
        assert refuse({"environment": "qa"}) == (
            "tap:environment 'qa' is not allowed; use one of dev, staging or prod"
        )

    def test_environment_is_required_when_the_stack_name_is_not_one(self) -> None:
        assert refuse({}, stack="alice") == "tap:environment is required"

    @pytest.mark.parametrize(
        "suffix",
        [
            "Prod",
            "dev_1",
            "-dev",
            "dev-",
            "abcdefghijklm",
            "",
            "a--b",
            "dev\n",
            "dév",
            "\uff44\uff45\uff56",
        ],
    )
    def test_suffix(self, suffix: str) -> None:
        assert refuse({"environmentSuffix": suffix}) == (
            f"tap:environmentSuffix {suffix!r} {SUFFIX_MESSAGE}"
        )

    @pytest.mark.parametrize("days", [0, 2, 31, 364, 366, 10000])
    def test_log_retention(self, days: int) -> None:
        assert refuse({"logRetentionDays": days}) == (
            f"tap:logRetentionDays {days} is not a retention CloudWatch Logs accepts; use one of "
            "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, "
            "2557, 2922, 3288, 3653"
        )

    @pytest.mark.parametrize("days", [6, 31])
    def test_kms_deletion_window(self, days: int) -> None:
        assert refuse({"kmsDeletionWindowDays": days}) == (
            f"tap:kmsDeletionWindowDays {days} is out of range; use 7 to 30 days (the window KMS "
            "allows)"
        )

    def test_stack_reference(self) -> None:
        for ref in ("a/b/c/d", "org/net/dev\n", ""):
            assert refuse({"networkingStackRef": ref}) == (
                f"tap:networkingStackRef {ref!r} is not a stack reference; use <stack>, "
                "<project>/<stack> or <organization>/<project>/<stack>"
            )


class TestTags:
    @pytest.mark.parametrize(
        ("tags", "message"),
        [
            (
                {"Name": "x"},
                "tap:tags tag 'Name' is set by tap itself; reserved keys are Environment, "
                "EnvironmentSuffix, ManagedBy, Name, Project, Region, Tier",
            ),
            ({"aws:foo": "x"}, "tap:tags tag 'aws:foo': the aws: prefix is reserved by AWS"),
            ({"AWS:foo": "x"}, "tap:tags tag 'AWS:foo': the aws: prefix is reserved by AWS"),
            (
                {"k" * 129: "x"},
                f"tap:tags tag {'k' * 129!r}: keys must be 1-128 characters and values at most 256",
            ),
            (
                {"": "x"},
                "tap:tags tag '': keys must be 1-128 characters and values at most 256",
            ),
            (
                {"Owner": "v" * 257},
                "tap:tags tag 'Owner': keys must be 1-128 characters and values at most 256",
            ),
            (
                {"Owner": "team\n"},
                "tap:tags tag 'Owner': 'team\\n' has a character AWS tags do not allow; use "
                "letters, digits, spaces and + - . / : = @ _",
            ),
            (
                {"Own#er": "team"},
                "tap:tags tag 'Own#er': 'Own#er' has a character AWS tags do not allow; use "
                "letters, digits, spaces and + - . / : = @ _",
            ),
            ({f"t{i}": "x" for i in range(44)}, "tap:tags at most 43 tags are allowed, got 44"),
            ({"Owner": 7}, "tap:tags.Owner must be a string, got 7"),
        ],
    )
    def test_refused(self, tags: dict[str, Any], message: str) -> None:
        assert refuse({"tags": tags}) == message

    def test_the_limits_themselves_are_accepted(self) -> None:
        tags = {f"t{i}": "x" for i in range(42)} | {"k" * 128: "v" * 256}
        assert len(parse({"tags": tags}, "dev").config.tags) == 43

    def test_a_one_character_key_and_an_empty_value(self) -> None:
        # AWS's limits: keys of 1-128 characters, values of 0-256.
        assert parse({"tags": {"k": ""}}, "dev").config.tags == {"k": ""}

    def test_unicode_letters_and_the_allowed_punctuation(self) -> None:
        tags = {"Équipe": "données clients", "cost:center": "a+b=c/d@e_f.g-h"}
        assert parse({"tags": tags}, "dev").config.tags == tags


class TestAccountIds:
    def test_unquoted_account_ids_keep_their_digits(self) -> None:
        config = parse({"allowedAccountIds": [12345678901]}, "dev").config
        assert config.allowed_account_ids == ("012345678901",)

    @pytest.mark.parametrize(
        "account",
        [
            "1234",
            "1234567890123",
            "12345678901a",
            "123456789012\n",
            # Fullwidth digits: `\d` would accept them.
            "".join(chr(0xFF10 + int(d)) for d in "123456789012"),
        ],
    )
    def test_not_an_account_id(self, account: str) -> None:
        assert refuse({"allowedAccountIds": [account]}) == (
            f"tap:allowedAccountIds {account!r} is not an AWS account id; use 12 digits"
        )

    def test_booleans_are_not_account_ids(self) -> None:
        assert refuse({"allowedAccountIds": [True]}) == (
            "tap:allowedAccountIds must be a string, got True"
        )


class TestTypesAtEveryLevel:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ({"enableBastionSsh": "yes"}, "tap:enableBastionSsh must be true or false, got 'yes'"),
            ({"logRetentionDays": "30"}, "tap:logRetentionDays must be a whole number, got '30'"),
            ({"logRetentionDays": 30.5}, "tap:logRetentionDays must be a whole number, got 30.5"),
            ({"regions": "us-east-1"}, "tap:regions must be a list, got 'us-east-1'"),
            ({"networks": ["us-east-1"]}, "tap:networks must be a map, got ['us-east-1']"),
            ({"tags": ["a"]}, "tap:tags must be a map, got ['a']"),
            ({"database": "big"}, "tap:database must be a map, got 'big'"),
            (
                {"database": {"instanceCount": "2"}},
                "tap:database.instanceCount must be a whole number, got '2'",
            ),
            (
                {"database": {"instanceCount": True}},
                "tap:database.instanceCount must be a whole number, got True",
            ),
            (
                {"database": {"engineVersion": ["16"]}},
                "tap:database.engineVersion must be a string, got ['16']",
            ),
            ({"monitoring": {"thresholds": []}}, "tap:monitoring.thresholds must be a map, got []"),
            (
                {"monitoring": {"thresholds": {"dbCpuPercent": 80.5}}},
                "tap:monitoring.thresholds.dbCpuPercent must be a whole number, got 80.5",
            ),
            (
                {"api": {"throttlingRateLimit": "10"}},
                "tap:api.throttlingRateLimit must be a number, got '10'",
            ),
            ({"allowedCidrs": "10.0.0.0/8"}, "tap:allowedCidrs must be a list, got '10.0.0.0/8'"),
            ({"networkingStackRef": 7}, "tap:networkingStackRef must be a string, got 7"),
        ],
    )
    def test_wrong_types(self, raw: dict[str, Any], message: str) -> None:
        assert refuse(raw) == message


class TestUnknownKeys:
    def test_a_typo_suggests_the_close_one(self) -> None:
        message = refuse({"logRetentionDay": 30})
        assert message.startswith(
            "tap:logRetentionDay is not a known key (did you mean tap:logRetentionDays?)"
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"log_retention_days": 30},
                "tap:log_retention_days is not a known key (did you mean "
                "tap:logRetentionDays?); allowed keys here: allowedAccountIds",
            ),
            (
                {"database": {"instance_count": 2}},
                "tap:database.instance_count is not a known key (did you mean "
                "tap:database.instanceCount?)",
            ),
            ({"stack": "dev"}, "tap:stack is not a known key; allowed keys here:"),
            (
                {"function": {"memory": 256}},
                "tap:function.memory is not a known key (did you mean tap:function.memoryMb?)",
            ),
        ],
    )
    def test_only_the_documented_spelling_is_a_key(self, raw: dict[str, Any], message: str) -> None:
        assert refuse(raw).startswith(message)

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
                "primaryRegion": "us-east-1",
                "tags": "{not json",
            }
        )
        assert decoded == {
            "environment": "dev",
            "environmentSuffix": "123",
            "regions": ["us-east-1"],
            "logRetentionDays": 14,
            "enableBastionSsh": False,
            "networkingStackRef": "org/net/dev",
            "primaryRegion": "us-east-1",
            "tags": "{not json",
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

    def test_a_key_passed_both_ways_is_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # The engine may pass config both in PULUMI_CONFIG and through the runtime's map.
        values = {"tap:environment": "dev", "tap:logRetention": "90"}
        monkeypatch.setenv("PULUMI_CONFIG", json.dumps(values))
        pulumi.runtime.set_all_config(values)
        with pytest.raises(ConfigError, match=r"^tap:logRetention is not a known key"):
            load()

    def test_the_result_is_a_value(self) -> None:
        # What load() returns is handed to every component: none may swap its parts.
        pulumi.runtime.set_all_config({"tap:environment": "dev"})
        parsed = load()
        with pytest.raises(FrozenInstanceError):
            parsed.warnings = ("x",)  # type: ignore[misc]
