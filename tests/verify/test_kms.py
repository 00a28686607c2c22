"""KMS checks: key rotation, and the forms a reference to the region's key may take."""

from __future__ import annotations

from pathlib import Path

import pytest

from tap.verify.kms import is_region_key
from tests.verify.canned import ACCOUNT, ALIAS, KEY_ARN, REGION, findings_with, region_outputs


def test_rotation_turned_off_is_drift(project: Path) -> None:
    assert findings_with(project, GetKeyRotationStatus={"KeyRotationEnabled": False}) == [
        ("KMS.4", "drift", "disabled")
    ]


def test_a_deleted_key_is_a_fail(project: Path) -> None:
    assert findings_with(project, GetKeyRotationStatus="NotFoundException") == [
        ("KMS.4", "fail", "not found (NotFoundException)")
    ]


@pytest.mark.parametrize(
    "reference",
    [KEY_ARN, KEY_ARN.rsplit("/", 1)[1], ALIAS, f"arn:aws:kms:{REGION}:{ACCOUNT}:{ALIAS}"],
)
def test_a_key_may_be_named_by_arn_id_alias_or_alias_arn(reference: str) -> None:
    assert is_region_key(reference, region_outputs())


@pytest.mark.parametrize(
    "reference",
    [None, "", KEY_ARN.replace("1234abcd-", "99999999-"), "alias/another", "alias/aws/s3"],
)
def test_another_key_or_none_is_not_the_region_key(reference: str | None) -> None:
    assert not is_region_key(reference, region_outputs())


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ({}, "no KeyRotationEnabled"),
        ({"KeyRotationEnabled": "false"}, "KeyRotationEnabled is a string, not a boolean"),
        ({"KeyRotationEnabled": 0}, "KeyRotationEnabled is a whole number, not a boolean"),
    ],
)
def test_a_reply_that_is_not_the_document_is_unknown_not_drift(
    project: Path, reply: dict[str, object], reason: str
) -> None:
    assert findings_with(project, GetKeyRotationStatus=reply) == [
        ("KMS.4", "unknown", f"unexpected reply ({reason})")
    ]
