"""The API's Lambda function: packaged from the repo, in the VPC, traced, with its own logs.

ApiFunction creates, in order: a KMS-encrypted log group `/aws/lambda/<function name>` with
retention, a KMS-encrypted dead-letter queue, an execution role (trusted by Lambda for this
account only) with one inline least-privilege policy (which also covers the network interfaces
Lambda creates in the VPC), and then the function itself, which depends on all of them so it can
write logs and create its ENIs from its first invocation.

The code is the zip `tap.packaging.function_zip` builds reproducibly from `tap/functions/api`
(or `source_dir`) and the bundled PostgreSQL driver; or, with `image_uri`, a container image.
Validation is pure and runs before anything is registered; the settings arrive validated by
tap.config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.logs import encrypted_log_group
from tap.components.policies import (
    document,
    lambda_vpc_access_statements,
    render,
    service_assume_role,
)
from tap.components.roles import service_role
from tap.naming import Labels
from tap.packaging import API_HANDLER, API_SOURCE_DIR, function_zip

DEFAULT_SOURCE_DIR = API_SOURCE_DIR
HANDLER = API_HANDLER
# The function reads and writes objects under this prefix of the data bucket, nothing else.
RECORDS_PREFIX = "records/"
DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60  # SQS's maximum
DLQ_DATA_KEY_REUSE_SECONDS = 300


# --- pure logic --------------------------------------------------------------------------------


def log_group_name(function_name: str) -> str:
    """Where Lambda writes a function's logs by default; creating it first lets us own it."""
    return f"/aws/lambda/{function_name}"


def log_group_arn(*, partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def queue_arn(*, partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:sqs:{region}:{account_id}:{name}"


def lambda_trust(account_id: str) -> str:
    """Only Lambda, on behalf of this account (confused deputy), may assume the role."""
    return service_assume_role(
        "lambda.amazonaws.com", {"StringEquals": {"aws:SourceAccount": account_id}}
    )


def environment_variables(
    *,
    bucket_name: pulumi.Input[str],
    region: str,
    environment: str,
    version: str,
    kms_key_arn: pulumi.Input[str],
    db_secret_arn: pulumi.Input[str] | None = None,
    db_cluster_arn: pulumi.Input[str] | None = None,
) -> dict[str, pulumi.Input[str]]:
    """Names and ARNs only: the database password stays in Secrets Manager.

    AWS_REGION is set by Lambda itself (a reserved variable), hence TAP_REGION.
    """
    variables: dict[str, pulumi.Input[str]] = {
        "TAP_BUCKET_NAME": bucket_name,
        "TAP_REGION": region,
        "TAP_ENVIRONMENT": environment,
        "TAP_VERSION": version,
        "TAP_KMS_KEY_ARN": kms_key_arn,
    }
    if db_secret_arn is not None:
        variables["TAP_DB_SECRET_ARN"] = db_secret_arn
    if db_cluster_arn is not None:
        variables["TAP_DB_CLUSTER_ARN"] = db_cluster_arn
    return variables


def execution_policy(
    *,
    bucket_arn: str,
    kms_key_arn: str,
    log_group_arn: str,
    dead_letter_queue_arn: str,
    vpc_access: Sequence[dict[str, Any]] = (),
    db_secret_arn: str | None = None,
) -> str:
    """What the handler and the Lambda service need, each on exactly its resource.

    `Resource: "*"` only where AWS supports no resource-level permissions (Service
    Authorization Reference): X-Ray's trace writes, and the EC2 Describe calls among the
    `vpc_access` statements (lambda_vpc_access_statements).
    """
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadWriteRecords",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"{bucket_arn}/{RECORDS_PREFIX}*",
        },
        {
            # Without ListBucket S3 answers a missing key with AccessDenied, not NoSuchKey,
            # and the handler could not tell 404 from a failure. No s3:prefix condition: a
            # GetObject carries no prefix, so the condition would never match there.
            "Sid": "ListRecords",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket_arn,
        },
        {
            # Decrypt: environment variables, SSE-KMS reads, the DB secret. GenerateDataKey:
            # SSE-KMS writes and messages to the encrypted dead-letter queue.
            "Sid": "UseRegionKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": kms_key_arn,
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        },
        {
            "Sid": "SendToDeadLetterQueue",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": dead_letter_queue_arn,
        },
        {
            "Sid": "WriteXRayTraces",
            "Effect": "Allow",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": "*",
        },
        *vpc_access,
    ]
    if db_secret_arn is not None:
        statements.append(
            {
                "Sid": "ReadDatabaseSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": db_secret_arn,
            }
        )
    return render(document(*statements))


# --- ApiFunction -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiFunctionArgs:
    labels: Labels
    region: str
    environment: str
    # The release this code is, for the handler's logs and responses (e.g. a git sha or tag).
    version: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    # The region's private subnets, one per AZ (at least two AZs: the caller's network).
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    # The egress-only app security group.
    security_group_id: pulumi.Input[str]
    # The region's CMK: environment variables, logs and the dead-letter queue.
    kms_key_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    memory_mb: int
    timeout_seconds: int
    # At least 1, or -1 for unreserved (the account's shared pool).
    reserved_concurrency: int
    log_retention_days: int
    runtime: str = "python3.12"
    architecture: str = "arm64"
    # A container image instead of the zip from `source_dir`.
    image_uri: str | None = None
    db_secret_arn: pulumi.Input[str] | None = None
    db_cluster_arn: pulumi.Input[str] | None = None
    # IAM is global: the role and its policies go through the primary region's provider.
    iam_provider: aws.Provider | None = None
    source_dir: Path = field(default=DEFAULT_SOURCE_DIR)


