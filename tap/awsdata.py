"""AWS's published constraint data (pure), read from the copy that ships in cfn-lint.

cfn-lint packages the CloudFormation resource provider schemas of every region, and the RDS
engine-version and orderable-instance-class data AWS publishes, refreshed with each release.
Pinned through uv.lock, so `uv lock --upgrade-package cfn-lint` refreshes what tap checks
against. tap never keeps its own copy of these lists: config validation, the constraint check
of `tap plan` and the docs all read them from here.

Only the JSON files are read. cfn-lint itself is never imported (its import costs 0.7 s, more
than the whole data read), so the package is located with `find_spec`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

AURORA_POSTGRESQL = "aurora-postgresql"
# A numbered Aurora PostgreSQL release: MAJOR.MINOR (no "-limitless" or other variants).
_RELEASE = re.compile(r"[0-9]+\.[0-9]+")


class AwsDataError(RuntimeError):
    """cfn-lint's data is missing or not in the shape this module reads (an install problem)."""


@cache
def schemas_dir() -> Path:
    spec = find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise AwsDataError(
            "cfn-lint is not installed; it carries AWS's constraint data (run `scripts/uv sync`)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@cache
def _json(relative: str) -> Any:
    path = schemas_dir() / relative
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AwsDataError(f"cannot read AWS constraint data {path}: {exc}") from None


def data_date() -> str:
    """When cfn-lint's copy of the schemas was taken (shown in messages and docs)."""
    return str(_json("version.json").get("schema_date", "unknown"))


def source() -> str:
    """The citation a constraint message carries."""
    return f"AWS CloudFormation schemas and RDS data in cfn-lint (schemas of {data_date()})"


@cache
def resource_schema(cfn_type: str, region: str) -> dict[str, Any]:
    """The CloudFormation resource provider schema of `cfn_type` (AWS::S3::Bucket) in `region`."""
    providers = _json(f"providers/{region}.json")
    digest = providers.get(cfn_type)
    if digest is None:
        raise AwsDataError(f"no CloudFormation schema for {cfn_type} in {region}")
    schema: dict[str, Any] = _json(f"resources/{digest}.json")
    return schema


def extension_schema(name: str) -> dict[str, Any]:
    """One of cfn-lint's extension schemas, e.g. `aws_cloudwatch_alarm/period.json`."""
    schema: dict[str, Any] = _json(f"extensions/{name}")
    return schema


def _branches_for_engine(document: Any, engine: str) -> list[dict[str, Any]]:
    """The `allOf` branches of an extension schema whose `if` pins `Engine` to `engine`."""
    branches = []
    for branch in document.get("allOf", []):
        condition = branch.get("if", {}).get("properties", {}).get("Engine", {})
        if condition.get("const") == engine:
            branches.append(branch)
    return branches


def _enum_of(branches: list[dict[str, Any]], section: str, prop: str) -> list[str]:
    values: list[str] = []
    for branch in branches:
        where = branch.get(section)
        if isinstance(where, dict):
            values += [str(v) for v in where.get("properties", {}).get(prop, {}).get("enum", [])]
    return values


@cache
def deprecated_aurora_postgresql_versions() -> frozenset[str]:
    """Versions RDS no longer offers for new clusters (`then: false` in cfn-lint's data)."""
    document = _json("extensions/aws_rds_dbcluster/engine_version_deprecated.json")
    return frozenset(
        _enum_of(_branches_for_engine(document, AURORA_POSTGRESQL), "if", "EngineVersion")
    )


@cache
def aurora_postgresql_versions() -> tuple[str, ...]:
    """Numbered Aurora PostgreSQL releases a new cluster can use, oldest first."""
    document = _json("extensions/aws_rds_dbcluster/engine_version.json")
    known = _enum_of(_branches_for_engine(document, AURORA_POSTGRESQL), "then", "EngineVersion")
    deprecated = deprecated_aurora_postgresql_versions()
    offered = {v for v in known if _RELEASE.fullmatch(v) and v not in deprecated}
    if not offered:
        raise AwsDataError("cfn-lint's RDS data lists no Aurora PostgreSQL versions")
    return tuple(sorted(offered, key=version_key))


def version_key(version: str) -> tuple[int, ...]:
    """'16.10' sorts after '16.9'."""
    return tuple(int(part) for part in version.split("."))


def aurora_postgresql_majors() -> tuple[int, ...]:
    return tuple(sorted({version_key(v)[0] for v in aurora_postgresql_versions()}))


@cache
def aurora_postgresql_instance_classes(region: str) -> frozenset[str]:
    """Instance classes RDS can order for Aurora PostgreSQL in `region` (db.serverless too)."""
    document = _json("extensions/aws_rds_dbinstance/dbinstanceclass_enum.json")
    if region not in document:
        raise AwsDataError(f"no RDS instance-class data for region {region}")
    branches = _branches_for_engine(document[region], AURORA_POSTGRESQL)
    return frozenset(_enum_of(branches, "then", "DBInstanceClass"))


@cache
def lambda_runtime_lifecycle() -> dict[str, dict[str, str | None]]:
    """Each Lambda runtime's deprecation schedule: ISO dates for `deprecated`, `create-block`
    and `update-block` (None when not announced), and its `successor`."""
    path = schemas_dir().parent / "AdditionalSpecs" / "LmbdRuntimeLifecycle.json"
    try:
        document: dict[str, dict[str, str | None]] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AwsDataError(f"cannot read AWS constraint data {path}: {exc}") from None
    return document


@cache
def log_retention_days() -> tuple[int, ...]:
    """The only values CloudWatch Logs accepts for a log group's retention."""
    schema = resource_schema("AWS::Logs::LogGroup", "us-east-1")
    values = schema["properties"]["RetentionInDays"]["enum"]
    return tuple(sorted(int(v) for v in values))


# The CloudFormation type behind each pulumi-aws resource type tap uses (or will), so checks
# can read AWS's schema and stateful list for a planned resource. Types that configure part of
# another resource (a bucket's versioning, a role's managed-policy attachment) have no
# CloudFormation type of their own and are absent.
CFN_TYPES: dict[str, str] = {
    "aws:acm/certificate:Certificate": "AWS::CertificateManager::Certificate",
    "aws:apigateway/account:Account": "AWS::ApiGateway::Account",
    "aws:apigateway/basePathMapping:BasePathMapping": "AWS::ApiGateway::BasePathMapping",
    "aws:apigateway/deployment:Deployment": "AWS::ApiGateway::Deployment",
    "aws:apigateway/domainName:DomainName": "AWS::ApiGateway::DomainName",
    "aws:apigateway/method:Method": "AWS::ApiGateway::Method",
    "aws:apigateway/model:Model": "AWS::ApiGateway::Model",
    "aws:apigateway/requestValidator:RequestValidator": "AWS::ApiGateway::RequestValidator",
    "aws:apigateway/resource:Resource": "AWS::ApiGateway::Resource",
    "aws:apigateway/response:Response": "AWS::ApiGateway::GatewayResponse",
    "aws:apigateway/restApi:RestApi": "AWS::ApiGateway::RestApi",
    "aws:apigateway/stage:Stage": "AWS::ApiGateway::Stage",
    "aws:backup/plan:Plan": "AWS::Backup::BackupPlan",
    "aws:backup/selection:Selection": "AWS::Backup::BackupSelection",
    "aws:backup/vault:Vault": "AWS::Backup::BackupVault",
    "aws:cloudwatch/dashboard:Dashboard": "AWS::CloudWatch::Dashboard",
    "aws:cloudwatch/logGroup:LogGroup": "AWS::Logs::LogGroup",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "AWS::Logs::MetricFilter",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "AWS::Logs::ResourcePolicy",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "AWS::CloudWatch::Alarm",
    "aws:ec2/eip:Eip": "AWS::EC2::EIP",
    "aws:ec2/flowLog:FlowLog": "AWS::EC2::FlowLog",
    "aws:ec2/internetGateway:InternetGateway": "AWS::EC2::InternetGateway",
    "aws:ec2/natGateway:NatGateway": "AWS::EC2::NatGateway",
    "aws:ec2/route:Route": "AWS::EC2::Route",
    "aws:ec2/routeTable:RouteTable": "AWS::EC2::RouteTable",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "AWS::EC2::SubnetRouteTableAssociation",
    "aws:ec2/securityGroup:SecurityGroup": "AWS::EC2::SecurityGroup",
    "aws:ec2/subnet:Subnet": "AWS::EC2::Subnet",
    "aws:ec2/vpc:Vpc": "AWS::EC2::VPC",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "AWS::EC2::VPCEndpoint",
    "aws:iam/role:Role": "AWS::IAM::Role",
    "aws:iam/rolePolicy:RolePolicy": "AWS::IAM::RolePolicy",
    "aws:kms/alias:Alias": "AWS::KMS::Alias",
    "aws:kms/key:Key": "AWS::KMS::Key",
    "aws:lambda/codeSigningConfig:CodeSigningConfig": "AWS::Lambda::CodeSigningConfig",
    "aws:lambda/function:Function": "AWS::Lambda::Function",
    "aws:lambda/permission:Permission": "AWS::Lambda::Permission",
    "aws:rds/cluster:Cluster": "AWS::RDS::DBCluster",
    "aws:rds/clusterInstance:ClusterInstance": "AWS::RDS::DBInstance",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "AWS::RDS::DBClusterParameterGroup",
    "aws:rds/globalCluster:GlobalCluster": "AWS::RDS::GlobalCluster",
    "aws:rds/parameterGroup:ParameterGroup": "AWS::RDS::DBParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup": "AWS::RDS::DBSubnetGroup",
    "aws:route53/healthCheck:HealthCheck": "AWS::Route53::HealthCheck",
    "aws:route53/record:Record": "AWS::Route53::RecordSet",
    "aws:s3/bucket:Bucket": "AWS::S3::Bucket",
    "aws:s3/bucketPolicy:BucketPolicy": "AWS::S3::BucketPolicy",
    "aws:secretsmanager/secret:Secret": "AWS::SecretsManager::Secret",
    "aws:secretsmanager/secretRotation:SecretRotation": "AWS::SecretsManager::RotationSchedule",
    "aws:signer/signingProfile:SigningProfile": "AWS::Signer::SigningProfile",
    "aws:sns/topic:Topic": "AWS::SNS::Topic",
    "aws:sns/topicPolicy:TopicPolicy": "AWS::SNS::TopicPolicy",
    "aws:sns/topicSubscription:TopicSubscription": "AWS::SNS::Subscription",
    "aws:sqs/queue:Queue": "AWS::SQS::Queue",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "AWS::EC2::SecurityGroupEgress",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "AWS::EC2::SecurityGroupIngress",
    "aws:wafv2/webAcl:WebAcl": "AWS::WAFv2::WebACL",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "AWS::WAFv2::WebACLAssociation",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        "AWS::WAFv2::LoggingConfiguration"
    ),
}


