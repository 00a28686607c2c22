"""`tap bootstrap-backend`: the S3 bucket and KMS key that hold Pulumi state, made idempotently.

Pulumi's S3 backend needs no lock table: the CLI writes a lock object into the bucket itself
(`.pulumi/locks/...`), so one versioned, encrypted, private bucket is the whole backend. The
KMS key doubles as the stacks' `awskms://` secrets provider.

Every step reads first and writes only what differs, so a second run changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tap.components.policies import document, tls_only_statements

DEFAULT_KEY_ALIAS = "alias/tap-pulumi-state"

# boto3 has no type stubs here: clients are Any.
Client = Any
ClientFactory = Callable[[str], Client]


@dataclass
class BootstrapReport:
    bucket: str
    region: str
    key_alias: str
    key_arn: str = ""
    changes: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def record(self, what: str, changed: bool) -> None:
        (self.changes if changed else self.unchanged).append(what)

    @property
    def login_url(self) -> str:
        return f"s3://{self.bucket}?region={self.region}"

    @property
    def secrets_provider(self) -> str:
        return f"awskms://{self.key_alias}?region={self.region}"


def bootstrap_backend(
    bucket: str, region: str, client: ClientFactory, key_alias: str = DEFAULT_KEY_ALIAS
) -> BootstrapReport:
    """Create (or converge) the state bucket and its KMS key; report what changed."""
    report = BootstrapReport(bucket, region, key_alias)
    report.key_arn = _ensure_key(client("kms"), key_alias, report)
    _ensure_bucket(client("s3"), bucket, region, report.key_arn, report)
    return report


def _ensure_key(kms: Client, alias: str, report: BootstrapReport) -> str:
    existing = {a["AliasName"]: a for page in kms.get_paginator("list_aliases").paginate()
                for a in page["Aliases"]}  # fmt: skip
    if alias in existing and existing[alias].get("TargetKeyId"):
        key_id = existing[alias]["TargetKeyId"]
        report.record(f"KMS key {alias}", changed=False)
    else:
        key_id = kms.create_key(
            Description="Pulumi state and secrets of the tap project",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": "Project", "TagValue": "tap"},
                  {"TagKey": "ManagedBy", "TagValue": "tap bootstrap-backend"}],
        )["KeyMetadata"]["KeyId"]  # fmt: skip
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        report.record(f"KMS key {alias}", changed=True)
    rotation = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    if not rotation:
        kms.enable_key_rotation(KeyId=key_id)
    report.record("KMS key rotation", changed=not rotation)
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])


def _ensure_bucket(
    s3: Client, bucket: str, region: str, key_arn: str, report: BootstrapReport
) -> None:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]  # noqa: PLC0415

    try:
        s3.head_bucket(Bucket=bucket)
        created = False
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
        # us-east-1 is the one region that refuses an explicit LocationConstraint.
        location = {} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}  # fmt: skip
        s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced", **location)
        created = True
    report.record(f"bucket {bucket}", changed=created)

    _converge(
        report,
        "versioning",
        current=lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        wanted="Enabled",
        apply=lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        ),
    )
    encryption = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": key_arn,
                },
                "BucketKeyEnabled": True,
            }
        ]
    }
    _converge(
        report,
        "default encryption (SSE-KMS)",
        current=lambda: _get_or_none(
            lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
            "ServerSideEncryptionConfigurationNotFoundError",
        ),
        wanted=encryption,
        apply=lambda: s3.put_bucket_encryption(
            Bucket=bucket, ServerSideEncryptionConfiguration=encryption
        ),
    )
    block = dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    _converge(
        report,
        "public access block",
        current=lambda: _get_or_none(
            lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
            "NoSuchPublicAccessBlockConfiguration",
        ),
        wanted=block,
        apply=lambda: s3.put_public_access_block(
            Bucket=bucket, PublicAccessBlockConfiguration=block
        ),
    )
    policy = tls_only_policy(bucket)
    _converge(
        report,
        "TLS-only bucket policy",
        current=lambda: _get_or_none(
            lambda: json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]),
            "NoSuchBucketPolicy",
        ),
        wanted=policy,
        apply=lambda: s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy)),
    )


def tls_only_policy(bucket: str) -> dict[str, Any]:
    """The same TLS-only statements the stack's own buckets carry."""
    return document(*tls_only_statements(f"arn:aws:s3:::{bucket}"))


def _converge(
    report: BootstrapReport,
    what: str,
    *,
    current: Callable[[], Any],
    wanted: Any,
    apply: Callable[[], Any],
) -> None:
    differs = current() != wanted
    if differs:
        apply()
    report.record(what, changed=differs)


def _get_or_none(read: Callable[[], Any], missing_code: str) -> Any:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        return read()
    except ClientError as error:
        if error.response["Error"]["Code"] == missing_code:
            return None
        raise
