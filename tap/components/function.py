"""The Lambda functions of the data path: the API, and the migration function run at deploy.

Both are packaged from the repo (the zip `tap.packaging.function_zip` builds reproducibly from
`tap/functions/api` with the bundled PostgreSQL driver, or a container image), run in the
region's private subnets behind the egress-only app security group, trace with X-Ray, and get
a KMS-encrypted log group `/aws/lambda/<function name>` with retention and an execution role
(trusted by Lambda for this account only) with one inline least-privilege policy, which also
covers the network interfaces Lambda creates in the VPC. The function depends on its log group
and its policy, so it can write logs and create its ENIs from its first invocation.

What each function gets is the contract in docs/architecture.md ("What the infrastructure gives
the function"):

- ApiFunction (`tap.functions.api.handler.handler`) connects to its region's cluster as
  `tap_app` with IAM database authentication: its environment names the endpoint, port,
  database and user (never a password), and its role may `rds-db:connect` as that one user of
  that one cluster. On a global secondary it sets the write forwarding consistency mode.
- MigrationFunction (`tap.functions.api.migrate.handler`, the same zip) connects to its
  region's cluster endpoint with the cluster's master secret (its copy in that region), which
  its role may read. Every region with a cluster has one, so moving the writer
  (`tap:database.writerRegion`) creates or deletes no function and no log group; only the
  writer's is invoked at deploy (`aws.lambda_.Invocation`, re-invoked when the migrations
  change), and its answer is checked. The API functions depend on that check, so new code
  serves only on a migrated schema and a failed migration fails the deploy with the function's
  message.

API Gateway invokes the API synchronously, so there is no dead-letter queue: a DLQ only receives
failed asynchronous invocations. Validation is pure and runs before anything is registered; the
settings arrive validated by tap.config.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

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
from tap.components.signing import SignedCode
from tap.functions.api import db
from tap.functions.api.contract import ENV_ENVIRONMENT, ENV_VERSION
from tap.functions.api.migrate import MigrationError, migrations_hash
from tap.naming import Labels
from tap.packaging import API_HANDLER, API_SOURCE_DIR, MIGRATION_HANDLER, function_zip

DEFAULT_SOURCE_DIR = API_SOURCE_DIR
HANDLER = API_HANDLER
# The migration function: one run at a time is all a deploy needs (runs are serialised by an
# advisory lock anyway), and Lambda's longest timeout, since DDL on a big table takes time.
MIGRATION_MEMORY_MB: Final = 256
MIGRATION_TIMEOUT_SECONDS: Final = 900
MIGRATION_CONCURRENCY: Final = 1
# What the migration function answers when the schema is where the deploy needs it.
MIGRATION_DONE: Final = frozenset({"applied", "up_to_date"})


# --- pure logic --------------------------------------------------------------------------------


def function_code(source_dir: Path, runtime: str, architecture: str) -> pulumi.FileArchive:
    """The deployment zip (tap.packaging), as the archive a function or a signing upload takes."""
    return pulumi.FileArchive(str(function_zip(source_dir, runtime, architecture)))


def log_group_name(function_name: str) -> str:
    """Where Lambda writes a function's logs by default; creating it first lets us own it."""
    return f"/aws/lambda/{function_name}"


