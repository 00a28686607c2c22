"""A small two-region tap deployment on a moto server, and `tap verify` run against it.

What `pulumi up` of a conforming stack leaves behind, built with boto3 (build), plus the
stack files and the way the tests run `tap verify` on it (Deployment). The fixtures that start
the server and build the deployment are in conftest.py.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]

from tap.aws import CALL_POLICY, CallPolicy
from tap.backend import tls_only_policy
from tap.verify import CheckResult, run_verify

ACCOUNT = "123456789012"  # moto's default account
PRIMARY, SECONDARY = "us-east-1", "us-west-2"
CODES = {PRIMARY: "use1", SECONDARY: "usw2"}
RETENTION_DAYS = 14
# Two stacks over the same deployment: dev (no RDS.7) and prod (RDS.7 checked).
STACK_FILES = {
    "itest": """
config:
  tap:environment: dev
  tap:environmentSuffix: itest
  tap:regions: [us-east-1, us-west-2]
  tap:primaryRegion: us-east-1
  tap:logRetentionDays: 14
  tap:manageAccountPasswordPolicy: true
  tap:database:
    backupRetentionDays: 3
  tap:api:
    executionLogLevel: INFO
""",
    "itestprod": """
config:
  tap:environment: prod
  tap:environmentSuffix: itestprod
  tap:regions: [us-east-1, us-west-2]
  tap:primaryRegion: us-east-1
  tap:logRetentionDays: 14
  tap:manageAccountPasswordPolicy: true
  tap:database:
    global: false
    backupRetentionDays: 7
  tap:api:
    executionLogLevel: INFO
