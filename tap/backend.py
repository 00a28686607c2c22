"""`tap bootstrap-backend`: the S3 bucket and KMS key that hold Pulumi state, made idempotently.

Pulumi's S3 backend needs no lock table: the CLI writes a lock object into the bucket itself
(`.pulumi/locks/...`), so one versioned, encrypted, private bucket is the whole backend. The
KMS key doubles as the stacks' `awskms://` secrets provider.

Every step reads first and writes only what differs, so a second run changes nothing. The
order keeps a failure from leaving anything half-made:

1. read: is the bucket name free, ours in this region, ours elsewhere, or someone else's;
   a name that is taken, or a bucket in another region, stops here, before any write;
2. the bucket (created if absent), its versioning, public access block and TLS-only policy;
3. the KMS key and its alias (created if absent), with rotation;
4. the bucket's default encryption with that key.

When a step fails, what this run created is removed again: the bucket (it is still empty),
the alias, and the key (scheduled for deletion after KMS's minimum of 7 days).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tap.aws import S3_PUBLIC_ACCESS_BLOCK, describe_aws_error, error_code
from tap.components.policies import document, tls_only_statements
from tap.exitcodes import EXIT_AWS_UNAVAILABLE, EXIT_USER_ERROR

DEFAULT_KEY_ALIAS = "alias/tap-pulumi-state"
# KMS waits at least 7 days before it deletes a key (ScheduleKeyDeletion, PendingWindowInDays).
KEY_DELETION_WINDOW_DAYS = 7

# boto3 has no type stubs here: clients are Any.
Client = Any
ClientFactory = Callable[[str], Client]

# S3's rules for general purpose bucket names:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
BUCKET_NAME_LENGTH = (3, 63)
_BUCKET_CHARACTERS = re.compile(r"[a-z0-9.-]+")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# Codes S3 answers HeadBucket with when the bucket does not exist.
_NO_SUCH_BUCKET = frozenset({"404", "NoSuchBucket", "NotFound"})
# HeadBucket: the bucket exists and these credentials may not read it.
_FORBIDDEN = frozenset({"403", "AccessDenied", "Forbidden"})


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse `name` for a general purpose bucket, or None when it is valid."""
    low, high = BUCKET_NAME_LENGTH
    if not low <= len(name) <= high:
        return f"is {len(name)} characters long; S3 bucket names have {low} to {high}"
    if not _BUCKET_CHARACTERS.fullmatch(name):
        return "may contain only lowercase letters, digits, dots (.) and hyphens (-)"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "must begin and end with a lowercase letter or a digit"
    if ".." in name:
        return "must not contain two adjacent dots"
    # S3 refuses these too (cfn-lint's rule E1161 agrees): a label may not start or end with -.
    if ".-" in name or "-." in name:
        return "must not have a hyphen next to a dot"
    if _is_ip_address(name):
        return "must not be formatted as an IP address"
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with {prefix!r} (reserved by S3)"
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with {suffix!r} (reserved by S3)"
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


class BootstrapError(Exception):
    """A refusal or failure, as one line and the exit code it means."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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


@dataclass
class _Undo:
    """What this run created, newest last, with how to remove each."""

    steps: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)

    def add(self, what: str, remove: Callable[[], Any]) -> None:
        self.steps.append((what, remove))

    def run(self) -> str:
        """Remove everything, newest first; say what was removed and what is left."""
        from botocore.exceptions import (  # type: ignore[import-untyped]  # noqa: PLC0415
            BotoCoreError,
            ClientError,
        )

        removed, left = [], []
        for what, remove in reversed(self.steps):
            try:
                remove()
            except (ClientError, BotoCoreError) as error:
                left.append(f"{what} ({type(error).__name__})")
            else:
                removed.append(what)
        self.steps.clear()
        parts = []
        if removed:
            parts.append(f"removed what this run created: {', '.join(removed)}")
        if left:
            parts.append(f"could not remove, delete by hand: {', '.join(left)}")
        return "; ".join(parts)


def bootstrap_backend(
    bucket: str,
    region: str,
    client: ClientFactory,
    key_alias: str = DEFAULT_KEY_ALIAS,
    partition: str = "aws",
) -> BootstrapReport:
    """Create (or converge) the state bucket and its KMS key; report what changed.

    Raises BootstrapError for a refusal (the name is taken, the bucket is in another region)
    and for any AWS failure, after removing what this run created.
    """
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    report = BootstrapReport(bucket, region, key_alias)
    s3, kms = client("s3"), client("kms")
    undo = _Undo()
    try:
        exists = _bucket_exists_here(s3, bucket, region)
        _ensure_bucket(s3, bucket, region, exists, partition, report, undo)
        report.key_arn = _ensure_key(kms, key_alias, report, undo)
        _ensure_encryption(s3, bucket, report.key_arn, report)
    except BootstrapError as error:
        rolled_back = undo.run()
        raise BootstrapError(_joined(str(error), rolled_back), error.exit_code) from None
    except (ClientError, BotoCoreError) as error:
        rolled_back = undo.run()
        message = describe_aws_error(error) or str(error)
        raise BootstrapError(_joined(message, rolled_back), EXIT_AWS_UNAVAILABLE) from None
    except BaseException:
        undo.run()
        raise
    return report


def _joined(message: str, rolled_back: str) -> str:
    return f"{message}; {rolled_back}" if rolled_back else message


def _bucket_exists_here(s3: Client, bucket: str, region: str) -> bool:
    """Whether the bucket exists (and is ours, in `region`); refuses any other case."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    try:
        reply = s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        code = error_code(error)
        if code in _NO_SUCH_BUCKET:
            return False
        if code in _FORBIDDEN:
            raise _taken(bucket, f"S3 answered HeadBucket with {code}") from None
        raise
    actual = reply.get("BucketRegion") or (
        reply.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-bucket-region")
    )
    if actual and actual != region:
        raise BootstrapError(
            f"bucket {bucket} already exists in {actual}, not {region}; the state bucket and "
            f"its key must share a region: rerun with --region {actual} (pulumi login "
            f"'s3://{bucket}?region={actual}'), or choose another --bucket",
            EXIT_USER_ERROR,
        )
    return True


