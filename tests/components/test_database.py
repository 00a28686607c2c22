"""AuroraPostgres and GlobalDatabase: pure validation, the planned resources, and outputs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime.mocks import MockResourceArgs

import tap.plan
from tap.aurora import EngineVersionRequest, exported_log_group_name, newest_offered
from tap.components.database import (
    ENGINE_VERSION_IGNORED,
    GLOBAL_MEMBER_IGNORED,
    AuroraPostgres,
    AuroraPostgresArgs,
    GlobalDatabase,
    GlobalDatabaseArgs,
    check_global_membership,
    check_membership,
    final_snapshot_identifier,
    instance_zone,
    monitoring_trust,
    serverless_scaling,
)
from tap.naming import region_code
from tap.plan import PlanError, PlanMocks, RecordingMonitor, run_under_mocks
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

ACCOUNT = "111122223333"
PRIMARY = "us-east-1"
SECONDARIES = ("us-west-2", "eu-central-1")
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
CLUSTER_PG = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
INSTANCE_PG = "aws:rds/parameterGroup:ParameterGroup"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# Only ever handed over as a secret Output; the manifest must never show it.
TEST_PASSWORD = "test-only-global-primary-pw"
SECRET_ARN = f"arn:aws:secretsmanager:{PRIMARY}:{ACCOUNT}:secret:rds!cluster-test-AbCdEf"


def key_arn(region: str) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{region_code(region)}"


def db_args(region: str = PRIMARY, **overrides: Any) -> AuroraPostgresArgs:
    values: dict[str, Any] = {
        "labels": labels_for(region),
        "region": region,
        "subnet_ids": [f"subnet-{region_code(region)}-a", f"subnet-{region_code(region)}-b"],
        "security_group_id": f"sg-{region_code(region)}-db",
        "kms_key_arn": key_arn(region),
        "account_id": ACCOUNT,
        "partition": "aws",
        "engine": EngineVersionRequest(16),
        "instance_class": "db.r6g.large",
        "instance_count": 2,
        "log_retention_days": 90,
        "master_username": "tapadmin",
        "database_name": "tap",
    }
    values.update(overrides)
    return AuroraPostgresArgs(**values)


def secondary_args(region: str, **overrides: Any) -> AuroraPostgresArgs:
    return db_args(region, **{"master_username": None, "database_name": None, **overrides})


def providers() -> dict[str, aws.Provider]:
    return {
        region: aws.Provider(f"tap-test-{region_code(region)}-aws", region=region)
        for region in (PRIMARY, *SECONDARIES)
    }


def of_type(resources: tuple[dict[str, Any], ...], type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def one(resources: tuple[dict[str, Any], ...], type_token: str) -> dict[str, Any]:
    (match,) = of_type(resources, type_token)
    return match


def in_region(
    resources: tuple[dict[str, Any], ...], type_token: str, region: str
) -> list[dict[str, Any]]:
    return [r for r in of_type(resources, type_token) if r["region"] == region]


def keys_of(value: Any) -> Iterator[str]:
    """Every key of a nested input structure."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_of(item)


# --- pure logic --------------------------------------------------------------------------------


# The release the offline plan resolves "16" to: the newest AWS offers (AWS's data).
NEWEST_16 = newest_offered(EngineVersionRequest(16))
# RDS identifiers: a letter, then letters, digits and single hyphens, no trailing hyphen.
RDS_IDENTIFIER = re.compile(r"[a-z](?:-?[a-z0-9])*")


def test_serverless_scaling_is_set_for_db_serverless_only() -> None:
    assert serverless_scaling("db.serverless", 0, 4) == {"min_capacity": 0, "max_capacity": 4}
    assert serverless_scaling("db.serverless", 0.5, None) is None
    assert serverless_scaling("db.r6g.large", 0.5, 4) is None


def test_final_snapshots_are_named_after_the_cluster() -> None:
    assert final_snapshot_identifier("tap-prod-use1-aurora") == "tap-prod-use1-aurora-final"


def test_instance_zones_rotate() -> None:
    zones = ["us-east-1a", "us-east-1b"]
    assert [instance_zone(zones, i) for i in range(3)] == ["us-east-1a", "us-east-1b", "us-east-1a"]
    assert instance_zone(None, 0) is None


def test_monitoring_trust_is_scoped_to_rds_of_this_account_and_region() -> None:
    (statement,) = json.loads(
        monitoring_trust(partition="aws", account_id=ACCOUNT, region="eu-central-1")
    )["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:rds:eu-central-1:{ACCOUNT}:db:*"},
    }


