"""Lambda code signing: the function runs only code signed by the stack's own Signer profile.

Per region (Signer signs only objects in its own region, and Lambda reads code from a bucket in
the function's region):

- an AWS Signer profile on the `AWSLambda-SHA384-ECDSA` platform (the only Lambda platform);
- a Lambda code signing config that trusts that profile alone, with
  `untrusted_artifact_on_deployment` Enforce (prod: Lambda refuses an unsigned, foreign-signed,
  expired or revoked package) or Warn (dev and staging: Lambda deploys it and logs a
  CloudWatch metric and a CloudTrail event);
- the deploy's signing step: the zip the program builds goes to an artifacts bucket (versioned,
  the region's CMK, TLS-only, access-logged: a tap SecureBucket), a Signer signing job signs
  that object version into `signed/`, and the function deploys from the signed object.

Why the signing job runs in the program, not as a CI step: the package Lambda runs is the
archive this program builds from `tap/functions/api`, so signing it where it is built leaves
nothing to keep in step (no object key or version handed from CI into stack config, no window
in which config names a package the program did not build). `pulumi up` by hand, in an
emergency, signs the same way as the pipeline. The engine diffs the archive's hash: unchanged
code means no new upload, no new job, no function update. What a signature then proves is who
deployed: only a principal allowed `signer:StartSigningJob` on this profile (the deploy roles)
can produce code the function accepts, so `lambda:UpdateFunctionCode` alone (a leaked key, a
console edit) cannot swap the code in prod.

Signatures are valid for 12 months. Lambda checks a signature when code is deployed, not when it
runs, so expiry only matters for redeploying an old signed object; every code change signs
anew.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from tap.components.storage import SecureBucket, SecureBucketArgs
from tap.limits import SIGNER_MAX_SIGNATURE_VALIDITY_MONTHS
from tap.naming import Labels

PLATFORM_ID = "AWSLambda-SHA384-ECDSA"
ENFORCE: Literal["Enforce"] = "Enforce"
WARN: Literal["Warn"] = "Warn"
UNTRUSTED_ARTIFACT_ACTIONS = (ENFORCE, WARN)
SIGNATURE_VALIDITY_MONTHS = 12
UNSIGNED_PREFIX = "unsigned/"
SIGNED_PREFIX = "signed/"
# AWS::Signer::SigningProfile ProfileName: ^[0-9a-zA-Z_]{2,64}$ (no hyphens).
_PROFILE_NAME = re.compile(r"[0-9a-zA-Z_]{2,64}")

UntrustedArtifactAction = Literal["Enforce", "Warn"]


# --- pure logic --------------------------------------------------------------------------------


def profile_name(labels: Labels) -> str:
    """`tap_prod_use1_lambda`: Signer profile names allow letters, digits and underscores only."""
    return labels.name("lambda").replace("-", "_")


def unsigned_key(labels: Labels) -> str:
    return f"{UNSIGNED_PREFIX}{labels.name('function')}.zip"


def validate_signing_settings(*, labels: Labels, region: str, validity_months: int) -> None:
    """The wiring and the component's own names and validity (the Enforce/Warn choice arrives
    validated by tap.config)."""
    if labels.region != region:
        raise ValueError(f"code signing labels are for {labels.region}, not {region}")
    name = profile_name(labels)
    if not _PROFILE_NAME.fullmatch(name):
        raise ValueError(
            f"Signer profile name {name!r} must be 2-64 letters, digits or underscores"
        )
    if not 1 <= validity_months <= SIGNER_MAX_SIGNATURE_VALIDITY_MONTHS:
        raise ValueError(
            f"signature validity must be 1-{SIGNER_MAX_SIGNATURE_VALIDITY_MONTHS} months, got "
            f"{validity_months}"
        )


# --- the component -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedCode:
    """What a function needs to deploy signed code: the signed zip, and the config that makes
    Lambda check its signature."""

    bucket: pulumi.Input[str]
    key: pulumi.Input[str]
    code_signing_config_arn: pulumi.Input[str]


@dataclass(frozen=True)
class CodeSigningArgs:
    labels: Labels
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]  # the region's CMK: encrypts the artifacts bucket
    code: pulumi.Archive  # the function's zip, as the program builds it
    untrusted_artifact_on_deployment: UntrustedArtifactAction
    # Old unsigned uploads (noncurrent versions) go after this many days.
    artifact_version_expiration_days: int = 30
    signature_validity_months: int = SIGNATURE_VALIDITY_MONTHS
    force_destroy: bool = False
    protect: bool = False


class CodeSigning(pulumi.ComponentResource):
    profile: aws.signer.SigningProfile
    config: aws.lambda_.CodeSigningConfig
    artifacts: SecureBucket
    unsigned: aws.s3.BucketObjectv2
    job: aws.signer.SigningJob
    code_signing_config_arn: pulumi.Output[str]
    signed_bucket: pulumi.Output[str]
    signed_key: pulumi.Output[str]
    signed_code: SignedCode
    profile_name: str

    def __init__(
        self, name: str, args: CodeSigningArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_signing_settings(
            labels=args.labels,
            region=args.region,
            validity_months=args.signature_validity_months,
        )
        super().__init__("tap:signing:CodeSigning", name, None, opts)
        labels = args.labels
        child = pulumi.ResourceOptions(parent=self)
        self.profile_name = profile_name(labels)
        self.profile = aws.signer.SigningProfile(
            labels.name("signing-profile"),
            name=self.profile_name,
            platform_id=PLATFORM_ID,
            signature_validity_period={"value": args.signature_validity_months, "type": "MONTHS"},
            tags=labels.tags(labels.name("signing-profile")),
            opts=child,
        )
        config_name = labels.name("code-signing")
        self.config = aws.lambda_.CodeSigningConfig(
            config_name,
            description=f"{config_name}: only code signed by {self.profile_name}",
            allowed_publishers={"signing_profile_version_arns": [self.profile.version_arn]},
            policies={"untrusted_artifact_on_deployment": args.untrusted_artifact_on_deployment},
            tags=labels.tags(config_name),
            opts=child,
        )
        self.code_signing_config_arn = self.config.arn

        self.artifacts = SecureBucket(
            labels.name("artifacts-bucket"),
            SecureBucketArgs(
                labels=labels,
                purpose="artifacts",
                account_id=args.account_id,
                partition=args.partition,
                kms_key_arn=args.kms_key_arn,
                noncurrent_version_expiration_days=args.artifact_version_expiration_days,
                force_destroy=args.force_destroy,
                protect=args.protect,
            ),
            opts=child,
        )
        # Signer signs one object version: the bucket must be versioned before the upload.
        self.unsigned = aws.s3.BucketObjectv2(
            labels.name("function-zip"),
            bucket=self.artifacts.bucket_name,
            key=unsigned_key(labels),
            source=args.code,
            content_type="application/zip",
            tags=labels.tags(labels.name("function-zip")),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.artifacts.versioning, self.artifacts.policy]
            ),
        )
        # Every argument of a signing job forces a new one: a new object version, a new job.
        self.job = aws.signer.SigningJob(
            labels.name("signing-job"),
            profile_name=self.profile.name,
            source={
                "s3": {
                    "bucket": self.artifacts.bucket_name,
                    "key": self.unsigned.key,
                    "version": self.unsigned.version_id,
                }
            },
            destination={"s3": {"bucket": self.artifacts.bucket_name, "prefix": SIGNED_PREFIX}},
            # Wait for the job and fail the deploy when Signer fails to sign.
            ignore_signing_job_failure=False,
            opts=child,
        )
        signed = self.job.signed_objects.apply(_signed_location)
        self.signed_bucket = signed.apply(lambda location: location[0])
        self.signed_key = signed.apply(lambda location: location[1])
        self.signed_code = SignedCode(
            self.signed_bucket, self.signed_key, self.code_signing_config_arn
        )
        self.register_outputs(
            {
                "profileName": self.profile_name,
                "profileVersionArn": self.profile.version_arn,
                "codeSigningConfigArn": self.code_signing_config_arn,
                "artifactsBucket": self.artifacts.bucket_name,
                "signedKey": self.signed_key,
            }
        )


def _signed_location(
    objects: Sequence[aws.signer.outputs.SigningJobSignedObject],
) -> tuple[str, str]:
    """The bucket and key Signer wrote the signed zip to."""
    for signed in objects:
        for location in signed.s3s or []:
            if location.bucket and location.key:
                return location.bucket, location.key
    raise ValueError("the signing job reported no signed object in S3")
