"""RDS rules: one violation per rule, and the ways a master password may legitimately be set."""

from __future__ import annotations

from tap.policy.rules import SECRET, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import KEY_ARN, Case, messages, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "rds-storage-encrypted": Case(
        [res(r.RDS_CLUSTER, storageEncrypted=False, kmsKeyId=KEY_ARN)], "does not encrypt"
    ),
    "rds-instance-not-public": Case(
        [res(r.RDS_CLUSTER_INSTANCE, publiclyAccessible=True)], "is publicly accessible"
    ),
    "rds-deletion-protection-in-prod": Case(
        [res(r.RDS_CLUSTER, deletionProtection=False)], "no deletion protection", "prod"
    ),
    "rds-iam-authentication": Case(
        [res(r.RDS_CLUSTER, iamDatabaseAuthenticationEnabled=False)],
        "does not enable IAM database authentication",
    ),
    "rds-backup-retention": Case(
        [res(r.RDS_CLUSTER, backupRetentionPeriod=3)], "prod needs at least 7", "prod"
    ),
    "rds-postgresql-logs-exported": Case(
        [res(r.RDS_CLUSTER, engine="aurora-postgresql", enabledCloudwatchLogsExports=[])],
        "does not export the postgresql log",
    ),
    "rds-auto-minor-version-upgrade": Case(
        [res(r.RDS_CLUSTER_INSTANCE, autoMinorVersionUpgrade=False)],
        "turns automatic minor version upgrades off",
    ),
    "rds-copy-tags-to-snapshot": Case(
        [res(r.RDS_CLUSTER, copyTagsToSnapshot=False)], "does not copy tags to snapshots"
    ),
    "rds-no-plaintext-master-password": Case(
        [res(r.RDS_CLUSTER, masterPassword="hunter2hunter2")], "sets masterPassword in clear text"
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = set()


def test_a_master_password_is_fine_when_managed_masked_or_generated() -> None:
    rule = rule_named("rds-no-plaintext-master-password")
    generated = res(r.RANDOM_PASSWORD, "pw")
    assert messages(rule, [res(r.RDS_CLUSTER, manageMasterUserPassword=True)]) == []
    assert messages(rule, [res(r.RDS_CLUSTER, masterPassword=SECRET)]) == []
    # pulumi-policy hands over secrets decrypted; a RandomPassword's result is one.
    from_random = res(r.RDS_CLUSTER, "db", deps=(generated.urn,), masterPassword="Zq8...random")
    assert messages(rule, [generated, from_random]) == []
    instance = res(r.RDS_INSTANCE, "db", password="hunter2hunter2")
    assert messages(rule, [instance]) == [
        "db sets password in clear text; use manageMasterUserPassword or a generated secret"
    ]
