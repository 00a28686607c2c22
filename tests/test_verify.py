"""`tap verify` without AWS: input errors, the checks' logic, the report and exit codes.

AWS answers come from a CannedSession: real botocore clients whose calls are answered by a
`before-call` hook (as botocore's Stubber does), so nothing reaches the network. The live
behaviour against moto is in tests/integration/test_verify_moto.py.
"""

from __future__ import annotations

import copy
import io
import json
import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from tap.plan import load_stack_file
from tap.verify import (
    CONTROLS,
    CheckResult,
    denies_insecure_transport,
    describe_password_policy,
    exit_code,
    log_group_of,
    render_text,
    run_verify,
    verify,
)
from tests.conftest import PROJECT_DIR

REGION = "us-east-1"
ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-0000-4000-8000-1234abcd0000"
ALIAS = "alias/tap-unit-use1-kms"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:tap-unit-use1-alarms"
STACK = "unit"
STACK_FILE = """
config:
  tap:environment: dev
  tap:environmentSuffix: unit
  tap:regions: [us-east-1]
  tap:logRetentionDays: 30
  tap:manageAccountPasswordPolicy: true
  tap:database:
    backupRetentionDays: 3
"""


def region_outputs() -> dict[str, Any]:
    """One region of `pulumi stack output --json`, as tap exports it."""
    return {
        "flowLogGroupName": "/vpc-flow-logs/tap-unit-use1-vpc",
        "vpcId": "vpc-1",
        "vpcCidr": "10.10.0.0/16",
        "subnetIds": {"public": ["subnet-p"], "private": ["subnet-a", "subnet-b"], "database": []},
        "securityGroupIds": {"app": "sg-app", "apiEndpoint": "sg-api", "database": "sg-db"},
        "kmsKeyArn": KEY_ARN,
        "kmsAliasName": ALIAS,
        "storage": {
            "role": "primary",
            "bucketName": f"tap-unit-use1-data-{ACCOUNT}",
            "bucketArn": f"arn:aws:s3:::tap-unit-use1-data-{ACCOUNT}",
            "logBucketName": f"tap-unit-use1-data-logs-{ACCOUNT}",
        },
        "database": {
            "role": "writer",
            "clusterArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:tap-unit-use1-aurora",
            "clusterIdentifier": "tap-unit-use1-aurora",
            "endpoint": "tap-unit-use1-aurora.cluster-x.us-east-1.rds.amazonaws.com",
            "readerEndpoint": "tap-unit-use1-aurora.cluster-ro-x.us-east-1.rds.amazonaws.com",
            "masterSecretArn": "[secret]",
        },
        "api": {
            "invokeUrl": "https://api1.execute-api.us-east-1.amazonaws.com/v1",
            "restApiId": "api1",
            "stageName": "v1",
            "endpointType": "REGIONAL",
            "functionName": "tap-unit-use1-api",
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:tap-unit-use1-api",
            "dashboardName": "tap-unit-use1-dashboard",
            "alarmTopicArn": TOPIC,
            "alarmNames": ["tap-unit-use1-alarm-lambda-errors"],
            "logGroupNames": [
                "/aws/lambda/tap-unit-use1-api",
                "/aws/apigateway/tap-unit-use1-api/access",
                "API-Gateway-Execution-Logs_api1/v1",
            ],
        },
    }


def stack_outputs() -> dict[str, Any]:
    return {"environment": "dev", "primaryRegion": REGION, "regions": {REGION: region_outputs()}}


def tls_policy(params: Mapping[str, Any]) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{params['Bucket']}"
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {"Policy": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}


Answer = dict[str, Any] | str | Callable[[Mapping[str, Any]], dict[str, Any]]


