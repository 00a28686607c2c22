"""S3 rules: one violation per rule, companions found by name or dependency, the encryption split
between data and log buckets, the TLS-only policy."""

from __future__ import annotations

from typing import Any

from tap.policy.rules import UNKNOWN, PolicyResource, evaluate, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import KEY_ARN, Case, messages, policy, res


def bucket(name: str) -> PolicyResource:
    return res(r.BUCKET, name, bucket=f"{name}-123456789012")


def on_bucket(type_: str, target: PolicyResource, suffix: str, **props: Any) -> PolicyResource:
    return res(
        type_,
        f"{target.name}-{suffix}",
        deps=(target.urn,),
        bucket=target.props["bucket"],
        **props,
    )


def sse(target: PolicyResource, algorithm: str, key: str | None = None) -> PolicyResource:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key:
        default["kmsMasterKeyId"] = key
    return on_bucket(
        r.BUCKET_SSE, target, "encryption", rules=[{"applyServerSideEncryptionByDefault": default}]
    )


DATA = bucket("tap-test-use1-data")

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "s3-public-access-block-all": Case(
        [
            res(
                r.BUCKET_PUBLIC_ACCESS_BLOCK,
                blockPublicAcls=True,
                blockPublicPolicy=False,
                ignorePublicAcls=True,
                restrictPublicBuckets=True,
            )
        ],
        "leaves blockPublicPolicy off",
    ),
    "s3-bucket-policy-tls-only": Case(
        [
            res(
                r.BUCKET_POLICY,
                policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}),
            )
        ],
        "does not deny non-TLS requests",
    ),
    "s3-versioning-enabled": Case(
        [res(r.BUCKET_VERSIONING, versioningConfiguration={"status": "Suspended"})],
        "sets versioning to 'Suspended'",
    ),
    "s3-ownership-bucket-owner-enforced": Case(
        [res(r.BUCKET_OWNERSHIP, rule={"objectOwnership": "ObjectWriter"})],
        "use BucketOwnerEnforced",
    ),
    "s3-lifecycle-noncurrent-and-multipart": Case(
        [
            res(
                r.BUCKET_LIFECYCLE,
                rules=[
                    {"status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 30}}
                ],
            )
        ],
        "no enabled rule to abort incomplete multipart uploads",
    ),
    "s3-replication-delete-markers-and-kms": Case(
        [
            res(
                r.BUCKET_REPLICATION,
                rules=[
                    {
                        "id": "to-usw2",
                        "status": "Enabled",
                        "deleteMarkerReplication": {"status": "Disabled"},
                        "sourceSelectionCriteria": {
                            "sseKmsEncryptedObjects": {"status": "Enabled"}
                        },
                        "destination": {
                            "bucket": "arn:aws:s3:::replica",
                            "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN},
                        },
                    }
                ],
            )
        ],
        "to-usw2 does not replicate delete markers",
    ),
    "s3-bucket-has-public-access-block": Case([DATA], "has no public access block"),
    "s3-bucket-has-versioning": Case([DATA], "has no versioning configuration"),
    "s3-bucket-has-tls-policy": Case([DATA], "has no bucket policy"),
    "s3-bucket-has-ownership-controls": Case([DATA], "has no ownership controls"),
    "s3-bucket-has-lifecycle": Case([DATA], "has no lifecycle configuration"),
    "s3-bucket-encryption": Case([DATA, sse(DATA, "AES256")], "must default to SSE-KMS"),
    "s3-data-bucket-access-logging": Case([DATA], "has no server access logging"),
    "s3-access-log-target-exists": Case(
        [DATA, on_bucket(r.BUCKET_LOGGING, DATA, "logging", targetBucket="central-logs-bucket")],
        "delivers access logs to central-logs-bucket, a bucket this stack does not define",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "s3-bucket-has-public-access-block",
    "s3-bucket-has-versioning",
    "s3-bucket-has-tls-policy",
    "s3-bucket-has-ownership-controls",
    "s3-bucket-has-lifecycle",
    "s3-data-bucket-access-logging",
}


def _complete(target: PolicyResource) -> list[PolicyResource]:
    """A bucket with every companion it needs, each set up right (encryption aside)."""
    arn = f"arn:aws:s3:::{target.props['bucket']}"
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    lifecycle = [
        {"status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 30}},
        {"status": "Enabled", "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}},
    ]
    return [
        target,
        on_bucket(r.BUCKET_PUBLIC_ACCESS_BLOCK, target, "pab", **dict.fromkeys(flags, True)),
        on_bucket(
            r.BUCKET_VERSIONING, target, "versioning", versioningConfiguration={"status": "Enabled"}
        ),
        on_bucket(r.BUCKET_POLICY, target, "policy", policy=policy(deny)),
        on_bucket(
            r.BUCKET_OWNERSHIP, target, "ownership", rule={"objectOwnership": "BucketOwnerEnforced"}
        ),
        on_bucket(r.BUCKET_LIFECYCLE, target, "lifecycle", rules=lifecycle),
    ]


def _s3_messages(resources: list[PolicyResource]) -> list[str]:
    return [v.message for v in evaluate(resources) if v.rule.startswith("s3-")]


def test_a_bucket_logging_target_needs_sse_s3_whatever_its_name() -> None:
    audit = bucket("tap-test-use1-audit")  # no -logs- in the name: the BucketLogging tells
    logging = res(
        r.BUCKET_LOGGING,
        "tap-test-use1-data-logging",
        deps=(DATA.urn, audit.urn),
        bucket=DATA.props["bucket"],
        targetBucket=audit.props["bucket"],
    )
    base = [*_complete(DATA), *_complete(audit), logging, sse(DATA, "aws:kms", KEY_ARN)]
    assert _s3_messages([*base, sse(audit, "AES256")]) == []
    assert _s3_messages([*base, sse(audit, "aws:kms", KEY_ARN)]) == [
        "access-log bucket tap-test-use1-audit-123456789012 must use SSE-S3 (AES256): S3 server "
        "access logging cannot deliver to an SSE-KMS bucket"
    ]


def test_a_logs_bucket_by_name_uses_sse_s3_and_needs_no_logging_itself() -> None:
    logs = bucket("tap-test-use1-data-logs")
    assert _s3_messages([*_complete(logs), sse(logs, "AES256")]) == []


def test_a_data_bucket_needs_a_kms_key_not_just_aws_kms() -> None:
    logs = bucket("tap-test-use1-data-logs")
    logging = res(
        r.BUCKET_LOGGING,
        "l",
        deps=(DATA.urn, logs.urn),
        bucket=DATA.props["bucket"],
        targetBucket=logs.props["bucket"],
    )
    base = [*_complete(DATA), *_complete(logs), sse(logs, "AES256"), logging]
    assert _s3_messages([*base, sse(DATA, "aws:kms", KEY_ARN)]) == []
    assert "must default to SSE-KMS" in " ".join(_s3_messages([*base, sse(DATA, "aws:kms")]))
    assert "has no server-side encryption" in " ".join(_s3_messages(base))


def test_companions_link_by_dependency_when_names_are_unknown() -> None:
    unnamed = res(r.BUCKET, "tap-test-use1-data", bucket=UNKNOWN)
    pab = res(r.BUCKET_PUBLIC_ACCESS_BLOCK, "pab", deps=(unnamed.urn,), bucket=UNKNOWN)
    rule = rule_named("s3-bucket-has-public-access-block")
    assert messages(rule, [unnamed, pab]) == []
    assert messages(rule, [unnamed, pab, res(r.BUCKET, "other", bucket="other")]) == [
        "bucket other has no public access block (BucketPublicAccessBlock)"
    ]


def test_a_bucket_policy_must_deny_insecure_transport() -> None:
    rule = rule_named("s3-bucket-policy-tls-only")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert messages(rule, [res(r.BUCKET_POLICY, policy=policy(deny))]) == []
    assert messages(rule, [res(r.BUCKET_POLICY, policy={"Statement": [deny]})]) == []
    allowed = {**deny, "Effect": "Allow"}
    assert messages(rule, [res(r.BUCKET_POLICY, policy=policy(allowed))])
    assert messages(rule, [res(r.BUCKET_POLICY, policy="not json")])
    assert messages(rule, [res(r.BUCKET_POLICY, policy=UNKNOWN)]) == []
