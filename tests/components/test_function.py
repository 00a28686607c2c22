"""ApiFunction: packaging, VPC, environment, logs, dead letters, IAM and ordering."""

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
    ApiFunction,
    ApiFunctionArgs,
    execution_policy,
)
from tap.components.policies import lambda_vpc_access_statements
from tap.naming import region_code
from tap.packaging import API_HANDLER, PACKAGE_PATH, function_zip
from tap.plan import MOCK_ACCOUNT_ID, PlanMocks
from tests.conftest import PROJECT_DIR, is_taggable, labels_for, plan_program

# The mock engine's account, so the ARNs the policy builds match the ARNs the mocks return.
ACCOUNT = MOCK_ACCOUNT_ID
REGION = "us-west-2"
IAM_REGION = "us-east-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET_NAME = f"tap-test-usw2-data-{ACCOUNT}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET_NAME}"
SUBNETS = ("subnet-private-a", "subnet-private-b")
APP_SG = "sg-app"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!cluster-abc-AbCdEf"
CLUSTER_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:tap-test-usw2-aurora"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/tap-api@sha256:{'0' * 64}"

FUNCTION_NAME = "tap-test-usw2-api"
LOG_GROUP_NAME = f"/aws/lambda/{FUNCTION_NAME}"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP_NAME}"
DLQ_NAME = "tap-test-usw2-api-dlq"
DLQ_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{DLQ_NAME}"

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
COMPONENT = "tap:function:ApiFunction"

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


def make_args(source: Path, **overrides: Any) -> ApiFunctionArgs:
    args = ApiFunctionArgs(
        labels=labels_for(REGION),
        region=REGION,
        environment="dev",
        version="1.2.3",
        account_id=ACCOUNT,
        partition="aws",
        subnet_ids=list(SUBNETS),
        security_group_id=APP_SG,
        kms_key_arn=KEY,
        bucket_name=BUCKET_NAME,
        bucket_arn=BUCKET_ARN,
        memory_mb=512,
        timeout_seconds=20,
        reserved_concurrency=25,
        log_retention_days=30,
        source_dir=source,
    )
    return replace(args, **overrides)


def provider_for(region: str) -> aws.Provider:
    return aws.Provider(f"tap-test-{region_code(region)}-aws", region=region)


@cache
def build(source: Path, *, with_db: bool = False, image: bool = False) -> Resources:
    def program() -> None:
        extra: dict[str, Any] = {}
        if with_db:
            extra.update(db_secret_arn=SECRET_ARN, db_cluster_arn=CLUSTER_ARN)
        if image:
            extra.update(image_uri=IMAGE)
        ApiFunction(
            FUNCTION_NAME,
            make_args(source, iam_provider=provider_for(IAM_REGION), **extra),
            opts=pulumi.ResourceOptions(providers=[provider_for(REGION)]),
        )

    return tuple(plan_program(program)["resources"])


def one(resources: Resources, type_token: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["type"] == type_token]
    return found


def function_inputs(resources: Resources) -> dict[str, Any]:
    return dict(one(resources, FUNCTION)["inputs"])


def policy_statements(resources: Resources) -> list[dict[str, Any]]:
    return list(json.loads(one(resources, ROLE_POLICY)["inputs"]["policy"])["Statement"])


# --- packaging (pure) --------------------------------------------------------------------------


def test_default_source_dir_is_the_repos_api_function() -> None:
    assert PROJECT_DIR / "tap" / "functions" / "api" == DEFAULT_SOURCE_DIR
    assert ApiFunctionArgs.__dataclass_fields__["source_dir"].default == DEFAULT_SOURCE_DIR


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


def test_the_image_variant_ships_an_image_and_no_zip_settings(source_dir: Path) -> None:
    inputs = function_inputs(build(source_dir, image=True))
    assert inputs["packageType"] == "Image"
    assert inputs["imageUri"] == IMAGE
    for zip_only in ("handler", "runtime", "code"):
        assert zip_only not in inputs, zip_only
    assert inputs["architectures"] == ["arm64"]


def test_the_image_variant_needs_no_source_dir(tmp_path: Path) -> None:
    def program() -> None:
        ApiFunction(FUNCTION_NAME, make_args(tmp_path / "absent", image_uri=IMAGE))

    assert one(tuple(plan_program(program)["resources"]), FUNCTION)


# --- validation --------------------------------------------------------------------------------
# Runtime, memory, timeout, concurrency and retention are tap.config's to check
# (tests/test_config.py); the component checks what only its caller can get wrong.


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"region": "eu-central-1"}, "ApiFunction for eu-central-1 carries labels of us-west-2"),
        ({"source_dir": Path("/nonexistent/tap-api")}, "is not a directory"),
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


# --- the function ------------------------------------------------------------------------------


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
    assert function_inputs(build(source_dir))["vpcConfig"] == {
        "subnetIds": list(SUBNETS),
        "securityGroupIds": [APP_SG],
    }


def test_environment_holds_exactly_names_and_arns(source_dir: Path) -> None:
    base = {
        "TAP_BUCKET_NAME": BUCKET_NAME,
        "TAP_REGION": REGION,
        "TAP_ENVIRONMENT": "dev",
        "TAP_VERSION": "1.2.3",
        "TAP_KMS_KEY_ARN": KEY,
    }
    assert function_inputs(build(source_dir))["environment"] == {"variables": base}
    assert function_inputs(build(source_dir, with_db=True))["environment"] == {
        "variables": {**base, "TAP_DB_SECRET_ARN": SECRET_ARN, "TAP_DB_CLUSTER_ARN": CLUSTER_ARN}
    }


