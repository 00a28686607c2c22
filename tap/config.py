"""Typed, validated stack configuration (pure: no Pulumi calls at import time).

Every key lives in the `tap:` namespace of `Pulumi.<stack>.yaml`. `parse()` turns the raw
key/value map into a `StackConfig` or raises `ConfigError` with one message that names the key
and what is allowed. `load()` is the thin adapter that reads the map from `pulumi.Config`.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from tap import aurora
from tap.baseline import PROD_MIN_BACKUP_RETENTION_DAYS, PROD_MIN_LOG_RETENTION_DAYS

NAMESPACE = "tap"
_SettingsT = TypeVar("_SettingsT", bound=BaseModel)

Environment = Literal["dev", "staging", "prod"]
Region = Literal["us-east-1", "us-west-2", "eu-central-1"]
NatStrategy = Literal["single", "perAz"]

SUPPORTED_REGIONS: tuple[Region, ...] = get_args(Region)
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)

# The only values CloudWatch Logs accepts for retentionInDays (PutRetentionPolicy).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# The largest VPC AWS allows is /16; the subnet plan (tap.cidr) needs at least a /22 so the
# smallest subnet is still a /26 with room for NAT gateways, endpoints and Lambda ENIs.
MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 22

SUFFIX_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$")
SUFFIX_MAX_LENGTH = 12
STACK_REF_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$")
# Tags tap sets itself (tap.naming.common_tags, Name, and Tier on subnets).
RESERVED_TAG_KEYS = frozenset(
    {"Name", "Project", "Environment", "EnvironmentSuffix", "ManagedBy", "Region", "Tier"}
)
# AWS allows 50 tags per resource; tap's own keys take the rest.
MAX_USER_TAGS = 50 - len(RESERVED_TAG_KEYS)
# SSH sources broader than this are the internet in all but name (CIS 5.2).
WIDEST_SSH_PREFIX = 8

PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)


@dataclass(frozen=True)
class EnvironmentDefaults:
    """What an environment gets when its stack file leaves a key out."""

    regions: tuple[Region, ...]
    az_count: int
    nat_strategy: NatStrategy
    kms_deletion_window_days: int
    # Second octet of the default VPC CIDRs: 10.<base + region index>.0.0/16.
    cidr_base: int
    # prod keeps a year, the minimum FSBP CloudWatch.16 (and tap's policy pack) accept there.
    log_retention_days: int


ENVIRONMENT_DEFAULTS: dict[str, EnvironmentDefaults] = {
    "dev": EnvironmentDefaults(("us-east-1", "us-west-2"), 2, "single", 7, 10, 30),
    "staging": EnvironmentDefaults(SUPPORTED_REGIONS, 2, "single", 14, 20, 30),
    "prod": EnvironmentDefaults(SUPPORTED_REGIONS, 3, "perAz", 30, 30, PROD_MIN_LOG_RETENTION_DAYS),
}


class ConfigError(ValueError):
    """A user error in stack configuration. Its message is meant to be shown as is."""


def config_key(*parts: str | int) -> str:
    """`config_key("networks", "us-east-1", "cidr")` -> `tap:networks.us-east-1.cidr`."""
    return f"{NAMESPACE}:" + ".".join(str(p) for p in parts)


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        strict=True,
        # Attribute docstrings become field descriptions: docs/configuration.md is built from them.
        use_attribute_docstrings=True,
    )


class NetworkConfig(_Model):
    """One region's VPC. Missing fields take the environment's defaults."""

    cidr: str | None = None
    """The VPC's IPv4 block: private space (10/8, 172.16/12, 192.168/16), /16 to /22, no overlap
    with another region.
    """
    az_count: Annotated[int, Field(ge=2, le=3)] | None = None
    """Availability zones the subnets span."""
    nat_strategy: NatStrategy | None = None
    """`single`: one NAT gateway per VPC; `perAz`: one per AZ, so an AZ outage keeps the others
    online.
    """

    @field_validator("cidr")
    @classmethod
    def _valid_vpc_cidr(cls, value: str | None) -> str | None:
        if value is None:
            return value
        network = _parse_ipv4_network(value)
        if not any(network.subnet_of(r) for r in PRIVATE_RANGES):
            raise ValueError(
                f"{value} is not private address space; use a block inside 10.0.0.0/8, "
                "172.16.0.0/12 or 192.168.0.0/16"
            )
        if not MIN_VPC_PREFIX <= network.prefixlen <= MAX_VPC_PREFIX:
            size = "too small" if network.prefixlen > MAX_VPC_PREFIX else "larger than AWS allows"
            raise ValueError(
                f"prefix /{network.prefixlen} is {size}; use a prefix between "
                f"/{MIN_VPC_PREFIX} and /{MAX_VPC_PREFIX}"
            )
        return str(network)


class RegionNetwork(_Model):
    """A region's network after defaults are applied: every field is known."""

    region: Region
    cidr: str
    az_count: int
    nat_strategy: NatStrategy