def validate_api_function_args(args: ApiFunctionArgs) -> None:
    if args.labels.region != args.region:
        raise ValueError(f"ApiFunction for {args.region} carries labels of {args.labels.region}")


class ApiFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    dead_letter_queue: aws.sqs.Queue

    def __init__(
        self, name: str, args: ApiFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Everything that can fail on bad args runs before the component registers.
        validate_api_function_args(args)
        code = (
            pulumi.FileArchive(str(function_zip(args.source_dir, args.runtime, args.architecture)))
            if args.image_uri is None
            else None
        )
        super().__init__("tap:function:ApiFunction", name, None, opts)
        self._args = args
        labels = args.labels
        function_name = labels.name("api")
        child = pulumi.ResourceOptions(parent=self)

        group_logical = labels.name("api", "log-group")
        self.log_group = encrypted_log_group(
            self,
            labels,
            group_logical,
            group_name=log_group_name(function_name),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
        )

        dlq_name = labels.name("api", "dlq")
        self.dead_letter_queue = aws.sqs.Queue(
            dlq_name,
            name=dlq_name,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=DLQ_DATA_KEY_REUSE_SECONDS,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=labels.tags(dlq_name),
            opts=child,
        )

        self.role, grants = self._role(function_name, dlq_name)

        self.function = aws.lambda_.Function(
            function_name,
            name=function_name,
            description=f"tap {labels.namer.suffix} {args.region}: the API handler",
            role=self.role.arn,
            package_type="Zip" if code is not None else "Image",
            code=code,
            handler=HANDLER if code is not None else None,
            runtime=args.runtime if code is not None else None,
            image_uri=args.image_uri,
            architectures=[args.architecture],
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            reserved_concurrent_executions=args.reserved_concurrency,
            tracing_config={"mode": "Active"},
            kms_key_arn=args.kms_key_arn,
            vpc_config={
                "subnet_ids": args.subnet_ids,
                "security_group_ids": [args.security_group_id],
            },
            environment={
                "variables": environment_variables(
                    bucket_name=args.bucket_name,
                    region=args.region,
                    environment=args.environment,
                    version=args.version,
                    kms_key_arn=args.kms_key_arn,
                    db_secret_arn=args.db_secret_arn,
                    db_cluster_arn=args.db_cluster_arn,
                )
            },
            dead_letter_config={"target_arn": self.dead_letter_queue.arn},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tags=labels.tags(function_name),
            # The group exists before Lambda could create it unmanaged (no retention, no CMK),
            # and the role can write logs and create ENIs before the first invocation.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, *grants]),
        )
        self.function_name = self.function.name
        self.function_arn = self.function.arn
        self.invoke_arn = self.function.invoke_arn
        self.register_outputs(
            {
                "functionName": self.function_name,
                "functionArn": self.function_arn,
                "invokeArn": self.invoke_arn,
                "roleArn": self.role.arn,
                "logGroupName": self.log_group.name,
                "deadLetterQueueArn": self.dead_letter_queue.arn,
            }
        )

    def _role(
        self, function_name: str, dlq_name: str
    ) -> tuple[aws.iam.Role, list[pulumi.Resource]]:
        args = self._args
        labels = args.labels
        iam_opts = pulumi.ResourceOptions(parent=self, provider=args.iam_provider)
        role = service_role(
            self,
            labels,
            labels.name("api", "role"),
            description=f"Execution role of the Lambda function {function_name}",
            trust_policy=pulumi.Output.from_input(args.account_id).apply(lambda_trust),
            iam_provider=args.iam_provider,
        )
        # ARNs built from names (not read off the resources) so previews show the whole policy.
        secret: pulumi.Input[str | None] = args.db_secret_arn
        policy = pulumi.Output.all(
            args.partition,
            args.account_id,
            args.bucket_arn,
            args.kms_key_arn,
            secret,
            args.subnet_ids,
            args.security_group_id,
        ).apply(
            lambda v: execution_policy(
                bucket_arn=v[2],
                kms_key_arn=v[3],
                log_group_arn=log_group_arn(
                    partition=v[0],
                    region=args.region,
                    account_id=v[1],
                    name=log_group_name(function_name),
                ),
                dead_letter_queue_arn=queue_arn(
                    partition=v[0], region=args.region, account_id=v[1], name=dlq_name
                ),
                vpc_access=lambda_vpc_access_statements(
                    partition=v[0],
                    region=args.region,
                    account_id=v[1],
                    subnet_ids=v[5],
                    security_group_id=v[6],
                ),
                db_secret_arn=v[4],
            )
        )
        inline = aws.iam.RolePolicy(
            labels.name("api", "policy"),
            role=role.name,
            policy=policy,
            opts=iam_opts,
        )
        return role, [inline]
