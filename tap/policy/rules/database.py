"""RDS and Aurora: encryption, exposure, deletion protection, IAM auth, backups, log exports and
their log groups, minor upgrades, snapshot tags and the master password."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tap.baseline import PROD_MIN_BACKUP_RETENTION_DAYS
from tap.markers import UNKNOWN
from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    is_opaque,
    is_set,
    items,
    number,
    of_type,
)
from tap.policy.rules.resource_types import (
    LOG_GROUP,
    RANDOM_PASSWORD,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
)

_book = RuleBook()


@_book.resource(
    "rds-storage-encrypted",
    "RDS.27",
    "Aurora clusters encrypt storage with a customer managed KMS key (storageEncrypted and "
    "kmsKeyId); global clusters set storageEncrypted.",
    RDS_CLUSTER,
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
)
def _rds_encrypted(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    encrypted = r.props.get("storageEncrypted")
    if not is_opaque(encrypted) and encrypted is not True:
        yield f"{r.name} does not encrypt its storage (storageEncrypted)"
    if r.type != RDS_GLOBAL_CLUSTER and not is_set(r.props.get("kmsKeyId")):
        yield f"{r.name} has no customer managed KMS key (kmsKeyId)"


@_book.resource(
    "rds-instance-not-public",
    "RDS.2",
    "Database instances are not publicly accessible.",
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
)
def _rds_not_public(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("publiclyAccessible") is True:
        yield f"{r.name} is publicly accessible (publiclyAccessible: true)"


@_book.resource(
    "rds-deletion-protection-in-prod",
    "RDS.7",
    "In prod, database clusters (and global clusters, instances) have deletion protection.",
    RDS_CLUSTER,
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
    uses_environment=True,
)
def _rds_deletion_protection(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("deletionProtection")
    if config.is_prod and not is_opaque(value) and value is not True:
        yield f"{r.name} has no deletion protection (deletionProtection) in prod"


@_book.resource(
    "rds-iam-authentication",
    "RDS.12",
    "Aurora clusters enable IAM database authentication.",
    RDS_CLUSTER,
)
def _rds_iam_auth(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("iamDatabaseAuthenticationEnabled")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not enable IAM database authentication"


@_book.resource(
    "rds-backup-retention",
    "RDS.50",
    "Automated backups are kept at least 7 days in prod and at least 1 day elsewhere.",
    RDS_CLUSTER,
    RDS_INSTANCE,
    uses_environment=True,
)
def _rds_backup_retention(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("backupRetentionPeriod")
    if is_opaque(raw):
        return
    default = 1.0 if r.type == RDS_CLUSTER else 0.0  # what AWS applies when it is absent
    days = default if raw is None else number(raw)
    minimum = PROD_MIN_BACKUP_RETENTION_DAYS if config.is_prod else 1
    if days is None or days < minimum:
        yield (
            f"{r.name} keeps backups {raw if raw is not None else int(default)} day(s); "
            f"{config.environment} needs at least {minimum}"
        )


@_book.resource(
    "rds-postgresql-logs-exported",
    "RDS.37",
    "Aurora PostgreSQL clusters export the postgresql log to CloudWatch Logs.",
    RDS_CLUSTER,
    RDS_INSTANCE,
)
def _rds_logs(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    engine = r.props.get("engine")
    if not isinstance(engine, str) or "postgres" not in engine:
        return
    exports = items(r.props.get("enabledCloudwatchLogsExports"))
    if exports is not None and "postgresql" not in exports and UNKNOWN not in exports:
        yield f"{r.name} does not export the postgresql log (enabledCloudwatchLogsExports)"


@_book.stack(
    "rds-exported-log-groups-created-first",
    "TAP.10",
    "Every log an Aurora cluster exports goes to a log group the stack creates before the "
    "cluster (/aws/rds/cluster/<cluster id>/<log>, in the cluster's region, and the cluster "
    "depends on it), so the log group rules give it a key and a retention: RDS would otherwise "
    "create it unencrypted and kept forever.",
    subjects=(RDS_CLUSTER,),
)
def _rds_log_groups(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    groups = of_type(resources, LOG_GROUP)
    for cluster in of_type(resources, RDS_CLUSTER):
        identifier = cluster.props.get("clusterIdentifier")
        exports = items(cluster.props.get("enabledCloudwatchLogsExports"))
        if not isinstance(identifier, str) or is_opaque(identifier) or exports is None:
            continue
        in_region = [g for g in groups if g.region == cluster.region]
        if any(
            not isinstance(g.props.get("name"), str) or is_opaque(g.props["name"])
            for g in in_region
        ):
            continue  # a group whose name the plan can't see may be the one
        for log_type in exports:
            if not isinstance(log_type, str) or is_opaque(log_type):
                continue
            name = f"/aws/rds/cluster/{identifier}/{log_type}"
            found = [g for g in in_region if g.props.get("name") == name]
            if not found:
                yield Finding(
                    cluster.urn,
                    f"{cluster.name} exports its {log_type} log, but the stack creates no log "
                    f"group {name}; RDS would create it unencrypted and kept forever",
                )
            elif not any(g.urn in cluster.dependencies for g in found):
                yield Finding(
                    cluster.urn,
                    f"{cluster.name} does not depend on its log group {name}; RDS may create "
                    "the group first and the stack's create then fails on the existing name",
                )


@_book.resource(
    "rds-auto-minor-version-upgrade",
    "RDS.13",
    "Database instances take automatic minor version upgrades.",
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
)
def _rds_minor_upgrades(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("autoMinorVersionUpgrade") is False:  # absent means AWS's default, true
        yield f"{r.name} turns automatic minor version upgrades off"


@_book.resource(
    "rds-copy-tags-to-snapshot",
    "RDS.16",
    "Database clusters and instances copy their tags to snapshots.",
    RDS_CLUSTER,
    RDS_INSTANCE,
)
def _rds_copy_tags(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("copyTagsToSnapshot")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not copy tags to snapshots (copyTagsToSnapshot)"


@_book.stack(
    "rds-no-plaintext-master-password",
    "TAP.1",
    "No database sets its master password in clear: use manageMasterUserPassword, or a secret "
    "generated by RandomPassword. (pulumi-policy decrypts secrets before policies see them, so a "
    "hand-written secret reads as clear text here too.)",
)
def _rds_master_password(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    generated = {r.urn for r in of_type(resources, RANDOM_PASSWORD)}
    for db in of_type(resources, RDS_CLUSTER, RDS_INSTANCE):
        key = "masterPassword" if db.type == RDS_CLUSTER else "password"
        value = db.props.get(key)
        if not isinstance(value, str) or not value or is_opaque(value):
            continue
        if generated & set(db.property_dependencies.get(key) or db.dependencies):
            continue
        yield Finding(
            db.urn,
            f"{db.name} sets {key} in clear text; use manageMasterUserPassword or a generated "
            "secret",
        )


RULES = _book.rules