@cache
def _stateful_cfn_types() -> frozenset[str]:
    path = schemas_dir().parent / "AdditionalSpecs" / "StatefulResources.json"
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AwsDataError(f"cannot read AWS constraint data {path}: {exc}") from None
    return frozenset(document.get("ResourceTypes", {}))


# Stateful for tap although cfn-lint's list omits it: replacing the global cluster detaches
# every member cluster, so the database stops being one global database.
ALSO_STATEFUL = frozenset({"aws:rds/globalCluster:GlobalCluster"})


def is_stateful(pulumi_type: str) -> bool:
    """Whether deleting or replacing a resource of this type loses data (cfn-lint's list of
    stateful CloudFormation types: clusters, instances, buckets, keys, log groups, ...)."""
    if pulumi_type in ALSO_STATEFUL:
        return True
    cfn_type = CFN_TYPES.get(pulumi_type)
    return cfn_type is not None and cfn_type in _stateful_cfn_types()


# --- IAM: each action and the resources it can be scoped to ---------------------------------------


@cache
def _iam_services() -> dict[str, Any]:
    """AWS's Service Authorization Reference as cfn-lint ships it (AdditionalSpecs/Policies.json,
    taken from AWS's service reference API with each release): per service prefix, its actions
    (lowercase) and the resource types each can be scoped to."""
    path = schemas_dir().parent / "AdditionalSpecs" / "Policies.json"
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise AwsDataError(f"cannot read AWS IAM data {path}: {exc}") from None
    if not isinstance(document, dict):
        raise AwsDataError(f"AWS IAM data {path} is not a JSON object")
    return document


def iam_actions(pattern: str) -> dict[str, tuple[str, ...]]:
    """The actions `pattern` names (`service:Action`, `*` and `?` allowed), each with the resource
    types it can be scoped to. An action with none supports no resource-level permissions: only
    `Resource: "*"` grants it. Empty when AWS's data knows no such action."""
    service, _, action = pattern.lower().partition(":")
    actions = _iam_services().get(service, {}).get("Actions", {})
    if not action or not isinstance(actions, dict):
        return {}
    matcher = re.compile(re.escape(action).replace(r"\*", ".*").replace(r"\?", "."))
    return {
        f"{service}:{name}": tuple(spec.get("Resources") or ())
        for name, spec in actions.items()
        if matcher.fullmatch(name)
    }
