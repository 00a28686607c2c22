"""ApiFunction and MigrationFunction: packaging, VPC, environment, logs, IAM, the migration's
invocation and the order the deploy follows."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.components.function import (
    DEFAULT_SOURCE_DIR,
    MIGRATION_TIMEOUT_SECONDS,
    ApiFunction,
    ApiFunctionArgs,
    DatabaseEndpoint,
    FunctionPlacement,
    MigrationFailed,
    MigrationFunction,
    MigrationFunctionArgs,
    check_migration_result,
    db_user_arn,
    execution_policy,
    migration_policy,
)
from tap.components.policies import lambda_vpc_access_statements
from tap.functions.api import db
from tap.functions.api.migrate import migrations_hash
from tap.naming import region_code
from tap.packaging import API_HANDLER, MIGRATION_HANDLER, PACKAGE_PATH, function_zip
from tap.plan import MOCK_ACCOUNT_ID, PlanMocks
from tests.conftest import PROJECT_DIR, is_taggable, labels_for, plan_program

# The mock engine's account, so the ARNs the policy builds match the ARNs the mocks return.
ACCOUNT = MOCK_ACCOUNT_ID
REGION = "us-west-2"
IAM_REGION = "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUBNETS = ("subnet-private-a", "subnet-private-b")
APP_SG = "sg-app"
HOST = "tap-test-usw2-aurora.cluster-ro-abc.us-west-2.rds.amazonaws.com"
WRITER_HOST = "tap-test-usw2-aurora.cluster-abc.us-west-2.rds.amazonaws.com"
RESOURCE_ID = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:tap-test-use1-aurora-master-AbCdEf"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/tap-api@sha256:{'0' * 64}"

FUNCTION_NAME = "tap-test-usw2-api"
LOG_GROUP_NAME = f"/aws/lambda/{FUNCTION_NAME}"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP_NAME}"
DB_USER_ARN = f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{RESOURCE_ID}/tap_app"
MIGRATE_NAME = "tap-test-usw2-db-migrate"
MIGRATE_LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/{MIGRATE_NAME}"

FUNCTION = "aws:lambda/function:Function"
INVOCATION = "aws:lambda/invocation:Invocation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
COMPONENT = "tap:function:ApiFunction"
MIGRATION_COMPONENT = "tap:function:MigrationFunction"

Resources = tuple[dict[str, Any], ...]

# A source tree with what a working copy really holds: caches, bytecode, non-Python files.
SOURCE_TREE = {
    "handler.py": "def handler(event, context):\n    return {}\n",
    "records.py": "RECORDS = 'records/'\n",
    "migrations/0001_first.sql": "SELECT 1;\n",
    "__pycache__/handler.cpython-312.pyc": "bytecode",
    "__pycache__/stale.py": "# never shipped\n",
    "records.pyc": "bytecode",
    "README.md": "# notes\n",
    "requirements.txt": "boto3\n",
}
SHIPPED = ["handler.py", "migrations/0001_first.sql", "records.py"]


def write_tree(root: Path, tree: dict[str, str]) -> Path:
    # Written in reverse order, so a listing that merely follows creation order fails.
    for relative, text in reversed(tree.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture(scope="module")
def source_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tree(tmp_path_factory.mktemp("api-source"), SOURCE_TREE)


def placement(source: Path, **overrides: Any) -> FunctionPlacement:
    return replace(
        FunctionPlacement(
            labels=labels_for(REGION),
            region=REGION,
            account_id=ACCOUNT,
            partition="aws",
            subnet_ids=list(SUBNETS),
            security_group_id=APP_SG,
            kms_key_arn=KEY,
            log_retention_days=30,
            source_dir=source,
        ),
        **overrides,
    )


def endpoint(**overrides: Any) -> DatabaseEndpoint:
    return replace(
        DatabaseEndpoint(host=HOST, database_name="tap", cluster_resource_id=RESOURCE_ID),
        **overrides,
    )


def make_args(source: Path, **overrides: Any) -> ApiFunctionArgs:
    where = overrides.pop("placement", {})
    args = ApiFunctionArgs(
        placement=placement(source, **where),
        environment="dev",
        version="1.2.3",
        database=endpoint(),
        memory_mb=512,
        timeout_seconds=20,
        reserved_concurrency=25,
    )
    return replace(args, **overrides)


def migration_args(source: Path, **overrides: Any) -> MigrationFunctionArgs:
    where = overrides.pop("placement", {})
    args = MigrationFunctionArgs(
        placement=placement(source, **where),
        host=WRITER_HOST,
        database_name="tap",
        admin_secret_arn=SECRET_ARN,
        cluster_resource_id=RESOURCE_ID,
    )
    return replace(args, **overrides)


def provider_for(region: str) -> aws.Provider:
    return aws.Provider(f"tap-test-{region_code(region)}-aws", region=region)


@cache
def build(source: Path, *, image: bool = False, forwarding: str | None = None) -> Resources:
    def program() -> None:
        where: dict[str, Any] = {"iam_provider": provider_for(IAM_REGION)}
        if image:
            where["image_uri"] = IMAGE
        ApiFunction(
            FUNCTION_NAME,
            make_args(source, placement=where, database=endpoint(write_forwarding=forwarding)),
            opts=pulumi.ResourceOptions(providers=[provider_for(REGION)]),
        )

    return tuple(plan_program(program)["resources"])


@cache
def build_ordered(source: Path, *, image: bool = False) -> Resources:
    """The migration and an API function waiting for its checked result, as the stack wires
    them."""

    def program() -> None:
        where: dict[str, Any] = {"iam_provider": provider_for(IAM_REGION)}
        if image:
            where["image_uri"] = IMAGE
        regional = pulumi.ResourceOptions(providers=[provider_for(REGION)])
        migration = MigrationFunction(
            "tap-test-usw2-db-migration", migration_args(source, placement=where), opts=regional
        )
        ApiFunction(
            FUNCTION_NAME,
            make_args(source, placement=where, schema_ready=migration.ready),
            opts=regional,
        )

    return tuple(plan_program(program)["resources"])


def one(resources: Resources, type_token: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [
        r for r in resources if r["type"] == type_token and (name is None or r["name"] == name)
    ]
    return found


def function_inputs(resources: Resources, name: str = FUNCTION_NAME) -> dict[str, Any]:
    return dict(one(resources, FUNCTION, name)["inputs"])


def policy_statements(resources: Resources, name: str = "tap-test-usw2-api-policy") -> list[Any]:
    return list(json.loads(one(resources, ROLE_POLICY, name)["inputs"]["policy"])["Statement"])


# --- packaging ---------------------------------------------------------------------------------


def test_default_source_dir_is_the_repos_api_function() -> None:
    assert PROJECT_DIR / "tap" / "functions" / "api" == DEFAULT_SOURCE_DIR
    assert FunctionPlacement.__dataclass_fields__["source_dir"].default == DEFAULT_SOURCE_DIR


def test_the_zip_is_the_reproducible_archive_of_the_source_dir(source_dir: Path) -> None:
    inputs = function_inputs(build(source_dir))
    assert inputs["packageType"] == "Zip"
    assert inputs["handler"] == API_HANDLER == "tap.functions.api.handler.handler"
    assert inputs["runtime"] == "python3.12"
    assert "imageUri" not in inputs
    built = function_zip(source_dir, "python3.12", "arm64")
    # The manifest shows the zip by its repo-relative path, which carries its content hash.
    assert inputs["code"] == {"<archive>": {"path": built.relative_to(PROJECT_DIR).as_posix()}}
    with zipfile.ZipFile(built) as archive:
        shipped = sorted(
            name.removeprefix(f"{PACKAGE_PATH}/")
            for name in archive.namelist()
            if name.startswith(f"{PACKAGE_PATH}/")
        )
    assert shipped == SHIPPED


def test_the_migration_function_runs_the_same_zip_with_its_own_handler(source_dir: Path) -> None:
    resources = build_ordered(source_dir)
    api = function_inputs(resources)
    migrate = function_inputs(resources, MIGRATE_NAME)
    assert migrate["code"] == api["code"]
    assert migrate["handler"] == MIGRATION_HANDLER == "tap.functions.api.migrate.handler"
    assert migrate["timeout"] == MIGRATION_TIMEOUT_SECONDS == 900
    assert migrate["memorySize"] == 256
    assert migrate["reservedConcurrentExecutions"] == 1


def test_the_image_variant_ships_an_image_and_no_zip_settings(source_dir: Path) -> None:
    inputs = function_inputs(build(source_dir, image=True))
    assert inputs["packageType"] == "Image"
    assert inputs["imageUri"] == IMAGE
    for zip_only in ("handler", "runtime", "code"):
        assert zip_only not in inputs, zip_only
    assert inputs["architectures"] == ["arm64"]
    # The image's CMD is the API's handler.
    assert "imageConfig" not in inputs


def test_the_migration_image_overrides_the_command_with_its_handler(source_dir: Path) -> None:
    inputs = function_inputs(build_ordered(source_dir, image=True), MIGRATE_NAME)
    assert inputs["packageType"] == "Image"
    assert inputs["imageConfig"] == {"commands": [MIGRATION_HANDLER]}
    # The Dockerfile documents the same command for the migration function.
    dockerfile = (DEFAULT_SOURCE_DIR / "Dockerfile").read_text()
    assert f'["{MIGRATION_HANDLER}"]' in dockerfile


def test_the_image_variant_needs_no_source_dir(tmp_path: Path) -> None:
    def program() -> None:
        ApiFunction(
            FUNCTION_NAME,
            make_args(tmp_path / "absent", placement={"image_uri": IMAGE}),
        )

    assert one(tuple(plan_program(program)["resources"]), FUNCTION)


# --- validation --------------------------------------------------------------------------------
# Runtime, memory, timeout, concurrency and retention are tap.config's to check
# (tests/config); the components check what only their caller can get wrong.


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"placement": {"region": "eu-central-1"}},
            "ApiFunction for eu-central-1 carries labels of us-west-2",
        ),
        ({"placement": {"source_dir": Path("/nonexistent/tap-api")}}, "is not a directory"),
        (
            {"database": DatabaseEndpoint(HOST, "tap", RESOURCE_ID, write_forwarding="OFF")},
            "write_forwarding must be one of session, eventual, global, got 'OFF'",
        ),
        (
            {"database": DatabaseEndpoint(HOST, "tap", RESOURCE_ID, port=0)},
            "port must be 1-65535, got 0",
        ),
        (
            {"database": DatabaseEndpoint(HOST, "tap", RESOURCE_ID, connect_timeout_seconds=61)},
            "connect_timeout_seconds must be 1-60, got 61",
        ),
    ],
)
def test_bad_args_register_nothing(
    source_dir: Path, overrides: dict[str, Any], message: str
) -> None:
    errors: list[str] = []

    def program() -> None:
        try:
            ApiFunction(FUNCTION_NAME, make_args(source_dir, **overrides))
        except ValueError as error:
            errors.append(str(error))

    resources = plan_program(program)["resources"]
    assert len(errors) == 1
    assert message in errors[0]
    # Only the program's own stack: no component, no AWS resource.
    assert [r["type"] for r in resources] == ["pulumi:pulumi:Stack"]


def test_bad_migrations_register_nothing(source_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "0002_second.sql").write_text("SELECT 2;\n")
    errors: list[str] = []

    def program() -> None:
        try:
            MigrationFunction("m", migration_args(source_dir, migrations_dir=tmp_path))
        except ValueError as error:
            errors.append(str(error))

    resources = plan_program(program)["resources"]
    assert errors == [
        f"the migrations in {tmp_path}: migration versions must run 1, 2, 3, ... without gaps "
        "or repeats; 0002_second is where 0001 should be"
    ]
    assert [r["type"] for r in resources] == ["pulumi:pulumi:Stack"]


# --- the API function --------------------------------------------------------------------------


def test_limits_tracing_encryption_and_architecture_are_explicit(source_dir: Path) -> None:
    inputs = function_inputs(build(source_dir))
    assert inputs["name"] == FUNCTION_NAME
    assert inputs["memorySize"] == 512
    assert inputs["timeout"] == 20
    assert inputs["reservedConcurrentExecutions"] == 25
    assert inputs["tracingConfig"] == {"mode": "Active"}
    assert inputs["kmsKeyArn"] == KEY
    assert inputs["architectures"] == ["arm64"]


def test_the_function_runs_in_the_private_subnets_behind_the_app_group(source_dir: Path) -> None:
    for resources in (build(source_dir), build_ordered(source_dir)):
        for name in {r["name"] for r in resources if r["type"] == FUNCTION}:
            assert function_inputs(resources, name)["vpcConfig"] == {
                "subnetIds": list(SUBNETS),
                "securityGroupIds": [APP_SG],
            }


def test_the_environment_is_the_handlers_database_contract_and_no_password(
    source_dir: Path,
) -> None:
    base = {
        "TAP_REGION": REGION,
        "TAP_ENVIRONMENT": "dev",
        "TAP_VERSION": "1.2.3",
        "TAP_DB_HOST": HOST,
        "TAP_DB_PORT": "5432",
        "TAP_DB_NAME": "tap",
        "TAP_DB_USER": "tap_app",
    }
    assert function_inputs(build(source_dir))["environment"] == {"variables": base}
    assert function_inputs(build(source_dir, forwarding="global"))["environment"] == {
        "variables": {**base, "TAP_DB_WRITE_FORWARDING": "global"}
    }
    # What the handler itself makes of it: IAM authentication as tap_app, verified TLS.
    settings, login = db.resolve(base) or (None, None)
    assert settings is not None and isinstance(login, db.IamLogin)
    assert (settings.host, settings.port, settings.database) == (HOST, 5432, "tap")
    assert (login.user, login.region, settings.sslmode) == ("tap_app", REGION, "verify-full")
    forwarded, _ = db.resolve({**base, "TAP_DB_WRITE_FORWARDING": "global"}) or (None, None)
    assert forwarded is not None
    assert forwarded.startup_parameters()["apg_write_forward.consistency_mode"] == "global"


def test_a_connect_timeout_is_set_only_when_asked(source_dir: Path) -> None:
    def program() -> None:
        ApiFunction(
            FUNCTION_NAME,
            make_args(source_dir, database=endpoint(connect_timeout_seconds=10)),
        )

    inputs = function_inputs(tuple(plan_program(program)["resources"]))
    assert inputs["environment"]["variables"]["TAP_DB_CONNECT_TIMEOUT_SECONDS"] == "10"
    assert "TAP_DB_CONNECT_TIMEOUT_SECONDS" not in json.dumps(function_inputs(build(source_dir)))


def test_no_dead_letter_queue_and_no_bucket(source_dir: Path) -> None:
    # API Gateway invokes synchronously: a dead-letter queue would never receive anything.
    resources = build(source_dir)
    assert [r for r in resources if r["type"] == QUEUE] == []
    assert "deadLetterConfig" not in function_inputs(resources)
    assert "s3:" not in json.dumps(policy_statements(resources))


def test_the_function_logs_json_to_its_own_encrypted_group(source_dir: Path) -> None:
    resources = build(source_dir)
    group = one(resources, LOG_GROUP)
    assert group["inputs"]["name"] == LOG_GROUP_NAME
    assert group["inputs"]["retentionInDays"] == 30
    assert group["inputs"]["kmsKeyId"] == KEY
    assert function_inputs(resources)["loggingConfig"] == {
        "logFormat": "JSON",
        "logGroup": LOG_GROUP_NAME,
    }


def test_the_function_waits_for_its_log_group_and_its_permissions(source_dir: Path) -> None:
    resources = build(source_dir)
    dependencies = one(resources, FUNCTION)["dependencies"]
    for type_token in (LOG_GROUP, ROLE_POLICY, ROLE):
        assert one(resources, type_token)["urn"] in dependencies, type_token


# --- IAM ---------------------------------------------------------------------------------------


def test_only_lambda_for_this_account_assumes_the_role(source_dir: Path) -> None:
    resources = build(source_dir)
    role = one(resources, ROLE)
    assert role["inputs"]["name"] == "tap-test-usw2-api-role"
    assert json.loads(role["inputs"]["assumeRolePolicy"]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowServiceToAssume",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
    }
    assert function_inputs(resources)["role"] == f"arn:aws:iam::{ACCOUNT}:role/{role['name']}"


def test_the_roles_attach_no_managed_policy(source_dir: Path) -> None:
    # AWSLambdaVPCAccessExecutionRole grants its EC2 actions on any resource; the inline policy
    # grants the same actions scoped to the function's subnets and security group.
    resources = build_ordered(source_dir)
    assert [r for r in resources if r["type"] == ATTACHMENT] == []
    for role in (r for r in resources if r["type"] == ROLE):
        assert "managedPolicyArns" not in role["inputs"]


EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"
SUBNET_ARNS = [f"{EC2}:subnet/{subnet}" for subnet in SUBNETS]
VPC_ACCESS = lambda_vpc_access_statements(
    partition="aws", region=REGION, account_id=ACCOUNT, subnet_ids=SUBNETS, security_group_id=APP_SG
)


def common_statements(log_group_arn: str) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "DecryptWithRegionKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KEY,
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
        {
            "Sid": "CreateNetworkInterfacesInFunctionSubnets",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": [
                f"{EC2}:network-interface/*",
                *SUBNET_ARNS,
                f"{EC2}:security-group/{APP_SG}",
            ],
        },
        {
            "Sid": "ManageNetworkInterfacesInFunctionSubnets",
            "Effect": "Allow",
            "Action": [
                "ec2:AssignPrivateIpAddresses",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": f"{EC2}:*/*",
            "Condition": {"ArnEqualsIfExists": {"ec2:Subnet": SUBNET_ARNS}},
        },
        {
            "Sid": "DescribeNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
    ]


API_STATEMENTS: list[dict[str, Any]] = [
    {
        "Sid": "ConnectAsAppUser",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": DB_USER_ARN,
    },
    *common_statements(LOG_GROUP_ARN),
]
MIGRATION_STATEMENTS: list[dict[str, Any]] = [
    {
        "Sid": "ReadMasterSecret",
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": SECRET_ARN,
    },
    *common_statements(MIGRATE_LOG_GROUP_ARN),
]


def test_db_user_arn_names_one_user_of_one_cluster() -> None:
    assert (
        db_user_arn(
            partition="aws-cn",
            region="cn-north-1",
            account_id=ACCOUNT,
            cluster_resource_id=RESOURCE_ID,
            user="tap_app",
        )
        == f"arn:aws-cn:rds-db:cn-north-1:{ACCOUNT}:dbuser:{RESOURCE_ID}/tap_app"
    )


def test_the_policies_are_exactly_these_statements() -> None:
    api = execution_policy(
        kms_key_arn=KEY, log_group_arn=LOG_GROUP_ARN, db_user_arn=DB_USER_ARN, vpc_access=VPC_ACCESS
    )
    assert json.loads(api) == {"Version": "2012-10-17", "Statement": API_STATEMENTS}
    migration = migration_policy(
        kms_key_arn=KEY,
        log_group_arn=MIGRATE_LOG_GROUP_ARN,
        admin_secret_arn=SECRET_ARN,
        vpc_access=VPC_ACCESS,
    )
    assert json.loads(migration) == {"Version": "2012-10-17", "Statement": MIGRATION_STATEMENTS}


def test_the_planned_inline_policies_name_the_planned_resources(source_dir: Path) -> None:
    resources = build_ordered(source_dir)
    assert policy_statements(resources) == API_STATEMENTS
    assert policy_statements(resources, "tap-test-usw2-db-migrate-policy") == MIGRATION_STATEMENTS
    assert one(resources, ROLE_POLICY, "tap-test-usw2-api-policy")["inputs"]["role"] == (
        "tap-test-usw2-api-role"
    )
    # The API's role connects to the database; only the migration's reads the secret.
    assert "secretsmanager" not in json.dumps(policy_statements(resources))
    assert "rds-db" not in json.dumps(
        policy_statements(resources, "tap-test-usw2-db-migrate-policy")
    )


# Actions that support no resource-level permissions (Service Authorization Reference).
UNSCOPABLE = {
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
}


def test_no_wildcard_action_and_any_resource_only_where_aws_has_no_scope(
    source_dir: Path,
) -> None:
    resources = build_ordered(source_dir)
    for statements in (
        policy_statements(resources),
        policy_statements(resources, "tap-test-usw2-db-migrate-policy"),
    ):
        assert {s["Effect"] for s in statements} == {"Allow"}
        for statement in statements:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert "*" not in action, action
        on_anything = [s for s in statements if s["Resource"] == "*"]
        assert [s["Sid"] for s in on_anything] == ["WriteXRayTraces", "DescribeNetworkInterfaces"]
        assert {a for s in on_anything for a in s["Action"]} == UNSCOPABLE
        for statement in (s for s in statements if s["Resource"] != "*"):
            resources_of = statement["Resource"]
            for resource in [resources_of] if isinstance(resources_of, str) else resources_of:
                assert resource.startswith("arn:aws:"), resource


def test_iam_goes_through_the_iam_provider_and_the_rest_stays_regional(source_dir: Path) -> None:
    resources = build_ordered(source_dir)
    for resource in resources:
        if resource["type"] in (ROLE, ROLE_POLICY):
            assert resource["region"] == IAM_REGION, resource["name"]
        elif resource["type"] in (FUNCTION, LOG_GROUP, INVOCATION):
            assert resource["region"] == REGION, resource["name"]


def test_everything_is_a_named_tagged_child_of_its_component(source_dir: Path) -> None:
    resources = build_ordered(source_dir)
    components = {r["type"]: r for r in resources if r["type"] in (COMPONENT, MIGRATION_COMPONENT)}
    children = [r for r in resources if r["type"].startswith("aws:")]
    assert {r["type"] for r in children} == {FUNCTION, LOG_GROUP, ROLE, ROLE_POLICY, INVOCATION}
    for resource in children:
        migration = resource["name"].startswith(MIGRATE_NAME)
        parent = components[MIGRATION_COMPONENT if migration else COMPONENT]
        assert resource["parent"] == parent["urn"], resource["urn"]
        assert resource["name"].startswith(MIGRATE_NAME if migration else FUNCTION_NAME)
        if is_taggable(resource["type"]):
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"
            assert tags["Region"] == REGION


# --- the migration at deploy -------------------------------------------------------------------


def test_the_migration_function_logs_in_with_the_secret_at_the_writer(source_dir: Path) -> None:
    inputs = function_inputs(build_ordered(source_dir), MIGRATE_NAME)
    variables = inputs["environment"]["variables"]
    assert variables == {
        "TAP_REGION": REGION,
        "TAP_DB_HOST": WRITER_HOST,
        "TAP_DB_PORT": "5432",
        "TAP_DB_NAME": "tap",
        "TAP_DB_ADMIN_SECRET_ARN": SECRET_ARN,
    }
    # What the migration handler makes of it: the secret's login, not IAM.
    settings, login = db.resolve(variables, admin=True) or (None, None)
    assert settings is not None and isinstance(login, db.SecretLogin)
    assert (login.secret_arn, login.region, settings.host) == (SECRET_ARN, REGION, WRITER_HOST)


def test_the_invocation_sends_the_migrations_hash_and_reruns_when_it_changes(
    source_dir: Path,
) -> None:
    resources = build_ordered(source_dir)
    invocation = one(resources, INVOCATION)
    expected = migrations_hash(source_dir / "migrations")
    assert invocation["name"] == "tap-test-usw2-db-migrate-invocation"
    assert json.loads(invocation["inputs"]["input"]) == {"migrationsHash": expected}
    assert invocation["inputs"]["functionName"] == MIGRATE_NAME
    assert invocation["inputs"]["triggers"] == {
        "migrationsHash": expected,
        "clusterResourceId": RESOURCE_ID,
    }
    # Only on create or replacement: deleting it invokes nothing.
    assert "lifecycleScope" not in invocation["inputs"]


def test_the_order_function_then_invocation_then_the_apis_new_code(source_dir: Path) -> None:
    resources = build_ordered(source_dir)
    migrate = one(resources, FUNCTION, MIGRATE_NAME)
    invocation = one(resources, INVOCATION)
    api = one(resources, FUNCTION, FUNCTION_NAME)
    assert migrate["urn"] in invocation["dependencies"]
    assert invocation["urn"] in api["dependencies"]
    assert api["urn"] not in migrate["dependencies"]


def test_the_invocation_waits_for_what_the_first_login_needs(source_dir: Path) -> None:
    def program() -> None:
        instance = aws.rds.ClusterInstance(
            "tap-test-usw2-aurora-0",
            cluster_identifier="c",
            instance_class="db.r6g.large",
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
        )
        MigrationFunction("m", migration_args(source_dir, waits_for=[instance]))

    resources = tuple(plan_program(program)["resources"])
    instance = one(resources, "aws:rds/clusterInstance:ClusterInstance")
    assert instance["urn"] in one(resources, INVOCATION)["dependencies"]


HASH = "a" * 64


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "did not answer with JSON ('nothing')"),
        ("not json", "did not answer with JSON ('not json')"),
        ('{"status": "skipped", "migrationsHash": "x"}', "did not migrate the database"),
        ('["applied"]', "did not migrate the database"),
        (
            json.dumps({"status": "applied", "migrationsHash": "b" * 64}),
            "applied migrations bbbbbbbbbbbb, but this deploy carries aaaaaaaaaaaa",
        ),
    ],
)
def test_an_answer_that_is_not_a_finished_migration_fails_the_deploy(
    answer: str | None, message: str
) -> None:
    with pytest.raises(MigrationFailed) as caught:
        check_migration_result(answer, HASH, MIGRATE_NAME)
    assert message in str(caught.value)
    assert MIGRATE_NAME in str(caught.value)
    assert isinstance(caught.value, pulumi.RunError)  # the engine prints it without a traceback


@pytest.mark.parametrize("status", ["applied", "up_to_date"])
def test_a_finished_migration_is_the_answer(status: str) -> None:
    answer = {"status": status, "applied": [], "version": 3, "migrationsHash": HASH}
    assert check_migration_result(json.dumps(answer), HASH, MIGRATE_NAME) == answer


class FailingMigration(PlanMocks):
    """A cloud whose migration function answers that it did not migrate."""

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == INVOCATION:
            state["result"] = json.dumps({"status": "skipped", "migrationsHash": HASH})
        return resource_id, state


def test_a_failed_migration_stops_the_apis_new_code(source_dir: Path) -> None:
    from tap.plan import run_under_mocks  # noqa: PLC0415

    registered: list[tuple[str, str]] = []

    class Recording(FailingMigration):
        def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
            registered.append((args.typ, args.name))
            return super().new_resource(args)

    def program() -> None:
        migration = MigrationFunction("m", migration_args(source_dir))
        ApiFunction(FUNCTION_NAME, make_args(source_dir, schema_ready=migration.ready))

    with pytest.raises(Exception) as caught:
        run_under_mocks(program, stack="test", mocks=Recording("us-east-1"))
    assert "did not migrate the database" in str(caught.value)
    assert (INVOCATION, f"{MIGRATE_NAME}-invocation") in registered
    assert (FUNCTION, MIGRATE_NAME) in registered
    assert (FUNCTION, FUNCTION_NAME) not in registered  # the API's code never changed


# --- outputs -----------------------------------------------------------------------------------


@pulumi.runtime.test
def test_outputs_expose_the_function_arn_and_invoke_arn(
    pulumi_mocks: PlanMocks, source_dir: Path
) -> pulumi.Output[None]:
    function = ApiFunction(FUNCTION_NAME, make_args(source_dir))
    # No explicit provider here: the mocks fall back to their default region.
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{FUNCTION_NAME}"

    def check(values: list[str]) -> None:
        assert values == [
            FUNCTION_NAME,
            arn,
            f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
            f"arn:aws:iam::{ACCOUNT}:role/tap-test-usw2-api-role",
            LOG_GROUP_NAME,
        ]

    return pulumi.Output.all(
        function.function_name,
        function.function_arn,
        function.invoke_arn,
        function.role.arn,
        function.log_group.name,
    ).apply(check)


@pulumi.runtime.test
def test_the_migration_result_is_the_functions_checked_answer(
    pulumi_mocks: PlanMocks, source_dir: Path
) -> pulumi.Output[None]:
    migration = MigrationFunction("m", migration_args(source_dir))
    expected = migrations_hash(source_dir / "migrations")
    assert migration.migrations_hash == expected

    def check(answer: Any) -> None:
        assert answer["status"] == "up_to_date"
        assert answer["migrationsHash"] == expected

    assert migration.result is not None
    return migration.result.apply(check)
