"""`tap verify` against moto: a conforming two-region deployment passes; each tamper is found.

One moto server and one deployment for the module (ThreadedMotoServer, in-process). Each tamper
test undoes its change afterwards; since every test asserts its exact findings, an undo that
missed would fail the next test rather than go unnoticed.

What moto cannot emulate is covered with botocore's Stubber: moto ignores a change of a Lambda
function's TracingConfig (update_function_configuration keeps Active), so Lambda.7 drift is
served by a stubbed Lambda client while everything else still comes from moto.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

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


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            yield f"http://127.0.0.1:{server._server.server_port}"
        finally:
            server.stop()


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
        outputs = dict(outputs or self.outputs, environment=ENVIRONMENTS[stack])
        path = self.project_dir / f"outputs-{stack}.json"
        path.write_text(json.dumps(outputs))
        stdout, stderr = io.StringIO(), io.StringIO()
        code = run_verify(
            stack,
            str(path),
            self.endpoint,
            None,
            "json",
            stdout,
            stderr,
            project_dir=self.project_dir,
            session_factory=session_factory or (lambda: SESSION),
        )
        assert stderr.getvalue() == ""
        return code, [CheckResult(**r) for r in json.loads(stdout.getvalue())], stdout.getvalue()


@pytest.fixture(scope="module")
def deployment(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """Built once; each test undoes its own tamper (see `undo`)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    project_dir = tmp_path_factory.mktemp("project")
    for stack, text in STACK_FILES.items():
        (project_dir / f"Pulumi.{stack}.yaml").write_text(text)
    return Deployment(endpoint, build(endpoint), project_dir)


@pytest.fixture
def undo() -> Iterator[ExitStack]:
    """Undo callbacks a tamper registers; they run after the test, even when it fails."""
    with ExitStack() as stack:
        yield stack


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


# --- a conforming deployment passes ----------------------------------------------------------


@pytest.mark.parametrize("stack", ["itest", "itestprod"])
def test_a_conforming_deployment_passes_every_check(deployment: Deployment, stack: str) -> None:
    code, results, _ = deployment.verify(stack)

    assert findings(results) == []
    assert code == 0
    controls = {r.control for r in results}
    expected = {
        "S3.8", "S3.5", "S3.17", "S3.14", "S3.7", "KMS.4", "RDS.27", "RDS.4", "RDS.50", "RDS.37",
        "Lambda.3", "Lambda.7", "APIGateway.1", "APIGateway.3", "APIGateway.9", "CloudWatch.16",
        "TAP.2", "CloudWatch.15", "IAM.7",
    }  # fmt: skip
    # Deletion protection is declared (and so checked) in prod only.
    assert controls == (expected | {"RDS.7"} if stack == "itestprod" else expected)
    assert {r.region for r in results} == {PRIMARY, SECONDARY, "global"}
    # 2 regions x (key, 2 buckets x 3 + S3.17, function 2, stage 3, 4 log groups x 2, 2 alarms)
    # + replication + the cluster's 4 (5 in prod) + the password policy.
    assert len(results) == 2 * (1 + 7 + 2 + 3 + 8 + 2) + 1 + (5 if stack == "itestprod" else 4) + 1


def test_the_text_report_shows_every_check_and_the_verdict(deployment: Deployment) -> None:
    path = deployment.project_dir / "outputs.json"
    path.write_text(json.dumps(deployment.outputs))
    stdout, stderr = io.StringIO(), io.StringIO()

    code = run_verify(
        "itest",
        str(path),
        deployment.endpoint,
        [SECONDARY],
        "text",
        stdout,
        stderr,
        project_dir=deployment.project_dir,
    )

    lines = stdout.getvalue().splitlines()
    assert (code, stderr.getvalue()) == (0, "")
    assert all(line.startswith("PASS  ") for line in lines[:-1])
    assert all(f"  {SECONDARY}  " in line for line in lines[:-2])  # the last check is IAM.7
    assert lines[-1] == (
        f"Summary: {len(lines) - 1} checks in {SECONDARY}: {len(lines) - 1} pass, 0 drift, "
        "0 fail; the stack conforms"
    )


# --- each tamper is reported as drift with its control id, then undone ------------------------
# Every tamper registers its own undo. The tests assert the exact findings, so an undo that
# missed would show up as an extra finding in a later test.

Findings = list[tuple[str, str, str]]


