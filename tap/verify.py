"""`tap verify`: live conformance and drift checks of a deployed stack, read with boto3.

Two inputs say what should be there:

- the stack's outputs, as `pulumi stack output --json` prints them: the names and ARNs of what
  was deployed (bucket names, cluster identifier, REST API id, log groups, alarms, ...);
- the stack's `Pulumi.<stack>.yaml`, through tap's own config model: the values the program
  declares (environment, logRetentionDays, database.backupRetentionDays, ...).

Each check reads one setting of one resource and compares it with what the program declares.
Control ids are the AWS Foundational Security Best Practices ids the policy pack uses (see
CONTROLS). A result is

- `pass`: the setting is what the program declares;
- `drift`: the resource exists, but the setting differs or was removed (versioning suspended,
  public access block deleted, retention policy deleted, ...);
- `fail`: the resource the outputs name is missing or cannot be read.

`run_verify` is the command: it reads and validates the inputs, runs `verify` and prints a
report. Bad input, missing or refused credentials and an unreachable endpoint are one line on
stderr and exit code 2; any drift or fail is exit code 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    ClientError,
)

from tap.aws import REFUSED, describe_aws_error, error_code
from tap.baseline import PASSWORD_MAX_AGE_DAYS, PASSWORD_MIN_LENGTH, PASSWORD_REUSE_PREVENTION
from tap.config import ConfigError, StackConfig

Status = Literal["pass", "fail", "drift"]
OutputFormat = Literal["text", "json"]
# Returns a boto3.Session (or anything with its `client(service, region_name=, endpoint_url=,
# config=)`); the clients it makes use the endpoint given to `verify` (e.g. moto's).
SessionFactory = Callable[[], Any]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

GLOBAL = "global"  # the region column of account-wide checks (IAM)


# --- the controls --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    id: str  # the FSBP id, as the policy pack reports it
    check: str  # the short name in reports
    passes_when: str


CONTROLS: dict[str, Control] = {
    c.id: c
    for c in (
        Control("S3.8", "public-access-block", "all four public access block settings are on"),
        Control("S3.5", "tls-only-policy", "the bucket policy denies aws:SecureTransport=false"),
        Control("S3.17", "sse-kms", "default encryption is SSE-KMS with the region's key"),
        Control("S3.14", "versioning", "versioning is Enabled"),
        Control("S3.7", "replication", "the primary replicates to exactly the replica buckets"),
        Control("KMS.4", "key-rotation", "the region's key rotates automatically"),
        Control(
            "RDS.27", "storage-encrypted", "cluster storage is encrypted with the region's key"
        ),
        Control("RDS.4", "snapshots-encrypted", "every snapshot of the cluster is encrypted"),
        Control("RDS.7", "deletion-protection", "deletion protection is on (prod only)"),
        Control("RDS.50", "backup-retention", "backup retention >= database.backupRetentionDays"),
        Control("RDS.37", "log-exports", "the cluster exports the postgresql log"),
        Control("Lambda.3", "in-vpc", "the function runs in the private subnets and app group"),
        Control("Lambda.7", "function-tracing", "X-Ray tracing mode is Active"),
        Control("APIGateway.1", "execution-logging", "*/* loggingLevel is api.executionLogLevel"),
        Control("APIGateway.3", "stage-tracing", "X-Ray tracing is enabled on the stage"),
        Control("APIGateway.9", "access-logging", "access logs go to a log group of the stack"),
        Control("CloudWatch.16", "log-retention", "retention is logRetentionDays"),
        # FSBP has no control for log group encryption; this id is tap's own.
        Control("TAP.2", "log-encryption", "the log group is encrypted with the region's key"),
        Control("CloudWatch.15", "alarm-actions", "the alarm exists and notifies the alarm topic"),
        Control("IAM.7", "password-policy", "length >= 14, 4 classes, max age <= 90, reuse >= 24"),
    )
}

# A missing setting on a resource that exists: drift, not failure.
SETTING_ABSENT = frozenset(
    {
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchBucketPolicy",
        "ServerSideEncryptionConfigurationNotFoundError",
        "ReplicationConfigurationNotFoundError",
        "NoSuchEntity",  # IAM: no account password policy
    }
)
# The resource the outputs name is gone.
NOT_FOUND = frozenset(
    {
        "NoSuchBucket",
        "NotFoundException",
        "NotFound",
        "DBClusterNotFoundFault",
        "ResourceNotFoundException",
        "404",
    }
)


@dataclass(frozen=True)
class CheckResult:
    control: str
    check: str
    region: str
    resource: str
    status: Status
    expected: str
    actual: str


class VerifyError(Exception):
    """Bad input: shown as one line and exit code 2."""


# --- the outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Nullable:
    spec: Any


# What verify reads from each region of `pulumi stack output --json` (more keys are fine).
_REGION_SHAPE: dict[str, Any] = {
    "kmsKeyArn": str,
    "kmsAliasName": str,
    "flowLogGroupName": _Nullable(str),  # null when the network comes from another stack
    "subnetIds": {"private": [str]},
    "securityGroupIds": {"app": str},
    "storage": {"role": str, "bucketName": str, "bucketArn": str, "logBucketName": str},
    "database": _Nullable({"role": str, "clusterIdentifier": str}),
    "api": {
        "restApiId": str,
        "stageName": str,
        "functionName": str,
        "alarmTopicArn": str,
        "alarmNames": [str],
        "logGroupNames": [str],
    },
}
_TYPE_NAMES = {str: "a string", dict: "a map", list: "a list"}


def validate_outputs(outputs: Any) -> None:
    """Raise VerifyError naming the first missing or mistyped key."""
    if not isinstance(outputs, Mapping):
        raise VerifyError(
            f"must be a JSON object (what `pulumi stack output --json` prints), got "
            f"{_kind(outputs)}"
        )
    for key in ("environment", "primaryRegion"):
        _validate(outputs, key, str, key)
    _validate(outputs, "regions", dict, "regions")
    for region in outputs["regions"]:
        _validate(outputs["regions"], region, _REGION_SHAPE, f"regions.{region}")


def _validate(parent: Mapping[str, Any], key: str, spec: Any, path: str) -> None:
    if key not in parent:
        raise VerifyError(f"missing key {path}")
    value = parent[key]
    if isinstance(spec, _Nullable):
        if value is None:
            return
        spec = spec.spec
    if isinstance(spec, dict):
        if not isinstance(value, Mapping):
            raise VerifyError(f"{path} must be a map, got {_kind(value)}")
        for child, child_spec in spec.items():
            _validate(value, child, child_spec, f"{path}.{child}")
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise VerifyError(f"{path} must be a list, got {_kind(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, spec[0]):
                raise VerifyError(
                    f"{path}[{index}] must be {_TYPE_NAMES[spec[0]]}, got {_kind(item)}"
                )
    elif not isinstance(value, spec):
        raise VerifyError(f"{path} must be {_TYPE_NAMES[spec]}, got {_kind(value)}")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string {value!r}"
    names = {bool: "a boolean", int: "a number", float: "a number", list: "a list", dict: "a map"}
    return names.get(type(value), type(value).__name__)


def select_regions(
    outputs: Mapping[str, Any], config: StackConfig, requested: Sequence[str] | None
) -> list[str]:
    """The regions to check, in the stack's order; the outputs must belong to the config."""
    stack = config.stack
    if outputs["environment"] != config.environment:
        raise VerifyError(
            f"the outputs are of a {outputs['environment']} stack but Pulumi.{stack}.yaml says "
            f"environment {config.environment}; pass the outputs of stack {stack}"
        )
    if outputs["primaryRegion"] != config.primary_region:
        raise VerifyError(
            f"the outputs have primaryRegion {outputs['primaryRegion']} but Pulumi.{stack}.yaml "
            f"has {config.primary_region}; pass the outputs of stack {stack}"
        )
    deployed = sorted(outputs["regions"])
    if deployed != sorted(config.regions):
        raise VerifyError(
            f"the outputs have regions {', '.join(deployed)} but Pulumi.{stack}.yaml lists "
            f"{', '.join(config.regions)}; run `pulumi up` first, or pass the outputs of stack "
            f"{stack}"
        )
    allowed: list[str] = list(config.regions)
    if not requested:
        return allowed
    unknown = [r for r in requested if r not in allowed]
    if unknown:
        raise VerifyError(
            f"unknown region {', '.join(unknown)}; stack {stack} runs in {', '.join(allowed)}"
        )
    return [r for r in allowed if r in requested]


