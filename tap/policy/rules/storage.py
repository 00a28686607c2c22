"""S3: public access, TLS-only bucket policies, versioning, ownership, lifecycle, replication,
encryption and server access logging."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tap.markers import UNKNOWN
from tap.policy.rules.core import (
    ADVISORY,
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    StackCheck,
    covers,
    dig,
    is_everyone,
    is_opaque,
    is_set,
    items,
    of_type,
    policy_document,
    referenced,
    statements,
)
from tap.policy.rules.resource_types import (
    BUCKET,
    BUCKET_LIFECYCLE,
    BUCKET_LOGGING,
    BUCKET_OWNERSHIP,
    BUCKET_POLICY,
    BUCKET_PUBLIC_ACCESS_BLOCK,
    BUCKET_REPLICATION,
    BUCKET_SSE,
    BUCKET_VERSIONING,
)

_book = RuleBook()


def _covers_bucket(
    companion: PolicyResource, key: str, bucket: PolicyResource, buckets: Sequence[PolicyResource]
) -> bool:
    return covers(companion, key, bucket, buckets, _bucket_ids)


def _bucket_ids(bucket: PolicyResource) -> set[str] | None:
    physical = bucket.props.get("bucket")
    if not isinstance(physical, str) or not physical or is_opaque(physical):
        return None
    return {bucket.name, physical, f"arn:aws:s3:::{physical}"}


def _bucket_label(bucket: PolicyResource) -> str:
    physical = bucket.props.get("bucket")
    return physical if isinstance(physical, str) and not is_opaque(physical) else bucket.name


def _named_like_logs(bucket: PolicyResource) -> bool:
    names = [bucket.name, bucket.props.get("bucket")]
    return any(isinstance(n, str) and ("-logs-" in n or n.endswith("-logs")) for n in names if n)


def _log_targets(resources: Sequence[PolicyResource]) -> tuple[set[str], set[str]]:
    """URNs of buckets that receive server access logs: (certainly, possibly)."""
    buckets = of_type(resources, BUCKET)
    certain = {b.urn for b in buckets if _named_like_logs(b)}
    possible: set[str] = set()
    for logging in of_type(resources, BUCKET_LOGGING):
        refs = referenced(logging, "targetBucket", buckets, _bucket_ids)
        if refs is None:
            possible |= {b.urn for b in buckets if b.urn in logging.dependencies}
        else:
            certain |= {b.urn for b in refs}
    return certain, possible - certain


@_book.resource(
    "s3-public-access-block-all",
    "S3.8",
    "A bucket's public access block turns on all four settings (blockPublicAcls, "
    "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets).",
    BUCKET_PUBLIC_ACCESS_BLOCK,
)
def _s3_public_access_block(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if r.props.get(f) is not True and not is_opaque(r.props.get(f))]
    if off:
        yield f"{r.name} leaves {', '.join(off)} off; all four public access settings must be true"


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or not is_everyone(statement.get("Principal")):
        return False
    if not {"s3:*", "*"} & {str(a) for a in items(statement.get("Action")) or []}:
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator in ("Bool", "BoolIfExists"):
        block = condition.get(operator)
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = {str(v).lower() for v in items(value) or []}
            if key.lower() == "aws:securetransport" and "false" in values:
                return True
    return False


@_book.resource(
    "s3-bucket-policy-tls-only",
    "S3.5",
    "A bucket policy denies every request made without TLS (aws:SecureTransport false).",
    BUCKET_POLICY,
)
def _s3_tls_only(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("policy")
    if is_opaque(raw):
        return
    document = policy_document(raw)
    if document is None or not any(_denies_insecure_transport(s) for s in statements(document)):
        yield (
            f"{r.name} does not deny non-TLS requests; add a Deny for s3:* with "
            '{"Bool": {"aws:SecureTransport": "false"}}'
        )


@_book.resource(
    "s3-versioning-enabled",
    "S3.14",
    "Bucket versioning is Enabled (not Suspended or Disabled).",
    BUCKET_VERSIONING,
)
def _s3_versioning(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    status = dig(r.props, "versioningConfiguration", "status")
    if not is_opaque(status) and status != "Enabled":
        yield f"{r.name} sets versioning to {status!r}; it must be 'Enabled'"


@_book.resource(
    "s3-ownership-bucket-owner-enforced",
    "S3.12",
    "Bucket ownership is BucketOwnerEnforced, which turns ACLs off.",
    BUCKET_OWNERSHIP,
)
def _s3_ownership(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    ownership = dig(r.props, "rule", "objectOwnership")
    if not is_opaque(ownership) and ownership != "BucketOwnerEnforced":
        yield f"{r.name} sets object ownership {ownership!r}; use BucketOwnerEnforced (no ACLs)"


@_book.resource(
    "s3-lifecycle-noncurrent-and-multipart",
    "S3.13",
    "A bucket lifecycle configuration has enabled rules that expire noncurrent versions and "
    "abort incomplete multipart uploads.",
    BUCKET_LIFECYCLE,
)
def _s3_lifecycle(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    rules = items(r.props.get("rules"))
    if rules is None or any(is_opaque(x) for x in rules):
        return
    enabled = [
        x for x in rules if isinstance(x, Mapping) and x.get("status") in ("Enabled", UNKNOWN)
    ]
    wanted = {
        "noncurrentVersionExpiration": "expire noncurrent versions",
        "abortIncompleteMultipartUpload": "abort incomplete multipart uploads",
    }
    for key, what in wanted.items():
        if not any(is_set(x.get(key)) for x in enabled):
            yield f"{r.name} has no enabled rule to {what} ({key})"


@_book.resource(
    "s3-replication-delete-markers-and-kms",
    "S3.7",
    "Every enabled replication rule replicates delete markers and SSE-KMS objects, and encrypts "
    "replicas with a KMS key in the destination region.",
    BUCKET_REPLICATION,
)
def _s3_replication(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    rules = items(r.props.get("rules"))
    if rules is None or any(is_opaque(x) for x in rules):
        return
    enabled = [x for x in rules if isinstance(x, Mapping) and x.get("status") != "Disabled"]
    if not enabled:
        yield f"{r.name} has no enabled replication rule"
    for rule in enabled:
        label = rule.get("id") or "a rule"
        markers = dig(rule, "deleteMarkerReplication", "status")
        if not is_opaque(markers) and markers != "Enabled":
            yield f"{r.name}: {label} does not replicate delete markers"
        sse = dig(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status")
        if not is_opaque(sse) and sse != "Enabled":
            yield f"{r.name}: {label} does not replicate SSE-KMS encrypted objects"
        if not is_set(dig(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId")):
            yield f"{r.name}: {label} has no replica KMS key (replicaKmsKeyId)"


def _bucket_has(companion_type: str, what: str) -> StackCheck:
    def check(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
        buckets = of_type(resources, BUCKET)
        companions = of_type(resources, companion_type)
        for bucket in buckets:
            if not any(_covers_bucket(c, "bucket", bucket, buckets) for c in companions):
                yield Finding(bucket.urn, f"bucket {_bucket_label(bucket)} has no {what}")

    return check


_book.stack(
    "s3-bucket-has-public-access-block",
    "S3.8",
    "Every bucket has a BucketPublicAccessBlock.",
)(_bucket_has(BUCKET_PUBLIC_ACCESS_BLOCK, "public access block (BucketPublicAccessBlock)"))
_book.stack(
    "s3-bucket-has-versioning",
    "S3.14",
    "Every bucket has a BucketVersioning.",
)(_bucket_has(BUCKET_VERSIONING, "versioning configuration (BucketVersioning)"))
_book.stack(
    "s3-bucket-has-tls-policy",
    "S3.5",
    "Every bucket has a BucketPolicy (which s3-bucket-policy-tls-only then checks).",
)(_bucket_has(BUCKET_POLICY, "bucket policy, so nothing denies non-TLS requests"))
_book.stack(
    "s3-bucket-has-ownership-controls",
    "S3.12",
    "Every bucket has BucketOwnershipControls.",
)(_bucket_has(BUCKET_OWNERSHIP, "ownership controls (BucketOwnershipControls)"))
_book.stack(
    "s3-bucket-has-lifecycle",
    "S3.13",
    "Every bucket has a BucketLifecycleConfiguration.",
)(_bucket_has(BUCKET_LIFECYCLE, "lifecycle configuration (BucketLifecycleConfiguration)"))


def _sse_defaults(config_resource: PolicyResource) -> list[tuple[Any, Any]] | None:
    rules = items(config_resource.props.get("rules"))
    if rules is None:
        return None
    found = []
    for rule in rules:
        default = dig(rule, "applyServerSideEncryptionByDefault")
        if is_opaque(default):
            return None
        found.append((dig(default, "sseAlgorithm"), dig(default, "kmsMasterKeyId")))
    return found


@_book.stack(
    "s3-bucket-encryption",
    "S3.17",
    "Every bucket has default encryption: data buckets SSE-KMS with a customer managed key; "
    "server access log targets (a BucketLogging target, or a name with -logs-) SSE-S3 (AES256), "
    "the only encryption S3 log delivery supports.",
)
def _s3_encryption(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    buckets = of_type(resources, BUCKET)
    configs = of_type(resources, BUCKET_SSE)
    log_targets, maybe_log_targets = _log_targets(resources)
    for bucket in buckets:
        label = _bucket_label(bucket)
        mine = [c for c in configs if _covers_bucket(c, "bucket", bucket, buckets)]
        if not mine:
            yield Finding(bucket.urn, f"bucket {label} has no server-side encryption configuration")
        for sse in mine:
            defaults = _sse_defaults(sse)
            if defaults is None:
                continue
            algorithms = [a for a, _ in defaults if not is_opaque(a)]
            is_kms = bool(algorithms) and all(a in ("aws:kms", "aws:kms:dsse") for a in algorithms)
            has_keys = all(is_set(k) for a, k in defaults if a != "AES256")
            is_s3 = bool(algorithms) and all(a == "AES256" for a in algorithms)
            if bucket.urn in log_targets:
                if algorithms and not is_s3:
                    yield Finding(
                        sse.urn,
                        f"access-log bucket {label} must use SSE-S3 (AES256): S3 server access "
                        "logging cannot deliver to an SSE-KMS bucket",
                    )
            elif bucket.urn in maybe_log_targets:
                continue  # either is right, depending on which bucket the logs go to
            elif algorithms and not (is_kms and has_keys):
                yield Finding(
                    sse.urn,
                    f"data bucket {label} must default to SSE-KMS (aws:kms) with a customer "
                    "managed key (kmsMasterKeyId)",
                )


@_book.stack(
    "s3-data-bucket-access-logging",
    "S3.9",
    "Every data bucket (one that is not itself an access-log target) has server access logging "
    "(a BucketLogging).",
)
def _s3_access_logging(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    buckets = of_type(resources, BUCKET)
    loggings = of_type(resources, BUCKET_LOGGING)
    log_targets, maybe_log_targets = _log_targets(resources)
    for bucket in buckets:
        if bucket.urn in log_targets | maybe_log_targets:
            continue
        if not any(_covers_bucket(x, "bucket", bucket, buckets) for x in loggings):
            yield Finding(
                bucket.urn, f"data bucket {_bucket_label(bucket)} has no server access logging"
            )


@_book.stack(
    "s3-access-log-target-exists",
    "S3.9",
    "Every BucketLogging delivers to a bucket this stack defines (so its policy and encryption "
    "are checked too).",
    enforcement=ADVISORY,
)
def _s3_log_target_exists(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    buckets = of_type(resources, BUCKET)
    for logging in of_type(resources, BUCKET_LOGGING):
        target = logging.props.get("targetBucket")
        if is_opaque(target):
            continue
        if not target:
            yield Finding(logging.urn, f"{logging.name} has no targetBucket")
        elif referenced(logging, "targetBucket", buckets, _bucket_ids) == []:
            yield Finding(
                logging.urn,
                f"{logging.name} delivers access logs to {target}, a bucket this stack does not "
                "define",
            )


RULES = _book.rules
