"""Names carry project, environment suffix and region code; tags carry the common set."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from tap.config import SUPPORTED_REGIONS
from tap.naming import REGION_CODES, Labels, Namer, common_tags, region_code


def test_every_supported_region_has_a_distinct_code() -> None:
    assert set(REGION_CODES) == set(SUPPORTED_REGIONS)
    assert len(set(REGION_CODES.values())) == len(REGION_CODES)


@pytest.mark.parametrize(
    ("region", "parts", "name"),
    [
        ("us-east-1", ("vpc",), "tap-prod-use1-vpc"),
        ("us-west-2", ("subnet", "private", 0), "tap-prod-usw2-subnet-private-0"),
        ("eu-central-1", ("kms",), "tap-prod-euc1-kms"),
        (None, ("password-policy",), "tap-prod-gbl-password-policy"),
    ],
)
def test_names(region: str | None, parts: tuple[str | int, ...], name: str) -> None:
    assert Namer("prod", region).name(*parts) == name


def test_for_region_keeps_the_suffix() -> None:
    assert Namer("pr-42").for_region("us-west-2").name("vpc") == "tap-pr-42-usw2-vpc"


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="no region code for 'ap-south-1'"):
        region_code("ap-south-1")


def test_common_tags_override_user_tags_of_the_same_key() -> None:
    tags = common_tags(
        environment="prod", suffix="prod", region="us-east-1", extra={"Project": "x", "Team": "a"}
    )
    assert tags == {
        "Project": "tap",
        "Environment": "prod",
        "EnvironmentSuffix": "prod",
        "ManagedBy": "pulumi",
        "Region": "us-east-1",
        "Team": "a",
    }


def test_labels_add_the_name_tag() -> None:
    labels = Labels(
        Namer("dev", "us-east-1"), common_tags(environment="dev", suffix="dev", region=None)
    )
    name = labels.name("vpc")
    assert labels.tags(name)["Name"] == "tap-dev-use1-vpc"
    assert labels.tags(name)["Region"] == "global"
    assert labels.region == "us-east-1"


def test_names_and_labels_are_values_no_component_can_change() -> None:
    # One Labels is shared by every component of a region: rebinding it in one would rename
    # the others' resources. A Namer is hashable, so it can key a mapping.
    namer = Namer("dev", "us-east-1")
    labels = Labels(namer, common_tags(environment="dev", suffix="dev", region="us-east-1"))
    with pytest.raises(FrozenInstanceError):
        namer.suffix = "prod"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        labels.namer = Namer("prod", "us-east-1")  # type: ignore[misc]
    assert {namer: 1}[Namer("dev", "us-east-1")] == 1
