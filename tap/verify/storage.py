"""S3: each region's data bucket and its access-log bucket; replication from the primary.

Mirrors tap.components.storage: public access blocked, TLS only, versioned, the data bucket
encrypted with the region's key, and the primary replicating to every other region's bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tap.aws import S3_PUBLIC_ACCESS_BLOCK
from tap.verify.context import Context
from tap.verify.kms import is_region_key
from tap.verify.model import CheckResult, Control
from tap.verify.replies import UnexpectedReply, items, optional, required

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
        settings = required(reply, "PublicAccessBlockConfiguration", dict)
        # A setting S3 leaves out is off (PutPublicAccessBlock: "not specified" is false).
        off = [name for name in S3_PUBLIC_ACCESS_BLOCK if not optional(settings, name, bool)]
        return f"off: {', '.join(off)}" if off else all_on

    deny = "deny s3:* when aws:SecureTransport=false"

    def tls_only(reply: Mapping[str, Any]) -> str:
        policy = required(reply, "Policy", str)
        if not _is_json_object(policy):
            raise UnexpectedReply("Policy is not a JSON object")
        present = denies_insecure_transport(policy, f"arn:{partition}:s3:::{bucket}")
        return deny if present else "no such deny in the bucket policy"

    def versioning(reply: Mapping[str, Any]) -> str:
        return optional(reply, "Status", str) or "never enabled"

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
            configuration = required(reply, "ServerSideEncryptionConfiguration", dict)
            rules = items(configuration, "Rules", dict) or [{}]
            default = optional(rules[0], "ApplyServerSideEncryptionByDefault", dict) or {}
            algorithm = optional(default, "SSEAlgorithm", str) or "none"
            key = optional(default, "KMSMasterKeyID", str)
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
    except (json.JSONDecodeError, RecursionError):
        return False
    if not isinstance(document, Mapping):
        return False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, Mapping):
            principal = principal.get("AWS")
        if "*" not in _strings(principal):
            continue
        if not {"s3:*", "*"} & _strings(statement.get("Action")):
            continue
        resources = _strings(statement.get("Resource"))
        if "*" not in resources and not {bucket_arn, f"{bucket_arn}/*"} <= resources:
            continue
        conditions = statement.get("Condition")
        condition = conditions.get("Bool") if isinstance(conditions, Mapping) else None
        if not isinstance(condition, Mapping):
            continue
        values = _as_list(condition.get("aws:SecureTransport"))
        if any(str(v).lower() == "false" for v in values):
            return True
    return False


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), Mapping)
    except (json.JSONDecodeError, RecursionError):
        return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _strings(value: Any) -> set[str]:
    """A policy element (a string or a list of them) as a set; anything else counts as none."""
    return {item for item in _as_list(value) if isinstance(item, str)}


def _check_replication(
    ctx: Context, region: str, bucket: str, replica_arns: list[str]
) -> CheckResult:
    def destinations(reply: Mapping[str, Any]) -> str:
        rules = items(required(reply, "ReplicationConfiguration", dict), "Rules", dict)
        enabled = sorted(
            {
                required(required(rule, "Destination", dict), "Bucket", str)
                for rule in rules
                if optional(rule, "Status", str) == "Enabled"
            }
        )
        return ", ".join(enabled) or "no enabled rules"

    reply = ctx.read("s3", region, "get_bucket_replication", Bucket=bucket)
    return REPLICATION.evaluate(region, bucket, ", ".join(replica_arns), reply, destinations)