LogStatement = Literal["none", "ddl", "mod", "all"]  # aurora.LOG_STATEMENTS
SERVERLESS_CLASS = "db.serverless"
# Aurora PostgreSQL's provisioned instance families (current generation).
PROVISIONED_CLASS_PATTERN = re.compile(
    r"^db\.(r5|r6g|r6gd|r6i|r6id|r7g|r7i|r8g|x2g|t3|t4g)\.(medium|large|\d*xlarge)$"
)


class DatabaseConfig(_Model):
    """`tap:database`; missing fields take the environment's defaults (DATABASE_DEFAULTS)."""

    engine_version: str | None = None
    """Aurora PostgreSQL `<major>.<minor>`, major 13-17."""
    instance_class: str | None = None
    """`db.serverless` (Serverless v2) or a provisioned class of the r5, r6g, r6gd, r6i, r6id, r7g,
    r7i, r8g, x2g, t3 or t4g families.
    """
    instance_count: Annotated[int, Field(ge=1, le=16)] | None = None
    """Instances per cluster: a writer and up to 15 readers; prod spreads them over AZs."""
    serverless_min_capacity: Annotated[float, Field(ge=0, le=256, multiple_of=0.5)] | None = None
    """Serverless v2 minimum ACUs in steps of 0.5; 0 (scale to zero) needs 13.15, 14.12, 15.7, 16.3
    or 17.4 and later.
    """
    serverless_max_capacity: Annotated[float, Field(ge=1, le=256, multiple_of=0.5)] | None = None
    """Serverless v2 maximum ACUs in steps of 0.5, not below the minimum."""
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] | None = None
    """Automated backup retention; at least 7 in prod."""
    global_database: bool | None = Field(default=None, alias="global")
    """An Aurora Global Database: the primary region's cluster plus a secondary in every other
    region. Needs two or more regions.
    """
    log_statement: LogStatement | None = None
    """PostgreSQL `log_statement`."""
    log_min_duration_statement_ms: Annotated[int, Field(ge=-1, le=2147483647)] | None = None
    """PostgreSQL `log_min_duration_statement` in ms; -1 turns it off."""
    performance_insights: bool | None = None
    """Performance Insights, encrypted with the region's key."""
    monitoring_interval: int | None = None
    """Enhanced monitoring interval in seconds: 0 (off), 1, 5, 10, 15, 30 or 60."""
    master_username: str | None = None
    """Letters, digits and underscores, starting with a letter; not a default name (postgres,
    admin, root, master, rdsadmin). The password is never configured: RDS or Secrets Manager
    keeps it.
    """
    database_name: str | None = None
    """The initial database: letters, digits and underscores, starting with a letter."""

    @field_validator("engine_version")
    @classmethod
    def _valid_engine_version(cls, value: str | None) -> str | None:
        if value is not None:
            match = aurora.VERSION_PATTERN.match(value)
            if not match or int(match.group(1)) not in aurora.SUPPORTED_MAJORS:
                majors = ", ".join(map(str, aurora.SUPPORTED_MAJORS))
                raise ValueError(
                    f"{value!r} is not an Aurora PostgreSQL version; use <major>.<minor> with "
                    f"major {majors}, e.g. 16.6"
                )
        return value

    @field_validator("instance_class")
    @classmethod
    def _valid_instance_class(cls, value: str | None) -> str | None:
        if value not in (None, SERVERLESS_CLASS) and not PROVISIONED_CLASS_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not an Aurora PostgreSQL instance class; use db.serverless "
                "(Serverless v2) or a provisioned class such as db.r6g.large, db.r7g.xlarge "
                "or db.t4g.medium (families r5, r6g, r6gd, r6i, r6id, r7g, r7i, r8g, x2g, t3, "
                "t4g)"
            )
        return value

    @field_validator("monitoring_interval")
    @classmethod
    def _valid_monitoring_interval(cls, value: int | None) -> int | None:
        if value is not None and value not in aurora.MONITORING_INTERVALS:
            allowed = ", ".join(map(str, aurora.MONITORING_INTERVALS))
            raise ValueError(
                f"{value} is not an enhanced-monitoring interval; use one of {allowed} "
                "(0 turns it off)"
            )
        return value

    @field_validator("master_username")
    @classmethod
    def _valid_master_username(cls, value: str | None) -> str | None:
        if value is not None:
            if not aurora.NAME_PATTERN.match(value):
                raise ValueError(
                    f"{value!r} is not allowed; use 1-63 letters, digits and underscores, "
                    "starting with a letter"
                )
            if value.lower() in aurora.RESERVED_USERNAMES:
                raise ValueError(
                    f"{value!r} is a default or reserved name; choose a non-default master "
                    "username (e.g. tap_admin)"
                )
        return value

    @field_validator("database_name")
    @classmethod
    def _valid_database_name(cls, value: str | None) -> str | None:
        if value is not None and not aurora.NAME_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not allowed; use 1-63 letters, digits and underscores, "
                "starting with a letter"
            )
        return value


class DatabaseSettings(_Model):
    """`tap:database` with every default applied."""

    engine_version: str
    instance_class: str
    instance_count: int
    serverless_min_capacity: float
    serverless_max_capacity: float
    backup_retention_days: int
    global_database: bool
    log_statement: LogStatement
    log_min_duration_statement_ms: int
    performance_insights: bool
    monitoring_interval: int
    master_username: str
    database_name: str

    @property
    def serverless(self) -> bool:
        return self.instance_class == SERVERLESS_CLASS

    @property
    def engine_major(self) -> int:
        return int(self.engine_version.split(".")[0])