def _taken(bucket: str, evidence: str) -> BootstrapError:
    return BootstrapError(
        f"bucket name {bucket} is taken: another AWS account owns it ({evidence}); bucket "
        "names are shared by every account in the partition, so choose another --bucket, "
        "e.g. with your organization or account id in it",
        EXIT_USER_ERROR,
    )


def _ensure_bucket(
    s3: Client,
    bucket: str,
    region: str,
    exists: bool,
    partition: str,
    report: BootstrapReport,
    undo: _Undo,
) -> None:
    if not exists:
        _create_bucket(s3, bucket, region)
        undo.add(f"bucket {bucket}", lambda: s3.delete_bucket(Bucket=bucket))
    report.record(f"bucket {bucket}", changed=not exists)

    _converge(
        report,
        "versioning",
        current=lambda: s3.get_bucket_versioning(Bucket=bucket).get("Status"),
        wanted="Enabled",
        apply=lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
        ),
    )
    block = dict.fromkeys(S3_PUBLIC_ACCESS_BLOCK, True)
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
    policy = tls_only_policy(bucket, partition)
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


def _create_bucket(s3: Client, bucket: str, region: str) -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    # us-east-1 is the one region that refuses an explicit LocationConstraint.
    location = {} if region == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": region}}  # fmt: skip
    try:
        s3.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced", **location)
    except ClientError as error:
        code = error_code(error)
        if code == "BucketAlreadyExists":
            raise _taken(bucket, f"S3 answered CreateBucket with {code}") from None
        if code == "BucketAlreadyOwnedByYou":
            # Created by this account since the first look, perhaps in another region.
            _bucket_exists_here(s3, bucket, region)
            return
        if code == "OperationAborted":
            raise BootstrapError(
                f"S3 is still busy with an earlier operation on bucket {bucket} (for example "
                "its deletion); try again in a few minutes",
                EXIT_AWS_UNAVAILABLE,
            ) from None
        raise


def _ensure_key(kms: Client, alias: str, report: BootstrapReport, undo: _Undo) -> str:
    existing = {a["AliasName"]: a for page in kms.get_paginator("list_aliases").paginate()
                for a in page["Aliases"]}  # fmt: skip
    if alias in existing and existing[alias].get("TargetKeyId"):
        key_id = existing[alias]["TargetKeyId"]
        state = kms.describe_key(KeyId=key_id)["KeyMetadata"].get("KeyState")
        if state != "Enabled":
            raise BootstrapError(
                f"KMS alias {alias} points to key {key_id}, which is {state}; enable the key "
                "(or cancel its deletion), or pass another --kms-alias",
                EXIT_USER_ERROR,
            )
        report.record(f"KMS key {alias}", changed=False)
    else:
        key_id = kms.create_key(
            Description="Pulumi state and secrets of the tap project",
            KeyUsage="ENCRYPT_DECRYPT",
            KeySpec="SYMMETRIC_DEFAULT",
            Tags=[{"TagKey": "Project", "TagValue": "tap"},
                  {"TagKey": "ManagedBy", "TagValue": "tap bootstrap-backend"}],
        )["KeyMetadata"]["KeyId"]  # fmt: skip
        undo.add(
            f"KMS key {key_id} (deletion scheduled in {KEY_DELETION_WINDOW_DAYS} days)",
            lambda: kms.schedule_key_deletion(
                KeyId=key_id, PendingWindowInDays=KEY_DELETION_WINDOW_DAYS
            ),
        )
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        undo.add(f"alias {alias}", lambda: kms.delete_alias(AliasName=alias))
        report.record(f"KMS key {alias}", changed=True)
    rotation = kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    if not rotation:
        kms.enable_key_rotation(KeyId=key_id)
    report.record("KMS key rotation", changed=not rotation)
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])


def _ensure_encryption(s3: Client, bucket: str, key_arn: str, report: BootstrapReport) -> None:
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


def tls_only_policy(bucket: str, partition: str = "aws") -> dict[str, Any]:
    """The same TLS-only statements the stack's own buckets carry."""
    return document(*tls_only_statements(f"arn:{partition}:s3:::{bucket}"))


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
        if error_code(error) == missing_code:
            return None
        raise
