"""MasterSecretRotation: the function, its scoped role, the schedule and who may invoke it."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap import awsdata
from tap.components.function import FunctionPlacement
from tap.components.rotation import (
    ROTATION_HANDLER,
    MasterSecretRotation,
    MasterSecretRotationArgs,
)
from tap.components.signing import SignedCode
from tap.plan import MOCK_ACCOUNT_ID
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

REGION = "us-east-1"
SECRET = f"arn:aws:secretsmanager:{REGION}:{MOCK_ACCOUNT_ID}:secret:tap-test-use1-aurora-master-Ab"
KEY = f"arn:aws:kms:{REGION}:{MOCK_ACCOUNT_ID}:key/primary"
REPLICA_KEY = f"arn:aws:kms:us-west-2:{MOCK_ACCOUNT_ID}:key/replica"
HOST = "tap-test-use1-aurora.cluster-abc.us-east-1.rds.amazonaws.com"

FUNCTION = "aws:lambda/function:Function"
POLICY = "aws:iam/rolePolicy:RolePolicy"
ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
PERMISSION = "aws:lambda/permission:Permission"

Resources = tuple[dict[str, Any], ...]


def rotation_args(
    *, region: str = REGION, signed_code: SignedCode | None = None, **overrides: Any
) -> MasterSecretRotationArgs:
    values: dict[str, Any] = {
        "placement": FunctionPlacement(
            labels=labels_for(REGION),
            region=region,
            account_id=MOCK_ACCOUNT_ID,
            partition="aws",
            subnet_ids=["subnet-a", "subnet-b"],
            security_group_id="sg-app",
            kms_key_arn=KEY,
            log_retention_days=365,
            signed_code=signed_code,
        ),
        "secret_arn": SECRET,
        "secret_name": "tap-test-use1-aurora-master",
        "replica_key_arns": {"us-west-2": REPLICA_KEY},
        "db_host": HOST,
        "db_name": "tap",
        "rotation_days": 30,
    }
    values.update(overrides)
    return MasterSecretRotationArgs(**values)


@cache
def build(signed: bool = False) -> Resources:
    def program() -> None:
        extra: dict[str, Any] = {}
        if signed:
            extra["signed_code"] = SignedCode("artifacts", "signed/job.zip", "arn:csc")
        MasterSecretRotation(
            "tap-test-use1-secret-rotation",
            rotation_args(**extra),
            opts=pulumi.ResourceOptions(providers=[aws.Provider("p", region=REGION)]),
        )

    return tuple(plan_program(program)["resources"])


def one(resources: Resources, type_token: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["type"] == type_token]
    return found


def test_the_function_runs_the_rotation_handler_in_the_vpc_against_the_writer() -> None:
    function = one(build(), FUNCTION)["inputs"]
    assert function["handler"] == ROTATION_HANDLER == "tap.functions.api.rotate.handler"
    assert function["vpcConfig"] == {
        "subnetIds": ["subnet-a", "subnet-b"],
        "securityGroupIds": ["sg-app"],
    }
    assert function["environment"]["variables"] == {
        "TAP_DB_HOST": HOST,
        "TAP_DB_PORT": "5432",
        "TAP_DB_NAME": "tap",
        "TAP_REGION": REGION,
        "TAP_DB_ADMIN_SECRET_ARN": SECRET,
    }
    assert function["kmsKeyArn"] == KEY
    assert function["tracingConfig"] == {"mode": "Active"}
    assert function["reservedConcurrentExecutions"] == 1
    # The API's zip: same driver, same TLS code.
    assert function["code"]["<archive>"]["path"].startswith(".build/lambda/api-")


def test_signed_code_replaces_the_zip() -> None:
    function = one(build(signed=True), FUNCTION)["inputs"]
    assert "code" not in function
    assert (function["s3Bucket"], function["s3Key"], function["codeSigningConfigArn"]) == (
        "artifacts",
        "signed/job.zip",
        "arn:csc",
    )


def test_the_schedule_rotates_at_deploy_and_then_every_configured_days() -> None:
    resources = build()
    schedule = one(resources, ROTATION)
    assert schedule["inputs"]["secretId"] == SECRET
    assert schedule["inputs"]["rotationRules"] == {"automaticallyAfterDays": 30}
    assert schedule["inputs"]["rotateImmediately"] is True
    assert schedule["inputs"]["rotationLambdaArn"].endswith(
        ":function:tap-test-use1-secret-rotation"
    )
    # Secrets Manager may invoke it before the first rotation starts.
    assert one(resources, PERMISSION)["urn"] in schedule["dependencies"]


def test_only_secrets_manager_may_invoke_it_and_only_for_this_secret() -> None:
    permission = one(build(), PERMISSION)["inputs"]
    assert permission["principal"] == "secretsmanager.amazonaws.com"
    assert permission["sourceArn"] == SECRET
    assert permission["sourceAccount"] == MOCK_ACCOUNT_ID


def test_the_role_may_rotate_this_secret_only_and_use_its_keys_through_secrets_manager() -> None:
    statements = {
        s["Sid"]: s for s in json.loads(one(build(), POLICY)["inputs"]["policy"])["Statement"]
    }
    assert statements["RotateTheMasterSecret"]["Resource"] == SECRET
    assert "secretsmanager:DeleteSecret" not in statements["RotateTheMasterSecret"]["Action"]
    keys = statements["UseSecretKeysThroughSecretsManager"]
    assert keys["Resource"] == [KEY, REPLICA_KEY]
    assert keys["Condition"] == {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}
    for statement in statements.values():
        if statement["Resource"] == "*":
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                scopes = awsdata.iam_actions(action)
                assert scopes and not any(scopes.values()), action


def test_everything_is_tagged_and_logs_are_encrypted() -> None:
    resources = build()
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup")["inputs"]
    assert group["name"] == "/aws/lambda/tap-test-use1-secret-rotation"
    assert (group["kmsKeyId"], group["retentionInDays"]) == (KEY, 365)
    for resource in resources:
        if resource["custom"] and is_taggable(resource["type"]):
            assert resource["inputs"]["tags"]["Name"] == resource["name"]


def test_labels_of_another_region_are_refused() -> None:
    def program() -> None:
        MasterSecretRotation("x", rotation_args(region="us-west-2"))

    error, registered = refused_before_registering(program)
    assert "MasterSecretRotation for us-west-2 carries labels of us-east-1" in str(error)
    assert registered == []


@pytest.mark.parametrize("days", [1, 90])
def test_the_days_come_from_the_args(days: int) -> None:
    def program() -> None:
        MasterSecretRotation("x", rotation_args(rotation_days=days))

    schedule = one(tuple(plan_program(program)["resources"]), ROTATION)
    assert schedule["inputs"]["rotationRules"]["automaticallyAfterDays"] == days
