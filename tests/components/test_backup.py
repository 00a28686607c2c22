"""Backup: locked vaults per region, the daily plan and its cross-region copy, the scoped role."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap import awsdata
from tap.awsdata import is_stateful, resource_schema
from tap.components.backup import (
    DEFAULT_SCHEDULE,
    Backup,
    BackupArgs,
    BackupRegion,
    backup_role_policy,
    recovery_point_lifecycles,
    validate_schedule,
)
from tap.plan import MOCK_ACCOUNT_ID
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

PRIMARY, COPY, THIRD = "us-east-1", "us-west-2", "eu-central-1"
CLUSTER_ARN = f"arn:aws:rds:{PRIMARY}:{MOCK_ACCOUNT_ID}:cluster:tap-test-use1-aurora"

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

Resources = tuple[dict[str, Any], ...]


def key_arn(region: str) -> str:
    return f"arn:aws:kms:{region}:{MOCK_ACCOUNT_ID}:key/{region}-key"


def backup_args(providers: dict[str, aws.Provider], **overrides: Any) -> BackupArgs:
    values: dict[str, Any] = {
        "labels": labels_for(None),
        "regions": [
            BackupRegion(region, labels_for(region), key_arn(region), providers[region])
            for region in providers
        ],
        "cluster_arns": {PRIMARY: CLUSTER_ARN},
        "copy_regions": {PRIMARY: COPY},
        "account_id": MOCK_ACCOUNT_ID,
        "partition": "aws",
        "retention_days": 35,
        "copy_retention_days": 14,
        "lock_min_retention_days": 7,
        "lock_max_retention_days": 365,
        "iam_provider": providers[PRIMARY],
    }
    values.update(overrides)
    return BackupArgs(**values)


def providers_for(*regions: str) -> dict[str, aws.Provider]:
    return {
        region: aws.Provider(labels_for(region).name("aws"), region=region) for region in regions
    }


@cache
def build(protect: bool = False) -> Resources:
    def program() -> None:
        providers = providers_for(PRIMARY, COPY, THIRD)
        Backup("tap-test-gbl-backup", backup_args(providers, protect=protect))

    return tuple(plan_program(program)["resources"])


def of_type(resources: Resources, type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def one(resources: Resources, type_token: str) -> dict[str, Any]:
    (found,) = of_type(resources, type_token)
    return found


# --- pure logic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "start", "completion", "message"),
    [
        ("rate(1 day)", 60, 360, "backup schedule must be an AWS cron expression"),
        ("cron(0 6 * * *)", 60, 360, "backup schedule must be an AWS cron expression"),
        (DEFAULT_SCHEDULE, 30, 360, "start_window_minutes must be at least 60"),
        (DEFAULT_SCHEDULE, 120, 120, "completion_window_minutes (120) must be longer"),
    ],
)
def test_schedules_aws_backup_refuses_are_refused(
    schedule: str, start: int, completion: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_schedule(schedule, start, completion)


def test_the_role_policy_names_only_tap_clusters_snapshots_vaults_and_keys() -> None:
    policy = json.loads(
        backup_role_policy(
            partition="aws",
            account_id=MOCK_ACCOUNT_ID,
            cluster_arns=[CLUSTER_ARN],
            vault_arns=["arn:aws:backup:us-east-1:123456789012:backup-vault:v"],
            key_arns=[key_arn(PRIMARY), key_arn(COPY)],
            regions=[PRIMARY, COPY],
        )
    )
    statements = {s["Sid"]: s for s in policy["Statement"]}
    snapshots = [
        f"arn:aws:rds:{region}:{MOCK_ACCOUNT_ID}:cluster-snapshot:awsbackup:*"
        for region in (PRIMARY, COPY)
    ]
    assert statements["SnapshotTheSelectedClusters"]["Resource"] == [CLUSTER_ARN, *snapshots]
    assert statements["CopyAndExpireBackupSnapshots"]["Resource"] == snapshots
    assert "rds:DeleteDBClusterSnapshot" in statements["CopyAndExpireBackupSnapshots"]["Action"]
    assert statements["UseTapVaults"]["Resource"] == [
        "arn:aws:backup:us-east-1:123456789012:backup-vault:v"
    ]
    assert statements["GrantRegionKeysToRds"]["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"}
    }
    # No statement grants on "*": every action here has a resource type to scope it to.
    assert not [sid for sid, s in statements.items() if "*" in _as_list(s["Resource"])]
    for statement in policy["Statement"]:
        for action in _as_list(statement["Action"]):
            assert any(awsdata.iam_actions(action).values()), action
    assert statements["DescribeAurora"]["Resource"] == [
        CLUSTER_ARN,
        f"arn:aws:rds:{PRIMARY}:{MOCK_ACCOUNT_ID}:db:tap-test-use1-aurora-*",
        *snapshots,
    ]
    # IAM's recoveryPoint format: any vendor and account, in tap's regions, AWS Backup's
    # cluster snapshots only.
    assert statements["CopyOutOfVaults"]["Resource"] == [
        f"arn:aws:*:{region}:*:cluster-snapshot:awsbackup:*" for region in (PRIMARY, COPY)
    ]
    # No cluster-level write besides the snapshot: no modify, no delete of the cluster.
    actions = [a for s in policy["Statement"] for a in _as_list(s["Action"])]
    assert not [a for a in actions if a in {"rds:ModifyDBCluster", "rds:DeleteDBCluster"}]


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_recovery_point_lifecycles_reads_the_rule_and_its_copies() -> None:
    plan = one(build(), PLAN)
    assert recovery_point_lifecycles(plan["inputs"]) == [35, 14]
    assert recovery_point_lifecycles({}) == []


# --- the component -----------------------------------------------------------------------------


def test_a_vault_in_every_region_with_its_regions_key_and_a_governance_lock() -> None:
    resources = build()
    vaults = {r["region"]: r for r in of_type(resources, VAULT)}
    assert set(vaults) == {PRIMARY, COPY, THIRD}
    for region, vault in vaults.items():
        code = labels_for(region).namer.code
        assert vault["name"] == vault["inputs"]["name"] == f"tap-test-{code}-backup-vault"
        assert vault["inputs"]["kmsKeyArn"] == key_arn(region)
    locks = {r["region"]: r["inputs"] for r in of_type(resources, LOCK)}
    assert set(locks) == set(vaults)
    for region, lock in locks.items():
        assert lock["backupVaultName"] == vaults[region]["inputs"]["name"]
        assert (lock["minRetentionDays"], lock["maxRetentionDays"]) == (7, 365)
        # Governance mode: with changeableForDays the lock turns into compliance mode.
        assert "changeableForDays" not in lock


def test_one_daily_plan_in_the_clusters_region_copying_to_the_other_region() -> None:
    resources = build()
    plan = one(resources, PLAN)
    assert plan["region"] == PRIMARY
    assert plan["inputs"]["name"] == "tap-test-use1-backup-plan"
    (rule,) = plan["inputs"]["rules"]
    assert rule["ruleName"] == "daily"
    assert rule["schedule"] == "cron(0 6 ? * * *)"
    assert (rule["startWindow"], rule["completionWindow"]) == (60, 360)
    assert rule["targetVaultName"] == "tap-test-use1-backup-vault"
    assert rule["lifecycle"] == {"deleteAfter": 35}
    assert rule["copyActions"] == [
        {
            "destinationVaultArn": (
                f"arn:aws:backup:{COPY}:{MOCK_ACCOUNT_ID}:backup-vault:tap-test-usw2-backup-vault"
            ),
            "lifecycle": {"deleteAfter": 14},
        }
    ]
    # No cold storage: Aurora recovery points cannot move there.
    assert "coldStorageAfter" not in rule["lifecycle"]
    assert rule["recoveryPointTags"]["BackupPlan"] == "tap-test-use1-backup-plan"
    # The jobs are held to both vaults' locks from the first run.
    locks = {r["region"]: r["urn"] for r in of_type(resources, LOCK)}
    assert {locks[PRIMARY], locks[COPY]} <= set(plan["dependencies"])


def test_the_selection_is_the_cluster_alone_under_the_backup_role() -> None:
    resources = build()
    selection = one(resources, SELECTION)
    role = one(resources, ROLE)
    assert selection["region"] == PRIMARY
    assert selection["inputs"]["name"] == "tap-test-use1-backup-aurora"
    assert selection["inputs"]["resources"] == [CLUSTER_ARN]
    assert (
        selection["inputs"]["iamRoleArn"]
        == f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/tap-test-gbl-backup"
    )
    assert selection["inputs"]["planId"]
    assert one(resources, ROLE_POLICY)["urn"] in selection["dependencies"]
    assert role["inputs"]["name"] == "tap-test-gbl-backup"


def test_the_role_trusts_aws_backup_for_this_account_only_and_has_no_managed_policy() -> None:
    resources = build()
    trust = json.loads(one(resources, ROLE)["inputs"]["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "backup.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID}}
    assert not [
        r for r in resources if r["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    ]
    policy = json.loads(one(resources, ROLE_POLICY)["inputs"]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["UseTapVaults"]["Resource"] == [
        f"arn:aws:backup:{region}:{MOCK_ACCOUNT_ID}:backup-vault:tap-test-{code}-backup-vault"
        for region, code in ((PRIMARY, "use1"), (COPY, "usw2"), (THIRD, "euc1"))
    ]
    assert statements["DescribeRegionKeys"]["Resource"] == [
        key_arn(PRIMARY),
        key_arn(COPY),
        key_arn(THIRD),
    ]


def test_vaults_are_protected_and_kept_in_prod_and_emptied_on_destroy_elsewhere() -> None:
    assert is_stateful(VAULT)
    for protect in (True, False):
        for vault in of_type(build(protect=protect), VAULT):
            assert vault["protect"] is protect
            assert vault["inputs"]["forceDestroy"] is (not protect)


def test_inputs_are_properties_of_the_cloudformation_schemas() -> None:
    """The engine's camelCase names map to AWS's: a misspelt property would pass the mocks."""
    resources = build()
    vault = resource_schema("AWS::Backup::BackupVault", PRIMARY)
    lock = vault["definitions"]["LockConfigurationType"]["properties"]
    assert {"MinRetentionDays", "MaxRetentionDays", "ChangeableForDays"} <= set(lock)
    rule_schema = resource_schema("AWS::Backup::BackupPlan", PRIMARY)["definitions"]
    rule_properties = set(rule_schema["BackupRuleResourceType"]["properties"])
    aliases = {
        "ruleName": "RuleName",
        "targetVaultName": "TargetBackupVault",
        "schedule": "ScheduleExpression",
        "startWindow": "StartWindowMinutes",
        "completionWindow": "CompletionWindowMinutes",
        "lifecycle": "Lifecycle",
        "copyActions": "CopyActions",
        "recoveryPointTags": "RecoveryPointTags",
    }
    (rule,) = one(resources, PLAN)["inputs"]["rules"]
    assert {aliases[key] for key in rule} <= rule_properties
    assert set(rule_schema["LifecycleResourceType"]["properties"]) >= {"DeleteAfterDays"}


def test_taggable_resources_are_tagged() -> None:
    for resource in build():
        if resource["custom"] and is_taggable(resource["type"]):
            assert resource["inputs"]["tags"]["Name"] == resource["name"]
            assert resource["inputs"]["tags"]["Owner"] == "tests"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"copy_regions": {PRIMARY: PRIMARY}}, "copy region for us-east-1 must be another region"),
        ({"copy_regions": {}}, "backup of the cluster in us-east-1 needs a copy region: the stack"),
        ({"copy_regions": {PRIMARY: "ap-south-1"}}, "copy region ap-south-1 has no vault"),
        ({"cluster_arns": {}}, "backup needs at least one cluster to back up"),
        ({"cluster_arns": {"ap-south-1": CLUSTER_ARN}}, "cluster in ap-south-1 needs a vault"),
        ({"start_window_minutes": 59}, "start_window_minutes must be at least 60"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_registered(
    overrides: dict[str, Any], message: str
) -> None:
    def program() -> None:
        providers = providers_for(PRIMARY, COPY)
        Backup("tap-test-gbl-backup", backup_args(providers, **overrides))

    error, registered = refused_before_registering(program)
    assert message in str(error)
    assert [t for t in registered if not t.startswith("pulumi:providers")] == []


@pulumi.runtime.test
def test_outputs_name_the_vaults_and_the_plan(pulumi_mocks: Any) -> pulumi.Output[None]:
    providers = providers_for(PRIMARY, COPY)
    component = Backup("tap-test-gbl-backup", backup_args(providers))
    assert component.vault_names == {
        PRIMARY: "tap-test-use1-backup-vault",
        COPY: "tap-test-usw2-backup-vault",
    }

    def check(values: list[Any]) -> None:
        vault_arn, plan_id = values
        assert vault_arn == (
            f"arn:aws:backup:{COPY}:{MOCK_ACCOUNT_ID}:backup-vault:tap-test-usw2-backup-vault"
        )
        assert plan_id

    return pulumi.Output.all(component.vaults[COPY].arn, component.plans[PRIMARY].id).apply(check)


def test_a_one_region_stack_backs_up_without_a_copy() -> None:
    def program() -> None:
        providers = providers_for(PRIMARY)
        Backup("tap-test-gbl-backup", backup_args(providers, copy_regions={}))

    resources = tuple(plan_program(program)["resources"])
    (rule,) = one(resources, PLAN)["inputs"]["rules"]
    assert "copyActions" not in rule
    assert rule["lifecycle"] == {"deleteAfter": 35}
    assert len(of_type(resources, VAULT)) == 1