# --- AWS access ----------------------------------------------------------------------------------


class _Clients:
    """One boto3 client per (service, region), all from one session and one endpoint."""

    def __init__(self, session_factory: SessionFactory, endpoint_url: str | None) -> None:
        self._session = session_factory()
        self._endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        # Retries (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) stay as the environment sets them.
        self._config = Config(connect_timeout=10, read_timeout=30)

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service, region_name=region, endpoint_url=self._endpoint_url, config=self._config
            )
        return self._clients[key]


@dataclass(frozen=True)
class _Read:
    value: Any = None
    error: str | None = None  # the AWS error code when the read did not succeed


def _read(call: Callable[..., Any], **kwargs: Any) -> _Read:
    """Call AWS; a refused credential propagates, any other error becomes the result's error."""
    try:
        return _Read(call(**kwargs))
    except ClientError as exc:
        code = error_code(exc)
        if code in REFUSED:
            raise
        return _Read(error=code or "UnknownError")


@dataclass(frozen=True)
class _Context:
    outputs: Mapping[str, Any]
    config: StackConfig
    client: _Clients

    def region(self, region: str) -> Mapping[str, Any]:
        result: Mapping[str, Any] = self.outputs["regions"][region]
        return result

    @property
    def primary_region(self) -> str:
        return str(self.outputs["primaryRegion"])