GLOBAL_PASSWORD_MESSAGE = (
    "AWS does not support RDS-managed master passwords (manage_master_user_password) for "
    "clusters in an Aurora global database; pass master_password as a secret Output (e.g. a "
    "pulumi_random.RandomPassword result). See https://docs.aws.amazon.com/AmazonRDS/latest/"
    "AuroraUserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations"
)


# Limits, names and classes are tap.config's to check (tests/test_config.py); the component
# checks only how a cluster is wired.
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"database_name": None},
            "a standalone or primary cluster needs master_username and database_name",
        ),
        ({"availability_zones": []}, "availability_zones must name at least one zone, or be None"),
        ({"source_region": "us-west-2"}, "source_region applies only to a secondary cluster"),
        (
            {"master_password": "x"},
            "a standalone cluster lets RDS manage the master password in "
            "Secrets Manager; do not pass master_password",
        ),
        ({"global_cluster_identifier": "g"}, GLOBAL_PASSWORD_MESSAGE),
        (
            {"global_write_forwarding": True},
            "global_write_forwarding needs global_cluster_identifier: only members of an Aurora "
            "global database forward writes",
        ),
    ],
)
def test_cluster_wiring_is_checked(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as error:
        check_membership(db_args(**overrides))
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {},
            "a secondary cluster needs source_region: the primary's region, not its own "
            "(us-west-2)",
        ),
        (
            {"source_region": "us-west-2"},
            "a secondary cluster needs source_region: the "
            "primary's region, not its own (us-west-2)",
        ),
        (
            {"source_region": PRIMARY, "master_username": "tapadmin"},
            "a secondary cluster "
            "inherits master_username and database_name from the primary; leave both None",
        ),
        (
            {"source_region": PRIMARY, "master_password": "x"},
            "a secondary cluster takes no master_password (AWS refuses one)",
        ),
        (
            {"source_region": PRIMARY, "global_cluster_identifier": None},
            "a secondary cluster needs global_cluster_identifier",
        ),
    ],
)
def test_secondary_wiring_is_checked(overrides: dict[str, Any], message: str) -> None:
    values: dict[str, Any] = {"secondary": True, "global_cluster_identifier": "g", **overrides}
    with pytest.raises(ValueError) as error:
        check_membership(secondary_args("us-west-2", **values))
    assert str(error.value) == message


def test_a_headless_secondary_and_a_serverless_global_member_are_valid() -> None:
    check_membership(
        secondary_args(
            "us-west-2",
            secondary=True,
            global_cluster_identifier="g",
            source_region=PRIMARY,
            instance_count=0,
        )
    )
    check_membership(
        db_args(
            global_cluster_identifier="g",
            master_password="x",
            instance_class="db.serverless",
            serverless_min_capacity=8,
            serverless_max_capacity=64,
        )
    )