class StorageConfig(_Model):
    """`tap:storage`; missing fields take the environment's defaults (STORAGE_DEFAULTS)."""

    noncurrent_version_expiration_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    """Days before noncurrent object versions expire."""
    abort_incomplete_multipart_days: Annotated[int, Field(ge=1, le=30)] | None = None
    """Days before incomplete multipart uploads are aborted."""
    replication_time_control: bool | None = None
    """S3 Replication Time Control (15-minute SLA) and replication metrics."""


class StorageSettings(_Model):
    noncurrent_version_expiration_days: int
    abort_incomplete_multipart_days: int
    replication_time_control: bool


_DEV_DATABASE = DatabaseSettings(
    engine_version="16.6",
    instance_class=SERVERLESS_CLASS,
    instance_count=1,
    serverless_min_capacity=0,  # scales to zero when idle
    serverless_max_capacity=4,
    backup_retention_days=1,
    global_database=False,
    log_statement="ddl",
    log_min_duration_statement_ms=500,
    performance_insights=True,
    monitoring_interval=0,
    master_username="tap_admin",
    database_name="tap",
)
# staging and prod differ from dev only where written.
DATABASE_DEFAULTS: dict[str, DatabaseSettings] = {
    "dev": _DEV_DATABASE,
    "staging": _DEV_DATABASE.model_copy(
        update={
            "serverless_min_capacity": 0.5,
            "serverless_max_capacity": 8,
            "backup_retention_days": 7,
            "log_min_duration_statement_ms": 1000,
            "monitoring_interval": 60,
        }
    ),
    "prod": _DEV_DATABASE.model_copy(
        update={
            "instance_class": "db.r6g.large",
            "instance_count": 2,
            "serverless_min_capacity": 0.5,
            "serverless_max_capacity": 16,
            "backup_retention_days": 14,
            "global_database": True,
            "log_min_duration_statement_ms": 1000,
            "monitoring_interval": 15,
        }
    ),
}

_DEV_STORAGE = StorageSettings(
    noncurrent_version_expiration_days=7,
    abort_incomplete_multipart_days=7,
    replication_time_control=False,
)
STORAGE_DEFAULTS: dict[str, StorageSettings] = {
    "dev": _DEV_STORAGE,
    "staging": _DEV_STORAGE.model_copy(update={"noncurrent_version_expiration_days": 30}),
    "prod": _DEV_STORAGE.model_copy(
        update={"noncurrent_version_expiration_days": 90, "replication_time_control": True}
    ),
}


# --- the API tier --------------------------------------------------------------------------------

LambdaRuntime = Literal["python3.11", "python3.12", "python3.13"]
Architecture = Literal["arm64", "x86_64"]
EndpointType = Literal["REGIONAL", "PRIVATE"]
LogLevel = Literal["ERROR", "INFO"]
# API Gateway gives up on an integration after 29 s, so a longer Lambda timeout only hides errors.
API_INTEGRATION_TIMEOUT_SECONDS = 29
ECR_IMAGE_PATTERN = re.compile(
    r"^\d{12}\.dkr\.ecr\.(\{region\}|[a-z0-9-]+)\.amazonaws\.com/[a-z0-9._/-]+"
    r"(:[A-Za-z0-9_.-]{1,128}|@sha256:[0-9a-f]{64})$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
STAGE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,128}$")


class FunctionConfig(_Model):
    """`tap:function`; missing fields take the environment's defaults (FUNCTION_DEFAULTS)."""

    memory_mb: Annotated[int, Field(ge=128, le=10240)] | None = None
    """Lambda memory."""
    timeout_seconds: Annotated[int, Field(ge=1, le=API_INTEGRATION_TIMEOUT_SECONDS)] | None = None
    """Lambda timeout; at most 29 s, API Gateway's integration limit."""
    reserved_concurrency: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Reserved concurrent executions."""
    runtime: LambdaRuntime | None = None
    """Python runtime of the zip package."""
    architecture: Architecture | None = None
    """Lambda instruction set."""
    docker_image_uri: str | None = None
    """An ECR image to run instead of the zip (`package_type=Image`); write `{region}` in the host,
    since Lambda pulls only from its own region.
    """

    @field_validator("docker_image_uri")
    @classmethod
    def _valid_image_uri(cls, value: str | None) -> str | None:
        if value is not None and not ECR_IMAGE_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not an ECR image URI; use "
                "<account>.dkr.ecr.{region}.amazonaws.com/<repository>:<tag> (or "
                "@sha256:<digest>); {region} is replaced per region because Lambda pulls only "
                "from its own region"
            )
        return value


class FunctionSettings(_Model):
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    runtime: LambdaRuntime
    architecture: Architecture
    docker_image_uri: str | None

    def image_uri(self, region: str) -> str | None:
        return self.docker_image_uri.replace("{region}", region) if self.docker_image_uri else None


class ApiConfig(_Model):
    """`tap:api`; missing fields take the environment's defaults (API_DEFAULTS)."""

    endpoint_type: EndpointType | None = None
    """`REGIONAL`, or `PRIVATE` through the VPC's execute-api endpoint (not with
    `networkingStackRef`).
    """
    throttling_burst_limit: Annotated[int, Field(ge=1, le=5000)] | None = None
    """Stage burst limit."""
    throttling_rate_limit: Annotated[float, Field(gt=0, le=10000)] | None = None
    """Stage steady-state requests per second."""
    execution_log_level: LogLevel | None = None
    """Execution logging level of every method."""
    stage_name: str | None = None
    """Letters, digits and underscores."""

    @field_validator("stage_name")
    @classmethod
    def _valid_stage_name(cls, value: str | None) -> str | None:
        if value is not None and not STAGE_NAME_PATTERN.match(value):
            raise ValueError(f"{value!r} is not allowed; use 1-128 letters, digits and underscores")
        return value


