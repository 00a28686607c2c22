"""tap bootstrap-backend: bucket name and region rules, a conforming backend (moto), a second run
that changes nothing, refusals before any write, and no key or bucket left behind on failure.

moto cannot play another account's bucket (its HeadBucket answers 200 for any bucket), so the
403 and 409 answers come from botocore's Stubber, which checks each request against S3's model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
import regex
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]
from botocore.stub import Stubber  # type: ignore[import-untyped]
from cfnlint.rules.formats.S3BucketName import S3BucketName  # type: ignore[import-untyped]
from moto import mock_aws

from tap.aws import partition_of, region_problem
from tap.backend import (
    DEFAULT_KEY_ALIAS,
    KEY_DELETION_WINDOW_DAYS,
    BootstrapError,
    bootstrap_backend,
    bucket_name_problem,
    tls_only_policy,
)

BUCKET = "acme-tap-pulumi-state"


# --- bucket names and regions, checked before any call ------------------------------------------

VALID_NAMES = ["abc", "acme-tap-pulumi-state", "my.state.bucket", "a1-b2", "x" * 63, "1bucket"]
INVALID_NAMES = {
    "ab": "is 2 characters long; S3 bucket names have 3 to 63",
    "x" * 64: "is 64 characters long; S3 bucket names have 3 to 63",
    "My-Bucket": "may contain only lowercase letters, digits, dots (.) and hyphens (-)",
    "my_bucket": "may contain only lowercase letters, digits, dots (.) and hyphens (-)",
    "bücket": "may contain only lowercase letters, digits, dots (.) and hyphens (-)",
    "-bucket": "must begin and end with a lowercase letter or a digit",
    "bucket.": "must begin and end with a lowercase letter or a digit",
    "my..bucket": "must not contain two adjacent dots",
    "my-.bucket": "must not have a hyphen next to a dot",
    "my.-bucket": "must not have a hyphen next to a dot",
    "192.168.5.4": "must not be formatted as an IP address",
    "xn--bucket": "must not start with 'xn--' (reserved by S3)",
    "sthree-bucket": "must not start with 'sthree-' (reserved by S3)",
    "amzn-s3-demo-bucket": "must not start with 'amzn-s3-demo-' (reserved by S3)",
    "bucket-s3alias": "must not end with '-s3alias' (reserved by S3)",
    "bucket--ol-s3": "must not end with '--ol-s3' (reserved by S3)",
    "bucket.mrap": "must not end with '.mrap' (reserved by S3)",
    "bucket--x-s3": "must not end with '--x-s3' (reserved by S3)",
    "bucket--table-s3": "must not end with '--table-s3' (reserved by S3)",
}


@pytest.mark.parametrize("name", VALID_NAMES)
def test_a_valid_bucket_name(name: str) -> None:
    assert bucket_name_problem(name) is None


@pytest.mark.parametrize(("name", "problem"), INVALID_NAMES.items())
def test_an_invalid_bucket_name_says_which_rule(name: str, problem: str) -> None:
    assert bucket_name_problem(name) == problem


@pytest.mark.parametrize("name", VALID_NAMES + list(INVALID_NAMES))
def test_every_name_we_accept_passes_cfn_lints_bucket_name_format(name: str) -> None:
    """cfn-lint's format (E1161) is the maintained copy of part of the rules; ours is stricter."""
    if bucket_name_problem(name) is None:
        assert regex.match(S3BucketName().pattern, name)


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1", "ap-southeast-2", "cn-north-1"])
def test_a_region_botocore_knows_for_s3_and_kms(region: str) -> None:
    assert region_problem(region, "s3", "kms") is None


@pytest.mark.parametrize("region", ["mars-1", "us-east-9", "US-EAST-1", ""])
def test_an_unknown_region_is_refused(region: str) -> None:
    problem = region_problem(region, "s3", "kms")

    assert problem is not None
    assert problem.startswith(f"--region {region!r} is not a region where botocore knows s3")
    assert "us-east-1, us-east-2" in problem


def test_the_partition_of_a_region() -> None:
    assert partition_of("eu-central-1") == "aws"
    assert partition_of("cn-north-1") == "aws-cn"
    assert tls_only_policy("b", "aws-cn")["Statement"][0]["Resource"] == [
        "arn:aws-cn:s3:::b",
        "arn:aws-cn:s3:::b/*",
    ]