def log_group_arn(*, partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def db_user_arn(
    *, partition: str, region: str, account_id: str, cluster_resource_id: str, user: str
) -> str:
    """The resource of `rds-db:connect` for one database user of one cluster (IAM database
    authentication names the cluster by its resource id, not its identifier)."""
    return f"arn:{partition}:rds-db:{region}:{account_id}:dbuser:{cluster_resource_id}/{user}"


def lambda_trust(account_id: str) -> str:
    """Only Lambda, on behalf of this account (confused deputy), may assume the role."""
    return service_assume_role(
        "lambda.amazonaws.com", {"StringEquals": {"aws:SourceAccount": account_id}}
    )


@dataclass(frozen=True)
class DatabaseEndpoint:
    """Where the API connects, and as whom: one region's cluster.

    `host` is the writer's cluster endpoint in the writer's region and a secondary's reader
    endpoint elsewhere (writes reach the writer by Aurora global write forwarding, whose
    consistency mode `write_forwarding` then names).
    """

    host: pulumi.Input[str]
    database_name: str
    cluster_resource_id: pulumi.Input[str]
    port: int = db.DEFAULT_PORT
    user: str = db.APP_ROLE
    write_forwarding: str | None = None
    # Seconds a connect may take; None keeps the handler's default. The handler bounds it by
    # the invocation's remaining time in any case.
    connect_timeout_seconds: int | None = None


def check_database_endpoint(endpoint: DatabaseEndpoint) -> None:
    """What the handler would refuse at run time (db.resolve), refused before deploying it."""
    if endpoint.write_forwarding is not None and (
        endpoint.write_forwarding not in db.WRITE_FORWARDING_MODES
    ):
        raise ValueError(
            f"write_forwarding must be one of {', '.join(db.WRITE_FORWARDING_MODES)}, got "
            f"{endpoint.write_forwarding!r}"
        )
    if not 1 <= endpoint.port <= 65535:
        raise ValueError(f"port must be 1-65535, got {endpoint.port}")
    timeout = endpoint.connect_timeout_seconds
    if timeout is not None and not 0 < timeout <= 60:
        raise ValueError(f"connect_timeout_seconds must be 1-60, got {timeout}")


def environment_variables(
    *, region: str, environment: str, version: str, database: DatabaseEndpoint
) -> dict[str, pulumi.Input[str]]:
    """What the handler reads (handler.py, db.py): names only, never a password.

    AWS_REGION is set by Lambda itself (a reserved variable), hence TAP_REGION.
    """
    variables: dict[str, pulumi.Input[str]] = {
        db.ENV_REGION: region,
        ENV_ENVIRONMENT: environment,
        ENV_VERSION: version,
        db.ENV_HOST: database.host,
        db.ENV_PORT: str(database.port),
        db.ENV_NAME: database.database_name,
        db.ENV_USER: database.user,
    }
    if database.write_forwarding is not None:
        variables[db.ENV_WRITE_FORWARDING] = database.write_forwarding
    if database.connect_timeout_seconds is not None:
        variables[db.ENV_CONNECT_TIMEOUT] = str(database.connect_timeout_seconds)
    return variables


def migration_environment(
    *, region: str, host: pulumi.Input[str], database_name: str, admin_secret_arn: pulumi.Input[str]
) -> dict[str, pulumi.Input[str]]:
    """The migration function's: the writer and the secret to log in with (db.resolve(admin))."""
    return {
        db.ENV_REGION: region,
        db.ENV_HOST: host,
        db.ENV_PORT: str(db.DEFAULT_PORT),
        db.ENV_NAME: database_name,
        db.ENV_ADMIN_SECRET: admin_secret_arn,
    }


def _common_statements(
    *, kms_key_arn: str, log_group_arn: str, vpc_access: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            # The environment is encrypted with the region's key (and, for the migration
            # function, the secret too).
            "Sid": "DecryptWithRegionKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
        },
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
        },
        {
            "Sid": "WriteXRayTraces",
            "Effect": "Allow",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": "*",
        },
        *vpc_access,
    ]


def execution_policy(
    *,
    kms_key_arn: str,
    log_group_arn: str,
    db_user_arn: str,
    vpc_access: Sequence[dict[str, Any]] = (),
) -> str:
    """What the API handler and the Lambda service need, each on exactly its resource.

    `Resource: "*"` only where AWS supports no resource-level permissions (Service
    Authorization Reference): X-Ray's trace writes, and the EC2 Describe calls among the
    `vpc_access` statements (lambda_vpc_access_statements).
    """
    return render(
        document(
            {
                "Sid": "ConnectAsAppUser",
                "Effect": "Allow",
                "Action": "rds-db:connect",
                "Resource": db_user_arn,
            },
            *_common_statements(
                kms_key_arn=kms_key_arn, log_group_arn=log_group_arn, vpc_access=vpc_access
            ),
        )
    )


def migration_policy(
    *,
    kms_key_arn: str,
    log_group_arn: str,
    admin_secret_arn: str,
    vpc_access: Sequence[dict[str, Any]] = (),
) -> str:
    """The migration function's: read the master secret (its key is the region's), logs, VPC."""
    return render(
        document(
            {
                "Sid": "ReadMasterSecret",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": admin_secret_arn,
            },
            *_common_statements(
                kms_key_arn=kms_key_arn, log_group_arn=log_group_arn, vpc_access=vpc_access
            ),
        )
    )


def migration_event(expected_hash: str) -> str:
    """The invocation's payload: the migrations the deploy expects (migrate.handler checks it)."""
    return json.dumps({"migrationsHash": expected_hash}, sort_keys=True)