def _check(
    control: str, region: str, resource: str, expected: str, actual: str, ok: bool | None = None
) -> CheckResult:
    """A setting was read: pass when it is as expected (`ok`, else expected == actual)."""
    passed = expected == actual if ok is None else ok
    return CheckResult(
        control,
        CONTROLS[control].check,
        region,
        resource,
        "pass" if passed else "drift",
        expected,
        actual,
    )


def _unread(control: str, region: str, resource: str, expected: str, code: str) -> CheckResult:
    """A read failed: a removed setting is drift; a missing or unreadable resource is a fail."""
    status: Status = "drift" if code in SETTING_ABSENT else "fail"
    if code in SETTING_ABSENT:
        actual = f"not set ({code})"
    elif code in NOT_FOUND:
        actual = f"not found ({code})"
    else:
        actual = f"unreadable ({code})"
    return CheckResult(control, CONTROLS[control].check, region, resource, status, expected, actual)


def _same_key(actual: str | None, region_outputs: Mapping[str, Any]) -> bool:
    """Whether a key reference (ARN, key id, alias name or alias ARN) is the region's key."""
    if not actual:
        return False
    arn: str = region_outputs["kmsKeyArn"]
    alias: str = region_outputs["kmsAliasName"]
    arn_prefix = arn.split(":key/", maxsplit=1)[0]
    return actual in {arn, arn.rsplit("/", 1)[-1], alias, f"{arn_prefix}:{alias}"}


# --- check families: one per AWS service ---------------------------------------------------------


def _check_kms(ctx: _Context, region: str) -> list[CheckResult]:
    key = ctx.region(region)["kmsKeyArn"]
    read = _read(ctx.client("kms", region).get_key_rotation_status, KeyId=key)
    if read.error:
        return [_unread("KMS.4", region, key, "enabled", read.error)]
    enabled = bool(read.value.get("KeyRotationEnabled"))
    return [_check("KMS.4", region, key, "enabled", "enabled" if enabled else "disabled")]