def conforming() -> dict[str, Answer]:
    """What AWS answers for the `unit` stack when it is deployed as declared."""
    return {
        "GetKeyRotationStatus": {"KeyRotationEnabled": True},
        "GetPublicAccessBlock": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            }
        },
        "GetBucketPolicy": tls_policy,
        "GetBucketVersioning": {"Status": "Enabled"},
        "GetBucketEncryption": {
            "ServerSideEncryptionConfiguration": {
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": KEY_ARN,
                        }
                    }
                ]
            }
        },
        "DescribeDBClusters": {
            "DBClusters": [
                {
                    "StorageEncrypted": True,
                    "KmsKeyId": KEY_ARN,
                    "DeletionProtection": False,
                    "BackupRetentionPeriod": 3,
                    "EnabledCloudwatchLogsExports": ["postgresql"],
                }
            ]
        },
        "DescribeDBClusterSnapshots": {
            "DBClusterSnapshots": [
                {"DBClusterSnapshotIdentifier": "rds:tap-unit-1", "StorageEncrypted": True}
            ]
        },
        "GetFunctionConfiguration": {
            "VpcConfig": {"SubnetIds": ["subnet-b", "subnet-a"], "SecurityGroupIds": ["sg-app"]},
            "TracingConfig": {"Mode": "Active"},
        },
        "GetStage": {
            "methodSettings": {"*/*": {"loggingLevel": "INFO"}},
            "tracingEnabled": True,
            "accessLogSettings": {
                "destinationArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:"
                "/aws/apigateway/tap-unit-use1-api/access",
                "format": '{"requestId":"$context.requestId"}',
            },
        },
        "DescribeLogGroups": lambda params: {
            "logGroups": [
                {
                    "logGroupName": params["logGroupNamePrefix"],
                    "retentionInDays": 30,
                    "kmsKeyId": KEY_ARN,
                }
            ]
        },
        "DescribeAlarms": lambda params: {
            "MetricAlarms": [
                {"AlarmName": name, "ActionsEnabled": True, "AlarmActions": [TOPIC]}
                for name in params["AlarmNames"]
            ]
        },
        "GetAccountPasswordPolicy": {
            "PasswordPolicy": {
                "MinimumPasswordLength": 14,
                "RequireSymbols": True,
                "RequireNumbers": True,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
                "MaxPasswordAge": 90,
                "PasswordReusePrevention": 24,
            }
        },
    }


# Shared by every CannedSession: its loader caches the service models. Hooks go on each client.
BOTO_SESSION = boto3.Session(aws_access_key_id="unit", aws_secret_access_key="unit")