def suspend_versioning(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    undo.callback(
        s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return [("S3.14", "drift", bucket)]


def delete_public_access_block(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(SECONDARY)["storage"]["bucketName"]
    s3 = d.client("s3", SECONDARY)
    saved = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    undo.callback(s3.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration=saved)
    return [("S3.8", "drift", bucket)]


def drop_tls_only_policy(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["logBucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    undo.callback(s3.put_bucket_policy, Bucket=bucket, Policy=saved)
    return [("S3.5", "drift", bucket)]


def encrypt_with_another_key(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    other_key = d.region(SECONDARY)["kmsKeyArn"]
    rule = {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": other_key,
        }
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    undo.callback(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=saved)
    return [("S3.17", "drift", bucket)]


def delete_replication(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    s3.delete_bucket_replication(Bucket=bucket)
    undo.callback(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=saved)
    return [("S3.7", "drift", bucket)]


def replicate_to_another_bucket(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    elsewhere = copy.deepcopy(saved)
    stranger = f"arn:aws:s3:::{d.region(SECONDARY)['storage']['logBucketName']}"
    elsewhere["Rules"][0]["Destination"]["Bucket"] = stranger
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=elsewhere)
    undo.callback(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=saved)
    return [("S3.7", "drift", bucket)]


def disable_replication_rule(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    disabled = copy.deepcopy(saved)
    disabled["Rules"][0]["Status"] = "Disabled"
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=disabled)
    undo.callback(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=saved)
    return [("S3.7", "drift", bucket)]


def disable_key_rotation(d: Deployment, undo: ExitStack) -> Findings:
    key = d.region(SECONDARY)["kmsKeyArn"]
    kms = d.client("kms", SECONDARY)
    kms.disable_key_rotation(KeyId=key)
    undo.callback(kms.enable_key_rotation, KeyId=key)
    return [("KMS.4", "drift", key)]


def delete_retention_policy(d: Deployment, undo: ExitStack) -> Findings:
    group = d.region(PRIMARY)["api"]["logGroupNames"][0]
    logs = d.client("logs")
    logs.delete_retention_policy(logGroupName=group)
    undo.callback(logs.put_retention_policy, logGroupName=group, retentionInDays=RETENTION_DAYS)
    return [("CloudWatch.16", "drift", group)]


def shorten_retention(d: Deployment, undo: ExitStack) -> Findings:
    group = d.region(SECONDARY)["flowLogGroupName"]
    logs = d.client("logs", SECONDARY)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    undo.callback(logs.put_retention_policy, logGroupName=group, retentionInDays=RETENTION_DAYS)
    return [("CloudWatch.16", "drift", group)]


def lower_backup_retention(d: Deployment, undo: ExitStack) -> Findings:
    cluster = d.region(PRIMARY)["database"]["clusterIdentifier"]
    rds = d.client("rds")
    rds.modify_db_cluster(DBClusterIdentifier=cluster, BackupRetentionPeriod=1)
    undo.callback(rds.modify_db_cluster, DBClusterIdentifier=cluster, BackupRetentionPeriod=7)
    return [("RDS.50", "drift", cluster)]


def remove_alarm_actions(d: Deployment, undo: ExitStack) -> Findings:
    api = d.region(SECONDARY)["api"]
    alarm = api["alarmNames"][1]
    cloudwatch = d.client("cloudwatch", SECONDARY)
    put_alarm(cloudwatch, alarm, [])
    undo.callback(put_alarm, cloudwatch, alarm, [api["alarmTopicArn"]])
    return [("CloudWatch.15", "drift", alarm)]


def turn_off_stage_tracing(d: Deployment, undo: ExitStack) -> Findings:
    api_id = d.region(PRIMARY)["api"]["restApiId"]
    apigateway = d.client("apigateway")

    def tracing(value: str) -> None:
        apigateway.update_stage(
            restApiId=api_id,
            stageName="v1",
            patchOperations=[{"op": "replace", "path": "/tracingEnabled", "value": value}],
        )

    tracing("false")
    undo.callback(tracing, "true")
    return [("APIGateway.3", "drift", f"{api_id}/v1")]


def take_function_out_of_the_vpc(d: Deployment, undo: ExitStack) -> Findings:
    function = d.region(SECONDARY)["api"]["functionName"]
    lambda_ = d.client("lambda", SECONDARY)
    saved = lambda_.get_function_configuration(FunctionName=function)["VpcConfig"]
    lambda_.update_function_configuration(
        FunctionName=function, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}
    )
    undo.callback(
        lambda_.update_function_configuration,
        FunctionName=function,
        VpcConfig={k: saved[k] for k in ("SubnetIds", "SecurityGroupIds")},
    )
    return [("Lambda.3", "drift", function)]


def delete_password_policy(d: Deployment, undo: ExitStack) -> Findings:
    iam = d.client("iam")
    saved = iam.get_account_password_policy()["PasswordPolicy"]
    iam.delete_account_password_policy()
    undo.callback(iam.update_account_password_policy, **without(saved, "ExpirePasswords"))
    return [("IAM.7", "drift", "account password policy")]


def without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


@pytest.mark.parametrize(
    "tamper",
    [
        suspend_versioning,
        delete_public_access_block,
        drop_tls_only_policy,
        encrypt_with_another_key,
        delete_replication,
        replicate_to_another_bucket,
        disable_replication_rule,
        disable_key_rotation,
        delete_retention_policy,
        shorten_retention,
        lower_backup_retention,
        remove_alarm_actions,
        turn_off_stage_tracing,
        take_function_out_of_the_vpc,
        delete_password_policy,
    ],
)
def test_a_tamper_is_reported_as_drift_of_its_control(
    deployment: Deployment, undo: ExitStack, tamper: Callable[[Deployment, ExitStack], Findings]
) -> None:
    expected = tamper(deployment, undo)

    code, results, _ = deployment.verify()

    assert findings(results) == expected
    assert code == 1


def test_removed_deletion_protection_is_drift_in_prod(
    deployment: Deployment, undo: ExitStack
) -> None:
    cluster = deployment.region(PRIMARY)["database"]["clusterIdentifier"]
    rds = deployment.client("rds")
    rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=False)
    undo.callback(rds.modify_db_cluster, DBClusterIdentifier=cluster, DeletionProtection=True)

    prod_code, prod_results, _ = deployment.verify("itestprod")
    dev_code, dev_results, _ = deployment.verify("itest")

    assert findings(prod_results) == [("RDS.7", "drift", cluster)]
    assert prod_code == 1
    # dev declares no deletion protection, so its absence is no finding there.
    assert (findings(dev_results), dev_code) == ([], 0)


def test_a_missing_resource_is_a_fail_not_a_crash(deployment: Deployment) -> None:
    outputs = copy.deepcopy(deployment.outputs)
    outputs["regions"][PRIMARY]["api"]["functionName"] = "tap-itest-use1-gone"
    outputs["regions"][SECONDARY]["database"] = {"role": "secondary", "clusterIdentifier": "gone"}

    code, results, _ = deployment.verify(outputs=outputs)

    assert findings(results) == [
        ("Lambda.3", "fail", "tap-itest-use1-gone"),
        ("Lambda.7", "fail", "tap-itest-use1-gone"),
        *[(c, "fail", "gone") for c in ("RDS.27", "RDS.4", "RDS.50", "RDS.37")],
    ]
    assert {r.actual for r in results if r.status == "fail"} == {
        "not found (ResourceNotFoundException)",
        "not found (DBClusterNotFoundFault)",
    }
    assert code == 1


# --- what moto cannot emulate: botocore's Stubber ---------------------------------------------


class LambdaTracingOff:
    """A session whose Lambda clients answer from a Stubber (tracing PassThrough), the rest moto.

    moto keeps TracingConfig Active through update_function_configuration, so the drift cannot
    be made there.
    """

    def __init__(self, deployment: Deployment) -> None:
        self._deployment = deployment
        self._session = SESSION
        self.stubbers: list[Stubber] = []

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self._session.client(service, **kwargs)
        if service != "lambda":
            return client
        region = kwargs["region_name"]
        outputs = self._deployment.region(region)
        stubber = Stubber(client)
        stubber.add_response(
            "get_function_configuration",
            {
                "FunctionName": outputs["api"]["functionName"],
                "VpcConfig": {
                    "SubnetIds": outputs["subnetIds"]["private"],
                    "SecurityGroupIds": [outputs["securityGroupIds"]["app"]],
                },
                "TracingConfig": {"Mode": "PassThrough" if region == SECONDARY else "Active"},
            },
            {"FunctionName": outputs["api"]["functionName"]},
        )
        stubber.activate()
        self.stubbers.append(stubber)
        return client


def test_lambda_tracing_turned_off_is_drift(deployment: Deployment) -> None:
    session = LambdaTracingOff(deployment)

    code, results, _ = deployment.verify(session_factory=lambda: session)

    function = deployment.region(SECONDARY)["api"]["functionName"]
    assert findings(results) == [("Lambda.7", "drift", function)]
    assert code == 1
    assert len(session.stubbers) == 2
    for stubber in session.stubbers:
        stubber.assert_no_pending_responses()