def _check_storage(ctx: _Context, region: str) -> list[CheckResult]:
    """The data bucket (and its access-log bucket); on the primary, replication too."""
    outputs = ctx.region(region)
    storage = outputs["storage"]
    partition = storage["bucketArn"].split(":")[1]
    s3 = ctx.client("s3", region)
    results = _check_bucket(s3, region, storage["bucketName"], partition, kms=outputs)
    results += _check_bucket(s3, region, storage["logBucketName"], partition, kms=None)
    if region == ctx.primary_region:
        replicas = sorted(
            values["storage"]["bucketArn"]
            for other, values in ctx.outputs["regions"].items()
            if other != region
        )
        if replicas:
            results.append(_check_replication(s3, region, storage["bucketName"], replicas))
    return results


def _check_bucket(
    s3: Any, region: str, bucket: str, partition: str, *, kms: Mapping[str, Any] | None
) -> list[CheckResult]:
    """S3.8, S3.5, S3.14, and S3.17 when the bucket is meant to use the region's key."""
    results = []

    expected = "all 4 on"
    read = _read(s3.get_public_access_block, Bucket=bucket)
    if read.error:
        results.append(_unread("S3.8", region, bucket, expected, read.error))
    else:
        settings = read.value["PublicAccessBlockConfiguration"]
        off = [name for name in _PUBLIC_ACCESS_SETTINGS if not settings.get(name)]
        actual = f"off: {', '.join(off)}" if off else expected
        results.append(_check("S3.8", region, bucket, expected, actual))

    expected = "deny s3:* when aws:SecureTransport=false"
    read = _read(s3.get_bucket_policy, Bucket=bucket)
    if read.error:
        results.append(_unread("S3.5", region, bucket, expected, read.error))
    else:
        present = denies_insecure_transport(read.value["Policy"], f"arn:{partition}:s3:::{bucket}")
        actual = expected if present else "no such deny in the bucket policy"
        results.append(_check("S3.5", region, bucket, expected, actual))

    read = _read(s3.get_bucket_versioning, Bucket=bucket)
    if read.error:
        results.append(_unread("S3.14", region, bucket, "Enabled", read.error))
    else:
        status = read.value.get("Status") or "never enabled"
        results.append(_check("S3.14", region, bucket, "Enabled", status))

    if kms is not None:
        expected = f"aws:kms {kms['kmsKeyArn']}"
        read = _read(s3.get_bucket_encryption, Bucket=bucket)
        if read.error:
            results.append(_unread("S3.17", region, bucket, expected, read.error))
        else:
            rules = read.value["ServerSideEncryptionConfiguration"].get("Rules") or [{}]
            default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
            algorithm = default.get("SSEAlgorithm", "none")
            key = default.get("KMSMasterKeyID")
            actual = f"{algorithm} {key}" if key else algorithm
            ok = algorithm == "aws:kms" and _same_key(key, kms)
            results.append(_check("S3.17", region, bucket, expected, actual, ok))
    return results


_PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def denies_insecure_transport(policy: str, bucket_arn: str) -> bool:
    """Whether a bucket policy denies every request over plain HTTP, on bucket and objects."""
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, Mapping):
            principal = principal.get("AWS")
        if "*" not in _as_list(principal):
            continue
        if not {"s3:*", "*"} & set(_as_list(statement.get("Action"))):
            continue
        resources = set(_as_list(statement.get("Resource")))
        if "*" not in resources and not {bucket_arn, f"{bucket_arn}/*"} <= resources:
            continue
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        values = _as_list(condition.get("aws:SecureTransport"))
        if any(str(v).lower() == "false" for v in values):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _check_replication(s3: Any, region: str, bucket: str, replica_arns: list[str]) -> CheckResult:
    expected = ", ".join(replica_arns)
    read = _read(s3.get_bucket_replication, Bucket=bucket)
    if read.error:
        return _unread("S3.7", region, bucket, expected, read.error)
    rules = read.value["ReplicationConfiguration"].get("Rules", [])
    destinations = sorted(
        {r["Destination"]["Bucket"] for r in rules if r.get("Status") == "Enabled"}
    )
    return _check("S3.7", region, bucket, expected, ", ".join(destinations) or "no enabled rules")


