"""Secure S3 buckets with their own access-log buckets, and cross-region replication.

A SecureBucket is versioned, encrypted with the region's CMK (S3 Bucket Keys on), private
(public access block, BucketOwnerEnforced), reachable over TLS 1.2+ only, expires noncurrent
versions, and logs its requests to a dedicated log bucket in the same region.
ReplicatedStorage puts one in the primary region and one in every other region, and replicates
primary -> each replica.

Only the current pulumi-aws v7 S3 resources are used (`s3.Bucket`, `s3.BucketVersioning`, ...):
`s3.BucketV2` and the V2-suffixed sub-resources are deprecated aliases of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.policies import (
    document,
    render,
    service_assume_role,
    tls_only_statements,
)
from tap.components.roles import service_role
from tap.naming import Labels, region_code

# Server access logs land under this prefix; the log-delivery grant covers nothing else.
LOG_PREFIX = "access-logs/"
REPLICATION_TIME_MINUTES = 15  # S3 RTC's SLA is fixed at 15 minutes
ACCOUNT_ID_LENGTH = 12
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")


# --- pure naming and policy documents ----------------------------------------------------------


def bucket_physical_name(base: str, account_id: str) -> str:
    """`base-<account>`: bucket names are global across all AWS accounts, so add ours."""
    name = f"{base}-{account_id}".lower()
    if not _BUCKET_NAME.fullmatch(name):
        raise ValueError(
            f"S3 bucket name {name!r} is invalid: it needs 3-63 characters of a-z, 0-9 and "
            "hyphens, starting and ending with a letter or digit"
        )
    return name


def bucket_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:s3:::{name}"


def log_delivery_statement(
    *, log_bucket_arn: str, source_bucket_arn: str, source_account: str, prefix: str = LOG_PREFIX
) -> dict[str, Any]:
    """S3 log delivery may write under `prefix`, for the one source bucket of our account.

    With BucketOwnerEnforced, ACL grants to the log delivery group are void: a bucket policy
    for the `logging.s3.amazonaws.com` principal is the only way (S3 User Guide, "Enabling
    Amazon S3 server access logging").
    """
    return {
        "Sid": "AllowServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{prefix}*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": source_account},
        },
    }


def bucket_policy(arn: str, *extra: dict[str, Any]) -> str:
    """The one policy of a bucket: TLS-only denies plus any extra statements."""
    return render(document(*tls_only_statements(arn), *extra))


@dataclass(frozen=True)
class ReplicationEndpoint:
    """A bucket in replication and the CMK its objects are encrypted with (plain strings)."""

    region: str
    bucket_arn: str
    key_arn: str


def replication_trust(account_id: str) -> str:
    return service_assume_role(
        "s3.amazonaws.com", {"StringEquals": {"aws:SourceAccount": account_id}}
    )


def _key_use(sid: str, actions: list[str], endpoint: ReplicationEndpoint) -> dict[str, Any]:
    # With S3 Bucket Keys the encryption context is the bucket ARN, without them the object
    # ARN: allow both, and only through S3 in the key's own region.
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": endpoint.key_arn,
        "Condition": {
            "StringEquals": {"kms:ViaService": f"s3.{endpoint.region}.amazonaws.com"},
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": [
                    endpoint.bucket_arn,
                    f"{endpoint.bucket_arn}/*",
                ]
            },
        },
    }


def replication_role_policy(
    *, source: ReplicationEndpoint, destinations: Sequence[ReplicationEndpoint]
) -> str:
    """Exactly what S3 replication of SSE-KMS objects needs, on exactly these buckets and keys.

    Per the S3 User Guide ("Replicating encrypted objects"): read the source's configuration
    and object versions, replicate into each destination, decrypt with the source key and
    encrypt with each destination's key. kms:Decrypt on a destination key is needed too when
    the replica uses an S3 Bucket Key (S3 verifies the bucket key with it).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSourceConfiguration",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": source.bucket_arn,
        },
        {
            "Sid": "ReadSourceObjectVersions",
            "Effect": "Allow",
            "Action": [
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionTagging",
            ],
            "Resource": f"{source.bucket_arn}/*",
        },
        {
            "Sid": "ReplicateIntoDestinations",
            "Effect": "Allow",
            "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
            "Resource": [f"{d.bucket_arn}/*" for d in destinations],
        },
        _key_use("DecryptSourceObjects", ["kms:Decrypt"], source),
    ]
    statements += [
        _key_use(
            f"EncryptReplicas{region_code(d.region).capitalize()}",
            ["kms:Decrypt", "kms:Encrypt"],
            d,
        )
        for d in destinations
    ]
    return render(document(*statements))