class CannedSession:
    """A boto3 session whose clients answer every call from `answers` (by operation name).

    An answer is a response dict, a function of the call's parameters, or an AWS error code.
    With `default`, an operation missing from `answers` gets it; without, it fails the test.
    """

    def __init__(self, answers: Mapping[str, Answer], default: str | None = None) -> None:
        self.answers = answers
        self.default = default
        self.calls: list[str] = []
        self._params: dict[str, Any] = {}
        self._session = BOTO_SESSION

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self._session.client(service, **kwargs)
        client.meta.events.register("before-parameter-build", self._remember)
        client.meta.events.register("before-call", self._answer)
        return client

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self._params = dict(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        self.calls.append(model.name)
        answer = self.answers.get(model.name, self.default)
        assert answer is not None, f"unexpected call {model.name}"
        if isinstance(answer, str):
            error = {"Error": {"Code": answer, "Message": f"{answer} (canned)"}}
            return AWSResponse("https://aws", 403, {}, None), error
        body = answer(self._params) if callable(answer) else copy.deepcopy(answer)
        return AWSResponse("https://aws", 200, {}, None), body


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(STACK_FILE)
    return tmp_path


def write_outputs(project: Path, outputs: Any) -> str:
    path = project / "outputs.json"
    path.write_text(outputs if isinstance(outputs, str) else json.dumps(outputs))
    return str(path)


def run(
    project: Path,
    outputs_path: str | None,
    *,
    regions: list[str] | None = None,
    output_format: str = "text",
    session: Any = None,
    endpoint_url: str | None = None,
    stdin: str = "",
    stack: str = STACK,
) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = run_verify(
        stack,
        outputs_path,
        endpoint_url,
        regions,
        output_format,  # type: ignore[arg-type]
        stdout,
        stderr,
        stdin=io.StringIO(stdin),
        project_dir=project,
        session_factory=(lambda: session) if session is not None else None,
    )
    return code, stdout.getvalue(), stderr.getvalue()


def assert_usage_error(result: tuple[int, str, str], message: str) -> None:
    code, stdout, stderr = result
    assert stderr == f"tap: error: {message}\n"
    assert (code, stdout) == (2, "")


# --- input errors: one line on stderr, exit code 2 ---------------------------------------------


def test_outputs_are_required(project: Path) -> None:
    session = CannedSession({})

    result = run(project, None, session=session)

    assert_usage_error(
        result,
        "--outputs is required: save `pulumi stack output --json --stack unit` to a file and "
        "pass its path, or - to read it from stdin",
    )
    assert session.calls == []


def test_a_missing_outputs_file(project: Path) -> None:
    missing = project / "missing.json"

    assert_usage_error(run(project, str(missing)), f"outputs file {missing} does not exist")


def test_an_unreadable_outputs_file(project: Path) -> None:
    assert_usage_error(
        run(project, str(project)), f"cannot read outputs file {project}: Is a directory"
    )


def test_malformed_json_in_a_file(project: Path) -> None:
    path = write_outputs(project, '{"environment": "dev",')

    assert_usage_error(
        run(project, path),
        f"{path} is not valid JSON (Expecting property name enclosed in double quotes at line 1, "
        "column 23); pass what `pulumi stack output --json` prints",
    )


def test_malformed_json_on_stdin(project: Path) -> None:
    assert_usage_error(
        run(project, "-", stdin="Error: no stack selected"),
        "stdin is not valid JSON (Expecting value at line 1, column 1); pass what "
        "`pulumi stack output --json` prints",
    )


def test_outputs_are_read_from_stdin(project: Path) -> None:
    code, stdout, stderr = run(
        project, "-", stdin=json.dumps(stack_outputs()), session=CannedSession(conforming())
    )

    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[-1].endswith("the stack conforms")


NOT_OUTPUTS = "is not `pulumi stack output --json` of a tap stack"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (["primaryRegion"], "missing key primaryRegion"),
        (["regions"], "missing key regions"),
        (["regions", REGION, "kmsKeyArn"], f"missing key regions.{REGION}.kmsKeyArn"),
        (["regions", REGION, "storage"], f"missing key regions.{REGION}.storage"),
        (
            ["regions", REGION, "api", "restApiId"],
            f"missing key regions.{REGION}.api.restApiId",
        ),
        (
            ["regions", REGION, "database", "clusterIdentifier"],
            f"missing key regions.{REGION}.database.clusterIdentifier",
        ),
    ],
)
def test_a_missing_key_is_named(project: Path, path: list[str], message: str) -> None:
    outputs = stack_outputs()
    parent = outputs
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]

    assert_usage_error(run(project, write_outputs(project, outputs)), f"{_at(project)}: {message}")


def _at(project: Path) -> str:
    return f"{project / 'outputs.json'} {NOT_OUTPUTS}"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["regions"], [], "regions must be a map, got a list"),
        (
            ["regions", REGION, "api", "alarmNames"],
            "tap-unit-use1-alarm",
            f"regions.{REGION}.api.alarmNames must be a list, got the string 'tap-unit-use1-alarm'",
        ),
        (
            ["regions", REGION, "api", "logGroupNames"],
            ["/aws/lambda/x", None],
            f"regions.{REGION}.api.logGroupNames[1] must be a string, got null",
        ),
        (
            ["regions", REGION, "storage"],
            "[secret]",
            f"regions.{REGION}.storage must be a map, got the string '[secret]'",
        ),
        (["environment"], 3, "environment must be a string, got a number"),
    ],
)
def test_a_mistyped_key_is_named(project: Path, path: list[str], value: Any, message: str) -> None:
    outputs = stack_outputs()
    parent = outputs
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value

    assert_usage_error(run(project, write_outputs(project, outputs)), f"{_at(project)}: {message}")


def test_outputs_must_be_an_object(project: Path) -> None:
    assert_usage_error(
        run(project, write_outputs(project, [])),
        f"{_at(project)}: must be a JSON object (what `pulumi stack output --json` prints), "
        "got a list",
    )


def test_null_database_and_flow_log_group_are_allowed(project: Path) -> None:
    outputs = stack_outputs()
    outputs["regions"][REGION]["database"] = None
    outputs["regions"][REGION]["flowLogGroupName"] = None
    session = CannedSession(conforming())

    code, _, stderr = run(project, write_outputs(project, outputs), session=session)

    assert (code, stderr) == (0, "")
    assert "DescribeDBClusters" not in session.calls


