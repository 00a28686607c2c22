"""RDS: each region's Aurora cluster (tap.components.database), when the region has one.

Encrypted with the region's key, every snapshot encrypted, backups kept at least as long as
`database.backupRetentionDays`, the postgresql log exported, and deletion protection in prod.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.kms import is_region_key
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import UnexpectedReply, items, optional, required

STORAGE_ENCRYPTED = Control(
    "RDS.27", "storage-encrypted", "cluster storage is encrypted with the region's key"
)
SNAPSHOTS_ENCRYPTED = Control(
    "RDS.4", "snapshots-encrypted", "every snapshot of the cluster is encrypted"
)
DELETION_PROTECTION = Control(
    "RDS.7", "deletion-protection", "deletion protection is on (prod only)"
)
BACKUP_RETENTION = Control(
    "RDS.50", "backup-retention", "backup retention >= database.backupRetentionDays"
)
LOG_EXPORTS = Control("RDS.37", "log-exports", "the cluster exports the postgresql log")
CONTROLS = (
    STORAGE_ENCRYPTED,
    SNAPSHOTS_ENCRYPTED,
    DELETION_PROTECTION,
    BACKUP_RETENTION,
    LOG_EXPORTS,
)


def check(ctx: Context, region: str) -> list[CheckResult]:
    outputs = ctx.region(region)
    database = outputs["database"]
    if database is None:
        return []
    identifier = database["clusterIdentifier"]
    retention = ctx.config.database.backup_retention_days
    every_snapshot = "every snapshot encrypted"

    def encryption(cluster: Mapping[str, Any]) -> tuple[str, bool]:
        encrypted = required(cluster, "StorageEncrypted", bool)
        key = optional(cluster, "KmsKeyId", str)
        actual = f"encrypted with {key}" if encrypted else "not encrypted"
        return actual, encrypted and is_region_key(key, outputs)

    def snapshots(found: list[Mapping[str, Any]]) -> str:
        plain = [
            required(snapshot, "DBClusterSnapshotIdentifier", str)
            for snapshot in found
            if not required(snapshot, "StorageEncrypted", bool)
        ]
        return f"unencrypted: {', '.join(plain)}" if plain else every_snapshot

    def deletion_protection(cluster: Mapping[str, Any]) -> str:
        return "on" if required(cluster, "DeletionProtection", bool) else "off"

    def backups(cluster: Mapping[str, Any]) -> tuple[str, bool]:
        days = required(cluster, "BackupRetentionPeriod", int)
        return f"{days} days", days >= retention

    def log_exports(cluster: Mapping[str, Any]) -> tuple[str, bool]:
        exports = items(cluster, "EnabledCloudwatchLogsExports", str)
        return ", ".join(exports) or "none", "postgresql" in exports

    reply = ctx.read("rds", region, "describe_db_clusters", DBClusterIdentifier=identifier)
    cluster = reply if isinstance(reply, Failure) else _the_cluster(reply, identifier)
    results = [
        STORAGE_ENCRYPTED.evaluate(
            region, identifier, f"encrypted with {outputs['kmsKeyArn']}", cluster, encryption
        )
    ]
    if isinstance(cluster, Failure):
        # Without the cluster, its snapshots say nothing: report the cluster's failure.
        found: Any = cluster
    else:
        found = ctx.read_all(
            "rds",
            region,
            "describe_db_cluster_snapshots",
            "DBClusterSnapshots",
            DBClusterIdentifier=identifier,
        )
    results.append(
        SNAPSHOTS_ENCRYPTED.evaluate(region, identifier, every_snapshot, found, snapshots)
    )
    if ctx.config.is_prod:  # the program turns deletion protection on in prod only
        results.append(
            DELETION_PROTECTION.evaluate(region, identifier, "on", cluster, deletion_protection)
        )
    results.append(
        BACKUP_RETENTION.evaluate(region, identifier, f">= {retention} days", cluster, backups)
    )
    results.append(LOG_EXPORTS.evaluate(region, identifier, "postgresql", cluster, log_exports))
    return results


def _the_cluster(reply: Mapping[str, Any], identifier: str) -> Mapping[str, Any] | Failure:
    """The one cluster DescribeDBClusters returns for an identifier."""
    try:
        clusters = items(reply, "DBClusters", dict)
        if len(clusters) != 1:
            raise UnexpectedReply(f"{len(clusters)} clusters for {identifier}, not 1")
    except UnexpectedReply as error:
        return Failure.unexpected(error)
    return clusters[0]