class MigrationFailed(pulumi.RunError):
    """The migration function answered, but not with a migrated schema: the deploy stops."""


def check_migration_result(result: str | None, expected_hash: str, function: str) -> Any:
    """The migration function's answer, or MigrationFailed naming the function and the problem.

    A function that raises already fails the invocation (the provider reports its error
    message); this catches an answer that is not a finished migration of these migrations.
    """
    where = f"the migration function {function}"
    try:
        answer = json.loads(result or "")
    except ValueError:
        raise MigrationFailed(
            f"{where} did not answer with JSON ({(result or 'nothing')[:200]!r}); see its log "
            f"group {log_group_name(function)}"
        ) from None
    if not isinstance(answer, Mapping) or answer.get("status") not in MIGRATION_DONE:
        raise MigrationFailed(
            f"{where} did not migrate the database: {json.dumps(answer)[:300]}; see its log "
            f"group {log_group_name(function)}"
        )
    if answer.get("migrationsHash") != expected_hash:
        raise MigrationFailed(
            f"{where} applied migrations {str(answer.get('migrationsHash'))[:12]}, but this "
            f"deploy carries {expected_hash[:12]}: its code was not updated before the "
            "invocation; run the deploy again"
        )
    return answer


# --- the shared shape --------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionPlacement:
    """Where a function runs and what it is built from: the same for both functions."""

    labels: Labels
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    # The region's private subnets, one per AZ (at least two AZs: the caller's network).
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    # The egress-only app security group (5432 to the database group, 443 out).
    security_group_id: pulumi.Input[str]
    # The region's CMK: environment variables and logs.
    kms_key_arn: pulumi.Input[str]
    log_retention_days: int
    runtime: str = "python3.12"
    architecture: str = "arm64"
    # A container image instead of the zip from `source_dir`.
    image_uri: str | None = None
    # IAM is global: the role and its policies go through the primary region's provider.
    iam_provider: aws.Provider | None = None
    source_dir: Path = field(default=DEFAULT_SOURCE_DIR)
    # Code signing (tap.components.signing): deploy the signed copy of the zip under the code
    # signing config instead of uploading the zip itself.
    signed_code: SignedCode | None = None


def _check_placement(kind: str, placement: FunctionPlacement) -> None:
    if placement.labels.region != placement.region:
        raise ValueError(
            f"{kind} for {placement.region} carries labels of {placement.labels.region}"
        )
    if placement.signed_code is not None and placement.image_uri is not None:
        raise ValueError(f"{kind}: signed_code is for the zip; Lambda does not sign images")


def _code(placement: FunctionPlacement) -> pulumi.Archive | None:
    """The zip to upload; None for an image, or for signed code (deployed from S3)."""
    if placement.image_uri is not None or placement.signed_code is not None:
        return None
    return function_code(placement.source_dir, placement.runtime, placement.architecture)