def _check_database(ctx: _Context, region: str) -> list[CheckResult]:
    database = ctx.region(region)["database"]
    if database is None:
        return []
    config = ctx.config
    identifier = database["clusterIdentifier"]
    key = ctx.region(region)["kmsKeyArn"]
    retention = config.database.backup_retention_days
    expectations = {
        "RDS.27": f"encrypted with {key}",
        "RDS.4": "every snapshot encrypted",
        "RDS.7": "on",
        "RDS.50": f">= {retention} days",
        "RDS.37": "postgresql",
    }
    if not config.is_prod:
        del expectations["RDS.7"]  # the program turns deletion protection on in prod only
    rds = ctx.client("rds", region)
    read = _read(rds.describe_db_clusters, DBClusterIdentifier=identifier)
    if read.error:
        return [_unread(c, region, identifier, e, read.error) for c, e in expectations.items()]
    cluster = read.value["DBClusters"][0]

    results = []
    encrypted = bool(cluster.get("StorageEncrypted"))
    actual = f"encrypted with {cluster.get('KmsKeyId')}" if encrypted else "not encrypted"
    ok = encrypted and _same_key(cluster.get("KmsKeyId"), ctx.region(region))
    results.append(_check("RDS.27", region, identifier, expectations["RDS.27"], actual, ok))

    read = _read(_all_cluster_snapshots, rds=rds, identifier=identifier)
    if read.error:
        results.append(_unread("RDS.4", region, identifier, expectations["RDS.4"], read.error))
    else:
        plain = [s["DBClusterSnapshotIdentifier"] for s in read.value if not s["StorageEncrypted"]]
        actual = f"unencrypted: {', '.join(plain)}" if plain else expectations["RDS.4"]
        results.append(_check("RDS.4", region, identifier, expectations["RDS.4"], actual))

    if "RDS.7" in expectations:
        actual = "on" if cluster.get("DeletionProtection") else "off"
        results.append(_check("RDS.7", region, identifier, "on", actual))

    days = int(cluster.get("BackupRetentionPeriod") or 0)
    actual = f"{days} days"
    results.append(
        _check("RDS.50", region, identifier, expectations["RDS.50"], actual, days >= retention)
    )

    exports = cluster.get("EnabledCloudwatchLogsExports") or []
    actual = ", ".join(exports) or "none"
    results.append(
        _check("RDS.37", region, identifier, "postgresql", actual, "postgresql" in exports)
    )
    return results


def _all_cluster_snapshots(*, rds: Any, identifier: str) -> list[dict[str, Any]]:
    pages = rds.get_paginator("describe_db_cluster_snapshots").paginate(
        DBClusterIdentifier=identifier
    )
    return [snapshot for page in pages for snapshot in page["DBClusterSnapshots"]]


def _check_function(ctx: _Context, region: str) -> list[CheckResult]:
    outputs = ctx.region(region)
    name = outputs["api"]["functionName"]
    subnets = sorted(outputs["subnetIds"]["private"])
    group = outputs["securityGroupIds"]["app"]
    in_vpc = f"subnets {', '.join(subnets)}; security group {group}"
    read = _read(ctx.client("lambda", region).get_function_configuration, FunctionName=name)
    if read.error:
        return [
            _unread("Lambda.3", region, name, in_vpc, read.error),
            _unread("Lambda.7", region, name, "Active", read.error),
        ]
    vpc = read.value.get("VpcConfig") or {}
    actual_subnets = sorted(vpc.get("SubnetIds") or [])
    actual_groups = sorted(vpc.get("SecurityGroupIds") or [])
    actual = (
        f"subnets {', '.join(actual_subnets)}; security groups {', '.join(actual_groups)}"
        if actual_subnets
        else "not in a VPC"
    )
    ok = actual_subnets == subnets and group in actual_groups
    mode = (read.value.get("TracingConfig") or {}).get("Mode", "PassThrough")
    return [
        _check("Lambda.3", region, name, in_vpc, actual, ok),
        _check("Lambda.7", region, name, "Active", mode),
    ]