class ApiSettings(_Model):
    endpoint_type: EndpointType
    throttling_burst_limit: int
    throttling_rate_limit: float
    execution_log_level: LogLevel
    stage_name: str


class ThresholdsConfig(_Model):
    """`tap:monitoring.thresholds`: when an alarm fires. Missing fields take the defaults."""

    lambda_errors: Annotated[int, Field(ge=1)] | None = None
    """Lambda errors per period that raise the alarm."""
    lambda_throttles: Annotated[int, Field(ge=1)] | None = None
    """Lambda throttles per period that raise the alarm."""
    api_5xx_errors: Annotated[int, Field(ge=1)] | None = Field(default=None, alias="api5xxErrors")
    """API 5XX responses per period that raise the alarm."""
    api_p99_latency_ms: Annotated[int, Field(ge=1, le=29000)] | None = None
    """API p99 latency (ms) above which the alarm is raised."""
    db_cpu_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    """Aurora CPU % above which the alarm is raised."""
    db_free_memory_mb: Annotated[int, Field(ge=1)] | None = None
    """Aurora freeable memory (MB) below which the alarm is raised."""
    db_connections: Annotated[int, Field(ge=1)] | None = None
    """Aurora connections above which the alarm is raised."""
    replication_latency_seconds: Annotated[int, Field(ge=1)] | None = None
    """S3 replication latency (s) above which the alarm is raised (prod, primary region)."""
    nat_packet_drops: Annotated[int, Field(ge=1)] | None = None
    """NAT gateway dropped packets per period that raise the alarm."""


class Thresholds(_Model):
    lambda_errors: int
    lambda_throttles: int
    api_5xx_errors: int
    api_p99_latency_ms: int
    db_cpu_percent: int
    db_free_memory_mb: int
    db_connections: int
    replication_latency_seconds: int
    nat_packet_drops: int


