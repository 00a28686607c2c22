"""Prod hardening: `tap:waf`, `tap:backup`, `tap:codeSigning` and `tap:secretRotation`.

Each is a secure default in prod and a documented toggle elsewhere (tap.config.defaults); the
policy pack holds prod to them (tap/policy/rules/hardening.py) and `tap verify` checks them
live.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, model_validator

from tap.config.base import Model, Region
from tap.config.errors import KeyedError
from tap.limits import (
    BACKUP_LOCK_MAX_RETENTION_DAYS,
    BACKUP_LOCK_MIN_RETENTION_DAYS,
    SECRETS_ROTATION_MAX_DAYS,
    SECRETS_ROTATION_MIN_DAYS,
    WAF_RATE_LIMIT_MAX,
    WAF_RATE_LIMIT_MIN,
)

# AWS::WAFv2::WebACL EvaluationWindowSec's enum (tap.limits.WAF_EVALUATION_WINDOWS_SECONDS).
EvaluationWindow = Literal[60, 120, 300, 600]
# AWS::Lambda::CodeSigningConfig UntrustedArtifactOnDeployment's enum.
UntrustedArtifactAction = Literal["Enforce", "Warn"]

RetentionDays = Annotated[
    int, Field(ge=BACKUP_LOCK_MIN_RETENTION_DAYS, le=BACKUP_LOCK_MAX_RETENTION_DAYS)
]


class WafConfig(Model):
    """`tap:waf`: an AWS WAF web ACL on each region's REGIONAL API stage."""

    enabled: bool
    """A web ACL per region (AWS managed rule groups: IP reputation, common rule set, known bad
    inputs; a rate limit per client IP), logged to an encrypted `aws-waf-logs-` group. Defaults
    to on in prod, and in staging when its API is REGIONAL.
    """
    rate_limit: Annotated[int, Field(ge=WAF_RATE_LIMIT_MIN, le=WAF_RATE_LIMIT_MAX)]
    """Requests one client IP may send per window before the rate rule blocks it: 10 to
    2,000,000,000 (AWS WAF's bounds).
    """
    rate_limit_window_seconds: EvaluationWindow
    """The window the rate limit counts over: 60, 120, 300 or 600 seconds."""


class BackupConfig(Model):
    """`tap:backup`: AWS Backup of the writer's Aurora cluster, copied to another region."""

    enabled: bool
    """A locked vault per region, a daily plan in the writer's region and a copy of each backup
    in `copyRegion`. Defaults to on in prod.
    """
    retention_days: RetentionDays
    """Days each daily recovery point is kept in the writer's region."""
    copy_retention_days: RetentionDays
    """Days each copy is kept in `copyRegion`."""
    copy_region: Region | None = None
    """The region the copies go to; another region of the stack than the writer's. Defaults to
    the first region of `tap:regions` other than the writer's (a one-region stack keeps its
    backups in its region only).
    """
    lock_min_retention_days: RetentionDays
    """Vault Lock (governance mode): no recovery point can be deleted before this many days, and
    a job asking less fails.
    """
    lock_max_retention_days: RetentionDays
    """Vault Lock: a job asking a longer retention fails (a guard against a mistyped retention
    billing for years).
    """

    @model_validator(mode="after")
    def _retentions_inside_the_lock(self) -> BackupConfig:
        low, high = self.lock_min_retention_days, self.lock_max_retention_days
        if low > high:
            raise KeyedError(
                ("backup", "lockMinRetentionDays"),
                f"{low} is above tap:backup.lockMaxRetentionDays {high}; the lock's minimum must "
                "not exceed its maximum",
            )
        for key, days in (
            ("retentionDays", self.retention_days),
            ("copyRetentionDays", self.copy_retention_days),
        ):
            if not low <= days <= high:
                raise KeyedError(
                    ("backup", key),
                    f"{days} is outside the vault lock's {low}-{high} days "
                    "(tap:backup.lockMinRetentionDays and lockMaxRetentionDays); AWS Backup "
                    "would fail every job, so change the retention or the lock",
                )
        return self

    def destination(self, writer: str, regions: Sequence[str]) -> str | None:
        """The copy region: the configured one, else the first region other than the writer's;
        None in a one-region stack."""
        if self.copy_region is not None:
            return self.copy_region
        return next((r for r in regions if r != writer), None)

    def check_for_stack(self, *, writer: str, regions: Sequence[str]) -> None:
        if not self.enabled:
            return
        if self.copy_region is not None and self.copy_region not in regions:
            raise KeyedError(
                ("backup", "copyRegion"),
                f"{self.copy_region} is not one of tap:regions ({', '.join(regions)})",
            )
        if self.copy_region == writer:
            raise KeyedError(
                ("backup", "copyRegion"),
                f"{writer} is the writer's region, where the backups already are; choose one of "
                f"{', '.join(r for r in regions if r != writer)}",
            )


class CodeSigningConfig(Model):
    """`tap:codeSigning`: Lambda runs only code signed by the stack's Signer profile."""

    enabled: bool
    """A Signer profile and a code signing config per region; the deploy signs the zip."""
    untrusted_artifact_on_deployment: UntrustedArtifactAction
    """`Enforce` (Lambda refuses unsigned or foreign code; prod) or `Warn` (deploys it and logs
    a warning).
    """


class SecretRotationConfig(Model):
    """`tap:secretRotation`: rotation of a global database's generated master password."""

    enabled: bool
    """Secrets Manager rotates the master secret with tap's rotation function (single-user
    strategy). A regional cluster's RDS-managed secret is rotated by RDS itself.
    """
    days: Annotated[int, Field(ge=SECRETS_ROTATION_MIN_DAYS, le=SECRETS_ROTATION_MAX_DAYS)]
    """Days between rotations: 1 to 1000 (Secrets Manager's bounds); at most 90 in prod."""