def test_outputs_of_another_environment(project: Path) -> None:
    outputs = dict(stack_outputs(), environment="prod")

    assert_usage_error(
        run(project, write_outputs(project, outputs)),
        "the outputs are of a prod stack but Pulumi.unit.yaml says environment dev; pass the "
        "outputs of stack unit",
    )


def test_outputs_with_other_regions(project: Path) -> None:
    outputs = stack_outputs()
    outputs["regions"]["us-west-2"] = region_outputs()

    assert_usage_error(
        run(project, write_outputs(project, outputs)),
        "the outputs have regions us-east-1, us-west-2 but Pulumi.unit.yaml lists us-east-1; "
        "run `pulumi up` first, or pass the outputs of stack unit",
    )


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])
def test_an_unknown_region_names_the_allowed_ones(project: Path, region: str) -> None:
    session = CannedSession({})

    result = run(
        project, write_outputs(project, stack_outputs()), regions=[region], session=session
    )

    assert_usage_error(result, f"unknown region {region}; stack unit runs in us-east-1")
    assert session.calls == []


def test_an_unknown_region_of_a_shipped_stack() -> None:
    outputs = stack_outputs()
    outputs["regions"] = {r: region_outputs() for r in ("us-east-1", "us-west-2")}
    stdout, stderr = io.StringIO(), io.StringIO()

    code = run_verify(
        "dev",
        "-",
        None,
        ["us-east-1", "eu-central-1"],
        "text",
        stdout,
        stderr,
        stdin=io.StringIO(json.dumps(outputs)),
        project_dir=PROJECT_DIR,
    )

    assert (code, stdout.getvalue()) == (2, "")
    assert stderr.getvalue() == (
        "tap: error: unknown region eu-central-1; stack dev runs in us-east-1, us-west-2\n"
    )


def test_an_unknown_stack(project: Path) -> None:
    assert_usage_error(
        run(project, write_outputs(project, stack_outputs()), stack="nope"),
        f"unknown stack 'nope'; stacks in {project}: unit",
    )


def test_an_invalid_stack_file(project: Path) -> None:
    (project / "Pulumi.bad.yaml").write_text(
        "config:\n  tap:environment: dev\n  tap:logRetentionDays: 10\n"
    )

    code, stdout, stderr = run(project, write_outputs(project, stack_outputs()), stack="bad")

    assert (code, stdout) == (2, "")
    assert stderr.startswith(
        "tap: error: invalid configuration: tap:logRetentionDays 10 is not a retention "
        "CloudWatch Logs accepts"
    )
    assert stderr.count("\n") == 1


# --- AWS access errors: one line on stderr, exit code 2 ----------------------------------------