class MonitoringConfig(_Model):
    """`tap:monitoring`."""

    alarm_email: str | None = None
    """An address subscribed to each region's alarm topic (the subscription must be confirmed from
    the mail).
    """
    thresholds: ThresholdsConfig = Field(default_factory=ThresholdsConfig)
    """Alarm thresholds, below."""

    @field_validator("alarm_email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_PATTERN.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value


class MonitoringSettings(_Model):
    alarm_email: str | None
    thresholds: Thresholds


_DEV_FUNCTION = FunctionSettings(
    memory_mb=256,
    timeout_seconds=10,
    reserved_concurrency=5,
    runtime="python3.12",
    architecture="arm64",
    docker_image_uri=None,
)
FUNCTION_DEFAULTS: dict[str, FunctionSettings] = {
    "dev": _DEV_FUNCTION,
    "staging": _DEV_FUNCTION.model_copy(update={"reserved_concurrency": 20}),
    "prod": _DEV_FUNCTION.model_copy(update={"memory_mb": 512, "reserved_concurrency": 100}),
}
_DEV_API = ApiSettings(
    endpoint_type="REGIONAL",
    throttling_burst_limit=20,
    throttling_rate_limit=10,
    execution_log_level="INFO",
    stage_name="v1",
)
API_DEFAULTS: dict[str, ApiSettings] = {
    "dev": _DEV_API,
    "staging": _DEV_API.model_copy(
        update={"throttling_burst_limit": 50, "throttling_rate_limit": 25}
    ),
    "prod": _DEV_API.model_copy(
        update={
            "throttling_burst_limit": 500,
            "throttling_rate_limit": 250,
            "execution_log_level": "ERROR",
        }
    ),
}
_DEV_THRESHOLDS = Thresholds(
    lambda_errors=1,
    lambda_throttles=1,
    api_5xx_errors=1,
    api_p99_latency_ms=5000,
    db_cpu_percent=80,
    db_free_memory_mb=256,
    db_connections=100,
    replication_latency_seconds=900,
    nat_packet_drops=100,
)
THRESHOLD_DEFAULTS: dict[str, Thresholds] = {
    "dev": _DEV_THRESHOLDS,
    "staging": _DEV_THRESHOLDS.model_copy(update={"api_p99_latency_ms": 3000}),
    "prod": _DEV_THRESHOLDS.model_copy(
        update={"api_p99_latency_ms": 2000, "db_free_memory_mb": 1024, "db_connections": 500}
    ),
}


class RawStackConfig(_Model):
    """The `tap:` keys exactly as a stack file may write them."""

    environment: Environment
    """Selects the environment defaults. Defaults to the stack name when it is one of these."""
    environment_suffix: str
    """Goes into every name and the `EnvironmentSuffix` tag: 1-12 lowercase letters, digits and
    hyphens. Defaults to the stack name.
    """
    regions: list[Region] | None = None
    """Regions to deploy to, a subset of us-east-1, us-west-2 and eu-central-1. A set unlike the
    environment's warns.
    """
    primary_region: Region | None = None
    """Holds IAM, the database writer and the primary bucket; must be one of `regions`. Defaults to
    the first.
    """
    networks: dict[Region, NetworkConfig] = Field(default_factory=dict)
    """Per-region VPC settings, keyed by region (`networks.<region>.cidr` ...). Defaults: 10.<base
    + region index>.0.0/16 with base 10 (dev), 20 (staging), 30 (prod).
    """
    allowed_cidrs: list[str] = Field(default_factory=list)
    """IPv4 CIDRs that may reach the API endpoint group on 443 and, with the bastion on, SSH (then
    /8 or narrower).
    """
    enable_bastion_ssh: bool = False
    """Creates the bastion security group (SSH from `allowedCidrs` only)."""
    log_retention_days: int | None = None
    """Retention of every log group; a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90,
    120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
    """
    kms_deletion_window_days: Annotated[int, Field(ge=7, le=30)] | None = None
    """Waiting period before a deleted KMS key is gone."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Extra tags on every resource; not the reserved keys (Name, Project, Environment,
    EnvironmentSuffix, ManagedBy, Region, Tier), no `aws:` prefix, at most 43.
    """
    manage_account_password_policy: bool = False
    """Manage the account's IAM password policy (CIS values). Account-wide: turn it on in exactly
    one stack per AWS account.
    """
    networking_stack_ref: str | None = None
    """Take each region's network from this stack's `regions` output instead of creating it:
    `<stack>`, `<project>/<stack>` or `<org>/<project>/<stack>`.
    """
    allowed_account_ids: list[str] = Field(default_factory=list)
    """Pin the AWS providers to these 12-digit account ids."""
    storage: StorageConfig = Field(default_factory=StorageConfig)
    """The data buckets, below."""
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    """Aurora PostgreSQL, below."""
    function: FunctionConfig = Field(default_factory=FunctionConfig)
    """The API's Lambda function, below."""
    api: ApiConfig = Field(default_factory=ApiConfig)
    """The REST API, below."""
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    """Alarms and notifications, below."""

    @field_validator("environment_suffix")
    @classmethod
    def _valid_suffix(cls, value: str) -> str:
        if len(value) > SUFFIX_MAX_LENGTH or not SUFFIX_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not allowed; use 1-{SUFFIX_MAX_LENGTH} lowercase letters, digits "
                "and hyphens, starting and ending with a letter or digit (it goes into S3 "
                "bucket and IAM role names)"
            )
        return value

    @field_validator("regions")
    @classmethod
    def _unique_regions(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("list at least one region")
            duplicates = sorted({r for r in value if value.count(r) > 1})
            if duplicates:
                raise ValueError(f"{', '.join(duplicates)} listed more than once")
        return value

    @field_validator("allowed_cidrs")
    @classmethod
    def _valid_allowed_cidrs(cls, value: list[str]) -> list[str]:
        return [str(_parse_ipv4_network(cidr)) for cidr in value]

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int | None) -> int | None:
        if value is not None and value not in LOG_RETENTION_DAYS:
            raise ValueError(
                f"{value} is not a retention CloudWatch Logs accepts; use one of "
                + ", ".join(map(str, LOG_RETENTION_DAYS))
            )
        return value

    @field_validator("tags")
    @classmethod
    def _valid_tags(cls, value: dict[str, str]) -> dict[str, str]:
        for key, tag_value in value.items():
            if key in RESERVED_TAG_KEYS:
                raise ValueError(
                    f"tag {key!r} is set by tap itself; reserved keys are "
                    + ", ".join(sorted(RESERVED_TAG_KEYS))
                )
            if key.lower().startswith("aws:"):
                raise ValueError(f"tag {key!r}: the aws: prefix is reserved by AWS")
            if not 1 <= len(key) <= 128 or len(tag_value) > 256:
                raise ValueError(
                    f"tag {key!r}: keys must be 1-128 characters and values at most 256"
                )
        if len(value) > MAX_USER_TAGS:
            raise ValueError(f"at most {MAX_USER_TAGS} tags are allowed, got {len(value)}")
        return value

    @field_validator("networking_stack_ref")
    @classmethod
    def _valid_stack_ref(cls, value: str | None) -> str | None:
        if value is not None and not STACK_REF_PATTERN.match(value):
            raise ValueError(
                f"{value!r} is not a stack reference; use <stack>, <project>/<stack> or "
                "<organization>/<project>/<stack>"
            )
        return value

    @field_validator("allowed_account_ids", mode="before")
    @classmethod
    def _unquoted_account_ids(cls, value: Any) -> Any:
        # YAML reads an unquoted 012345678901 as a number: put the digits back.
        if isinstance(value, list):
            return [
                f"{v:012d}" if isinstance(v, int) and not isinstance(v, bool) else v for v in value
            ]
        return value

    @field_validator("allowed_account_ids")
    @classmethod
    def _valid_account_ids(cls, value: list[str]) -> list[str]:
        for account in value:
            if not re.fullmatch(r"\d{12}", account):
                raise ValueError(f"{account!r} is not an AWS account id; use 12 digits")
        return value

    @model_validator(mode="after")
    def _bastion_needs_sources(self) -> RawStackConfig:
        if self.enable_bastion_ssh:
            if not self.allowed_cidrs:
                raise _KeyedError(
                    "allowedCidrs",
                    "is empty but tap:enableBastionSsh is true; list the CIDRs allowed to "
                    "reach SSH (port 22)",
                )
            too_wide = [
                c
                for c in self.allowed_cidrs
                if ipaddress.ip_network(c).prefixlen < WIDEST_SSH_PREFIX
            ]
            if too_wide:
                raise _KeyedError(
                    "allowedCidrs",
                    f"contains {', '.join(too_wide)} while tap:enableBastionSsh is true; SSH "
                    "from the whole internet is never allowed (CIS 5.2), list specific CIDRs "
                    f"of /{WIDEST_SSH_PREFIX} or narrower",
                )
        return self


