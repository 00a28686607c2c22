"""AWS Backup: locked vaults, a recent backup of the writer, and its copy in another region.

Mirrors tap.components.backup: every region's vault is locked with the configured retention
range; the writer's cluster has a completed recovery point from the last day in its region's
vault, and a copy of one in the copy region's vault.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import optional, required

VAULT_LOCK = Control(
    "TAP.14", "vault-lock", "the vault is locked with the configured retention range"
)
RECENT_BACKUP = Control(
    "RDS.26",
    "recent-backup",
    "the writer has a completed recovery point of the last day in the vault (and its copy)",
)
CONTROLS = (VAULT_LOCK, RECENT_BACKUP)
# A daily plan: one day, plus the start window (1 h) and some of the completion window.
RECENT = timedelta(hours=26)
# A copy starts when its backup completes: give it the backup's window and the copy's.
RECENT_COPY = timedelta(hours=30)


def check(ctx: Context, region: str, *, now: datetime | None = None) -> list[CheckResult]:
    settings = ctx.config.backup
    backup = ctx.outputs.get("backup")
    if not settings.enabled:
        return []
    if not isinstance(backup, Mapping):
        missing = Failure("fail", "no backup in the stack's outputs")
        return [VAULT_LOCK.unread(region, "backup vault", "a locked vault", missing)]
    vault = backup["vaultNames"].get(region)
    if vault is None:
        missing = Failure("fail", f"no backup vault for {region} in the stack's outputs")
        return [VAULT_LOCK.unread(region, "backup vault", "a locked vault", missing)]
    low, high = settings.lock_min_retention_days, settings.lock_max_retention_days
    lock_expected = f"locked, {low}-{high} days"

    def locked(reply: Mapping[str, Any]) -> tuple[str, bool]:
        is_locked = optional(reply, "Locked", bool) or False
        minimum = optional(reply, "MinRetentionDays", int)
        maximum = optional(reply, "MaxRetentionDays", int)
        if not is_locked:
            return "not locked", False
        return f"locked, {minimum}-{maximum} days", (minimum, maximum) == (low, high)

    results = [
        VAULT_LOCK.evaluate(
            region,
            vault,
            lock_expected,
            ctx.read("backup", region, "describe_backup_vault", BackupVaultName=vault),
            locked,
        )
    ]
    writer = ctx.region(ctx.primary_region).get("database") or {}
    cluster_arn = writer.get("clusterArn")
    now = now or datetime.now(UTC)
    if region in backup["planRegions"]:
        results.append(_recent(ctx, region, vault, cluster_arn, now - RECENT, "backup"))
    if region == backup.get("copyRegion"):
        results.append(_recent(ctx, region, vault, cluster_arn, now - RECENT_COPY, "copy"))
    return results


def _recent(
    ctx: Context,
    region: str,
    vault: str,
    cluster_arn: str | None,
    since: datetime,
    what: str,
) -> CheckResult:
    expected = f"a completed {what} of {cluster_arn} since {since:%Y-%m-%d %H:%M} UTC"
    if not cluster_arn:
        missing = Failure("fail", "no writer clusterArn in the stack's outputs")
        return RECENT_BACKUP.unread(region, vault, expected, missing)

    def completed(points: list[Mapping[str, Any]]) -> tuple[str, bool]:
        done = [
            point
            for point in points
            if required(point, "Status", str) == "COMPLETED" and _created(point) >= since
        ]
        if done:
            newest = max(_created(point) for point in done)
            return f"completed {what} of {newest:%Y-%m-%d %H:%M} UTC", True
        return f"no completed {what} since {since:%Y-%m-%d %H:%M} UTC", False

    reply = ctx.read_all(
        "backup",
        region,
        "list_recovery_points_by_backup_vault",
        "RecoveryPoints",
        BackupVaultName=vault,
        ByResourceArn=cluster_arn,
        ByCreatedAfter=since,
    )
    return RECENT_BACKUP.evaluate(region, vault, expected, reply, completed)


def _created(point: Mapping[str, Any]) -> datetime:
    created = required(point, "CreationDate", datetime)
    return created if created.tzinfo else created.replace(tzinfo=UTC)
