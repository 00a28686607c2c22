"""AWS Backup rules: one violation per rule, the writer's coverage, lock ranges."""

from __future__ import annotations

from typing import Any

from tap.policy.rules import PolicyResource, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import KEY_ARN, Case, messages, res

WRITER = res(r.RDS_CLUSTER, "tap-prod-use1-aurora", masterUsername="tap_admin")
SECONDARY = res(r.RDS_CLUSTER, "tap-prod-usw2-aurora", globalClusterIdentifier="g")
COPY_VAULT = "arn:aws:backup:us-west-2:123456789012:backup-vault:tap-prod-usw2-backup-vault"


def plan(copy_to: str | None = COPY_VAULT, days: int = 35, copy_days: int = 35) -> PolicyResource:
    rule: dict[str, Any] = {
        "ruleName": "daily",
        "targetVaultName": "tap-prod-use1-backup-vault",
        "lifecycle": {"deleteAfter": days},
    }
    if copy_to is not None:
        rule["copyActions"] = [
            {"destinationVaultArn": copy_to, "lifecycle": {"deleteAfter": copy_days}}
        ]
    return PolicyResource(
        urn="urn:plan",
        type=r.BACKUP_PLAN,
        name="tap-prod-use1-backup-plan",
        props={"rules": [rule]},
        region="us-east-1",
    )


def selection(*deps: str) -> PolicyResource:
    return res(r.BACKUP_SELECTION, deps=deps, resources=["arn"], planId="id")


def vault(name: str) -> PolicyResource:
    return PolicyResource(
        urn=f"urn:vault:{name}",
        type=r.BACKUP_VAULT,
        name=name,
        props={"name": name, "kmsKeyArn": KEY_ARN},
    )


def lock(vault_: PolicyResource, low: int = 7, high: int = 365) -> PolicyResource:
    return res(
        r.BACKUP_VAULT_LOCK,
        f"{vault_.name}-lock",
        deps=(vault_.urn,),
        backupVaultName=vault_.props["name"],
        minRetentionDays=low,
        maxRetentionDays=high,
    )


VIOLATIONS: dict[str, Case] = {
    "backup-aurora-covered-in-prod": Case(
        [WRITER],
        "tap-prod-use1-aurora: no cluster of the database is in an AWS Backup selection",
        "prod",
    ),
    "backup-vault-cmk": Case([res(r.BACKUP_VAULT)], "uses the AWS managed backup key"),
    "backup-vault-lock": Case(
        [vault("tap-prod-use1-backup-vault")], "tap-prod-use1-backup-vault has no vault lock"
    ),
}

FLAG_ON_ABSENCE: set[str] = {
    "backup-aurora-covered-in-prod",
    "backup-vault-cmk",
    "backup-vault-lock",
}


def test_one_selected_cluster_with_a_cross_region_copy_passes() -> None:
    rule = rule_named("backup-aurora-covered-in-prod")
    good = plan()
    assert messages(rule, [WRITER, SECONDARY, good, selection(WRITER.urn, good.urn)], "prod") == []
    # After tap:database.writerRegion moves the writer, the plan selects the secondary's member.
    assert (
        messages(rule, [WRITER, SECONDARY, good, selection(SECONDARY.urn, good.urn)], "prod") == []
    )
    assert messages(rule, [WRITER], "dev") == []


def test_a_plan_without_a_copy_elsewhere_is_refused_in_a_multi_region_stack() -> None:
    rule = rule_named("backup-aurora-covered-in-prod")
    elsewhere = PolicyResource("urn:vault2", r.BACKUP_VAULT, "v2", {}, region="us-west-2")
    for bad in (
        plan(copy_to=None),
        plan(copy_to="arn:aws:backup:us-east-1:123456789012:backup-vault:tap-prod-use1-other"),
    ):
        resources = [WRITER, elsewhere, bad, selection(WRITER.urn, bad.urn)]
        assert messages(rule, resources, "prod") == [
            "tap-prod-use1-aurora: the database's backup plan copies nothing to another region "
            "(copyActions with a vault of another region)"
        ]


def test_retentions_outside_a_lock_are_refused() -> None:
    rule = rule_named("backup-vault-lock")
    source, copy = vault("tap-prod-use1-backup-vault"), vault("tap-prod-usw2-backup-vault")
    locked = [source, lock(source), copy, lock(copy, 30, 60)]
    assert messages(rule, [*locked, plan(days=35, copy_days=45)]) == []
    assert messages(rule, [*locked, plan(days=35, copy_days=90)]) == [
        "tap-prod-use1-backup-plan keeps recovery points in tap-prod-usw2-backup-vault 90 days, "
        "outside its lock's 30-60 days: every job would fail"
    ]
    assert messages(rule, [*locked, plan(days=3)])


def test_a_one_region_stack_needs_no_copy() -> None:
    rule = rule_named("backup-aurora-covered-in-prod")
    local = plan(copy_to=None)
    assert messages(rule, [WRITER, local, selection(WRITER.urn, local.urn)], "prod") == []