class StackConfig(_Model):
    """The validated configuration of one stack, with every default applied."""

    stack: str
    environment: Environment
    environment_suffix: str
    regions: tuple[Region, ...]
    primary_region: Region
    networks: tuple[RegionNetwork, ...]
    allowed_cidrs: tuple[str, ...]
    enable_bastion_ssh: bool
    log_retention_days: int
    kms_deletion_window_days: int
    tags: dict[str, str]
    manage_account_password_policy: bool
    networking_stack_ref: str | None
    allowed_account_ids: tuple[str, ...]
    storage: StorageSettings
    database: DatabaseSettings
    function: FunctionSettings
    api: ApiSettings
    monitoring: MonitoringSettings

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def secondary_regions(self) -> tuple[str, ...]:
        return tuple(r for r in self.regions if r != self.primary_region)

    def network(self, region: str) -> RegionNetwork:
        return next(n for n in self.networks if n.region == region)


@dataclass(frozen=True)
class ParsedConfig:
    config: StackConfig
    warnings: tuple[str, ...]


class _KeyedError(ValueError):
    """A model-level error that still knows which key it is about."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _parse_ipv4_network(value: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR block like 10.10.0.0/16 ({exc})") from None
    if not isinstance(network, ipaddress.IPv4Network):
        raise ValueError(f"{value!r} is IPv6; tap networks are IPv4 CIDR blocks")
    return network


def _field_kinds() -> dict[str, bool]:
    """Config key -> whether its raw value is a plain string (not JSON)."""
    kinds = {}
    for name, field in RawStackConfig.model_fields.items():
        alias = field.alias or name
        kinds[alias] = field.annotation in (str, str | None, Environment, Region | None)
    return kinds


def decode_raw(values: Mapping[str, str]) -> dict[str, Any]:
    """Decode Pulumi's string config values: JSON for structured keys, text for string keys.
    `values` maps keys without the namespace (`regions`) to the strings the engine passes.
    """
    kinds = _field_kinds()
    decoded: dict[str, Any] = {}
    for key, text in values.items():
        if kinds.get(key, False) or not isinstance(text, str):
            decoded[key] = text
            continue
        try:
            decoded[key] = json.loads(text)
        except json.JSONDecodeError:
            decoded[key] = text
    return decoded


def parse(raw: Mapping[str, Any], stack: str) -> ParsedConfig:
    """Validate the `tap:` config of `stack` (keys without namespace) into a StackConfig."""
    data = dict(raw)
    if "environment" not in data and stack in ENVIRONMENTS:
        data["environment"] = stack
    data.setdefault("environmentSuffix", stack)
    try:
        model = RawStackConfig.model_validate(data)
    except _KeyedError as exc:
        raise ConfigError(f"{config_key(exc.key)} {exc.message}") from None
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data)) from None
    return _resolve(model, stack)


def _resolve(raw: RawStackConfig, stack: str) -> ParsedConfig:
    defaults = ENVIRONMENT_DEFAULTS[raw.environment]
    warnings: list[str] = []
    regions: tuple[Region, ...] = (
        tuple(raw.regions) if raw.regions is not None else defaults.regions
    )
    if set(regions) != set(defaults.regions):
        warnings.append(
            f"{config_key('regions')} is {', '.join(regions)}; {raw.environment} normally "
            f"runs in {', '.join(defaults.regions)}"
        )

    primary: Region = raw.primary_region or regions[0]
    if primary not in regions:
        raise ConfigError(
            f"{config_key('primaryRegion')} {primary} is not one of {config_key('regions')} "
            f"({', '.join(regions)}); choose one of those"
        )

    unused = sorted(set(raw.networks) - set(regions))
    if unused:
        warnings.append(
            f"{config_key('networks')} has entries for {', '.join(unused)}, which "
            f"{config_key('regions')} does not list; they are ignored"
        )

    networks = []
    for region in regions:
        given = raw.networks.get(region, NetworkConfig())
        networks.append(
            RegionNetwork(
                region=region,
                cidr=given.cidr or default_vpc_cidr(raw.environment, region),
                az_count=given.az_count or defaults.az_count,
                nat_strategy=given.nat_strategy or defaults.nat_strategy,
            )
        )
    _refuse_overlaps(networks)
    storage = _merge(STORAGE_DEFAULTS[raw.environment], raw.storage)
    database = _merge(DATABASE_DEFAULTS[raw.environment], raw.database)
    if raw.database.global_database is None and len(regions) < 2:
        # prod's default global database needs a second region; a one-region stack runs regional.
        database = database.model_copy(update={"global_database": False})
    _check_database(database, raw.environment, regions)
    function = _merge(FUNCTION_DEFAULTS[raw.environment], raw.function)
    _check_image(function, regions)
    api = _merge(API_DEFAULTS[raw.environment], raw.api)
    if api.endpoint_type == "PRIVATE" and raw.networking_stack_ref:
        raise ConfigError(
            f"{config_key('api', 'endpointType')} PRIVATE needs the execute-api endpoint tap "
            f"creates in its own VPC, and {config_key('networkingStackRef')} replaces that VPC; "
            "use REGIONAL with a shared network"
        )
    monitoring = MonitoringSettings(
        alarm_email=raw.monitoring.alarm_email,
        thresholds=_merge(THRESHOLD_DEFAULTS[raw.environment], raw.monitoring.thresholds),
    )

    config = StackConfig(
        stack=stack,
        environment=raw.environment,
        environment_suffix=raw.environment_suffix,
        regions=regions,
        primary_region=primary,
        networks=tuple(networks),
        allowed_cidrs=tuple(raw.allowed_cidrs),
        enable_bastion_ssh=raw.enable_bastion_ssh,
        log_retention_days=raw.log_retention_days or defaults.log_retention_days,
        kms_deletion_window_days=raw.kms_deletion_window_days or defaults.kms_deletion_window_days,
        tags=dict(raw.tags),
        manage_account_password_policy=raw.manage_account_password_policy,
        networking_stack_ref=raw.networking_stack_ref,
        allowed_account_ids=tuple(raw.allowed_account_ids),
        storage=storage,
        database=database,
        function=function,
        api=api,
        monitoring=monitoring,
    )
    return ParsedConfig(config, tuple(warnings))


def _check_image(function: FunctionSettings, regions: tuple[Region, ...]) -> None:
    uri = function.docker_image_uri
    if uri is None or "{region}" in uri:
        return
    image_region = uri.split(".")[3]
    if set(regions) != {image_region}:
        raise ConfigError(
            f"{config_key('function', 'dockerImageUri')} points at ECR in {image_region}, but "
            f"Lambda pulls images only from its own region and this stack runs in "
            f"{', '.join(regions)}; write {{region}} in place of the region"
        )


def _merge(defaults: _SettingsT, given: BaseModel) -> _SettingsT:
    """The environment's defaults, overridden by the fields the stack file sets."""
    return defaults.model_copy(update=given.model_dump(exclude_none=True))