""",
}
ENVIRONMENTS = {"itest": "dev", "itestprod": "prod"}
# One session for the whole module: its loader caches the service models (tests run faster).
SESSION = boto3.Session()


@dataclass(frozen=True)
class Run:
    """One `tap verify` run: exit code, results (from its JSON report), stdout and stderr."""

    code: int
    results: list[CheckResult]
    stdout: str
    stderr: str


@dataclass
class Deployment:
    endpoint: str
    outputs: dict[str, Any]
    project_dir: Path

    def client(self, service: str, region: str = PRIMARY) -> Any:
        return SESSION.client(service, region_name=region, endpoint_url=self.endpoint)

    def region(self, region: str) -> dict[str, Any]:
        result: dict[str, Any] = self.outputs["regions"][region]
        return result

    def verify(
        self,
        stack: str = "itest",
        *,
        outputs: dict[str, Any] | None = None,
        session_factory: Callable[[], Any] | None = None,
    ) -> tuple[int, list[CheckResult], str]:
        """A run that must say nothing on stderr: exit code, results, the JSON report."""
        run = self.run(stack, outputs=outputs, session_factory=session_factory)
        assert run.stderr == ""
        return run.code, run.results, run.stdout

    def run(
        self,
        stack: str = "itest",
        *,
        outputs: dict[str, Any] | None = None,
        session_factory: Callable[[], Any] | None = None,
        endpoint: str | None = None,
        regions: list[str] | None = None,
        policy: CallPolicy = CALL_POLICY,
    ) -> Run:
        """`tap verify --format json` against `endpoint` (default: the moto server)."""
        outputs = dict(outputs or self.outputs, environment=ENVIRONMENTS[stack])
        path = self.project_dir / f"outputs-{stack}.json"
        path.write_text(json.dumps(outputs))
        stdout, stderr = io.StringIO(), io.StringIO()
        code = run_verify(
            stack,
            str(path),
            endpoint or self.endpoint,
            regions,
            "json",
            stdout,
            stderr,
            project_dir=self.project_dir,
            session_factory=session_factory or (lambda: SESSION),
            policy=policy,
        )
        report = json.loads(stdout.getvalue()) if stdout.getvalue() else []
        return Run(code, [CheckResult(**r) for r in report], stdout.getvalue(), stderr.getvalue())


# --- a conforming deployment, built with boto3 -----------------------------------------------


def build(endpoint: str) -> dict[str, Any]:
    """What `pulumi up` of a small two-region stack leaves behind, and its outputs."""

    def client(service: str, region: str = PRIMARY) -> Any:
        return SESSION.client(service, region_name=region, endpoint_url=endpoint)

    role_arn = client("iam").create_role(
        RoleName="tap-itest-api-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    client("iam").update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=24,
    )
    regions = {region: build_region(client, region, role_arn) for region in (PRIMARY, SECONDARY)}

    # The primary replicates to the replica; its writer cluster lives in the primary.
    primary = regions[PRIMARY]
    client("s3").put_bucket_replication(
        Bucket=primary["storage"]["bucketName"],
        ReplicationConfiguration={
            "Role": f"arn:aws:iam::{ACCOUNT}:role/tap-itest-use1-data-replication-role",
            "Rules": [
                {
                    "ID": f"replicate-to-{SECONDARY}",
                    "Priority": 1,
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Enabled"},
                    "Destination": {"Bucket": regions[SECONDARY]["storage"]["bucketArn"]},
                }
            ],
        },
    )
    cluster = client("rds").create_db_cluster(
        DBClusterIdentifier="tap-itest-use1-aurora",
        Engine="aurora-postgresql",
        EngineVersion="16.6",
        MasterUsername="tap_admin",
        MasterUserPassword="not-a-real-password-1",
        StorageEncrypted=True,
        KmsKeyId=primary["kmsKeyArn"],
        DeletionProtection=True,
        BackupRetentionPeriod=7,
        EnableCloudwatchLogsExports=["postgresql"],
    )["DBCluster"]
    primary["database"] = {
        "role": "writer",
        "clusterArn": cluster["DBClusterArn"],
        "clusterIdentifier": cluster["DBClusterIdentifier"],
        "endpoint": cluster["Endpoint"],
        "readerEndpoint": cluster.get("ReaderEndpoint", ""),
        "masterSecretArn": "[secret]",  # how `pulumi stack output --json` prints a secret
    }
    return {"environment": "dev", "primaryRegion": PRIMARY, "regions": regions}


def build_region(client: Callable[..., Any], region: str, role_arn: str) -> dict[str, Any]:
    code = CODES[region]
    prefix = f"tap-itest-{code}"

    kms = client("kms", region)
    key_arn = kms.create_key(Description=f"{prefix}-kms")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key_arn)
    alias = f"alias/{prefix}-kms"
    kms.create_alias(AliasName=alias, TargetKeyId=key_arn)

    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    private = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.10.{i}.0/24")["Subnet"]["SubnetId"]
        for i in (1, 2)
    ]
    app_group = ec2.create_security_group(GroupName=f"{prefix}-app", Description="app", VpcId=vpc)[
        "GroupId"
    ]

    replica = "" if region == PRIMARY else "-replica"
    data = f"{prefix}-data{replica}-{ACCOUNT}"
    logs_bucket = f"{prefix}-data{replica}-logs-{ACCOUNT}"
    for bucket, encryption in (
        (data, {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}),
        (logs_bucket, {"SSEAlgorithm": "AES256"}),
    ):
        secure_bucket(client("s3", region), region, bucket, encryption)

    function = f"{prefix}-api"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handler:
        handler.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    function_arn = client("lambda", region).create_function(
        FunctionName=function,
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": archive.getvalue()},
        VpcConfig={"SubnetIds": private, "SecurityGroupIds": [app_group]},
        TracingConfig={"Mode": "Active"},
    )["FunctionArn"]

    logs = client("logs", region)
    api = client("apigateway", region)
    api_id = api.create_rest_api(name=function)["id"]
    root = api.get_resources(restApiId=api_id)["items"][0]["id"]
    api.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    api.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = api.create_deployment(restApiId=api_id)["id"]
    access_group = f"/aws/apigateway/{function}/access"
    log_groups = [
        f"/aws/lambda/{function}",
        access_group,
        f"API-Gateway-Execution-Logs_{api_id}/v1",
    ]
    flow_group = f"/vpc-flow-logs/{prefix}-vpc"
    for group in (flow_group, *log_groups):
        logs.create_log_group(logGroupName=group, kmsKeyId=key_arn)
        logs.put_retention_policy(logGroupName=group, retentionInDays=RETENTION_DAYS)
    api.create_stage(restApiId=api_id, stageName="v1", deploymentId=deployment)
    api.update_stage(
        restApiId=api_id,
        stageName="v1",
        patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/tracingEnabled", "value": "true"},
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{access_group}",
            },
            {
                "op": "replace",
                "path": "/accessLogSettings/format",
                "value": json.dumps({"requestId": "$context.requestId"}),
            },
        ],
    )

    topic = client("sns", region).create_topic(Name=f"{prefix}-alarms")["TopicArn"]
    alarms = [f"{prefix}-alarm-lambda-errors", f"{prefix}-alarm-api-5xx-errors"]
    for alarm in alarms:
        put_alarm(client("cloudwatch", region), alarm, [topic])

    return {
        "flowLogGroupName": flow_group,
        "vpcId": vpc,
        "vpcCidr": "10.10.0.0/16",
        "subnetIds": {"public": [], "private": private, "database": []},
        "securityGroupIds": {"app": app_group, "apiEndpoint": app_group, "database": app_group},
        "kmsKeyArn": key_arn,
        "kmsAliasName": alias,
        "storage": {
            "role": "primary" if region == PRIMARY else "replica",
            "bucketName": data,
            "bucketArn": f"arn:aws:s3:::{data}",
            "logBucketName": logs_bucket,
        },
        "database": None,
        "api": {
            "invokeUrl": f"https://{api_id}.execute-api.{region}.amazonaws.com/v1",
            "restApiId": api_id,
            "stageName": "v1",
            "endpointType": "REGIONAL",
            "functionName": function,
            "functionArn": function_arn,
            "dashboardName": f"{prefix}-dashboard",
            "alarmTopicArn": topic,
            "alarmNames": alarms,
            "logGroupNames": log_groups,
        },
    }


def secure_bucket(s3: Any, region: str, bucket: str, encryption: dict[str, str]) -> None:
    location = {} if region == PRIMARY else {"LocationConstraint": region}
    s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {}))
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": encryption, "BucketKeyEnabled": True}]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    # The statements the stack's own buckets carry.
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket)))


def put_alarm(cloudwatch: Any, name: str, actions: list[str]) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        ActionsEnabled=True,
        AlarmActions=actions,
        OKActions=actions,
    )


def findings(results: list[CheckResult]) -> list[tuple[str, str, str]]:
    return [(r.control, r.status, r.resource) for r in results if r.status != "pass"]
