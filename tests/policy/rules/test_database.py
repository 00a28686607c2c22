"""RDS rules: one violation per rule, and the ways a master password may legitimately be set."""

from __future__ import annotations

from tap.policy.rules import SECRET, UNKNOWN, PolicyResource, rule_named
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
    "rds-exported-log-groups-created-first": Case(
        [res(r.RDS_CLUSTER, clusterIdentifier="db", enabledCloudwatchLogsExports=["postgresql"])],
        "creates no log group /aws/rds/cluster/db/postgresql",
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


def _cluster(region: str = "us-east-1", *deps: PolicyResource) -> PolicyResource:
    cluster = res(
        r.RDS_CLUSTER,
        "tap-test-use1-aurora",
        deps=tuple(d.urn for d in deps),
        clusterIdentifier="tap-test-use1-aurora",
        enabledCloudwatchLogsExports=["postgresql"],
    )
    return PolicyResource(**{**cluster.__dict__, "region": region})


def _group(name: str, region: str = "us-east-1") -> PolicyResource:
    return PolicyResource(
        urn=f"urn:pulumi:test::tap::{r.LOG_GROUP}::group-{region}-{len(name)}",
        type=r.LOG_GROUP,
        name=f"group-{region}",
        props={"name": name, "kmsKeyId": KEY_ARN, "retentionInDays": 30},
        region=region,
    )


def test_exported_logs_need_their_group_in_the_region_and_a_dependency_on_it() -> None:
    rule = rule_named("rds-exported-log-groups-created-first")
    group = _group("/aws/rds/cluster/tap-test-use1-aurora/postgresql")
    assert messages(rule, [group, _cluster("us-east-1", group)]) == []
    assert messages(rule, [group, _cluster("us-east-1")]) == [
        "tap-test-use1-aurora does not depend on its log group "
        "/aws/rds/cluster/tap-test-use1-aurora/postgresql; RDS may create the group first and the "
        "stack's create then fails on the existing name"
    ]
    # The same name in another region is another group.
    elsewhere = _group("/aws/rds/cluster/tap-test-use1-aurora/postgresql", "us-west-2")
    assert (
        "creates no log group" in messages(rule, [elsewhere, _cluster("us-east-1", elsewhere)])[0]
    )
    # RDS's name has no trailing slash or other spelling: only the exact name counts.
    near = _group("/aws/rds/cluster/tap-test-use1-aurora/postgresql/")
    assert "creates no log group" in messages(rule, [near, _cluster("us-east-1", near)])[0]
    # A group whose name is not known yet may be the one.
    unknown = _group(UNKNOWN)
    assert messages(rule, [unknown, _cluster("us-east-1")]) == []