def _check_database(
    database: DatabaseSettings, environment: str, regions: tuple[Region, ...]
) -> None:
    """Rules across fields, and per environment, after defaults are applied."""
    if environment == "prod" and database.backup_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise ConfigError(
            f"{config_key('database', 'backupRetentionDays')} {database.backup_retention_days} is "
            f"below the prod minimum; use {PROD_MIN_BACKUP_RETENTION_DAYS} to 35 days"
        )
    if database.global_database and len(regions) < 2:
        raise ConfigError(
            f"{config_key('database', 'global')} is true but {config_key('regions')} lists one "
            "region; a global database needs a primary and at least one secondary region"
        )
    if database.serverless:
        if database.serverless_min_capacity > database.serverless_max_capacity:
            raise ConfigError(
                f"{config_key('database', 'serverlessMinCapacity')} "
                f"{database.serverless_min_capacity:g} is above "
                f"{config_key('database', 'serverlessMaxCapacity')} "
                f"{database.serverless_max_capacity:g}; the minimum must not exceed the maximum"
            )
        if database.serverless_min_capacity == 0 and not aurora.supports_scale_to_zero(
            database.engine_version
        ):
            since = aurora.scale_to_zero_versions()
            raise ConfigError(
                f"{config_key('database', 'serverlessMinCapacity')} 0 (scale to zero) needs "
                f"Aurora PostgreSQL {since} or later in its major version; "
                f"{config_key('database', 'engineVersion')} is {database.engine_version}, so "
                "use a minimum of 0.5 or a newer version"
            )


def default_vpc_cidr(environment: str, region: Region) -> str:
    """dev 10.10-12/16, staging 10.20-22/16, prod 10.30-32/16: no overlap, so VPCs can peer."""
    base = ENVIRONMENT_DEFAULTS[environment].cidr_base
    return f"10.{base + SUPPORTED_REGIONS.index(region)}.0.0/16"