def _check_api(ctx: _Context, region: str) -> list[CheckResult]:
    api = ctx.region(region)["api"]
    resource = f"{api['restApiId']}/{api['stageName']}"
    level = ctx.config.api.execution_log_level
    expectations = {
        "APIGateway.1": f"*/* loggingLevel {level}",
        "APIGateway.3": "enabled",
        "APIGateway.9": f"to one of {', '.join(api['logGroupNames'])}",
    }
    read = _read(
        ctx.client("apigateway", region).get_stage,
        restApiId=api["restApiId"],
        stageName=api["stageName"],
    )
    if read.error:
        return [_unread(c, region, resource, e, read.error) for c, e in expectations.items()]
    stage = read.value

    settings = (stage.get("methodSettings") or {}).get("*/*") or {}
    actual = f"*/* loggingLevel {settings.get('loggingLevel') or 'OFF'}"
    results = [_check("APIGateway.1", region, resource, expectations["APIGateway.1"], actual)]

    tracing = "enabled" if stage.get("tracingEnabled") else "disabled"
    results.append(_check("APIGateway.3", region, resource, "enabled", tracing))

    access = stage.get("accessLogSettings") or {}
    group = log_group_of(access.get("destinationArn") or "")
    if not group:
        actual = "off"
    elif not access.get("format"):
        actual = f"to {group}, without a format"
    else:
        actual = f"to {group}"
    ok = group in api["logGroupNames"] and bool(access.get("format"))
    results.append(
        _check("APIGateway.9", region, resource, expectations["APIGateway.9"], actual, ok)
    )
    return results


def log_group_of(arn: str) -> str:
    """`arn:aws:logs:<region>:<account>:log-group:<name>[:*]` -> `<name>`."""
    if ":log-group:" not in arn:
        return ""
    return arn.split(":log-group:", 1)[1].removesuffix(":*")


def _check_log_groups(ctx: _Context, region: str) -> list[CheckResult]:
    outputs = ctx.region(region)
    names = list(outputs["api"]["logGroupNames"])
    if outputs["flowLogGroupName"]:
        names.insert(0, outputs["flowLogGroupName"])
    days = ctx.config.log_retention_days
    key = outputs["kmsKeyArn"]
    logs = ctx.client("logs", region)
    results = []
    for name in names:
        read = _read(_log_group, logs=logs, name=name)
        if read.error or read.value is None:
            code = read.error or "ResourceNotFoundException"
            results.append(_unread("CloudWatch.16", region, name, f"{days} days", code))
            results.append(_unread("TAP.2", region, name, key, code))
            continue
        group = read.value
        retention = group.get("retentionInDays")
        actual = f"{retention} days" if retention else "never expire"
        results.append(_check("CloudWatch.16", region, name, f"{days} days", actual))
        group_key = group.get("kmsKeyId")
        ok = _same_key(group_key, outputs)
        results.append(_check("TAP.2", region, name, key, group_key or "AWS-owned key", ok))
    return results


def _log_group(*, logs: Any, name: str) -> dict[str, Any] | None:
    pages = logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name)
    for page in pages:
        for group in page["logGroups"]:
            if group["logGroupName"] == name:
                found: dict[str, Any] = group
                return found
    return None


_DESCRIBE_ALARMS_LIMIT = 100


def _check_alarms(ctx: _Context, region: str) -> list[CheckResult]:
    api = ctx.region(region)["api"]
    names: list[str] = api["alarmNames"]
    topic = api["alarmTopicArn"]
    expected = f"actions enabled, notify {topic}"
    cloudwatch = ctx.client("cloudwatch", region)
    found: dict[str, Any] = {}
    for start in range(0, len(names), _DESCRIBE_ALARMS_LIMIT):
        chunk = names[start : start + _DESCRIBE_ALARMS_LIMIT]
        read = _read(cloudwatch.describe_alarms, AlarmNames=chunk)
        if read.error:
            return [_unread("CloudWatch.15", region, n, expected, read.error) for n in names]
        found.update({a["AlarmName"]: a for a in read.value.get("MetricAlarms", [])})

    results = []
    for name in names:
        alarm = found.get(name)
        if alarm is None:
            results.append(
                _unread("CloudWatch.15", region, name, expected, "ResourceNotFoundException")
            )
            continue
        actions = alarm.get("AlarmActions") or []
        enabled = "actions enabled" if alarm.get("ActionsEnabled") else "actions disabled"
        actual = f"{enabled}, notify {', '.join(actions) or 'nobody'}"
        ok = bool(alarm.get("ActionsEnabled")) and topic in actions
        results.append(_check("CloudWatch.15", region, name, expected, actual, ok))
    return results