def _global_args(**overrides: Any) -> GlobalDatabaseArgs:
    values: dict[str, Any] = {
        "labels": labels_for(None),
        "primary": db_args(master_password="x"),
        "secondaries": [secondary_args("us-west-2")],
        "providers": {PRIMARY: object(), "us-west-2": object()},
    }
    values.update(overrides)
    return GlobalDatabaseArgs(**values)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"primary": db_args(master_password="x", global_cluster_identifier="g")},
            "us-east-1: GlobalDatabase sets global_cluster_identifier, secondary, source_region "
            "and global_write_forwarding itself; leave them unset",
        ),
        (
            {"primary": db_args(master_password="x", global_write_forwarding=True)},
            "us-east-1: GlobalDatabase sets global_cluster_identifier, secondary, source_region "
            "and global_write_forwarding itself; leave them unset",
        ),
        (
            {"secondaries": [secondary_args("us-west-2", source_region=PRIMARY)]},
            "us-west-2: GlobalDatabase sets global_cluster_identifier, secondary, source_region "
            "and global_write_forwarding itself; leave them unset",
        ),
        ({"providers": {PRIMARY: object()}}, "GlobalDatabase has no provider for region us-west-2"),
        (
            {"secondaries": [secondary_args("us-west-2", engine=EngineVersionRequest(17))]},
            "us-west-2: every member runs the primary's engine 16, resolved once by "
            "GlobalDatabase; pass the same engine and no engine_version",
        ),
        (
            {"secondaries": [secondary_args("us-west-2", engine_version="16.9")]},
            "us-west-2: every member runs the primary's engine 16, resolved once by "
            "GlobalDatabase; pass the same engine and no engine_version",
        ),
        (
            {"secondaries": [secondary_args(PRIMARY)]},
            "a global database has one cluster per region, got ['us-east-1', 'us-east-1']",
        ),
        (
            {"secondaries": [db_args("us-west-2")]},
            "a secondary cluster inherits master_username "
            "and database_name from the primary; leave both None",
        ),
    ],
)
def test_global_database_args_are_validated(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as error:
        check_global_membership(_global_args(**overrides))
    assert str(error.value) == message


def test_invalid_args_fail_before_anything_is_registered() -> None:
    def program() -> None:
        AuroraPostgres("tap-test-use1-database", db_args(master_password="x"))

    error, registered = refused_before_registering(program)
    assert isinstance(error, ValueError)
    assert (
        str(error) == "a standalone cluster lets RDS manage the master password in "
        "Secrets Manager; do not pass master_password"
    )
    assert registered == []


# --- one regional cluster ----------------------------------------------------------------------


@cache
def standalone(**overrides: Any) -> tuple[dict[str, Any], ...]:
    region = overrides.pop("region", PRIMARY)

    def program() -> None:
        provider = aws.Provider(f"tap-test-{region_code(region)}-aws", region=region)
        iam = aws.Provider("tap-test-iam-aws", region=PRIMARY)
        AuroraPostgres(
            f"tap-test-{region_code(region)}-database",
            db_args(region, iam_provider=iam, **overrides),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return tuple(plan_program(program)["resources"])


def cached(**overrides: Any) -> tuple[dict[str, Any], ...]:
    # @cache needs hashable arguments: freeze the lists.
    frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}
    return standalone(**frozen)


def test_cluster_is_encrypted_tls_only_with_a_managed_password() -> None:
    cluster = one(cached(), CLUSTER)
    inputs = cluster["inputs"]
    assert cluster["name"] == "tap-test-use1-aurora"
    assert inputs["clusterIdentifier"] == "tap-test-use1-aurora"
    assert inputs["engine"] == "aurora-postgresql"
    assert inputs["engineMode"] == "provisioned"
    assert inputs["engineVersion"] == NEWEST_16
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == key_arn(PRIMARY)
    assert inputs["manageMasterUserPassword"] is True
    assert inputs["masterUserSecretKmsKeyId"] == key_arn(PRIMARY)
    assert inputs["masterUsername"] == "tapadmin"
    assert inputs["databaseName"] == "tap"
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert inputs["port"] == 5432
    assert inputs["vpcSecurityGroupIds"] == ["sg-use1-db"]
    assert "globalClusterIdentifier" not in inputs
    assert "sourceRegion" not in inputs
    assert cluster["region"] == PRIMARY


def test_cluster_uses_its_subnet_group_and_parameter_group() -> None:
    resources = cached()
    cluster = one(resources, CLUSTER)
    subnet_group = one(resources, SUBNET_GROUP)
    cluster_pg = one(resources, CLUSTER_PG)
    assert subnet_group["inputs"]["subnetIds"] == ["subnet-use1-a", "subnet-use1-b"]
    assert cluster["inputs"]["dbSubnetGroupName"] == subnet_group["inputs"]["name"]
    assert cluster["inputs"]["dbClusterParameterGroupName"] == cluster_pg["inputs"]["name"]
    assert {subnet_group["urn"], cluster_pg["urn"]} <= set(cluster["dependencies"])


def test_no_password_is_planned_anywhere() -> None:
    for resource in cached():
        keys = set(keys_of(resource["inputs"]))
        assert "masterPassword" not in keys
        assert not [
            k for k in keys if "password" in k.lower() and k != "manageMasterUserPassword"
        ], resource["name"]


def test_backups_and_snapshots() -> None:
    inputs = one(cached(backup_retention_days=14), CLUSTER)["inputs"]
    assert inputs["backupRetentionPeriod"] == 14
    assert inputs["preferredBackupWindow"] == "03:00-04:00"
    assert inputs["preferredMaintenanceWindow"] == "sun:04:30-sun:05:30"
    assert inputs["copyTagsToSnapshot"] is True


def test_prod_protections() -> None:
    resources = cached(protect=True, deletion_protection=True, skip_final_snapshot=False)
    cluster = one(resources, CLUSTER)
    assert cluster["protect"] is True
    assert cluster["inputs"]["deletionProtection"] is True
    assert cluster["inputs"]["skipFinalSnapshot"] is False
    assert cluster["inputs"]["finalSnapshotIdentifier"] == "tap-test-use1-aurora-final"
    assert [i["protect"] for i in of_type(resources, INSTANCE)] == [True, True]


def test_dev_can_turn_protections_off() -> None:
    resources = cached(protect=False, deletion_protection=False, skip_final_snapshot=True)
    cluster = one(resources, CLUSTER)
    assert cluster["protect"] is False
    assert cluster["inputs"]["deletionProtection"] is False
    assert cluster["inputs"]["skipFinalSnapshot"] is True
    assert "finalSnapshotIdentifier" not in cluster["inputs"]
    assert [i["protect"] for i in of_type(resources, INSTANCE)] == [False, False]


def test_only_the_cluster_and_instances_are_protected() -> None:
    protected = {r["type"] for r in cached(protect=True) if r["protect"]}
    assert protected == {CLUSTER, INSTANCE}


def test_the_exported_log_group_is_created_first_with_the_key_and_retention() -> None:
    resources = cached()
    cluster = one(resources, CLUSTER)
    group = one(resources, LOG_GROUP)
    # RDS's own name for it; with any other, RDS creates its own, unencrypted and kept forever.
    assert exported_log_group_name("tap-test-use1-aurora", "postgresql") == (
        "/aws/rds/cluster/tap-test-use1-aurora/postgresql"
    )
    assert group["name"] == "tap-test-use1-aurora-postgresql-logs"
    assert group["inputs"]["name"] == "/aws/rds/cluster/tap-test-use1-aurora/postgresql"
    assert group["inputs"]["kmsKeyId"] == key_arn(PRIMARY)
    assert group["inputs"]["retentionInDays"] == 90
    assert group["region"] == PRIMARY
    # The cluster waits for it, so RDS finds it (and on destroy goes first).
    assert group["urn"] in cluster["dependencies"]
    assert group["protect"] is False  # like every log group tap creates


def test_cluster_parameters() -> None:
    group = one(cached(log_statement="mod", log_min_duration_statement_ms=250), CLUSTER_PG)
    assert group["inputs"]["family"] == "aurora-postgresql16"
    params = {p["name"]: p for p in group["inputs"]["parameters"]}
    assert params["shared_preload_libraries"]["value"] == "pg_stat_statements"
    assert params["shared_preload_libraries"]["applyMethod"] == "pending-reboot"
    assert params["rds.force_ssl"]["value"] == "1"
    assert params["log_statement"] == {
        "name": "log_statement",
        "value": "mod",
        "applyMethod": "immediate",
    }
    assert params["log_min_duration_statement"]["value"] == "250"


def test_instance_parameters() -> None:
    resources = cached(
        log_statement="all", log_min_duration_statement_ms=-1, engine=EngineVersionRequest(15, 10)
    )
    group = one(resources, INSTANCE_PG)
    assert group["inputs"]["family"] == "aurora-postgresql15"
    params = {p["name"]: p["value"] for p in group["inputs"]["parameters"]}
    assert params == {
        "shared_preload_libraries": "pg_stat_statements",
        "log_statement": "all",
        "log_min_duration_statement": "-1",
    }
    for instance in of_type(resources, INSTANCE):
        assert instance["inputs"]["dbParameterGroupName"] == group["inputs"]["name"]
        # An instance runs its cluster's release; only the cluster names it.
        assert "engineVersion" not in instance["inputs"]
    assert one(resources, CLUSTER)["inputs"]["engineVersion"] == newest_offered(
        EngineVersionRequest(15, 10)
    )


def test_instances() -> None:
    resources = cached()
    cluster = one(resources, CLUSTER)
    role = one(resources, ROLE)
    instances = of_type(resources, INSTANCE)
    assert [i["inputs"]["identifier"] for i in instances] == [
        "tap-test-use1-aurora-0",
        "tap-test-use1-aurora-1",
    ]
    for instance in instances:
        inputs = instance["inputs"]
        assert cluster["urn"] in instance["dependencies"]
        assert inputs["instanceClass"] == "db.r6g.large"
        assert inputs["engine"] == "aurora-postgresql"
        assert inputs["publiclyAccessible"] is False
        assert inputs["autoMinorVersionUpgrade"] is True
        assert inputs["performanceInsightsEnabled"] is True
        assert inputs["performanceInsightsKmsKeyId"] == key_arn(PRIMARY)
        assert inputs["performanceInsightsRetentionPeriod"] == 7
        assert inputs["monitoringInterval"] == 60
        assert inputs["monitoringRoleArn"] == f"arn:aws:iam::123456789012:role/{role['name']}"
        assert inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
        assert "availabilityZone" not in inputs


def test_instances_spread_over_the_zones() -> None:
    zones = ["us-east-1a", "us-east-1b"]
    instances = of_type(cached(instance_count=3, availability_zones=zones), INSTANCE)
    assert [i["inputs"]["availabilityZone"] for i in instances] == [
        "us-east-1a",
        "us-east-1b",
        "us-east-1a",
    ]


def test_serverless_v2() -> None:
    resources = cached(
        instance_class="db.serverless", serverless_min_capacity=0, serverless_max_capacity=8
    )
    assert one(resources, CLUSTER)["inputs"]["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0,
        "maxCapacity": 8,
    }
    assert {i["inputs"]["instanceClass"] for i in of_type(resources, INSTANCE)} == {"db.serverless"}


def test_provisioned_has_no_serverless_range() -> None:
    assert "serverlessv2ScalingConfiguration" not in one(cached(), CLUSTER)["inputs"]


def test_insights_and_monitoring_can_be_turned_off() -> None:
    resources = cached(performance_insights=False, monitoring_interval=0)
    assert not of_type(resources, ROLE)
    assert not of_type(resources, ATTACHMENT)
    for instance in of_type(resources, INSTANCE):
        inputs = instance["inputs"]
        assert inputs["performanceInsightsEnabled"] is False
        assert "performanceInsightsKmsKeyId" not in inputs
        assert inputs["monitoringInterval"] == 0
        assert "monitoringRoleArn" not in inputs


def test_monitoring_role_is_global_and_least_privilege() -> None:
    resources = cached(region="eu-central-1")
    role = one(resources, ROLE)
    attachment = one(resources, ATTACHMENT)
    assert role["name"] == "tap-test-euc1-rds-monitoring"
    assert role["region"] == PRIMARY  # through iam_provider
    (statement,) = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert attachment["inputs"]["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    )
    assert attachment["inputs"]["role"] == role["name"]
    assert one(resources, CLUSTER)["region"] == "eu-central-1"


def test_every_resource_is_named_and_tagged() -> None:
    for resource in cached(region="us-west-2"):
        if not resource["custom"] or not resource["type"].startswith("aws:"):
            continue
        assert resource["name"].startswith("tap-test-usw2-"), resource["name"]
        if is_taggable(resource["type"]):
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"
            assert tags["Owner"] == "tests"


def test_rds_identifiers_are_valid() -> None:
    resources = cached(instance_count=3)
    names = [one(resources, CLUSTER)["inputs"]["clusterIdentifier"]]
    names += [i["inputs"]["identifier"] for i in of_type(resources, INSTANCE)]
    names += [
        g["inputs"]["name"]
        for g in (*of_type(resources, CLUSTER_PG), *of_type(resources, INSTANCE_PG))
    ]
    for name in names:
        assert RDS_IDENTIFIER.fullmatch(name) and len(name) <= 63, name


# --- a global database -------------------------------------------------------------------------


def global_program(**primary_overrides: Any) -> Callable[[], None]:
    def program() -> None:
        by_region = providers()
        iam = by_region[PRIMARY]
        GlobalDatabase(
            "tap-test-gbl-database",
            GlobalDatabaseArgs(
                labels=labels_for(None),
                primary=db_args(
                    master_password=pulumi.Output.secret(TEST_PASSWORD),
                    iam_provider=iam,
                    **primary_overrides,
                ),
                secondaries=[
                    secondary_args(region, iam_provider=iam, instance_count=1)
                    for region in SECONDARIES
                ],
                providers=by_region,
            ),
        )

    return program


@cache
def global_plan() -> dict[str, Any]:
    return plan_program(global_program(protect=True))


def global_resources() -> tuple[dict[str, Any], ...]:
    return tuple(global_plan()["resources"])


def test_global_cluster() -> None:
    resources = global_resources()
    global_cluster = one(resources, GLOBAL)
    inputs = global_cluster["inputs"]
    assert global_cluster["name"] == "tap-test-gbl-aurora-global"
    assert inputs["globalClusterIdentifier"] == "tap-test-gbl-aurora-global"
    assert inputs["engine"] == "aurora-postgresql"
    assert inputs["engineVersion"] == NEWEST_16
    assert inputs["storageEncrypted"] is True
    assert inputs["deletionProtection"] is True
    assert inputs["databaseName"] == "tap"
    assert inputs["tags"]["Region"] == "global"
    assert global_cluster["region"] == PRIMARY
    assert global_cluster["protect"] is True


def test_primary_joins_the_global_cluster_with_a_secret_password() -> None:
    resources = global_resources()
    global_cluster = one(resources, GLOBAL)
    (primary,) = in_region(resources, CLUSTER, PRIMARY)
    inputs = primary["inputs"]
    assert global_cluster["urn"] in primary["dependencies"]
    assert inputs["globalClusterIdentifier"]
    assert "manageMasterUserPassword" not in inputs
    assert "masterUserSecretKmsKeyId" not in inputs
    assert inputs["masterPassword"] == "<secret>"
    assert inputs["masterUsername"] == "tapadmin"
    assert inputs["databaseName"] == "tap"
    assert inputs["kmsKeyId"] == key_arn(PRIMARY)
    assert "sourceRegion" not in inputs
    assert primary["protect"] is True
    assert TEST_PASSWORD not in json.dumps(global_plan())


def test_every_member_forwards_writes_the_primary_once_demoted() -> None:
    # On the primary AWS keeps the setting unused until a switchover or failover demotes it, so
    # writes keep working in every region after a move, before any deploy.
    clusters = of_type(global_resources(), CLUSTER)
    assert {c["region"] for c in clusters} == {PRIMARY, *SECONDARIES}
    for cluster in clusters:
        assert cluster["inputs"]["enableGlobalWriteForwarding"] is True, cluster["name"]


def test_a_standalone_cluster_does_not_forward_writes() -> None:
    def program() -> None:
        AuroraPostgres("tap-test-standalone", db_args())

    (cluster,) = of_type(tuple(plan_program(program)["resources"]), CLUSTER)
    assert "enableGlobalWriteForwarding" not in cluster["inputs"]


@pytest.mark.parametrize("region", SECONDARIES)
def test_secondaries_replicate_without_credentials(region: str) -> None:
    resources = global_resources()
    (primary,) = in_region(resources, CLUSTER, PRIMARY)
    (secondary,) = in_region(resources, CLUSTER, region)
    inputs = secondary["inputs"]
    assert secondary["name"] == f"tap-test-{region_code(region)}-aurora"
    assert inputs["globalClusterIdentifier"] == primary["inputs"]["globalClusterIdentifier"]
    assert inputs["sourceRegion"] == PRIMARY
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == key_arn(region)
    for absent in (
        "masterUsername",
        "masterPassword",
        "manageMasterUserPassword",
        "masterUserSecretKmsKeyId",
        "databaseName",
    ):
        assert absent not in inputs, absent
    assert inputs["skipFinalSnapshot"] is True
    assert inputs["dbSubnetGroupName"] == f"tap-test-{region_code(region)}-aurora-subnets"
    assert inputs["vpcSecurityGroupIds"] == [f"sg-{region_code(region)}-db"]


@pytest.mark.parametrize("region", SECONDARIES)
def test_secondaries_wait_for_the_primary_cluster_and_its_instances(region: str) -> None:
    resources = global_resources()
    (primary,) = in_region(resources, CLUSTER, PRIMARY)
    primary_instances = in_region(resources, INSTANCE, PRIMARY)
    (secondary,) = in_region(resources, CLUSTER, region)
    assert len(primary_instances) == 2
    waits_for = {primary["urn"], *(i["urn"] for i in primary_instances)}
    assert waits_for <= set(secondary["dependencies"])


def test_every_member_exports_to_its_own_log_group_in_its_region() -> None:
    resources = global_resources()
    for region in (PRIMARY, *SECONDARIES):
        (cluster,) = in_region(resources, CLUSTER, region)
        (group,) = in_region(resources, LOG_GROUP, region)
        identifier = cluster["inputs"]["clusterIdentifier"]
        assert group["inputs"]["name"] == f"/aws/rds/cluster/{identifier}/postgresql"
        assert group["inputs"]["kmsKeyId"] == key_arn(region)
        assert group["urn"] in cluster["dependencies"]


@pytest.mark.parametrize("region", SECONDARIES)
def test_secondary_readers_use_their_regions_key(region: str) -> None:
    resources = global_resources()
    (reader,) = in_region(resources, INSTANCE, region)
    assert reader["inputs"]["performanceInsightsKmsKeyId"] == key_arn(region)
    assert reader["inputs"]["identifier"] == f"tap-test-{region_code(region)}-aurora-0"
    assert [g["region"] for g in in_region(resources, SUBNET_GROUP, region)] == [region]


def test_each_member_has_its_own_parameter_groups_and_global_iam_roles() -> None:
    resources = global_resources()
    regions = {PRIMARY, *SECONDARIES}
    assert {g["region"] for g in of_type(resources, CLUSTER_PG)} == regions
    assert {g["region"] for g in of_type(resources, INSTANCE_PG)} == regions
    roles = of_type(resources, ROLE)
    assert len(roles) == 3
    assert {r["region"] for r in roles} == {PRIMARY}


def test_global_members_ignore_what_rds_changes_for_them() -> None:
    ignored: dict[str, list[str]] = {}

    class Recording(RecordingMonitor):
        def RegisterResource(self, request: Any) -> Any:
            if request.type in (CLUSTER, GLOBAL):
                ignored[request.name] = list(request.ignoreChanges)
            return super().RegisterResource(request)

    def both() -> None:
        global_program()()
        AuroraPostgres("tap-test-standalone", db_args(labels=labels_for(PRIMARY, suffix="solo")))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tap.plan, "RecordingMonitor", Recording)
        run_under_mocks(both, stack="test")
    assert ignored["tap-test-gbl-aurora-global"] == list(ENGINE_VERSION_IGNORED)
    # Every member alike: which one is the writer is AWS's to change (tap failover), so what
    # AWS changes with it is ignored on all of them, the primary included.
    for region in (PRIMARY, *SECONDARIES):
        assert ignored[f"tap-test-{region_code(region)}-aurora"] == list(GLOBAL_MEMBER_IGNORED)
    assert set(GLOBAL_MEMBER_IGNORED) == {
        "globalClusterIdentifier",
        "replicationSourceIdentifier",
        "engineVersion",
    }
    # AWS's minor upgrades are never fought: a standalone cluster ignores them too.
    assert ignored["tap-solo-use1-aurora"] == ["engineVersion"]


def is_secret(output: pulumi.Output[Any]) -> pulumi.Output[bool]:
    """Whether `output` is marked secret, as an Output to check with the others."""
    secret: pulumi.Output[bool] = pulumi.Output.from_input(output.is_secret())
    return secret


class VersionLookups(PlanMocks):
    """Records each aws.rds.get_engine_version invoke and the region it went to."""

    def __init__(self) -> None:
        super().__init__(None)
        self.lookups: list[tuple[str | None, dict[str, Any]]] = []

    def call(self, args: Any) -> dict[str, Any]:  # type: ignore[override]  # as PlanMocks.call
        if args.token == "aws:rds/getEngineVersion:getEngineVersion":
            self.lookups.append((self.region_of_provider(args.provider), dict(args.args)))
        return super().call(args)


def test_a_global_database_resolves_one_release_in_its_primary_region() -> None:
    mocks = VersionLookups()
    recording, _ = run_under_mocks(global_program(), stack="test", mocks=mocks)
    (lookup,) = mocks.lookups
    assert lookup[0] == PRIMARY
    assert (lookup[1]["engine"], lookup[1]["version"], lookup[1]["latest"]) == (
        "aurora-postgresql",
        "16",
        True,
    )
    members = [r for r in recording.registrations if r.type in (CLUSTER, GLOBAL)]
    assert len(members) == 4
    assert {m.inputs["engineVersion"] for m in members} == {NEWEST_16}


def test_a_regional_cluster_resolves_its_release_through_its_own_region() -> None:
    mocks = VersionLookups()

    def program() -> None:
        provider = aws.Provider("tap-test-usw2-aws", region="us-west-2")
        AuroraPostgres(
            "tap-test-usw2-database",
            db_args("us-west-2"),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    run_under_mocks(program, stack="test", mocks=mocks)
    assert [region for region, _ in mocks.lookups] == ["us-west-2"]


def test_a_given_release_is_used_as_is() -> None:
    mocks = VersionLookups()
    recording, _ = run_under_mocks(
        lambda: AuroraPostgres("tap-test-use1-database", db_args(engine_version="16.9")),
        stack="test",
        mocks=mocks,
    )
    assert mocks.lookups == []
    (cluster,) = [r for r in recording.registrations if r.type == CLUSTER]
    assert cluster.inputs["engineVersion"] == "16.9"


def test_a_minimum_newer_than_every_release_fails_the_deploy_naming_the_key() -> None:
    unreachable = EngineVersionRequest(16, 99)
    with pytest.raises(PlanError) as error:
        run_under_mocks(
            lambda: AuroraPostgres("tap-test-use1-database", db_args(engine=unreachable)),
            stack="test",
        )
    assert str(error.value) == (
        f"tap:database.engineVersion 16.99: the newest Aurora PostgreSQL 16 release AWS offers "
        f"is {NEWEST_16}; lower the minimum or wait for a newer release"
    )


def test_global_resources_are_tagged() -> None:
    for resource in global_resources():
        if resource["custom"] and is_taggable(resource["type"]):
            assert resource["inputs"]["tags"]["Name"] == resource["name"]


# --- outputs -----------------------------------------------------------------------------------


class SecretReportingMocks(PlanMocks):
    """Adds what RDS computes for a cluster: the managed secret and the endpoints."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == CLUSTER:
            identifier = args.inputs["clusterIdentifier"]
            state["endpoint"] = f"{identifier}.cluster-abc.{PRIMARY}.rds.amazonaws.com"
            state["readerEndpoint"] = f"{identifier}.cluster-ro-abc.{PRIMARY}.rds.amazonaws.com"
            state["arn"] = f"arn:aws:rds:{PRIMARY}:{ACCOUNT}:cluster:{identifier}"
            if args.inputs.get("manageMasterUserPassword"):
                state["masterUserSecrets"] = [
                    {
                        "secretArn": SECRET_ARN,
                        "secretStatus": "active",
                        "kmsKeyId": args.inputs["masterUserSecretKmsKeyId"],
                    }
                ]
        return resource_id, state


@pytest.fixture
def rds_mocks() -> Iterator[PlanMocks]:
    mocks = SecretReportingMocks(PRIMARY)
    pulumi.runtime.settings.reset_options(project="tap", stack="test", preview=False)
    pulumi.runtime.set_mocks(mocks, project="tap", stack="test", preview=False)
    yield mocks


@pytest.mark.usefixtures("rds_mocks")
@pulumi.runtime.test
def test_outputs_expose_endpoints_and_the_managed_secret_as_a_secret() -> pulumi.Output[None]:
    database = AuroraPostgres("tap-test-use1-database", db_args())

    def check(values: list[Any]) -> None:
        identifier, endpoint, reader, arn, secret_arn, is_secret = values
        assert identifier == "tap-test-use1-aurora"
        assert endpoint == "tap-test-use1-aurora.cluster-abc.us-east-1.rds.amazonaws.com"
        assert reader == "tap-test-use1-aurora.cluster-ro-abc.us-east-1.rds.amazonaws.com"
        assert arn == f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:tap-test-use1-aurora"
        assert secret_arn == SECRET_ARN
        assert is_secret is True

    return pulumi.Output.all(
        database.cluster_identifier,
        database.endpoint,
        database.reader_endpoint,
        database.cluster_arn,
        database.master_secret_arn,
        is_secret(database.master_secret_arn),
    ).apply(check)


@pytest.mark.usefixtures("pulumi_mocks")
@pulumi.runtime.test
def test_global_members_have_no_managed_secret() -> pulumi.Output[None]:
    by_region = providers()
    database = GlobalDatabase(
        "tap-test-gbl-database",
        GlobalDatabaseArgs(
            labels=labels_for(None),
            primary=db_args(master_password=pulumi.Output.secret(TEST_PASSWORD)),
            secondaries=[secondary_args("us-west-2")],
            providers=by_region,
        ),
    )
    secondary = database.secondaries["us-west-2"]

    def check(values: list[Any]) -> None:
        primary_secret, secondary_secret, source_region, is_secret = values
        assert primary_secret is None
        assert secondary_secret is None
        assert source_region == PRIMARY
        assert is_secret is True

    return pulumi.Output.all(
        database.primary.master_secret_arn,
        secondary.master_secret_arn,
        secondary.cluster.source_region,
        is_secret(database.primary.master_secret_arn),
    ).apply(check)


# --- generated credentials for a global primary -----------------------------------------------


def test_a_global_database_generates_credentials_when_none_are_given() -> None:
    def program() -> None:
        by_region = providers()
        GlobalDatabase(
            "tap-test-gbl-database",
            GlobalDatabaseArgs(
                labels=labels_for(None),
                primary=db_args(iam_provider=by_region[PRIMARY], protect=True),
                secondaries=[secondary_args(region, instance_count=1) for region in SECONDARIES],
                providers=by_region,
            ),
        )

    manifest = plan_program(program)
    resources = tuple(manifest["resources"])
    password = one(resources, "random:index/randomPassword:RandomPassword")
    assert password["inputs"]["length"] == 32
    assert not set('/"@ ') & set(password["inputs"]["overrideSpecial"])
    secret = one(resources, "aws:secretsmanager/secret:Secret")
    assert secret["region"] == PRIMARY
    # Not `-master`: a hyphen and six characters look like the ARN's random suffix.
    assert secret["name"] == secret["inputs"]["name"] == "tap-test-use1-aurora-master-credentials"
    assert secret["inputs"]["kmsKeyId"] == key_arn(PRIMARY)
    assert secret["inputs"]["recoveryWindowInDays"] == 30
    assert sorted(r["region"] for r in secret["inputs"]["replicas"]) == sorted(SECONDARIES)
    for replica in secret["inputs"]["replicas"]:
        assert replica["kmsKeyId"] == key_arn(replica["region"])
    version = one(resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert version["inputs"]["secretString"] == "<secret>"
    (primary,) = in_region(resources, CLUSTER, PRIMARY)
    assert primary["inputs"]["masterPassword"] == "<secret>"
    assert password["urn"] in primary["dependencies"]
    assert "mock-password" not in json.dumps(manifest)


def test_a_standalone_global_member_still_needs_a_password() -> None:
    with pytest.raises(ValueError) as error:
        check_membership(db_args(global_cluster_identifier="g"))
    assert str(error.value) == GLOBAL_PASSWORD_MESSAGE