class _VpcFunction(pulumi.ComponentResource):
    """A function in the region's private subnets with its own log group and role."""

    function: aws.lambda_.Function
    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup

    def _build(
        self,
        placement: FunctionPlacement,
        code: pulumi.Archive | None,
        *,
        what: str,
        description: str,
        handler: str,
        environment: Mapping[str, pulumi.Input[str]],
        memory_mb: int,
        timeout_seconds: int,
        reserved_concurrency: int,
        policy: Any,
    ) -> None:
        """Log group, role and policy, then the function. `policy` maps the resolved
        (partition, account id, log group ARN, VPC access statements) to the inline policy."""
        labels = placement.labels
        function_name = labels.name(what)
        self.log_group = encrypted_log_group(
            self,
            labels,
            labels.name(what, "log-group"),
            group_name=log_group_name(function_name),
            retention_days=placement.log_retention_days,
            kms_key_arn=placement.kms_key_arn,
        )
        self.role = service_role(
            self,
            labels,
            labels.name(what, "role"),
            description=f"Execution role of the Lambda function {function_name}",
            trust_policy=pulumi.Output.from_input(placement.account_id).apply(lambda_trust),
            iam_provider=placement.iam_provider,
        )
        # ARNs built from names (not read off the resources) so previews show the whole policy.
        document_text = pulumi.Output.all(
            placement.partition,
            placement.account_id,
            placement.subnet_ids,
            placement.security_group_id,
        ).apply(
            lambda v: policy(
                v[0],
                v[1],
                log_group_arn(
                    partition=v[0],
                    region=placement.region,
                    account_id=v[1],
                    name=log_group_name(function_name),
                ),
                lambda_vpc_access_statements(
                    partition=v[0],
                    region=placement.region,
                    account_id=v[1],
                    subnet_ids=v[2],
                    security_group_id=v[3],
                ),
            )
        )
        inline = aws.iam.RolePolicy(
            labels.name(what, "policy"),
            role=self.role.name,
            policy=document_text,
            opts=pulumi.ResourceOptions(parent=self, provider=placement.iam_provider),
        )
        image = placement.image_uri is not None
        signed = placement.signed_code
        self.function = aws.lambda_.Function(
            function_name,
            name=function_name,
            description=description,
            role=self.role.arn,
            package_type="Image" if image else "Zip",
            code=code,
            s3_bucket=signed.bucket if signed else None,
            s3_key=signed.key if signed else None,
            code_signing_config_arn=signed.code_signing_config_arn if signed else None,
            handler=None if image else handler,
            runtime=None if image else placement.runtime,
            image_uri=placement.image_uri,
            # The image's CMD is the API's handler; the migration function names its own.
            image_config={"commands": [handler]} if image and handler != HANDLER else None,
            architectures=[placement.architecture],
            memory_size=memory_mb,
            timeout=timeout_seconds,
            reserved_concurrent_executions=reserved_concurrency,
            tracing_config={"mode": "Active"},
            kms_key_arn=placement.kms_key_arn,
            vpc_config={
                "subnet_ids": placement.subnet_ids,
                "security_group_ids": [placement.security_group_id],
            },
            environment={"variables": dict(environment)},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tags=labels.tags(function_name),
            # The group exists before Lambda could create it unmanaged (no retention, no CMK),
            # and the role can write logs and create ENIs before the first invocation.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.log_group, inline, *self._waits_for()]
            ),
        )
        self.function_name = self.function.name
        self.function_arn = self.function.arn

    def _waits_for(self) -> Sequence[pulumi.Input[pulumi.Resource]]:
        return ()


# --- ApiFunction -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiFunctionArgs:
    placement: FunctionPlacement
    environment: str
    # The release this code is, for the handler's logs and responses (e.g. a git sha or tag).
    version: str
    database: DatabaseEndpoint
    memory_mb: int
    timeout_seconds: int
    # At least 1, or -1 for unreserved (the account's shared pool).
    reserved_concurrency: int
    # What the new code must wait for: the migration's checked result (MigrationFunction.ready).
    schema_ready: pulumi.Input[pulumi.Resource] | None = None


class ApiFunction(_VpcFunction):
    function: aws.lambda_.Function
    invoke_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ApiFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # Everything that can fail on bad args runs before the component registers.
        _check_placement("ApiFunction", args.placement)
        check_database_endpoint(args.database)
        code = _code(args.placement)
        super().__init__("tap:function:ApiFunction", name, None, opts)
        self._args = args
        placement, database = args.placement, args.database
        region = placement.region

        self._build(
            placement,
            code,
            what="api",
            description=f"tap {placement.labels.namer.suffix} {region}: the API handler",
            handler=HANDLER,
            environment=environment_variables(
                region=region,
                environment=args.environment,
                version=args.version,
                database=database,
            ),
            memory_mb=args.memory_mb,
            timeout_seconds=args.timeout_seconds,
            reserved_concurrency=args.reserved_concurrency,
            policy=self._policy,
        )
        self.invoke_arn = self.function.invoke_arn
        self.register_outputs(
            {
                "functionName": self.function_name,
                "functionArn": self.function_arn,
                "invokeArn": self.invoke_arn,
                "roleArn": self.role.arn,
                "logGroupName": self.log_group.name,
            }
        )

    def _waits_for(self) -> Sequence[pulumi.Input[pulumi.Resource]]:
        ready = self._args.schema_ready
        return [ready] if ready is not None else []

    def _policy(
        self, partition: str, account: str, logs: str, vpc: list[dict[str, Any]]
    ) -> pulumi.Output[str]:
        placement, database = self._args.placement, self._args.database
        return pulumi.Output.all(placement.kms_key_arn, database.cluster_resource_id).apply(
            lambda v: execution_policy(
                kms_key_arn=v[0],
                log_group_arn=logs,
                db_user_arn=db_user_arn(
                    partition=partition,
                    region=placement.region,
                    account_id=account,
                    cluster_resource_id=v[1],
                    user=database.user,
                ),
                vpc_access=vpc,
            )
        )