# CIS AWS Foundations 1.8-1.9 / FSBP IAM.7 (tap.components.security.AccountPasswordPolicyArgs).
_CHARACTER_CLASSES = {
    "RequireUppercaseCharacters": "upper",
    "RequireLowercaseCharacters": "lower",
    "RequireNumbers": "numbers",
    "RequireSymbols": "symbols",
}


def describe_password_policy(policy: Mapping[str, Any]) -> tuple[str, bool]:
    """The policy as one line, and whether it meets IAM.7."""
    length = int(policy.get("MinimumPasswordLength") or 0)
    classes = [label for key, label in _CHARACTER_CLASSES.items() if policy.get(key)]
    max_age = int(policy.get("MaxPasswordAge") or 0)  # 0: passwords never expire
    reuse = int(policy.get("PasswordReusePrevention") or 0)
    text = (
        f"length {length}, classes {'+'.join(classes) or 'none'}, "
        f"max age {max_age or 'never'}, reuse {reuse}"
    )
    ok = (
        length >= PASSWORD_MIN_LENGTH
        and len(classes) == len(_CHARACTER_CLASSES)
        and 0 < max_age <= PASSWORD_MAX_AGE_DAYS
        and reuse >= PASSWORD_REUSE_PREVENTION
    )
    return text, ok


def _check_password_policy(ctx: _Context) -> list[CheckResult]:
    resource = "account password policy"
    expected = (
        f"length >= {PASSWORD_MIN_LENGTH}, classes upper+lower+numbers+symbols, "
        f"max age <= {PASSWORD_MAX_AGE_DAYS}, reuse >= {PASSWORD_REUSE_PREVENTION}"
    )
    iam = ctx.client("iam", ctx.primary_region)
    read = _read(iam.get_account_password_policy)
    if read.error:
        return [_unread("IAM.7", GLOBAL, resource, expected, read.error)]
    actual, ok = describe_password_policy(read.value["PasswordPolicy"])
    return [_check("IAM.7", GLOBAL, resource, expected, actual, ok)]


REGIONAL_CHECKS: tuple[Callable[[_Context, str], list[CheckResult]], ...] = (
    _check_kms,
    _check_storage,
    _check_database,
    _check_function,
    _check_api,
    _check_log_groups,
    _check_alarms,
)


def verify(
    outputs: Mapping[str, Any],
    config: StackConfig,
    *,
    session_factory: SessionFactory,
    regions: Sequence[str] | None = None,
    endpoint_url: str | None = None,
) -> list[CheckResult]:
    """Every check for the selected regions (default: all of the stack's), then IAM.7.

    Raises VerifyError for bad input; botocore's errors for missing or refused credentials and
    unreachable endpoints propagate (run_verify turns them into one line).
    """
    validate_outputs(outputs)
    selected = select_regions(outputs, config, regions)
    ctx = _Context(outputs, config, _Clients(session_factory, endpoint_url))
    results = [
        result for region in selected for check in REGIONAL_CHECKS for result in check(ctx, region)
    ]
    if config.manage_account_password_policy:
        results += _check_password_policy(ctx)
    return results


# --- the report ----------------------------------------------------------------------------------


def exit_code(results: Iterable[CheckResult]) -> int:
    return EXIT_OK if all(r.status == "pass" for r in results) else EXIT_FINDINGS


