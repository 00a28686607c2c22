"""StackConfig: every `tap:` key of one stack, validated once with the environment's defaults."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator

from tap import awsdata
from tap.baseline import (
    PROD_MAX_SECRET_ROTATION_DAYS,
    PROD_MIN_AWS_BACKUP_RETENTION_DAYS,
    PROD_MIN_BACKUP_RETENTION_DAYS,
)
from tap.config.api import ApiConfig, FunctionConfig, MonitoringConfig
from tap.config.base import (
    AsTuple,
    Environment,
    Model,
    Region,
    Tuple,
    full_match,
    parse_ipv4_network,
)
from tap.config.database import DatabaseConfig, StorageConfig
from tap.config.dns import DnsConfig
from tap.config.errors import KeyedError
from tap.config.hardening import BackupConfig, CodeSigningConfig, SecretRotationConfig, WafConfig
from tap.config.network import (
    RegionNetwork,
    check_allowed_cidrs,
    check_bastion_sources,
    check_overlaps,
    networks_from_map,
)
from tap.limits import (
    ACCOUNT_ID_DIGITS,
    KMS_MAX_DELETION_WINDOW_DAYS,
    KMS_MIN_DELETION_WINDOW_DAYS,
    MAX_TAGS_PER_RESOURCE,
    RESERVED_TAG_PREFIX,
    TAG_KEY_MAX_LENGTH,
    TAG_VALUE_MAX_LENGTH,
)

# The suffix goes into S3 bucket, IAM role and RDS identifier names, whose budgets and
# character rules it must fit: lowercase ASCII, no leading, trailing or doubled hyphen (RDS).
SUFFIX_MAX_LENGTH = 12
SUFFIX_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?")
STACK_REF_PATTERN = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){0,2}")
ACCOUNT_ID_PATTERN = re.compile(rf"[0-9]{{{ACCOUNT_ID_DIGITS}}}")
# Tags tap sets itself (tap.naming.common_tags, Name, and Tier on subnets).
RESERVED_TAG_KEYS = frozenset(
    {"Name", "Project", "Environment", "EnvironmentSuffix", "ManagedBy", "Region", "Tier"}
)
# AWS allows 50 tags per resource; tap's own keys take the rest.
MAX_USER_TAGS = MAX_TAGS_PER_RESOURCE - len(RESERVED_TAG_KEYS)
# Besides letters, digits and spaces, the characters every tagging service accepts (IAM's rule,
# the strictest: tags go on roles too).
TAG_PUNCTUATION = frozenset("_.:/=+-@")


def _unquoted_account_ids(value: Any) -> Any:
    # YAML reads an unquoted 012345678901 as a number: put the twelve digits back.
    if isinstance(value, list):
        return [
            f"{v:0{ACCOUNT_ID_DIGITS}d}" if isinstance(v, int) and not isinstance(v, bool) else v
            for v in value
        ]
    return value


def _tag_text(text: str) -> bool:
    return all(
        ch.isalnum() or ch in TAG_PUNCTUATION or unicodedata.category(ch) == "Zs" for ch in text
    )


class StackConfig(Model):
    """The configuration of one stack, with every default applied: what the components get."""

    environment: Environment
    """Selects the environment defaults. Defaults to the stack name when it is one of these."""
    environment_suffix: str
    """Goes into every name and the `EnvironmentSuffix` tag: 1-12 lowercase letters, digits and
    hyphens, no doubled hyphen. Defaults to the stack name.
    """
    regions: Annotated[tuple[Region, ...], AsTuple]
    """Regions to deploy to, a subset of us-east-1, us-west-2 and eu-central-1. A set unlike the
    environment's warns.
    """
    primary_region: Region
    """Holds IAM, the database writer and the primary bucket; must be one of `regions`. Defaults to
    the first.
    """
    networks: Annotated[tuple[RegionNetwork, ...], BeforeValidator(networks_from_map)]
    """Per-region VPC settings, keyed by region (`networks.<region>.cidr` ...). Defaults: 10.<base
    + region index>.0.0/16 with base 10 (dev), 20 (staging), 30 (prod).
    """
    allowed_cidrs: Tuple
    """IPv4 CIDRs that may reach a `PRIVATE` API's execute-api endpoint on 443 (besides the VPC)
    and, with the bastion on, SSH (then /8 or narrower); each once, and with a `PRIVATE` API none
    equal to a region's VPC CIDR. A `REGIONAL` API is not limited by it.
    """
    enable_bastion_ssh: bool
    """Creates the bastion security group (SSH from `allowedCidrs` only)."""
    log_retention_days: int
    """Retention of every log group; a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90,
    120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).
    """
    kms_deletion_window_days: Annotated[
        int, Field(ge=KMS_MIN_DELETION_WINDOW_DAYS, le=KMS_MAX_DELETION_WINDOW_DAYS)
    ]
    """Waiting period before a deleted KMS key is gone."""
    tags: dict[str, str]
    """Extra tags on every resource; not the reserved keys (Name, Project, Environment,
    EnvironmentSuffix, ManagedBy, Region, Tier), no `aws:` prefix, at most 43; letters, digits,
    spaces and `_ . : / = + - @`.
    """
    manage_account_password_policy: bool
    """Manage the account's IAM password policy (CIS values). Account-wide: turn it on in exactly
    one stack per AWS account.
    """
    manage_api_gateway_account: bool
    """Own API Gateway's account settings (the CloudWatch logging role every REST API's logs
    need) in each of this stack's regions, and the role. One setting per account and region: turn
    it on in exactly one stack per AWS account, one whose regions cover every other stack's.
    """
    networking_stack_ref: str | None = None
    """Take each region's network from this stack's `regions` output instead of creating it:
    `<stack>`, `<project>/<stack>` or `<org>/<project>/<stack>`.
    """
    allowed_account_ids: Annotated[Tuple, BeforeValidator(_unquoted_account_ids)]
    """Pin the AWS providers to these 12-digit account ids."""
    storage: StorageConfig
    """The data buckets, below."""
    database: DatabaseConfig
    """Aurora PostgreSQL, below."""
    function: FunctionConfig
    """The API's Lambda function, below."""
    api: ApiConfig
    """The REST API, below."""
    monitoring: MonitoringConfig
    """Alarms and notifications, below."""
    dns: DnsConfig | None = None
    """The global entry point, below: set `zoneId` and `domainName` to turn it on (REGIONAL APIs
    only).
    """
    waf: WafConfig
    """AWS WAF on the REGIONAL API stages, below."""
    backup: BackupConfig
    """AWS Backup of Aurora with a cross-region copy, below."""
    code_signing: CodeSigningConfig
    """Lambda code signing, below."""
    secret_rotation: SecretRotationConfig
    """Rotation of a global database's master password, below."""

    # The stack's name: not a key of the stack file, set by tap.config.parse.
    _stack: str = PrivateAttr(default="")

    @property
    def stack(self) -> str:
        return self._stack

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def allowed_cidrs_unused(self) -> bool:
        """`allowedCidrs` is set but governs nothing: no PRIVATE API endpoint, no bastion."""
        return bool(self.allowed_cidrs) and not (
            self.api.endpoint_type == "PRIVATE" or self.enable_bastion_ssh
        )

    @property
    def secondary_regions(self) -> tuple[str, ...]:
        """The regions other than the primary: where the replicas (buckets, clusters) live."""
        return tuple(r for r in self.regions if r != self.primary_region)

    @property
    def writer_region(self) -> str:
        """Where the database's writer is now: `database.writerRegion`, else the primary region.

        The primary region still places what was created there (the global primary's
        credentials, the primary bucket, IAM); only the writer's role moves with this.
        """
        return self.database.writer_region or self.primary_region

    @property
    def data_regions(self) -> tuple[str, ...]:
        """The regions with a database cluster: every region with a global database, else the
        primary region only. The API runs where there is a data path (docs/architecture.md)."""
        if self.database.global_database:
            return self.regions
        return (self.primary_region,)

    def network(self, region: str) -> RegionNetwork:
        return next(n for n in self.networks if n.region == region)

    @field_validator("environment_suffix")
    @classmethod
    def _valid_suffix(cls, value: str) -> str:
        if not full_match(SUFFIX_PATTERN, value) or "--" in value:
            raise ValueError(
                f"{value!r} is not allowed; use 1-{SUFFIX_MAX_LENGTH} lowercase letters, digits "
                "and hyphens, starting and ending with a letter or digit, with no doubled "
                "hyphen (it goes into S3 bucket, IAM role and RDS names)"
            )
        return value

    @field_validator("regions")
    @classmethod
    def _unique_regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one region")
        duplicates = sorted({r for r in value if value.count(r) > 1})
        if duplicates:
            raise ValueError(f"{', '.join(duplicates)} listed more than once")
        return value

    @field_validator("allowed_cidrs")
    @classmethod
    def _valid_allowed_cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(parse_ipv4_network(cidr)) for cidr in value)

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        allowed = awsdata.log_retention_days()
        if value not in allowed:
            raise ValueError(
                f"{value} is not a retention CloudWatch Logs accepts; use one of "
                + ", ".join(map(str, allowed))
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
            if key.lower().startswith(RESERVED_TAG_PREFIX):
                raise ValueError(f"tag {key!r}: the aws: prefix is reserved by AWS")
            if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH or len(tag_value) > TAG_VALUE_MAX_LENGTH:
                raise ValueError(
                    f"tag {key!r}: keys must be 1-{TAG_KEY_MAX_LENGTH} characters and values at "
                    f"most {TAG_VALUE_MAX_LENGTH}"
                )
            for text in (key, tag_value):
                if not _tag_text(text):
                    raise ValueError(
                        f"tag {key!r}: {text!r} has a character AWS tags do not allow; use "
                        f"letters, digits, spaces and {' '.join(sorted(TAG_PUNCTUATION))}"
                    )
        if len(value) > MAX_USER_TAGS:
            raise ValueError(f"at most {MAX_USER_TAGS} tags are allowed, got {len(value)}")
        return value

    @field_validator("networking_stack_ref")
    @classmethod
    def _valid_stack_ref(cls, value: str | None) -> str | None:
        if value is not None and not full_match(STACK_REF_PATTERN, value):
            raise ValueError(
                f"{value!r} is not a stack reference; use <stack>, <project>/<stack> or "
                "<organization>/<project>/<stack>"
            )
        return value

    @field_validator("allowed_account_ids")
    @classmethod
    def _valid_account_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for account in value:
            if not full_match(ACCOUNT_ID_PATTERN, account):
                raise ValueError(f"{account!r} is not an AWS account id; use 12 digits")
        return value

    @model_validator(mode="after")
    def _rules_across_keys(self) -> StackConfig:
        if self.enable_bastion_ssh:
            check_bastion_sources(self.allowed_cidrs)
        if self.primary_region not in self.regions:
            raise KeyedError(
                ("primaryRegion",),
                f"{self.primary_region} is not one of tap:regions ({', '.join(self.regions)}); "
                "choose one of those",
            )
        check_overlaps(self.networks)
        check_allowed_cidrs(
            self.allowed_cidrs,
            self.networks,
            own_vpcs=self.networking_stack_ref is None,
            private_api=self.api.endpoint_type == "PRIVATE",
        )
        self.database.check_for_stack(
            is_prod=self.is_prod,
            regions=self.regions,
            primary_region=self.primary_region,
            min_prod_backup=PROD_MIN_BACKUP_RETENTION_DAYS,
        )
        self.function.check_image_region(self.regions)
        if self.dns is not None:
            self.dns.check_for_stack(
                endpoint_type=self.api.endpoint_type, regions=self.data_regions
            )
        self._check_hardening()
        if self.api.endpoint_type == "PRIVATE" and self.networking_stack_ref:
            raise KeyedError(
                ("api", "endpointType"),
                "PRIVATE needs the execute-api endpoint tap creates in its own VPC, and "
                "tap:networkingStackRef replaces that VPC; use REGIONAL with a shared network",
            )
        return self

    def _check_hardening(self) -> None:
        """WAF, backup, code signing and rotation: the rules across sections, and prod's floors."""
        if self.waf.enabled and self.api.endpoint_type != "REGIONAL":
            raise KeyedError(
                ("waf", "enabled"),
                "is true but tap:api.endpointType is PRIVATE; tap puts WAF on public (REGIONAL) "
                "stages, and a PRIVATE API is reachable only through the VPC's execute-api "
                "endpoint and its resource policy; turn waf off or make the API REGIONAL",
            )
        self.backup.check_for_stack(writer=self.writer_region, regions=self.regions)
        if self.code_signing.enabled and self.function.docker_image_uri:
            raise KeyedError(
                ("codeSigning", "enabled"),
                "is true but tap:function.dockerImageUri deploys a container image, and Lambda "
                "code signing covers zip packages only; turn codeSigning off or deploy the zip",
            )
        if not self.is_prod:
            return
        floors: list[tuple[tuple[str, ...], bool, str]] = [
            (
                ("waf", "enabled"),
                self.waf.enabled or self.api.endpoint_type != "REGIONAL",
                "is false; prod's REGIONAL API stages need a web ACL",
            ),
            (
                ("backup", "enabled"),
                self.backup.enabled,
                "is false; prod backs Aurora up with AWS Backup (and a copy in another region)",
            ),
            (
                ("backup", "retentionDays"),
                self.backup.retention_days >= PROD_MIN_AWS_BACKUP_RETENTION_DAYS,
                f"{self.backup.retention_days} is below prod's minimum of "
                f"{PROD_MIN_AWS_BACKUP_RETENTION_DAYS} days",
            ),
            (
                ("codeSigning", "untrustedArtifactOnDeployment"),
                (
                    self.code_signing.enabled
                    and self.code_signing.untrusted_artifact_on_deployment == "Enforce"
                )
                or self.function.docker_image_uri is not None,
                "must be Enforce in prod (with tap:codeSigning.enabled true): Warn deploys "
                "unsigned code",
            ),
            (
                ("secretRotation", "enabled"),
                self.secret_rotation.enabled or not self.database.global_database,
                "is false; prod's global database master password must be rotated",
            ),
            (
                ("secretRotation", "days"),
                self.secret_rotation.days <= PROD_MAX_SECRET_ROTATION_DAYS,
                f"{self.secret_rotation.days} is above prod's maximum of "
                f"{PROD_MAX_SECRET_ROTATION_DAYS} days",
            ),
        ]
        for key, holds, message in floors:
            if not holds:
                raise KeyedError(key, message)
