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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]

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
  tap:codeSigning:
    untrustedArtifactOnDeployment: Enforce
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
# A third stack over the same deployment, with the global entry point (tap:dns). Its zone id is
# the config's; verify reads the deployed zone from the outputs (moto's ids lack AWS's Z).
DNS_DOMAIN = "api.itest.example.com"
STACK_FILES["itestdns"] = (
    STACK_FILES["itest"]
    + f"""  tap:dns:
    zoneId: Z0ITESTZONE
    domainName: {DNS_DOMAIN}
"""
)
ENVIRONMENTS = {"itest": "dev", "itestprod": "prod", "itestdns": "dev"}
CODE_SIGNING_CONFIGS = {
    region: f"arn:aws:lambda:{region}:{ACCOUNT}:code-signing-config:csc-{code}0123456789abc"
    for region, code in CODES.items()
}


class MotoSession:
    """boto3 to the moto server, except the two reads moto does not implement, which botocore
    answers before sending (as its Stubber does) with what the deployment declares:

    - Lambda's GetCodeSigningConfig: the region's config, enforcing signatures;
    - AWS Backup's ListRecoveryPointsByBackupVault: a backup of the asked-for resource that
      completed an hour ago (AWS Backup's jobs cannot run on moto).
    """

    def __init__(self) -> None:
        # One session for the whole module: its loader caches the service models.
        self._session = boto3.Session()

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self._session.client(service, **kwargs)
        client.meta.events.register("before-parameter-build", self._remember)
        client.meta.events.register("before-call", self._answer)
        return client

    def _remember(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._params = dict(params)

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = getattr(self, "_params", {})
        if model.name == "GetCodeSigningConfig":
            arn = params["CodeSigningConfigArn"]
            body: dict[str, Any] = {
                "CodeSigningConfig": {
                    "CodeSigningConfigId": arn.rsplit(":", 1)[-1],
                    "CodeSigningConfigArn": arn,
                    "AllowedPublishers": {"SigningProfileVersionArns": ["arn:aws:signer:x"]},
                    "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
                    "LastModified": "2026-11-30T00:00:00Z",
                }
            }
        elif model.name == "ListRecoveryPointsByBackupVault":
            created = datetime.now(UTC) - timedelta(hours=1)
            body = {
                "RecoveryPoints": [
                    {
                        "RecoveryPointArn": "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:"
                        "awsbackup:job-1",
                        "BackupVaultName": params["BackupVaultName"],
                        "ResourceArn": params["ByResourceArn"],
                        "Status": "COMPLETED",
                        "CreationDate": created,
                    }
                ]
            }
        else:
            return None
        return AWSResponse("https://moto", 200, {}, None), body


SESSION = MotoSession()


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
    # The group the cluster exports to, created first with key and retention, as the program does.
    cluster_logs = "/aws/rds/cluster/tap-itest-use1-aurora/postgresql"
    client("logs").create_log_group(logGroupName=cluster_logs, kmsKeyId=primary["kmsKeyArn"])
    client("logs").put_retention_policy(logGroupName=cluster_logs, retentionInDays=RETENTION_DAYS)
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
    vaults = {}
    for region, code in CODES.items():
        vault = f"tap-itest-{code}-backup-vault"
        backup = client("backup", region)
        backup.create_backup_vault(
            BackupVaultName=vault, EncryptionKeyArn=regions[region]["kmsKeyArn"]
        )
        backup.put_backup_vault_lock_configuration(
            BackupVaultName=vault, MinRetentionDays=7, MaxRetentionDays=365
        )
        vaults[region] = vault
    primary["database"] = {
        "role": "writer",
        "clusterArn": cluster["DBClusterArn"],
        "clusterIdentifier": cluster["DBClusterIdentifier"],
        "endpoint": cluster["Endpoint"],
        "readerEndpoint": cluster.get("ReaderEndpoint", ""),
        "masterSecretArn": "[secret]",  # how `pulumi stack output --json` prints a secret
    }
    return {
        "environment": "dev",
        "primaryRegion": PRIMARY,
        "regions": regions,
        "entryPoint": build_entry_point(client),
        "backup": {"vaultNames": vaults, "planRegions": [PRIMARY], "copyRegion": SECONDARY},
    }


def build_entry_point(client: Callable[..., Any]) -> dict[str, Any]:
    """The custom domains, health checks and latency records tap:dns makes, per region."""
    route53 = client("route53")
    zone_id = route53.create_hosted_zone(Name="itest.example.com", CallerReference="itest")[
        "HostedZone"
    ]["Id"].removeprefix("/hostedzone/")
    checks = {}
    for region in (PRIMARY, SECONDARY):
        own_name = f"{region}.{DNS_DOMAIN}"
        domains = {
            name: create_custom_domain(client("apigateway", region), region, name, "TLS_1_2")
            for name in (DNS_DOMAIN, own_name)
        }
        checks[region] = route53.create_health_check(
            CallerReference=f"itest-{region}",
            HealthCheckConfig={
                "Type": "HTTPS",
                "FullyQualifiedDomainName": own_name,
                "Port": 443,
                "ResourcePath": "/health",
                "RequestInterval": 30,
                "FailureThreshold": 3,
                "EnableSNI": True,
            },
        )["HealthCheck"]["Id"]
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={"Changes": [latency_record(region, domains[DNS_DOMAIN], checks[region])]},
        )
    return {
        "url": f"https://{DNS_DOMAIN}",
        "domainName": DNS_DOMAIN,
        "zoneId": zone_id,
        "routing": "latency",
        "healthCheckIds": checks,
    }


def create_custom_domain(api: Any, region: str, name: str, policy: str) -> dict[str, Any]:
    domain: dict[str, Any] = api.create_domain_name(
        domainName=name,
        regionalCertificateArn=f"arn:aws:acm:{region}:{ACCOUNT}:certificate/itest",
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy=policy,
    )
    return domain


def latency_record(
    region: str, domain: dict[str, Any], check_id: str | None, action: str = "CREATE"
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Name": DNS_DOMAIN,
        "Type": "A",
        "SetIdentifier": region,
        "Region": region,
        "AliasTarget": {
            "HostedZoneId": domain["regionalHostedZoneId"],
            "DNSName": domain["regionalDomainName"],
            "EvaluateTargetHealth": True,
        },
    }
    if check_id is not None:
        record["HealthCheckId"] = check_id
    return {"Action": action, "ResourceRecordSet": record}


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
        CodeSigningConfigArn=CODE_SIGNING_CONFIGS[region],
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

    wafv2 = client("wafv2", region)
    acl = wafv2.create_web_acl(
        Name=f"{prefix}-waf",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": f"{prefix}-waf",
        },
        Rules=[],
    )["Summary"]["ARN"]
    wafv2.associate_web_acl(
        WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/v1"
    )
    waf_group = f"aws-waf-logs-{prefix}-waf"
    logs.create_log_group(logGroupName=waf_group, kmsKeyId=key_arn)
    wafv2.put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": acl,
            "LogDestinationConfigs": [f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{waf_group}"],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
        }
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
            "webAclArn": acl,
            "codeSigningConfigArn": CODE_SIGNING_CONFIGS[region],
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