# --- SecureBucket ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecureBucketArgs:
    labels: Labels
    # Goes into the names: `tap-prod-use1-<purpose>-<account>`, e.g. "data".
    purpose: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    noncurrent_version_expiration_days: int
    abort_multipart_days: int = 7
    # Only outside prod (the caller passes `not prod`): deletes every object on destroy.
    force_destroy: bool = False
    protect: bool = False


class SecureBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    policy: aws.s3.BucketPolicy
    log_bucket: aws.s3.Bucket
    log_bucket_name: pulumi.Output[str]
    log_bucket_arn: pulumi.Output[str]
    log_versioning: aws.s3.BucketVersioning
    log_policy: aws.s3.BucketPolicy
    logging: aws.s3.BucketLogging

    def __init__(
        self, name: str, args: SecureBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        labels = args.labels
        base = labels.name(args.purpose)
        log_base = labels.name(args.purpose, "logs")
        for logical in (base, log_base):
            # Fail before anything is registered; the account id is always 12 digits.
            bucket_physical_name(logical, "0" * ACCOUNT_ID_LENGTH)
        super().__init__("tap:storage:SecureBucket", name, None, opts)
        self._args = args

        self.bucket = self._bucket(base)
        self.bucket_name = self.bucket.bucket
        self.bucket_arn = self._arn_of(self.bucket)
        self.log_bucket = self._bucket(log_base)
        self.log_bucket_name = self.log_bucket.bucket
        self.log_bucket_arn = self._arn_of(self.log_bucket)

        self.versioning, self.policy = self._harden(
            base,
            self.bucket,
            encryption={
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": args.kms_key_arn,
                },
                "bucket_key_enabled": True,
            },
            policy=self.bucket_arn.apply(bucket_policy),
        )
        # A server access log target may only use SSE-S3 default encryption, not SSE-KMS.
        self.log_versioning, self.log_policy = self._harden(
            log_base,
            self.log_bucket,
            encryption={"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}},
            policy=pulumi.Output.all(self.log_bucket_arn, self.bucket_arn, args.account_id).apply(
                lambda v: bucket_policy(
                    v[0],
                    log_delivery_statement(
                        log_bucket_arn=v[0], source_bucket_arn=v[1], source_account=v[2]
                    ),
                )
            ),
        )
        # Only the data bucket logs; the log bucket logging anywhere would loop or sprawl.
        self.logging = aws.s3.BucketLogging(
            f"{base}-logging",
            bucket=self.bucket.bucket,
            target_bucket=self.log_bucket.bucket,
            target_prefix=LOG_PREFIX,
            target_object_key_format={"partitioned_prefix": {"partition_date_source": "EventTime"}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_policy]),
        )

        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "bucketArn": self.bucket_arn,
                "logBucketName": self.log_bucket_name,
                "logBucketArn": self.log_bucket_arn,
            }
        )

    def _bucket(self, logical: str) -> aws.s3.Bucket:
        args = self._args
        return aws.s3.Bucket(
            logical,
            bucket=pulumi.Output.from_input(args.account_id).apply(
                lambda account: bucket_physical_name(logical, account)
            ),
            force_destroy=args.force_destroy,
            tags=args.labels.tags(logical),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

    def _arn_of(self, bucket: aws.s3.Bucket) -> pulumi.Output[str]:
        # Built from the name (not `bucket.arn`) so previews show whole policies for new buckets.
        return pulumi.Output.all(self._args.partition, bucket.bucket).apply(
            lambda v: bucket_arn(v[0], v[1])
        )

    def _harden(
        self,
        logical: str,
        bucket: aws.s3.Bucket,
        *,
        encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict,
        policy: pulumi.Output[str],
    ) -> tuple[aws.s3.BucketVersioning, aws.s3.BucketPolicy]:
        args = self._args
        child = pulumi.ResourceOptions(parent=self)
        versioning = aws.s3.BucketVersioning(
            f"{logical}-versioning",
            bucket=bucket.bucket,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{logical}-encryption", bucket=bucket.bucket, rules=[encryption], opts=child
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{logical}-public-access-block",
            bucket=bucket.bucket,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{logical}-ownership",
            bucket=bucket.bucket,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        # After the public access block: S3 rejects concurrent bucket-level writes.
        bucket_policy_resource = aws.s3.BucketPolicy(
            f"{logical}-policy",
            bucket=bucket.bucket,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        # Empty-prefix filters: the provider warns about rules with neither filter nor prefix.
        aws.s3.BucketLifecycleConfiguration(
            f"{logical}-lifecycle",
            bucket=bucket.bucket,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": args.noncurrent_version_expiration_days
                    },
                    "expiration": {"expired_object_delete_marker": True},
                },
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": args.abort_multipart_days
                    },
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        return versioning, bucket_policy_resource


# --- ReplicatedStorage -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalBucketSpec:
    region: str
    labels: Labels
    kms_key_arn: pulumi.Input[str]
    provider: aws.Provider


@dataclass(frozen=True)
class ReplicatedStorageArgs:
    primary: RegionalBucketSpec
    # One replica per other region; none is allowed (a single-region stack) and skips replication.
    replicas: Sequence[RegionalBucketSpec]
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    # IAM is global: the replication role goes through the primary region's provider.
    iam_provider: aws.Provider
    noncurrent_version_expiration_days: int
    # S3 Replication Time Control (15-minute SLA) with replication metrics: prod.
    replication_time_control: bool = False
    purpose: str = "data"
    abort_multipart_days: int = 7
    force_destroy: bool = False
    protect: bool = False


class ReplicatedStorage(pulumi.ComponentResource):
    primary: SecureBucket
    replicas: dict[str, SecureBucket]
    # Every region's bucket: the primary's and the replicas.
    buckets: dict[str, SecureBucket]
    replication_role: aws.iam.Role | None
    replication: aws.s3.BucketReplicationConfig | None
    bucket_names: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: ReplicatedStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:storage:ReplicatedStorage", name, None, opts)
        _check_specs(args.primary, args.replicas)
        self._args = args

        self.primary = self._secure_bucket(args.primary, args.purpose)
        self.replicas = {
            spec.region: self._secure_bucket(spec, f"{args.purpose}-replica")
            for spec in args.replicas
        }
        self.buckets = {args.primary.region: self.primary, **self.replicas}
        self.bucket_names = {region: b.bucket_name for region, b in self.buckets.items()}
        self.bucket_arns = {region: b.bucket_arn for region, b in self.buckets.items()}

        self.replication_role = None
        self.replication = None
        if args.replicas:
            self.replication_role, role_policy = self._role()
            self.replication = self._replication(self.replication_role, role_policy)

        outputs: dict[str, Any] = {"bucketNames": self.bucket_names, "bucketArns": self.bucket_arns}
        if self.replication_role is not None:
            outputs["replicationRoleArn"] = self.replication_role.arn
        self.register_outputs(outputs)

    def _secure_bucket(self, spec: RegionalBucketSpec, purpose: str) -> SecureBucket:
        args = self._args
        return SecureBucket(
            spec.labels.name(purpose, "storage"),
            SecureBucketArgs(
                labels=spec.labels,
                purpose=purpose,
                account_id=args.account_id,
                partition=args.partition,
                kms_key_arn=spec.kms_key_arn,
                noncurrent_version_expiration_days=args.noncurrent_version_expiration_days,
                abort_multipart_days=args.abort_multipart_days,
                force_destroy=args.force_destroy,
                protect=args.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[spec.provider]),
        )

    def _endpoints(self) -> pulumi.Output[list[ReplicationEndpoint]]:
        args = self._args
        specs = [args.primary, *args.replicas]
        buckets = [self.primary, *self.replicas.values()]
        return pulumi.Output.all(
            *[b.bucket_arn for b in buckets], *[s.kms_key_arn for s in specs]
        ).apply(
            lambda v: [
                ReplicationEndpoint(spec.region, v[i], v[len(specs) + i])
                for i, spec in enumerate(specs)
            ]
        )

    def _role(self) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        args = self._args
        labels = args.primary.labels
        iam_opts = pulumi.ResourceOptions(parent=self, provider=args.iam_provider)
        role_name = labels.name(args.purpose, "replication-role")
        role = service_role(
            self,
            labels,
            role_name,
            description=f"S3 replication from {labels.name(args.purpose)} to the other regions",
            trust_policy=pulumi.Output.from_input(args.account_id).apply(replication_trust),
            iam_provider=args.iam_provider,
        )
        policy = aws.iam.RolePolicy(
            labels.name(args.purpose, "replication-policy"),
            role=role.id,
            policy=self._endpoints().apply(
                lambda e: replication_role_policy(source=e[0], destinations=e[1:])
            ),
            opts=iam_opts,
        )
        return role, policy

    def _replication(
        self, role: aws.iam.Role, role_policy: aws.iam.RolePolicy
    ) -> aws.s3.BucketReplicationConfig:
        args = self._args
        rules: list[aws.s3.BucketReplicationConfigRuleArgsDict] = []
        for priority, spec in enumerate(args.replicas, start=1):
            destination: aws.s3.BucketReplicationConfigRuleDestinationArgsDict = {
                "bucket": self.replicas[spec.region].bucket_arn,
                "storage_class": "STANDARD",
                "encryption_configuration": {"replica_kms_key_id": spec.kms_key_arn},
            }
            if args.replication_time_control:
                destination["replication_time"] = {
                    "status": "Enabled",
                    "time": {"minutes": REPLICATION_TIME_MINUTES},
                }
                destination["metrics"] = {
                    "status": "Enabled",
                    "event_threshold": {"minutes": REPLICATION_TIME_MINUTES},
                }
            rules.append(
                {
                    "id": f"replicate-to-{spec.region}",
                    "priority": priority,
                    "status": "Enabled",
                    # A `filter` makes this a V2 rule, which delete marker replication needs.
                    "filter": {"prefix": ""},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {
                        "sse_kms_encrypted_objects": {"status": "Enabled"}
                    },
                    "destination": destination,
                }
            )
        # S3 refuses a replication configuration until both sides are versioned.
        versioning = [self.primary.versioning, *(r.versioning for r in self.replicas.values())]
        return aws.s3.BucketReplicationConfig(
            args.primary.labels.name(args.purpose, "replication"),
            bucket=self.primary.bucket_name,
            role=role.arn,
            rules=rules,
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.primary.provider,
                depends_on=[*versioning, role_policy],
            ),
        )


def _check_specs(primary: RegionalBucketSpec, replicas: Sequence[RegionalBucketSpec]) -> None:
    regions = [primary.region, *(r.region for r in replicas)]
    if len(set(regions)) != len(regions):
        raise ValueError(f"storage regions must be distinct, got {regions}")
    for spec in (primary, *replicas):
        if spec.labels.region != spec.region:
            raise ValueError(
                f"storage spec for {spec.region} carries labels of {spec.labels.region}"
            )