def test_missing_credentials(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(project / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(project / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    result = run(
        project, write_outputs(project, stack_outputs()), endpoint_url=f"http://{closed_port()}"
    )

    assert_usage_error(
        result,
        "no usable AWS credentials (Unable to locate credentials); set AWS_PROFILE, or "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    )


@pytest.mark.parametrize(
    "code",
    ["InvalidClientTokenId", "UnrecognizedClientException", "AccessDenied", "ExpiredToken"],
)
def test_refused_credentials(project: Path, code: str) -> None:
    session = CannedSession({}, default=code)

    result = run(project, write_outputs(project, stack_outputs()), session=session)

    assert_usage_error(
        result,
        f"AWS refused the request ({code}: {code} (canned)); check that the credentials are "
        "valid, not expired, and allowed to make this call",
    )
    assert len(session.calls) == 1  # the first refusal stops the run


def test_an_unreachable_endpoint(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint = f"http://{closed_port()}"

    result = run(project, write_outputs(project, stack_outputs()), endpoint_url=endpoint)

    assert_usage_error(
        result, f"cannot reach the AWS endpoint {endpoint}; check --endpoint-url and the network"
    )


def closed_port() -> str:
    """host:port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    return f"{host}:{port}"


# --- the checks' logic, from canned AWS answers ------------------------------------------------


def load_config(project: Path) -> Any:
    return load_stack_file(project, STACK).parse().config


def test_a_conforming_stack_passes_every_check(project: Path) -> None:
    results = verify(
        stack_outputs(), load_config(project), session_factory=lambda: CannedSession(conforming())
    )

    assert [r for r in results if r.status != "pass"] == []
    # key 1, data bucket 4, log bucket 3, cluster 4 (no RDS.7 in dev), function 2, stage 3,
    # 4 log groups x 2, 1 alarm, password policy 1; no replication with a single region.
    assert len(results) == 1 + 4 + 3 + 4 + 2 + 3 + 8 + 1 + 1
    assert {r.control for r in results} == set(CONTROLS) - {"S3.7", "RDS.7"}


def findings_with(project: Path, **changes: Answer) -> list[tuple[str, str, str]]:
    answers = {**conforming(), **changes}
    results = verify(
        stack_outputs(), load_config(project), session_factory=lambda: CannedSession(answers)
    )
    return [(r.control, r.status, r.actual) for r in results if r.status != "pass"]


def test_a_removed_setting_is_drift_and_a_missing_resource_a_fail(project: Path) -> None:
    assert findings_with(project, GetBucketPolicy="NoSuchBucketPolicy") == [
        ("S3.5", "drift", "not set (NoSuchBucketPolicy)"),
        ("S3.5", "drift", "not set (NoSuchBucketPolicy)"),
    ]
    assert findings_with(project, GetFunctionConfiguration="ResourceNotFoundException") == [
        ("Lambda.3", "fail", "not found (ResourceNotFoundException)"),
        ("Lambda.7", "fail", "not found (ResourceNotFoundException)"),
    ]
    assert findings_with(project, GetStage="TooManyRequestsException") == [
        (c, "fail", "unreadable (TooManyRequestsException)")
        for c in ("APIGateway.1", "APIGateway.3", "APIGateway.9")
    ]


def test_drifted_settings_name_what_they_are(project: Path) -> None:
    stage = {"methodSettings": {}, "tracingEnabled": False, "accessLogSettings": {}}
    cluster = {
        "StorageEncrypted": False,
        "BackupRetentionPeriod": 1,
        "EnabledCloudwatchLogsExports": [],
    }

    assert findings_with(
        project,
        GetStage=stage,
        DescribeDBClusters={"DBClusters": [cluster]},
        DescribeDBClusterSnapshots={
            "DBClusterSnapshots": [
                {"DBClusterSnapshotIdentifier": "manual-1", "StorageEncrypted": False}
            ]
        },
        GetFunctionConfiguration={"TracingConfig": {"Mode": "PassThrough"}},
        DescribeAlarms={"MetricAlarms": []},
    ) == [
        ("RDS.27", "drift", "not encrypted"),
        ("RDS.4", "drift", "unencrypted: manual-1"),
        ("RDS.50", "drift", "1 days"),
        ("RDS.37", "drift", "none"),
        ("Lambda.3", "drift", "not in a VPC"),
        ("Lambda.7", "drift", "PassThrough"),
        ("APIGateway.1", "drift", "*/* loggingLevel OFF"),
        ("APIGateway.3", "drift", "disabled"),
        ("APIGateway.9", "drift", "off"),
        ("CloudWatch.15", "fail", "not found (ResourceNotFoundException)"),
    ]


def test_partly_changed_settings_are_drift(project: Path) -> None:
    block = conforming()["GetPublicAccessBlock"]
    assert isinstance(block, dict)
    block["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] = False
    allow_only = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}

    assert findings_with(
        project,
        GetPublicAccessBlock=block,
        GetBucketPolicy={"Policy": json.dumps(allow_only)},
        GetFunctionConfiguration={
            "VpcConfig": {"SubnetIds": ["subnet-a", "subnet-c"], "SecurityGroupIds": ["sg-app"]},
            "TracingConfig": {"Mode": "Active"},
        },
    ) == [
        ("S3.8", "drift", "off: BlockPublicPolicy"),
        ("S3.5", "drift", "no such deny in the bucket policy"),
        ("S3.8", "drift", "off: BlockPublicPolicy"),
        ("S3.5", "drift", "no such deny in the bucket policy"),
        ("Lambda.3", "drift", "subnets subnet-a, subnet-c; security groups sg-app"),
    ]


def test_a_function_needs_the_app_security_group(project: Path) -> None:
    other_group = {
        "VpcConfig": {"SubnetIds": ["subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-other"]},
        "TracingConfig": {"Mode": "Active"},
    }

    assert findings_with(project, GetFunctionConfiguration=other_group) == [
        ("Lambda.3", "drift", "subnets subnet-a, subnet-b; security groups sg-other")
    ]


def test_log_groups_need_the_configured_retention_and_the_region_key(project: Path) -> None:
    def groups(params: Mapping[str, Any]) -> dict[str, Any]:
        name = params["logGroupNamePrefix"]
        if name.startswith("/aws/lambda/"):
            return {"logGroups": [{"logGroupName": name}]}  # never expires, AWS-owned key
        if name.startswith("API-Gateway"):
            return {"logGroups": [{"logGroupName": f"{name}-other"}]}  # only a prefix match
        return {"logGroups": [{"logGroupName": name, "retentionInDays": 30, "kmsKeyId": ALIAS}]}

    assert findings_with(project, DescribeLogGroups=groups) == [
        ("CloudWatch.16", "drift", "never expire"),
        ("TAP.2", "drift", "AWS-owned key"),
        ("CloudWatch.16", "fail", "not found (ResourceNotFoundException)"),
        ("TAP.2", "fail", "not found (ResourceNotFoundException)"),
    ]


def test_the_password_policy_must_meet_iam_7(project: Path) -> None:
    assert findings_with(project, GetAccountPasswordPolicy="NoSuchEntity") == [
        ("IAM.7", "drift", "not set (NoSuchEntity)")
    ]
    weak = {"MinimumPasswordLength": 8, "RequireNumbers": True, "PasswordReusePrevention": 5}
    assert findings_with(project, GetAccountPasswordPolicy={"PasswordPolicy": weak}) == [
        ("IAM.7", "drift", "length 8, classes numbers, max age never, reuse 5")
    ]


def test_the_password_policy_is_checked_only_where_the_stack_manages_it(project: Path) -> None:
    (project / "Pulumi.nopolicy.yaml").write_text(
        STACK_FILE.replace(
            "manageAccountPasswordPolicy: true", "manageAccountPasswordPolicy: false"
        )
    )
    config = load_stack_file(project, "nopolicy").parse().config
    session = CannedSession(conforming())

    results = verify(stack_outputs(), config, session_factory=lambda: session)

    assert "IAM.7" not in {r.control for r in results}
    assert "GetAccountPasswordPolicy" not in session.calls


@pytest.mark.parametrize(
    ("changes", "ok"),
    [
        ({}, True),
        (
            {"Principal": {"AWS": "*"}, "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
            True,
        ),
        ({"Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow"}, False),
        ({"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}, False),
        ({"Action": "s3:GetObject"}, False),
        ({"Resource": "arn:aws:s3:::bucket"}, False),  # the objects are not covered
        ({"Condition": {"Bool": {"aws:SecureTransport": "true"}}}, False),
        ({"Condition": {}}, False),
    ],
)
def test_the_tls_only_statement(changes: dict[str, Any], ok: bool) -> None:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::bucket", "arn:aws:s3:::bucket/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        **changes,
    }
    policy = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*"}, statement]})

    assert denies_insecure_transport(policy, "arn:aws:s3:::bucket") is ok


def test_a_bucket_policy_that_is_not_json_does_not_deny() -> None:
    assert denies_insecure_transport("{", "arn:aws:s3:::bucket") is False


@pytest.mark.parametrize(
    ("change", "ok"),
    [
        ({}, True),
        ({"MinimumPasswordLength": 13}, False),
        ({"RequireSymbols": False}, False),
        ({"MaxPasswordAge": 91}, False),
        ({"MaxPasswordAge": None}, False),  # never expires
        ({"PasswordReusePrevention": 23}, False),
        ({"MinimumPasswordLength": 20, "MaxPasswordAge": 30, "PasswordReusePrevention": 24}, True),
    ],
)
def test_password_policy_thresholds(change: dict[str, Any], ok: bool) -> None:
    policy = conforming()["GetAccountPasswordPolicy"]
    assert isinstance(policy, dict)

    _, passed = describe_password_policy({**policy["PasswordPolicy"], **change})

    assert passed is ok


def test_log_group_of_an_arn() -> None:
    assert log_group_of("arn:aws:logs:us-east-1:1:log-group:/aws/x/access:*") == "/aws/x/access"
    assert log_group_of("arn:aws:logs:us-east-1:1:log-group:/aws/x/access") == "/aws/x/access"
    assert log_group_of("arn:aws:firehose:us-east-1:1:deliverystream/x") == ""


def test_a_key_may_be_named_by_arn_id_alias_or_alias_arn(project: Path) -> None:
    key_id = KEY_ARN.rsplit("/", 1)[1]
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{ALIAS}"
    for reference in (KEY_ARN, key_id, ALIAS, alias_arn):
        cluster = conforming()["DescribeDBClusters"]
        assert isinstance(cluster, dict)
        cluster["DBClusters"][0]["KmsKeyId"] = reference
        assert findings_with(project, DescribeDBClusters=cluster) == []

    cluster["DBClusters"][0]["KmsKeyId"] = KEY_ARN.replace("1234abcd-", "99999999-")
    assert [f[:2] for f in findings_with(project, DescribeDBClusters=cluster)] == [
        ("RDS.27", "drift")
    ]


# --- the report and exit codes -----------------------------------------------------------------


def result(status: str, control: str = "S3.14", resource: str = "bucket") -> CheckResult:
    return CheckResult(
        control,
        CONTROLS[control].check,
        REGION,
        resource,
        status,
        "Enabled",
        "Suspended",  # type: ignore[arg-type]
    )


def test_text_report_has_one_aligned_line_per_check_and_a_summary() -> None:
    out = io.StringIO()
    results = [
        result("pass", "KMS.4", "key"),
        result("drift"),
        CheckResult("IAM.7", "password-policy", "global", "policy", "fail", "x", "y"),
    ]

    render_text(results, out)

    assert out.getvalue().splitlines() == [
        "PASS   KMS.4  us-east-1  key-rotation     key     expected=Enabled actual=Suspended",
        "DRIFT  S3.14  us-east-1  versioning       bucket  expected=Enabled actual=Suspended",
        "FAIL   IAM.7  global     password-policy  policy  expected=x actual=y",
        "Summary: 3 checks in us-east-1: 1 pass, 1 drift, 1 fail; the stack does not conform",
    ]


@pytest.mark.parametrize(
    ("statuses", "code"),
    [(["pass"], 0), (["pass", "pass"], 0), (["pass", "drift"], 1), (["fail", "pass"], 1)],
)
def test_exit_code(statuses: list[str], code: int) -> None:
    assert exit_code([result(s) for s in statuses]) == code


def test_json_report_and_exit_code_of_a_drifted_stack(project: Path) -> None:
    answers = {**conforming(), "GetBucketVersioning": {"Status": "Suspended"}}

    code, stdout, stderr = run(
        project,
        write_outputs(project, stack_outputs()),
        output_format="json",
        session=CannedSession(answers),
    )

    report = json.loads(stdout)
    assert (code, stderr) == (1, "")
    assert [r for r in report if r["status"] != "pass"] == [
        {
            "control": "S3.14",
            "check": "versioning",
            "region": REGION,
            "resource": bucket,
            "status": "drift",
            "expected": "Enabled",
            "actual": "Suspended",
        }
        for bucket in (f"tap-unit-use1-data-{ACCOUNT}", f"tap-unit-use1-data-logs-{ACCOUNT}")
    ]
    assert set(report[0]) == {
        "control", "check", "region", "resource", "status", "expected", "actual"
    }  # fmt: skip


def test_text_report_of_a_conforming_stack_exits_0(project: Path) -> None:
    code, stdout, stderr = run(
        project, write_outputs(project, stack_outputs()), session=CannedSession(conforming())
    )

    lines = stdout.splitlines()
    assert (code, stderr) == (0, "")
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert lines[-1] == (
        "Summary: 27 checks in us-east-1: 27 pass, 0 drift, 0 fail; the stack conforms"
    )


def test_checks_use_the_policy_packs_control_ids() -> None:
    """A finding from tap verify and a violation from the pack name the same control."""
    from tap.policy.rules import RULES  # noqa: PLC0415
    from tap.verify import CONTROLS  # noqa: PLC0415

    pack_controls = {rule.control for rule in RULES}
    # Snapshot encryption is a live-only fact: no planned resource declares it.
    live_only = {"RDS.4"}
    assert set(CONTROLS) - live_only <= pack_controls
