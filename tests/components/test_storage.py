"""SecureBucket and ReplicatedStorage: hardening, log delivery, ordering, regions, replication."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.components.storage import (
    LOG_PREFIX,
    RegionalBucketSpec,
    ReplicatedStorage,
    ReplicatedStorageArgs,
    ReplicationEndpoint,
    SecureBucket,
    SecureBucketArgs,
    bucket_physical_name,
    replication_role_policy,
)
from tap.naming import region_code
from tap.plan import PlanMocks
from tests.conftest import is_taggable, labels_for, plan_program

ACCOUNT = "111122223333"
REGION = "us-west-2"
PRIMARY = "us-east-1"
REPLICA_REGIONS = ("us-west-2", "eu-central-1")
REGIONS = (PRIMARY, *REPLICA_REGIONS)
KEYS = {r: f"arn:aws:kms:{r}:{ACCOUNT}:key/key-{region_code(r)}" for r in REGIONS}

DATA = f"tap-test-usw2-data-{ACCOUNT}"
LOGS = f"tap-test-usw2-data-logs-{ACCOUNT}"

BUCKET = "aws:s3/bucket:Bucket"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

Resources = tuple[dict[str, Any], ...]


def arn(bucket_name: str) -> str:
    return f"arn:aws:s3:::{bucket_name}"


def provider_for(region: str) -> aws.Provider:
    return aws.Provider(f"tap-test-{region_code(region)}-aws", region=region)


def of_type(resources: Resources, type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def on_bucket(resources: Resources, type_token: str, bucket_name: str) -> dict[str, Any]:
    """The one resource of `type_token` configuring the bucket named `bucket_name`."""
    (found,) = [r for r in of_type(resources, type_token) if r["inputs"]["bucket"] == bucket_name]
    return found


def statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(resource["inputs"]["policy"])["Statement"])


# --- SecureBucket ------------------------------------------------------------------------------


@cache
def build_bucket(protect: bool = False, force_destroy: bool = False) -> Resources:
    def program() -> None:
        SecureBucket(
            "tap-test-usw2-data-storage",
            SecureBucketArgs(
                labels=labels_for(REGION),
                purpose="data",
                account_id=ACCOUNT,
                partition="aws",
                kms_key_arn=KEYS[REGION],
                noncurrent_version_expiration_days=30,
                abort_multipart_days=5,
                force_destroy=force_destroy,
                protect=protect,
            ),
            opts=pulumi.ResourceOptions(providers=[provider_for(REGION)]),
        )

    return tuple(plan_program(program)["resources"])


def test_buckets_get_globally_unique_valid_physical_names() -> None:
    buckets = {b["name"]: b["inputs"]["bucket"] for b in of_type(build_bucket(), BUCKET)}
    assert buckets == {"tap-test-usw2-data": DATA, "tap-test-usw2-data-logs": LOGS}


def test_physical_names_follow_the_s3_rules() -> None:
    assert bucket_physical_name("tap-Test-use1-data", ACCOUNT) == f"tap-test-use1-data-{ACCOUNT}"
    assert len(bucket_physical_name("t" * 50, ACCOUNT)) == 63
    with pytest.raises(ValueError, match="invalid"):
        bucket_physical_name("t" * 51, ACCOUNT)
    with pytest.raises(ValueError, match="invalid"):
        bucket_physical_name("tap_test", ACCOUNT)


def test_a_purpose_too_long_for_a_bucket_name_fails_in_the_constructor(
    pulumi_mocks: PlanMocks,
) -> None:
    # Raised synchronously, before any registration: not later from inside an apply.
    with pytest.raises(ValueError, match="is invalid"):
        SecureBucket(
            "tap-test-usw2-long-storage",
            SecureBucketArgs(
                labels=labels_for(REGION),
                purpose="x" * 40,
                account_id=ACCOUNT,
                partition="aws",
                kms_key_arn=KEYS[REGION],
                noncurrent_version_expiration_days=30,
            ),
        )


def test_both_buckets_are_versioned() -> None:
    resources = build_bucket()
    for name in (DATA, LOGS):
        versioning = on_bucket(resources, VERSIONING, name)
        assert versioning["inputs"]["versioningConfiguration"] == {"status": "Enabled"}


def test_data_bucket_is_encrypted_with_the_regions_cmk_and_a_bucket_key() -> None:
    encryption = on_bucket(build_bucket(), ENCRYPTION, DATA)
    assert encryption["inputs"]["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": KEYS[REGION],
            },
            "bucketKeyEnabled": True,
        }
    ]


def test_log_bucket_uses_sse_s3_as_access_log_targets_must() -> None:
    encryption = on_bucket(build_bucket(), ENCRYPTION, LOGS)
    assert encryption["inputs"]["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
    ]


def test_public_access_is_blocked_and_acls_are_disabled_on_both() -> None:
    resources = build_bucket()
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for name in (DATA, LOGS):
        block = on_bucket(resources, PUBLIC_ACCESS_BLOCK, name)["inputs"]
        assert all(block[flag] is True for flag in flags), block
        ownership = on_bucket(resources, OWNERSHIP, name)["inputs"]
        assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_every_bucket_policy_denies_plain_http_and_tls_below_1_2() -> None:
    resources = build_bucket()
    for name in (DATA, LOGS):
        by_sid = {s["Sid"]: s for s in statements(on_bucket(resources, POLICY, name))}
        for sid in ("DenyInsecureTransport", "DenyOutdatedTls"):
            assert by_sid[sid]["Effect"] == "Deny"
            assert by_sid[sid]["Principal"] == "*"
            assert by_sid[sid]["Action"] == "s3:*"
            assert by_sid[sid]["Resource"] == [arn(name), f"{arn(name)}/*"]
        assert by_sid["DenyInsecureTransport"]["Condition"] == {
            "Bool": {"aws:SecureTransport": "false"}
        }
        assert by_sid["DenyOutdatedTls"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}


def test_log_bucket_policy_lets_only_s3_log_delivery_for_the_data_bucket_write() -> None:
    allows = [
        s for s in statements(on_bucket(build_bucket(), POLICY, LOGS)) if s["Effect"] == "Allow"
    ]
    assert allows == [
        {
            "Sid": "AllowServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{arn(LOGS)}/{LOG_PREFIX}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": arn(DATA)},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        }
    ]


def test_data_bucket_policy_allows_nothing() -> None:
    policy = statements(on_bucket(build_bucket(), POLICY, DATA))
    assert {s["Effect"] for s in policy} == {"Deny"}


def test_each_bucket_has_exactly_one_policy() -> None:
    policies = of_type(build_bucket(), POLICY)
    assert Counter(p["inputs"]["bucket"] for p in policies) == {DATA: 1, LOGS: 1}


def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads_on_both() -> None:
    resources = build_bucket()
    for name in (DATA, LOGS):
        rules = on_bucket(resources, LIFECYCLE, name)["inputs"]["rules"]
        assert rules == [
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "noncurrentVersionExpiration": {"noncurrentDays": 30},
                "expiration": {"expiredObjectDeleteMarker": True},
            },
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {"prefix": ""},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 5},
            },
        ]


def test_only_the_data_bucket_logs_and_it_logs_to_its_log_bucket() -> None:
    (logging,) = of_type(build_bucket(), LOGGING)
    inputs = logging["inputs"]
    assert inputs["bucket"] == DATA
    assert inputs["targetBucket"] == LOGS
    assert inputs["targetPrefix"] == LOG_PREFIX
    assert "targetGrants" not in inputs  # void with BucketOwnerEnforced


def test_resources_are_ordered_as_s3_needs() -> None:
    resources = build_bucket()
    for name in (DATA, LOGS):
        block = on_bucket(resources, PUBLIC_ACCESS_BLOCK, name)
        assert block["urn"] in on_bucket(resources, POLICY, name)["dependencies"]
        versioning = on_bucket(resources, VERSIONING, name)
        assert versioning["urn"] in on_bucket(resources, LIFECYCLE, name)["dependencies"]
    (logging,) = of_type(resources, LOGGING)
    assert on_bucket(resources, POLICY, LOGS)["urn"] in logging["dependencies"]
    (log_bucket,) = [b for b in of_type(resources, BUCKET) if b["inputs"]["bucket"] == LOGS]
    assert log_bucket["urn"] in logging["dependencies"]


def test_buckets_are_destroyable_only_when_asked_and_protected_when_asked() -> None:
    default = of_type(build_bucket(), BUCKET)
    assert [(b["inputs"]["forceDestroy"], b["protect"]) for b in default] == [(False, False)] * 2
    prod = of_type(build_bucket(protect=True), BUCKET)
    assert [(b["inputs"]["forceDestroy"], b["protect"]) for b in prod] == [(False, True)] * 2
    dev = of_type(build_bucket(force_destroy=True), BUCKET)
    assert [(b["inputs"]["forceDestroy"], b["protect"]) for b in dev] == [(True, False)] * 2


def test_everything_lands_in_the_region_named_and_tagged() -> None:
    resources = [r for r in build_bucket() if not r["type"].startswith("pulumi:")]
    assert {r["type"] for r in resources} >= {BUCKET, POLICY, LOGGING, "tap:storage:SecureBucket"}
    for resource in resources:
        assert resource["region"] == REGION, resource["urn"]
        assert resource["name"].startswith("tap-test-usw2-"), resource["name"]
        if is_taggable(resource["type"]):
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"
            assert tags["Region"] == REGION


@pulumi.runtime.test
def test_outputs_expose_the_bucket_names_and_arns(pulumi_mocks: PlanMocks) -> pulumi.Output[None]:
    bucket = SecureBucket(
        "tap-test-usw2-data-storage",
        SecureBucketArgs(
            labels=labels_for(REGION),
            purpose="data",
            account_id=pulumi.Output.from_input(ACCOUNT),
            partition="aws",
            kms_key_arn=KEYS[REGION],
            noncurrent_version_expiration_days=30,
        ),
        opts=pulumi.ResourceOptions(providers=[provider_for(REGION)]),
    )
    assert isinstance(bucket.bucket, aws.s3.Bucket)
    assert isinstance(bucket.versioning, aws.s3.BucketVersioning)

    def check(values: list[str]) -> None:
        assert values == [DATA, arn(DATA), LOGS, arn(LOGS)]

    return pulumi.Output.all(
        bucket.bucket_name, bucket.bucket_arn, bucket.log_bucket_name, bucket.log_bucket_arn
    ).apply(check)


# --- ReplicatedStorage -------------------------------------------------------------------------


def spec(region: str, provider: aws.Provider) -> RegionalBucketSpec:
    return RegionalBucketSpec(
        region=region, labels=labels_for(region), kms_key_arn=KEYS[region], provider=provider
    )


def storage(
    replicas: Sequence[str] = REPLICA_REGIONS,
    *,
    rtc: bool = False,
    protect: bool = False,
    account_id: pulumi.Input[str] = ACCOUNT,
) -> ReplicatedStorage:
    providers = {r: provider_for(r) for r in (PRIMARY, *replicas)}
    return ReplicatedStorage(
        "tap-test-use1-storage",
        ReplicatedStorageArgs(
            primary=spec(PRIMARY, providers[PRIMARY]),
            replicas=[spec(r, providers[r]) for r in replicas],
            account_id=account_id,
            partition="aws",
            iam_provider=providers[PRIMARY],
            noncurrent_version_expiration_days=90,
            replication_time_control=rtc,
            force_destroy=not protect,
            protect=protect,
        ),
    )


@cache
def build_storage(
    rtc: bool = False, protect: bool = False, replicas: tuple[str, ...] = REPLICA_REGIONS
) -> Resources:
    def program() -> None:
        storage(replicas, rtc=rtc, protect=protect)

    return tuple(plan_program(program)["resources"])


def data_bucket_name(region: str, *parts: str) -> str:
    purpose = "data" if region == PRIMARY else "data-replica"
    return "-".join(["tap", "test", region_code(region), purpose, *parts, ACCOUNT])


def replication_of(resources: Resources) -> dict[str, Any]:
    (config,) = of_type(resources, REPLICATION)
    return config


def test_a_secure_bucket_and_its_log_bucket_in_every_region() -> None:
    resources = build_storage()
    by_region: dict[str, set[str]] = {}
    for bucket in of_type(resources, BUCKET):
        by_region.setdefault(bucket["region"], set()).add(bucket["inputs"]["bucket"])
    assert by_region == {
        region: {data_bucket_name(region), data_bucket_name(region, "logs")} for region in REGIONS
    }
    for region in REGIONS:
        rules = on_bucket(resources, ENCRYPTION, data_bucket_name(region))["inputs"]["rules"]
        assert rules[0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == KEYS[region]


def test_every_resource_is_in_the_region_its_name_says() -> None:
    for resource in build_storage():
        if resource["type"].startswith("pulumi:"):
            continue
        if resource["type"] == "tap:storage:ReplicatedStorage":
            assert resource["region"] is None  # spans regions: no provider of its own
            continue
        code = region_code(resource["region"])
        assert resource["name"].startswith(f"tap-test-{code}-"), resource["urn"]
        if is_taggable(resource["type"]):
            assert resource["inputs"]["tags"]["Name"] == resource["name"]
            assert resource["inputs"]["tags"]["Region"] == resource["region"]


def test_one_replication_rule_per_replica_on_the_primary() -> None:
    config = replication_of(build_storage())
    assert config["region"] == PRIMARY
    assert config["inputs"]["bucket"] == data_bucket_name(PRIMARY)
    rules = config["inputs"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules) == len(REPLICA_REGIONS)
    assert sorted(r["priority"] for r in rules) == [1, 2]
    destinations = {r["destination"]["bucket"]: r for r in rules}
    assert set(destinations) == {arn(data_bucket_name(r)) for r in REPLICA_REGIONS}
    for region in REPLICA_REGIONS:
        rule = destinations[arn(data_bucket_name(region))]
        assert rule["status"] == "Enabled"
        assert rule["filter"] == {"prefix": ""}
        assert rule["deleteMarkerReplication"] == {"status": "Enabled"}
        assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
        assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": KEYS[region]}
        assert rule["destination"]["storageClass"] == "STANDARD"


@pytest.mark.parametrize("rtc", [False, True])
def test_replication_time_control_and_metrics_only_when_asked(rtc: bool) -> None:
    for rule in replication_of(build_storage(rtc=rtc))["inputs"]["rules"]:
        destination = rule["destination"]
        if rtc:
            assert destination["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
            assert destination["metrics"] == {
                "status": "Enabled",
                "eventThreshold": {"minutes": 15},
            }
        else:
            assert "replicationTime" not in destination
            assert "metrics" not in destination


def test_replication_waits_for_versioning_on_every_side_and_for_the_role_policy() -> None:
    resources = build_storage()
    dependencies = set(replication_of(resources)["dependencies"])
    for region in REGIONS:
        assert on_bucket(resources, VERSIONING, data_bucket_name(region))["urn"] in dependencies
    (role_policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    assert role_policy["urn"] in dependencies


def test_replication_role_trusts_only_s3_of_this_account_through_the_iam_provider() -> None:
    resources = build_storage()
    (role,) = of_type(resources, "aws:iam/role:Role")
    (role_policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    assert role["region"] == role_policy["region"] == PRIMARY
    assert role["inputs"]["name"] == "tap-test-use1-data-replication-role"
    (trust,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert role["urn"] in replication_of(resources)["dependencies"]


def expected_role_policy() -> dict[str, Any]:
    def key_use(sid: str, actions: list[str], region: str) -> dict[str, Any]:
        bucket = arn(data_bucket_name(region))
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": KEYS[region],
            "Condition": {
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket, f"{bucket}/*"]},
            },
        }

    source = arn(data_bucket_name(PRIMARY))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source,
            },
            {
                "Sid": "ReadSourceObjectVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": f"{source}/*",
            },
            {
                "Sid": "ReplicateIntoDestinations",
                "Effect": "Allow",
                "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                "Resource": [f"{arn(data_bucket_name(r))}/*" for r in REPLICA_REGIONS],
            },
            key_use("DecryptSourceObjects", ["kms:Decrypt"], PRIMARY),
            key_use("EncryptReplicasUsw2", ["kms:Decrypt", "kms:Encrypt"], "us-west-2"),
            key_use("EncryptReplicasEuc1", ["kms:Decrypt", "kms:Encrypt"], "eu-central-1"),
        ],
    }


def assert_least_privilege(policy: dict[str, Any]) -> None:
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions, resources = statement["Action"], statement["Resource"]
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        assert all("*" not in action for action in actions), statement
        assert "*" not in resources, statement
        assert all(r.startswith(("arn:aws:s3:::tap-test-", "arn:aws:kms:")) for r in resources)


def test_replication_role_policy_names_exactly_the_buckets_and_keys() -> None:
    endpoint = {r: ReplicationEndpoint(r, arn(data_bucket_name(r)), KEYS[r]) for r in REGIONS}
    rendered = replication_role_policy(
        source=endpoint[PRIMARY], destinations=[endpoint[r] for r in REPLICA_REGIONS]
    )
    policy = json.loads(rendered)
    assert policy == expected_role_policy()
    assert_least_privilege(policy)


def test_the_role_policy_in_the_plan_is_the_exact_one() -> None:
    (role_policy,) = of_type(build_storage(), "aws:iam/rolePolicy:RolePolicy")
    policy = json.loads(role_policy["inputs"]["policy"])
    assert policy == expected_role_policy()
    assert_least_privilege(policy)


def test_protected_storage_cannot_be_force_destroyed() -> None:
    buckets = of_type(build_storage(protect=True), BUCKET)
    assert len(buckets) == 2 * len(REGIONS)
    assert all(b["protect"] and b["inputs"]["forceDestroy"] is False for b in buckets)
    unprotected = of_type(build_storage(), BUCKET)
    assert all(not b["protect"] and b["inputs"]["forceDestroy"] is True for b in unprotected)


def test_a_single_region_has_buckets_but_no_replication() -> None:
    resources = build_storage(replicas=())
    assert len(of_type(resources, BUCKET)) == 2
    assert not of_type(resources, REPLICATION)
    assert not of_type(resources, "aws:iam/role:Role")


@pytest.mark.parametrize(
    ("replicas", "labels_region", "message"),
    [
        ((PRIMARY,), None, "must be distinct"),
        (("us-west-2",), "eu-central-1", "carries labels of eu-central-1"),
    ],
)
def test_inconsistent_region_specs_are_refused(
    replicas: tuple[str, ...], labels_region: str | None, message: str
) -> None:
    def program() -> None:
        provider = provider_for(PRIMARY)
        ReplicatedStorage(
            "tap-test-use1-storage",
            ReplicatedStorageArgs(
                primary=spec(PRIMARY, provider),
                replicas=[
                    RegionalBucketSpec(r, labels_for(labels_region or r), KEYS[r], provider)
                    for r in replicas
                ],
                account_id=ACCOUNT,
                partition="aws",
                iam_provider=provider,
                noncurrent_version_expiration_days=30,
            ),
        )

    with pytest.raises(ValueError, match=message):
        plan_program(program)


@pulumi.runtime.test
def test_storage_outputs_by_region(pulumi_mocks: PlanMocks) -> pulumi.Output[None]:
    replicated = storage(account_id=pulumi.Output.from_input(ACCOUNT))
    assert set(replicated.replicas) == set(REPLICA_REGIONS)
    assert replicated.replication_role is not None
    regions = sorted(REGIONS)

    def check(values: list[str]) -> None:
        names, arns, role_arn = values[:3], values[3:6], values[6]
        assert names == [data_bucket_name(r) for r in regions]
        assert arns == [arn(data_bucket_name(r)) for r in regions]
        assert role_arn.endswith(":role/tap-test-use1-data-replication-role")

    return pulumi.Output.all(
        *[replicated.bucket_names[r] for r in regions],
        *[replicated.bucket_arns[r] for r in regions],
        replicated.replication_role.arn,
    ).apply(check)