def test_failed_async_invocations_go_to_an_encrypted_dead_letter_queue(source_dir: Path) -> None:
    resources = build(source_dir)
    queue = one(resources, QUEUE)
    assert queue["name"] == DLQ_NAME
    assert queue["inputs"]["name"] == DLQ_NAME
    assert queue["inputs"]["kmsMasterKeyId"] == KEY
    assert queue["inputs"]["kmsDataKeyReusePeriodSeconds"] == 300
    assert queue["inputs"]["messageRetentionSeconds"] == 14 * 24 * 3600
    assert function_inputs(resources)["deadLetterConfig"] == {"targetArn": DLQ_ARN}


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
    for type_token in (LOG_GROUP, ROLE_POLICY, ROLE, QUEUE):
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


def test_the_role_attaches_no_managed_policy(source_dir: Path) -> None:
    # AWSLambdaVPCAccessExecutionRole grants its EC2 actions on any resource; the inline policy
    # grants the same actions scoped to the function's subnets and security group.
    for resources in (build(source_dir), build(source_dir, with_db=True)):
        assert [r for r in resources if r["type"] == ATTACHMENT] == []
        assert "managedPolicyArns" not in one(resources, ROLE)["inputs"]


EC2 = f"arn:aws:ec2:{REGION}:{ACCOUNT}"
SUBNET_ARNS = [f"{EC2}:subnet/{subnet}" for subnet in SUBNETS]
EXPECTED_STATEMENTS: list[dict[str, Any]] = [
    {
        "Sid": "ReadWriteRecords",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": f"{BUCKET_ARN}/records/*",
    },
    {
        "Sid": "ListRecords",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": BUCKET_ARN,
    },
    {
        "Sid": "UseRegionKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": KEY,
    },
    {
        "Sid": "WriteOwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [LOG_GROUP_ARN, f"{LOG_GROUP_ARN}:log-stream:*"],
    },
    {
        "Sid": "SendToDeadLetterQueue",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": DLQ_ARN,
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
SECRET_STATEMENT = {
    "Sid": "ReadDatabaseSecret",
    "Effect": "Allow",
    "Action": "secretsmanager:GetSecretValue",
    "Resource": SECRET_ARN,
}


def test_execution_policy_is_exactly_these_statements() -> None:
    arns: dict[str, Any] = {
        "bucket_arn": BUCKET_ARN,
        "kms_key_arn": KEY,
        "log_group_arn": LOG_GROUP_ARN,
        "dead_letter_queue_arn": DLQ_ARN,
    }
    vpc_access = lambda_vpc_access_statements(
        partition="aws",
        region=REGION,
        account_id=ACCOUNT,
        subnet_ids=SUBNETS,
        security_group_id=APP_SG,
    )
    arns = {**arns, "vpc_access": vpc_access}
    assert json.loads(execution_policy(**arns)) == {
        "Version": "2012-10-17",
        "Statement": EXPECTED_STATEMENTS,
    }
    assert json.loads(execution_policy(**arns, db_secret_arn=SECRET_ARN))["Statement"] == [
        *EXPECTED_STATEMENTS,
        SECRET_STATEMENT,
    ]


def test_the_planned_inline_policy_names_the_planned_resources(source_dir: Path) -> None:
    assert policy_statements(build(source_dir)) == EXPECTED_STATEMENTS
    with_db = build(source_dir, with_db=True)
    assert policy_statements(with_db) == [*EXPECTED_STATEMENTS, SECRET_STATEMENT]
    # The ARNs the policy builds are the ones the resources really have.
    assert function_inputs(with_db)["deadLetterConfig"]["targetArn"] == DLQ_ARN
    assert one(with_db, ROLE_POLICY)["inputs"]["role"] == "tap-test-usw2-api-role"


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
    for statements in (
        policy_statements(build(source_dir)),
        policy_statements(build(source_dir, with_db=True)),
    ):
        assert {s["Effect"] for s in statements} == {"Allow"}
        for statement in statements:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert "*" not in action, action
        on_anything = [s for s in statements if s["Resource"] == "*"]
        assert [s["Sid"] for s in on_anything] == ["WriteXRayTraces", "DescribeNetworkInterfaces"]
        assert {a for s in on_anything for a in s["Action"]} == UNSCOPABLE
        narrow = [s for s in statements if s["Resource"] != "*"]
        for statement in narrow:
            resources = statement["Resource"]
            for resource in [resources] if isinstance(resources, str) else resources:
                assert resource.startswith("arn:aws:"), resource


def test_iam_goes_through_the_iam_provider_and_the_rest_stays_regional(source_dir: Path) -> None:
    resources = build(source_dir)
    for type_token in (ROLE, ROLE_POLICY):
        assert one(resources, type_token)["region"] == IAM_REGION, type_token
    for type_token in (FUNCTION, LOG_GROUP, QUEUE):
        assert one(resources, type_token)["region"] == REGION, type_token


def test_everything_is_a_named_tagged_child_of_the_component(source_dir: Path) -> None:
    resources = build(source_dir)
    component = one(resources, COMPONENT)
    children = [r for r in resources if r["type"].startswith("aws:")]
    assert {r["type"] for r in children} == {
        FUNCTION,
        LOG_GROUP,
        QUEUE,
        ROLE,
        ROLE_POLICY,
    }
    for resource in children:
        assert resource["parent"] == component["urn"], resource["urn"]
        assert resource["name"].startswith("tap-test-usw2-api"), resource["name"]
        if is_taggable(resource["type"]):
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"
            assert tags["Region"] == REGION


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
