"""S3: each region's data bucket and its access-log bucket; replication from the primary.

Mirrors tap.components.storage: public access blocked, TLS only, versioned, the data bucket
encrypted with the region's key, and the primary replicating to every other region's bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.kms import is_region_key
from tap.verify.model import CheckResult, Control

PUBLIC_ACCESS_BLOCK = Control(
    "S3.8", "public-access-block", "all four public access block settings are on"
)
TLS_ONLY = Control("S3.5", "tls-only-policy", "the bucket policy denies aws:SecureTransport=false")
SSE_KMS = Control("S3.17", "sse-kms", "default encryption is SSE-KMS with the region's key")
VERSIONING = Control("S3.14", "versioning", "versioning is Enabled")
REPLICATION = Control(
    "S3.7", "replication", "the primary replicates to exactly the replica buckets"
)
CONTROLS = (PUBLIC_ACCESS_BLOCK, TLS_ONLY, SSE_KMS, VERSIONING, REPLICATION)

_PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def check(ctx: Context, region: str) -> list[CheckResult]:
    """The data bucket (and its access-log bucket); on the primary, replication too."""
    outputs = ctx.region(region)
    storage = outputs["storage"]
    partition = storage["bucketArn"].split(":")[1]
    results = _check_bucket(ctx, region, storage["bucketName"], partition, kms=outputs)
    results += _check_bucket(ctx, region, storage["logBucketName"], partition, kms=None)
    if region == ctx.primary_region:
        replicas = sorted(
            values["storage"]["bucketArn"]
            for other, values in ctx.outputs["regions"].items()
            if other != region
        )
        if replicas:
            results.append(_check_replication(ctx, region, storage["bucketName"], replicas))
    return results


def _check_bucket(
    ctx: Context, region: str, bucket: str, partition: str, *, kms: Mapping[str, Any] | None
) -> list[CheckResult]:
    """S3.8, S3.5, S3.14, and S3.17 when the bucket is meant to use the region's key."""

    def read(operation: str) -> Any:
        return ctx.read("s3", region, operation, Bucket=bucket)

    all_on = "all 4 on"

    def public_access(reply: Mapping[str, Any]) -> str:
        settings = reply["PublicAccessBlockConfiguration"]
        off = [name for name in _PUBLIC_ACCESS_SETTINGS if not settings.get(name)]
        return f"off: {', '.join(off)}" if off else all_on

    deny = "deny s3:* when aws:SecureTransport=false"

    def tls_only(reply: Mapping[str, Any]) -> str:
        present = denies_insecure_transport(reply["Policy"], f"arn:{partition}:s3:::{bucket}")
        return deny if present else "no such deny in the bucket policy"

    def versioning(reply: Mapping[str, Any]) -> str:
        return str(reply.get("Status") or "never enabled")

    results = [
        PUBLIC_ACCESS_BLOCK.evaluate(
            region, bucket, all_on, read("get_public_access_block"), public_access
        ),
        TLS_ONLY.evaluate(region, bucket, deny, read("get_bucket_policy"), tls_only),
        VERSIONING.evaluate(region, bucket, "Enabled", read("get_bucket_versioning"), versioning),
    ]
    if kms is not None:
        region_outputs = kms

        def encryption(reply: Mapping[str, Any]) -> tuple[str, bool]:
            rules = reply["ServerSideEncryptionConfiguration"].get("Rules") or [{}]
            default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
            algorithm = default.get("SSEAlgorithm", "none")
            key = default.get("KMSMasterKeyID")
            actual = f"{algorithm} {key}" if key else algorithm
            return actual, algorithm == "aws:kms" and is_region_key(key, region_outputs)

        expected = f"aws:kms {kms['kmsKeyArn']}"
        results.append(
            SSE_KMS.evaluate(region, bucket, expected, read("get_bucket_encryption"), encryption)
        )
    return results


def denies_insecure_transport(policy: str, bucket_arn: str) -> bool:
    """Whether a bucket policy denies every request over plain HTTP, on bucket and objects."""
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, Mapping):
            principal = principal.get("AWS")
        if "*" not in _as_list(principal):
            continue
        if not {"s3:*", "*"} & set(_as_list(statement.get("Action"))):
            continue
        resources = set(_as_list(statement.get("Resource")))
        if "*" not in resources and not {bucket_arn, f"{bucket_arn}/*"} <= resources:
            continue
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        values = _as_list(condition.get("aws:SecureTransport"))
        if any(str(v).lower() == "false" for v in values):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_replication(
    ctx: Context, region: str, bucket: str, replica_arns: list[str]
) -> CheckResult:
    def destinations(reply: Mapping[str, Any]) -> str:
        rules = reply["ReplicationConfiguration"].get("Rules", [])
        enabled = sorted(
            {r["Destination"]["Bucket"] for r in rules if r.get("Status") == "Enabled"}
        )
        return ", ".join(enabled) or "no enabled rules"

    reply = ctx.read("s3", region, "get_bucket_replication", Bucket=bucket)
    return REPLICATION.evaluate(region, bucket, ", ".join(replica_arns), reply, destinations)
