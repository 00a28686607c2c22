"""Rotation of a global database's generated master password (Secrets Manager + a Lambda).

MasterSecretRotation, in the secret's region (tap:primaryRegion, where the global primary's
credentials were created):

- the rotation function `tap.functions.api.rotate.handler`, built like the API's and the
  migration's (tap.components.function: the same zip and driver, its own encrypted log group,
  a role that may rotate this one secret and use its keys through Secrets Manager only, the
  private subnets and the `app` security group, which reaches the cluster on 5432 and the
  Secrets Manager endpoint; signed where code signing is on);
- Secrets Manager's permission to invoke it for this secret, and the schedule
  (`aws.secretsmanager.SecretRotation`, every `rotation_days`).

The first rotation runs when the schedule is created (`rotate_immediately`), so a broken
rotation path (network, permissions, a password the database does not take) fails the deploy
that introduced it instead of a night weeks later.

The function reaches the cluster of its own region. While the writer is elsewhere
(`tap:database.writerRegion`, after `tap failover`), that cluster is a read-only secondary:
`setSecret` is refused there, nothing changes (AWSCURRENT stays the working password), and
`tap verify` reports the missed rotation until the writer is back in the secret's region.

The strategy (single user) and why, and how the replicas follow, are in
tap/functions/api/rotate.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.function import FunctionPlacement, _check_placement, _code, _VpcFunction
from tap.components.policies import document, render

ROTATION_HANDLER = "tap.functions.api.rotate.handler"
SECRETS_MANAGER = "secretsmanager.amazonaws.com"
# Four steps, each a connect (3 s at most, tap.functions.api.db) and one or two statements.
TIMEOUT_SECONDS = 60
MEMORY_MB = 256
# Secrets Manager never runs two rotations of one secret at once.
RESERVED_CONCURRENCY = 1


def rotation_policy(
    *,
    secret_arn: str,
    key_arns: Sequence[str],
    log_group: str,
    vpc_access: Sequence[dict[str, Any]],
) -> str:
    """The one secret, its keys through Secrets Manager only, its logs and traces, its network.
    `Resource: "*"` only where AWS supports no resource-level permissions (GetRandomPassword,
    X-Ray's trace writes, and the EC2 Describe calls among `vpc_access`)."""
    return render(
        document(
            {
                "Sid": "RotateTheMasterSecret",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                "Resource": secret_arn,
            },
            {
                # No resource-level permissions exist for it (Service Authorization Reference).
                "Sid": "GeneratePasswords",
                "Effect": "Allow",
                "Action": "secretsmanager:GetRandomPassword",
                "Resource": "*",
            },
            {
                # The primary key encrypts the secret; each replica region's key its replica.
                "Sid": "UseSecretKeysThroughSecretsManager",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": list(key_arns),
                "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
            },
            {
                "Sid": "WriteXRayTraces",
                "Effect": "Allow",
                "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                "Resource": "*",
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group, f"{log_group}:log-stream:*"],
            },
            *vpc_access,
        )
    )


def environment_variables(
    *, db_host: pulumi.Input[str], db_name: str, region: str, secret_arn: pulumi.Input[str]
) -> dict[str, pulumi.Input[str]]:
    """The migration function's settings (tap.functions.api.db.resolve, admin): the cluster,
    and the secret that is both the login and what is rotated."""
    return {
        "TAP_DB_HOST": db_host,
        "TAP_DB_PORT": "5432",
        "TAP_DB_NAME": db_name,
        "TAP_REGION": region,
        "TAP_DB_ADMIN_SECRET_ARN": secret_arn,
    }


@dataclass(frozen=True)
class MasterSecretRotationArgs:
    # The secret's region: its subnets, app group, key (the secret, the function's environment
    # and logs) and, where code signing is on, its signed zip.
    placement: FunctionPlacement
    secret_arn: pulumi.Input[str]
    secret_name: pulumi.Input[str]
    # Each replica region's key.
    replica_key_arns: Mapping[str, pulumi.Input[str]]
    db_host: pulumi.Input[str]  # the region's cluster endpoint
    db_name: str
    rotation_days: int
    # What must exist before the first rotation: the cluster's instances, the secret's value.
    depends_on: Sequence[pulumi.Resource] = ()


class MasterSecretRotation(_VpcFunction):
    permission: aws.lambda_.Permission
    schedule: aws.secretsmanager.SecretRotation
    secret_name: pulumi.Input[str]

    def __init__(
        self,
        name: str,
        args: MasterSecretRotationArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        _check_placement("MasterSecretRotation", args.placement)
        code = _code(args.placement)
        super().__init__("tap:rotation:MasterSecretRotation", name, None, opts)
        self._args = args
        self.secret_name = args.secret_name
        placement = args.placement
        self._build(
            placement,
            code,
            what="secret-rotation",
            description=f"tap {placement.labels.namer.suffix}: rotates the Aurora master secret",
            handler=ROTATION_HANDLER,
            environment=environment_variables(
                db_host=args.db_host,
                db_name=args.db_name,
                region=placement.region,
                secret_arn=args.secret_arn,
            ),
            memory_mb=MEMORY_MB,
            timeout_seconds=TIMEOUT_SECONDS,
            reserved_concurrency=RESERVED_CONCURRENCY,
            policy=self._policy,
        )
        self.permission = aws.lambda_.Permission(
            placement.labels.name("secret-rotation", "invoke"),
            action="lambda:InvokeFunction",
            function=self.function.name,
            principal=SECRETS_MANAGER,
            source_arn=args.secret_arn,
            source_account=placement.account_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.schedule = aws.secretsmanager.SecretRotation(
            placement.labels.name("secret-rotation", "schedule"),
            secret_id=args.secret_arn,
            rotation_lambda_arn=self.function.arn,
            rotation_rules={"automatically_after_days": args.rotation_days},
            # The first rotation at deploy: a broken path fails the deploy (module doc).
            rotate_immediately=True,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.permission, *args.depends_on]
            ),
        )
        self.register_outputs(
            {"functionName": self.function_name, "rotationDays": args.rotation_days}
        )

    def _policy(
        self, partition: str, account: str, logs: str, vpc: list[dict[str, Any]]
    ) -> pulumi.Output[str]:
        args = self._args
        return pulumi.Output.all(
            args.secret_arn, args.placement.kms_key_arn, *args.replica_key_arns.values()
        ).apply(
            lambda v: rotation_policy(
                secret_arn=v[0], key_arns=v[1:], log_group=logs, vpc_access=vpc
            )
        )
