"""Canned AWS answers and inputs for the unit tests of `tap verify` (no network).

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

import boto3  # type: ignore[import-untyped]
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]

from tap.aws import CALL_POLICY, CallPolicy
from tap.plan import load_stack_file
from tap.verify import run_verify, verify

REGION = "us-east-1"
ACCOUNT = "123456789012"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-0000-4000-8000-1234abcd0000"
ALIAS = "alias/tap-unit-use1-kms"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:tap-unit-use1-alarms"
CODE_SIGNING_CONFIG = f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdef0"
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
            "webAclArn": None,
            "codeSigningConfigArn": CODE_SIGNING_CONFIG,
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
        "GetFunctionCodeSigningConfig": {
            "CodeSigningConfigArn": CODE_SIGNING_CONFIG,
            "FunctionName": "tap-unit-use1-api",
        },
        "GetCodeSigningConfig": {
            "CodeSigningConfig": {
                "CodeSigningConfigId": "csc-0123456789abcdef0",
                "CodeSigningConfigArn": CODE_SIGNING_CONFIG,
                "AllowedPublishers": {"SigningProfileVersionArns": ["arn:aws:signer:x"]},
                "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Warn"},
                "LastModified": "2026-11-30T00:00:00Z",
            }
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
    policy: CallPolicy = CALL_POLICY,
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
        policy=policy,
    )
    return code, stdout.getvalue(), stderr.getvalue()


def assert_usage_error(result: tuple[int, str, str], message: str) -> None:
    code, stdout, stderr = result
    assert stderr == f"tap: error: {message}\n"
    assert (code, stdout) == (2, "")


def closed_port() -> str:
    """host:port where nothing listens (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host, port = probe.getsockname()
    return f"{host}:{port}"


def load_config(project: Path) -> Any:
    return load_stack_file(project, STACK).parse().config


def findings_with(project: Path, **changes: Answer) -> list[tuple[str, str, str]]:
    answers = {**conforming(), **changes}
    results = verify(
        stack_outputs(), load_config(project), session_factory=lambda: CannedSession(answers)
    )
    return [(r.control, r.status, r.actual) for r in results if r.status != "pass"]