def render_text(results: Sequence[CheckResult], out: TextIO) -> None:
    """One aligned line per check, then a summary line."""
    columns = [
        [r.status.upper() for r in results],
        [r.control for r in results],
        [r.region for r in results],
        [r.check for r in results],
        [r.resource for r in results],
    ]
    widths = [max((len(v) for v in column), default=0) for column in columns]
    for index, result in enumerate(results):
        cells = [column[index].ljust(width) for column, width in zip(columns, widths, strict=True)]
        out.write(f"{'  '.join(cells)}  expected={result.expected} actual={result.actual}\n")
    out.write(summary_line(results) + "\n")


def summary_line(results: Sequence[CheckResult]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("pass", "drift", "fail")}
    regions = sorted({r.region for r in results} - {GLOBAL})
    verdict = "conforms" if exit_code(results) == EXIT_OK else "does not conform"
    return (
        f"Summary: {len(results)} checks in {', '.join(regions) or 'no region'}: "
        f"{counts['pass']} pass, {counts['drift']} drift, {counts['fail']} fail; "
        f"the stack {verdict}"
    )


def render_json(results: Sequence[CheckResult], out: TextIO) -> None:
    json.dump([asdict(r) for r in results], out, indent=2)
    out.write("\n")


# --- the command ---------------------------------------------------------------------------------


def read_outputs(path: str, stdin: TextIO) -> Any:
    """The parsed JSON of the outputs file (`-`: stdin)."""
    source = "stdin" if path == "-" else path
    try:
        text = stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VerifyError(f"outputs file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise VerifyError(f"cannot read outputs file {path}: {reason}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise VerifyError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "pass what `pulumi stack output --json` prints"
        ) from None


def run_verify(
    stack: str,
    outputs_path: str | None,
    endpoint_url: str | None,
    regions: list[str] | None,
    output_format: OutputFormat,
    stdout: TextIO,
    stderr: TextIO,
    *,
    stdin: TextIO | None = None,
    project_dir: Path | None = None,
    session_factory: SessionFactory | None = None,
) -> int:
    """`tap verify`: 0 when every check passes, 1 on any drift or fail, 2 on bad input."""
    try:
        results = _run(
            stack,
            outputs_path,
            endpoint_url,
            regions,
            output_format,
            stdin or sys.stdin,
            project_dir,
            session_factory or boto3.Session,
        )
    except VerifyError as error:
        return _usage_error(stderr, str(error))
    except Exception as error:
        message = describe_aws_error(error, endpoint_url)
        if message is None:
            raise
        return _usage_error(stderr, message)

    if output_format == "json":
        render_json(results, stdout)
    else:
        render_text(results, stdout)
    return exit_code(results)


def _run(
    stack: str,
    outputs_path: str | None,
    endpoint_url: str | None,
    regions: list[str] | None,
    output_format: str,
    stdin: TextIO,
    project_dir: Path | None,
    session_factory: SessionFactory,
) -> list[CheckResult]:
    from tap.plan import PlanError, find_project_dir, load_stack_file  # noqa: PLC0415 - heavy

    if outputs_path is None:
        raise VerifyError(
            "--outputs is required: save `pulumi stack output --json --stack "
            f"{stack}` to a file and pass its path, or - to read it from stdin"
        )
    if output_format not in ("text", "json"):
        raise VerifyError(f"unknown format {output_format!r}; use text or json")
    try:
        config = load_stack_file(project_dir or find_project_dir(), stack).parse().config
    except PlanError as error:
        raise VerifyError(str(error)) from None
    except ConfigError as error:
        raise VerifyError(f"invalid configuration: {error}") from None

    outputs = read_outputs(outputs_path, stdin)
    source = "stdin" if outputs_path == "-" else outputs_path
    try:
        validate_outputs(outputs)
    except VerifyError as error:
        raise VerifyError(
            f"{source} is not `pulumi stack output --json` of a tap stack: {error}"
        ) from None
    return verify(
        outputs,
        config,
        session_factory=session_factory,
        regions=regions,
        endpoint_url=endpoint_url,
    )


def _usage_error(stderr: TextIO, message: str) -> int:
    one_line = " ".join(message.split())  # AWS messages may span lines
    stderr.write(f"tap: error: {one_line}\n")
    return EXIT_USAGE