def _refuse_overlaps(networks: list[RegionNetwork]) -> None:
    for i, first in enumerate(networks):
        for second in networks[i + 1 :]:
            a = ipaddress.ip_network(first.cidr)
            b = ipaddress.ip_network(second.cidr)
            if a.overlaps(b):
                raise ConfigError(
                    f"{config_key('networks', second.region, 'cidr')} {second.cidr} overlaps "
                    f"{config_key('networks', first.region, 'cidr')} {first.cidr}; every "
                    "region needs its own non-overlapping VPC CIDR"
                )


def _describe(exc: ValidationError, data: Mapping[str, Any]) -> str:
    """One message for the first error: the key, the problem, and what is allowed."""
    error = exc.errors()[0]
    # List indexes and pydantic's "[key]" marker say nothing to a user editing YAML.
    location = [str(p) for p in error["loc"] if isinstance(p, str) and p != "[key]"]
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(location, data)
    key = config_key(*location) if location else f"{NAMESPACE}:"
    value = error.get("input")
    if kind == "missing":
        return f"{key} is required"
    if kind == "value_error":
        cause = error["ctx"]["error"]
        if isinstance(cause, _KeyedError):
            return f"{config_key(cause.key)} {cause.message}"
        return f"{key} {cause}"
    if kind in ("literal_error", "enum"):
        if len(location) > 1 and location[-1] == value:  # a bad map key, e.g. networks.<region>
            key = config_key(*location[:-1])
        allowed = error["ctx"]["expected"].replace("'", "")
        return f"{key} {value!r} is not allowed; use one of {allowed}"
    if kind in (
        "greater_than_equal",
        "less_than_equal",
        "greater_than",
        "less_than",
        "multiple_of",
    ):
        return f"{key} {value!r} is out of range; {_bounds(key, error.get('ctx', {}))}"
    expected = {
        "string_type": "a string",
        "int_type": "a whole number",
        "float_type": "a number",
        "bool_type": "true or false",
        "list_type": "a list",
        "dict_type": "a map",
        "model_type": "a map",
    }.get(kind, error["msg"].lower())
    return f"{key} must be {expected}, got {value!r}"


RANGE_HINTS = {
    "azCount": "use 2 or 3 availability zones",
    "kmsDeletionWindowDays": "use 7 to 30 days (the window KMS allows)",
    "instanceCount": "use 1 to 16 (a writer and up to 15 readers)",
    "backupRetentionDays": "use 1 to 35 days (the range Aurora allows)",
    "serverlessMinCapacity": "use 0 to 256 ACUs in steps of 0.5",
    "serverlessMaxCapacity": "use 1 to 256 ACUs in steps of 0.5",
    "logMinDurationStatementMs": "use -1 (off), 0 (every statement) or a duration in ms",
    "noncurrentVersionExpirationDays": "use 1 to 3650 days",
    "abortIncompleteMultipartDays": "use 1 to 30 days",
    "memoryMb": "use 128 to 10240 MB",
    "timeoutSeconds": "use 1 to 29 seconds (API Gateway stops waiting after 29)",
    "reservedConcurrency": "use 1 to 1000",
    "throttlingBurstLimit": "use 1 to 5000 requests",
    "throttlingRateLimit": "use more than 0 and at most 10000 requests per second",
    "apiP99LatencyMs": "use 1 to 29000 ms",
    "dbCpuPercent": "use 1 to 100",
}


def _bounds(key: str, limits: Mapping[str, Any]) -> str:
    hint = RANGE_HINTS.get(key.rsplit(".", 1)[-1].rsplit(":", 1)[-1])
    if hint:
        return hint
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return "use " + " and ".join(f"{words[k]} {v}" for k, v in limits.items() if k in words)


def _section_model(path: list[str]) -> type[BaseModel]:
    """The model that holds the keys at `path` (map keys such as regions are stepped over)."""
    model: type[BaseModel] = RawStackConfig
    for part in path:
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is not None:
            model = _model_in(field.annotation) or model
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *get_args(annotation)]
    for candidate in candidates + [a for c in candidates for a in get_args(c)]:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _unknown_key_message(location: list[str], data: Mapping[str, Any]) -> str:
    *parent, unknown = location
    section = _section_model(parent)
    allowed = sorted(f.alias or n for n, f in section.model_fields.items())
    hint = difflib.get_close_matches(unknown, allowed, n=1)
    suggestion = f" (did you mean {config_key(*parent, hint[0])}?)" if hint else ""
    return (
        f"{config_key(*location)} is not a known key{suggestion}; allowed keys here: "
        + ", ".join(allowed)
    )


def load() -> ParsedConfig:
    """Read the `tap:` namespace of the running stack through pulumi.Config and validate it."""
    import pulumi  # noqa: PLC0415 - keeps this module importable without the Pulumi runtime

    config = pulumi.Config(NAMESPACE)
    raw = {}
    for key in all_keys_in_namespace():
        value = config.get(key)
        if value is not None:
            raw[key] = value
    return parse(decode_raw(raw), pulumi.get_stack())


def all_keys_in_namespace() -> list[str]:
    """Every `tap:` key the engine passed, so a misspelt key is refused rather than ignored."""
    from pulumi.runtime.config import CONFIG, get_config_env  # noqa: PLC0415

    prefix = f"{NAMESPACE}:"
    keys = set(CONFIG.get()) | set(get_config_env())
    return sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))