# --- against moto -------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def factory(region: str) -> Callable[[str], Any]:
    session = boto3.Session(region_name=region)
    client: Callable[[str], Any] = session.client
    return client


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


@pytest.mark.usefixtures("aws")
def test_a_bucket_in_another_region_is_refused_before_any_write() -> None:
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    with pytest.raises(BootstrapError) as refused:
        bootstrap_backend(BUCKET, "us-east-1", factory("us-east-1"))

    assert str(refused.value) == (
        f"bucket {BUCKET} already exists in eu-west-1, not us-east-1; the state bucket and its "
        f"key must share a region: rerun with --region eu-west-1 (pulumi login "
        f"'s3://{BUCKET}?region=eu-west-1'), or choose another --bucket"
    )
    assert refused.value.exit_code == 2
    assert boto3.client("kms", region_name="us-east-1").list_keys()["Keys"] == []
    versioning = boto3.client("s3", region_name="eu-west-1").get_bucket_versioning(Bucket=BUCKET)
    assert "Status" not in versioning  # untouched


def failing(factory: Callable[[str], Any], operation: str, code: str) -> Callable[[str], Any]:
    """Clients from `factory` whose `operation` (e.g. `s3.PutBucketEncryption`) fails."""
    service, name = operation.split(".")

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        error = {"Error": {"Code": code, "Message": f"{code} (injected)"}}
        return AWSResponse("https://aws", 403, {}, None), error

    def client(wanted: str) -> Any:
        made = factory(wanted)
        if wanted == service:
            made.meta.events.register(f"before-call.{service}.{name}", answer)
        return made

    return client


def key_states(region: str) -> list[str]:
    kms = boto3.client("kms", region_name=region)
    return [
        kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"]
        for k in kms.list_keys()["Keys"]
    ]


def bucket_names(region: str) -> list[str]:
    return [b["Name"] for b in boto3.client("s3", region_name=region).list_buckets()["Buckets"]]


def aliases(region: str) -> list[str]:
    kms = boto3.client("kms", region_name=region)
    names = [a["AliasName"] for a in kms.list_aliases()["Aliases"] if a.get("TargetKeyId")]
    return [name for name in names if not name.startswith("alias/aws/")]  # AWS-managed keys


@pytest.mark.usefixtures("aws")
def test_a_failed_encryption_step_removes_the_new_key_alias_and_bucket() -> None:
    clients = failing(factory("us-east-1"), "s3.PutBucketEncryption", "AccessDenied")

    with pytest.raises(BootstrapError) as failed:
        bootstrap_backend(BUCKET, "us-east-1", clients)

    message = str(failed.value)
    assert message.startswith(
        "AWS refused PutBucketEncryption (AccessDenied: AccessDenied (injected)); the "
        "credentials are not allowed to make this call; removed what this run created: alias "
        f"{DEFAULT_KEY_ALIAS}, KMS key "
    )
    assert message.endswith(
        f"(deletion scheduled in {KEY_DELETION_WINDOW_DAYS} days), bucket {BUCKET}"
    )
    assert failed.value.exit_code == 3
    assert bucket_names("us-east-1") == []
    assert aliases("us-east-1") == []
    assert key_states("us-east-1") == ["PendingDeletion"]


@pytest.mark.usefixtures("aws")
def test_a_failed_key_step_removes_the_new_bucket_and_leaves_no_key() -> None:
    clients = failing(factory("us-east-1"), "kms.CreateKey", "AccessDeniedException")

    with pytest.raises(BootstrapError) as failed:
        bootstrap_backend(BUCKET, "us-east-1", clients)

    assert str(failed.value) == (
        "AWS refused CreateKey (AccessDeniedException: AccessDeniedException (injected)); the "
        f"credentials are not allowed to make this call; removed what this run created: bucket "
        f"{BUCKET}"
    )
    assert (bucket_names("us-east-1"), key_states("us-east-1")) == ([], [])