# --- MigrationFunction -------------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationFunctionArgs:
    """A region's migration function, and (`invoke`, the writer's region) the invocation that
    runs it at deploy."""

    placement: FunctionPlacement
    # The region's cluster endpoint (the writer's, once the cluster is the writer), and the
    # database the migrations apply to.
    host: pulumi.Input[str]
    database_name: str
    # The cluster's master secret in this region (a global secret's replica elsewhere), encrypted
    # with this region's key.
    admin_secret_arn: pulumi.Input[str]
    # The cluster migrated: a new cluster (another resource id) is migrated again.
    cluster_resource_id: pulumi.Input[str]
    migrations_dir: Path | None = None  # None: the package's migrations (source_dir)
    # What must exist before the first run can log in: the writer's instances (a cluster
    # without one takes no connection) and the secret's value.
    waits_for: Sequence[pulumi.Resource] = ()
    # Whether this region's cluster is the writer: only the writer's function is invoked.
    invoke: bool = True


class MigrationFunction(_VpcFunction):
    """Applies the migrations at deploy: a function and, in the writer's region, its invocation
    and the checked answer.

    `ready` resolves to the invocation once the answer is checked (MigrationFailed otherwise):
    give it to ApiFunctionArgs.schema_ready, so the API's new code waits for the schema.
    `invocation`, `result` and `ready` are None where the function is not invoked.
    """

    invocation: aws.lambda_.Invocation | None
    migrations_hash: str
    result: pulumi.Output[Any] | None
    ready: pulumi.Output[pulumi.Resource] | None

    def __init__(
        self, name: str, args: MigrationFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        _check_placement("MigrationFunction", args.placement)
        migrations = args.migrations_dir or args.placement.source_dir / "migrations"
        # Reads and checks the migrations (names, numbering) before anything is registered.
        try:
            self.migrations_hash = expected = migrations_hash(migrations)
        except MigrationError as error:
            raise ValueError(f"the migrations in {migrations}: {error}") from None
        code = _code(args.placement)
        super().__init__("tap:function:MigrationFunction", name, None, opts)
        self._args = args
        placement = args.placement
        region = placement.region
        self._build(
            placement,
            code,
            what="db-migrate",
            description=(
                f"tap {placement.labels.namer.suffix} {region}: applies the database migrations "
                "at deploy"
            ),
            handler=MIGRATION_HANDLER,
            environment=migration_environment(
                region=region,
                host=args.host,
                database_name=args.database_name,
                admin_secret_arn=args.admin_secret_arn,
            ),
            memory_mb=MIGRATION_MEMORY_MB,
            timeout_seconds=MIGRATION_TIMEOUT_SECONDS,
            reserved_concurrency=MIGRATION_CONCURRENCY,
            policy=self._policy,
        )
        self.invocation = self.result = self.ready = None
        if not args.invoke:
            self.register_outputs(
                {
                    "functionName": self.function_name,
                    "logGroupName": self.log_group.name,
                    "migrationsHash": expected,
                }
            )
            return
        function_name = placement.labels.name("db-migrate")
        self.invocation = aws.lambda_.Invocation(
            placement.labels.name("db-migrate", "invocation"),
            function_name=self.function.name,
            input=migration_event(expected),
            # A new invocation when the migrations change, or the cluster is a new one. Only on
            # create (the default lifecycle scope): deleting it invokes nothing.
            triggers={"migrationsHash": expected, "clusterResourceId": args.cluster_resource_id},
            # The function's configuration and code are updated before it is invoked.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.function, *args.waits_for]),
        )
        self.result = self.invocation.result.apply(
            lambda answer: check_migration_result(answer, expected, function_name)
        )
        invocation: pulumi.Resource = self.invocation
        self.ready = self.result.apply(lambda _answer: invocation)
        self.register_outputs(
            {
                "functionName": self.function_name,
                "logGroupName": self.log_group.name,
                "migrationsHash": expected,
                "result": self.result,
            }
        )

    def _policy(
        self, partition: str, account: str, logs: str, vpc: list[dict[str, Any]]
    ) -> pulumi.Output[str]:
        args = self._args
        return pulumi.Output.all(args.placement.kms_key_arn, args.admin_secret_arn).apply(
            lambda v: migration_policy(
                kms_key_arn=v[0], log_group_arn=logs, admin_secret_arn=v[1], vpc_access=vpc
            )
        )
