"""RegionalKey on its own: rotation, alias, deletion window, key policy, tags, protection."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from tap.components.kms import RegionalKey, RegionalKeyArgs
from tap.plan import PlanMocks
from tests.conftest import labels_for, plan_program


def build(protect: bool = False, region: str = "eu-central-1") -> dict[str, Any]:
    def program() -> None:
        RegionalKey(
            "tap-test-euc1-key",
            RegionalKeyArgs(
                labels=labels_for(region),
                region=region,
                account_id="111122223333",
                partition="aws",
                deletion_window_days=14,
                protect=protect,
            ),
        )

    return plan_program(program)


def key_of(manifest: dict[str, Any]) -> dict[str, Any]:
    (key,) = [r for r in manifest["resources"] if r["type"] == "aws:kms/key:Key"]
    result: dict[str, Any] = key
    return result


def test_key_properties() -> None:
    key = key_of(build())
    inputs = key["inputs"]
    assert inputs["enableKeyRotation"] is True
    assert inputs["rotationPeriodInDays"] == 365
    assert inputs["deletionWindowInDays"] == 14
    assert inputs["keyUsage"] == "ENCRYPT_DECRYPT"
    assert inputs["multiRegion"] is False
    assert key["name"] == "tap-test-euc1-kms"
    assert inputs["tags"]["Name"] == "tap-test-euc1-kms"
    assert inputs["tags"]["Owner"] == "tests"
    assert key["protect"] is False


def test_protected_when_asked() -> None:
    assert key_of(build(protect=True))["protect"] is True


def test_alias_targets_the_key() -> None:
    manifest = build()
    (alias,) = [r for r in manifest["resources"] if r["type"] == "aws:kms/alias:Alias"]
    assert alias["inputs"]["name"] == "alias/tap-test-euc1-kms"
    assert key_of(manifest)["urn"] in alias["dependencies"]


def test_key_policy_lets_the_account_administer_and_this_regions_logs_use_it() -> None:
    policy = json.loads(key_of(build())["inputs"]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["AccountAdministersKey"]["Principal"] == {
        "AWS": "arn:aws:iam::111122223333:root"
    }
    logs = statements["CloudWatchLogsUseKey"]
    assert logs["Principal"] == {"Service": "logs.eu-central-1.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": (
                "arn:aws:logs:eu-central-1:111122223333:log-group:*"
            )
        }
    }
    assert "kms:*" not in logs["Action"]
    # No statement grants a bare "*" principal.
    assert all(
        s["Principal"] != "*" and s["Principal"] != {"AWS": "*"} for s in policy["Statement"]
    )


@pytest.mark.usefixtures("pulumi_mocks")
@pulumi.runtime.test
def test_outputs_expose_a_kms_arn_of_the_region(pulumi_mocks: PlanMocks) -> pulumi.Output[None]:
    key = RegionalKey(
        "tap-test-usw2-key",
        RegionalKeyArgs(
            labels=labels_for("us-west-2"),
            region="us-west-2",
            account_id="111122223333",
            partition="aws",
            deletion_window_days=7,
        ),
    )

    def check(values: list[str]) -> None:
        arn, alias = values
        assert arn.startswith("arn:aws:kms:")
        assert ":key/" in arn
        assert alias == "alias/tap-test-usw2-kms"

    return pulumi.Output.all(key.key_arn, key.alias_name).apply(check)
