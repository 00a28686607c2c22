"""tap bootstrap-backend against moto: a conforming backend, and a second run changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tap.backend import DEFAULT_KEY_ALIAS, bootstrap_backend, tls_only_policy

BUCKET = "acme-tap-pulumi-state"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield


def factory(region: str) -> Any:
    session = boto3.Session(region_name=region)
    return session.client


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_creates_a_versioned_encrypted_private_tls_only_bucket(region: str) -> None:
    report = bootstrap_backend(BUCKET, region, factory(region))
    s3 = boto3.client("s3", region_name=region)
    kms = boto3.client("kms", region_name=region)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": report.key_arn,
    }
    assert all(s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"].values())
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"]) == tls_only_policy(BUCKET)
    key_id = report.key_arn.rsplit("/", 1)[-1]
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases[DEFAULT_KEY_ALIAS] == key_id
    if region != "us-east-1":
        assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == region
    assert report.unchanged == []
    assert report.login_url == f"s3://{BUCKET}?region={region}"
    assert report.secrets_provider == f"awskms://{DEFAULT_KEY_ALIAS}?region={region}"


@pytest.mark.usefixtures("aws")
def test_a_second_run_changes_nothing() -> None:
    first = bootstrap_backend(BUCKET, "us-west-2", factory("us-west-2"))
    second = bootstrap_backend(BUCKET, "us-west-2", factory("us-west-2"))
    assert second.changes == []
    assert second.unchanged == first.changes
    assert second.key_arn == first.key_arn
    kms = boto3.client("kms", region_name="us-west-2")
    assert len(kms.list_keys()["Keys"]) == 1


@pytest.mark.usefixtures("aws")
def test_converges_a_bucket_someone_weakened() -> None:
    bootstrap_backend(BUCKET, "us-east-1", factory("us-east-1"))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=BUCKET)
    report = bootstrap_backend(BUCKET, "us-east-1", factory("us-east-1"))
    assert report.changes == ["versioning", "public access block"]
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