@pytest.mark.usefixtures("aws")
def test_a_failure_keeps_what_an_earlier_run_made() -> None:
    bootstrap_backend(BUCKET, "us-east-1", factory("us-east-1"))
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.delete_bucket_policy(Bucket=BUCKET)
    clients = failing(factory("us-east-1"), "s3.PutBucketPolicy", "AccessDenied")

    with pytest.raises(BootstrapError) as failed:
        bootstrap_backend(BUCKET, "us-east-1", clients)

    assert str(failed.value) == (
        "AWS refused PutBucketPolicy (AccessDenied: AccessDenied (injected)); the credentials "
        "are not allowed to make this call"
    )
    assert bucket_names("us-east-1") == [BUCKET]
    assert aliases("us-east-1") == [DEFAULT_KEY_ALIAS]
    assert key_states("us-east-1") == ["Enabled"]


@pytest.mark.usefixtures("aws")
def test_an_alias_on_a_key_pending_deletion_is_refused() -> None:
    report = bootstrap_backend(BUCKET, "us-east-1", factory("us-east-1"))
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = report.key_arn.rsplit("/", 1)[-1]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    with pytest.raises(BootstrapError) as refused:
        bootstrap_backend(BUCKET, "us-east-1", factory("us-east-1"))

    assert str(refused.value) == (
        f"KMS alias {DEFAULT_KEY_ALIAS} points to key {key_id}, which is PendingDeletion; "
        "enable the key (or cancel its deletion), or pass another --kms-alias"
    )


def stubbed_s3(*answers: tuple[str, dict[str, Any], dict[str, Any] | None]) -> Any:
    """An S3 client answering from Stubber: (operation, error or response, expected params)."""
    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    stubber = Stubber(s3)
    for operation, answer, params in answers:
        if "Error" in answer:
            stubber.add_client_error(
                operation,
                service_error_code=answer["Error"]["Code"],
                http_status_code=answer["Error"]["Status"],
                expected_params=params,
            )
        else:
            stubber.add_response(operation, answer, params)
    stubber.activate()
    return s3


def with_s3(s3: Any) -> Callable[[str], Any]:
    kms = factory("us-east-1")
    return lambda service: s3 if service == "s3" else kms(service)


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize("status", ["403", "AccessDenied"])
def test_a_bucket_another_account_owns_is_taken_on_403(status: str) -> None:
    s3 = stubbed_s3(("head_bucket", {"Error": {"Code": status, "Status": 403}}, {"Bucket": BUCKET}))

    with pytest.raises(BootstrapError) as refused:
        bootstrap_backend(BUCKET, "us-east-1", with_s3(s3))

    assert str(refused.value) == (
        f"bucket name {BUCKET} is taken: another AWS account owns it (S3 answered HeadBucket "
        f"with {status}); bucket names are shared by every account in the partition, so "
        "choose another --bucket, e.g. with your organization or account id in it"
    )
    assert refused.value.exit_code == 2
    assert key_states("us-east-1") == []


@pytest.mark.usefixtures("aws")
def test_a_bucket_taken_between_the_look_and_the_create_is_taken_on_409() -> None:
    s3 = stubbed_s3(
        ("head_bucket", {"Error": {"Code": "404", "Status": 404}}, {"Bucket": BUCKET}),
        (
            "create_bucket",
            {"Error": {"Code": "BucketAlreadyExists", "Status": 409}},
            {"Bucket": BUCKET, "ObjectOwnership": "BucketOwnerEnforced"},
        ),
    )

    with pytest.raises(BootstrapError) as refused:
        bootstrap_backend(BUCKET, "us-east-1", with_s3(s3))

    assert "is taken: another AWS account owns it (S3 answered CreateBucket with " in str(
        refused.value
    )
    assert refused.value.exit_code == 2
    assert key_states("us-east-1") == []  # the key comes after the bucket


@pytest.mark.usefixtures("aws")
def test_a_bucket_still_being_deleted_is_a_retry_later() -> None:
    s3 = stubbed_s3(
        ("head_bucket", {"Error": {"Code": "404", "Status": 404}}, {"Bucket": BUCKET}),
        (
            "create_bucket",
            {"Error": {"Code": "OperationAborted", "Status": 409}},
            {"Bucket": BUCKET, "ObjectOwnership": "BucketOwnerEnforced"},
        ),
    )

    with pytest.raises(BootstrapError) as failed:
        bootstrap_backend(BUCKET, "us-east-1", with_s3(s3))

    assert str(failed.value) == (
        f"S3 is still busy with an earlier operation on bucket {BUCKET} (for example its "
        "deletion); try again in a few minutes"
    )
    assert failed.value.exit_code == 3
