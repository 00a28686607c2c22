"""AWS Backup: prod's Aurora writer in a backup plan with a copy in another region; vaults
encrypted with a customer managed key and locked, with every retention inside the lock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    covers,
    is_opaque,
    is_set,
    items,
    number,
    of_type,
)
from tap.policy.rules.resource_types import (
    BACKUP_PLAN,
    BACKUP_SELECTION,
    BACKUP_VAULT,
    BACKUP_VAULT_LOCK,
    RDS_CLUSTER,
)

_book = RuleBook()


def _arn_region(arn: Any) -> str | None:
    """The region of a known ARN string (`arn:aws:backup:<region>:...`)."""
    if not isinstance(arn, str) or is_opaque(arn) or arn.count(":") < 4:
        return None
    return arn.split(":")[3] or None


def _vault_name_of_arn(arn: Any) -> str | None:
    if not isinstance(arn, str) or is_opaque(arn) or ":backup-vault:" not in arn:
        return None
    return arn.rsplit(":backup-vault:", 1)[1]


def _vault_identities(vault: PolicyResource) -> set[str] | None:
    name = vault.props.get("name")
    return {name} if isinstance(name, str) and not is_opaque(name) else None


def _rules(plan: PolicyResource) -> list[Mapping[str, Any]]:
    return [rule for rule in items(plan.props.get("rules")) or [] if isinstance(rule, Mapping)]


def _copies(rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in items(rule.get("copyActions")) or [] if isinstance(c, Mapping)]


def _delete_after(lifecycle: Any) -> float | None:
    return number(lifecycle.get("deleteAfter")) if isinstance(lifecycle, Mapping) else None


@_book.stack(
    "backup-aurora-covered-in-prod",
    "RDS.26",
    "In prod, the Aurora database (its writer's cluster) is selected by an AWS Backup plan, "
    "whose rule copies each recovery point to a vault in another region when the stack spans "
    "several regions.",
    uses_environment=True,
    subjects=(RDS_CLUSTER, BACKUP_SELECTION),
)
def _aurora_covered(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    if not config.is_prod:
        return
    clusters = of_type(resources, RDS_CLUSTER)
    if not clusters:
        return
    plans = of_type(resources, BACKUP_PLAN)
    multi_region = len({r.region for r in resources if r.region}) > 1
    selections = of_type(resources, BACKUP_SELECTION)
    # The writer is whichever member tap:database.writerRegion names; the plan does not say
    # which, so one selected cluster of the stack's database is what is asked. A finding names
    # the global primary (the member with the master username) or the only cluster.
    subject = next((c for c in clusters if is_set(c.props.get("masterUsername"))), clusters[0])
    chosen = [s for s in selections for c in clusters if covers(s, "resources", c, clusters)]
    if not chosen:
        yield Finding(
            subject.urn,
            f"{subject.name}: no cluster of the database is in an AWS Backup selection "
            "(backup.Selection)",
        )
        return
    chosen_plans = [p for s in chosen for p in plans if covers(s, "planId", p, plans)]
    if not chosen_plans:
        if all(not is_opaque(s.props.get("planId")) for s in chosen):
            yield Finding(
                subject.urn, f"{subject.name}: the database's backup selection names no plan"
            )
        return
    if multi_region and not any(_copies_elsewhere(plan) for plan in chosen_plans):
        yield Finding(
            subject.urn,
            f"{subject.name}: the database's backup plan copies nothing to another region "
            "(copyActions with a vault of another region)",
        )


def _copies_elsewhere(plan: PolicyResource) -> bool:
    for rule in _rules(plan):
        for copy in _copies(rule):
            arn = copy.get("destinationVaultArn")
            if is_opaque(arn):
                return True  # can't tell yet: a preview may still fill it
            region = _arn_region(arn)
            if region is not None and region != plan.region:
                return True
    return False


@_book.resource(
    "backup-vault-cmk",
    "Backup.1",
    "Backup vaults encrypt their recovery points with a customer managed KMS key (kmsKeyArn).",
    BACKUP_VAULT,
)
def _vault_cmk(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not is_set(r.props.get("kmsKeyArn")):
        yield f"{r.name} uses the AWS managed backup key; set kmsKeyArn to the region's key"


@_book.stack(
    "backup-vault-lock",
    "TAP.14",
    "Every backup vault has a vault lock (governance mode at least), and every retention a plan "
    "asks of a vault (its rule's and its copies') lies inside that vault's lock range.",
    subjects=(BACKUP_VAULT, BACKUP_PLAN),
)
def _vault_lock(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    vaults = of_type(resources, BACKUP_VAULT)
    locks = of_type(resources, BACKUP_VAULT_LOCK)
    ranges: dict[str, tuple[float | None, float | None]] = {}
    for vault in vaults:
        mine = [
            lock
            for lock in locks
            if covers(lock, "backupVaultName", vault, vaults, _vault_identities)
        ]
        if not mine:
            yield Finding(vault.urn, f"{vault.name} has no vault lock (VaultLockConfiguration)")
            continue
        name = vault.props.get("name")
        if isinstance(name, str):
            props = mine[0].props
            ranges[name] = (
                number(props.get("minRetentionDays")),
                number(props.get("maxRetentionDays")),
            )
    for plan in of_type(resources, BACKUP_PLAN):
        for rule in _rules(plan):
            targets = [(rule.get("targetVaultName"), _delete_after(rule.get("lifecycle")))]
            targets += [
                (
                    _vault_name_of_arn(c.get("destinationVaultArn")),
                    _delete_after(c.get("lifecycle")),
                )
                for c in _copies(rule)
            ]
            for vault_name, days in targets:
                if not isinstance(vault_name, str) or vault_name not in ranges or days is None:
                    continue
                low, high = ranges[vault_name]
                if (low is not None and days < low) or (high is not None and days > high):
                    bounds = f"{low or 0:g}-" + (f"{high:g}" if high is not None else "")
                    yield Finding(
                        plan.urn,
                        f"{plan.name} keeps recovery points in {vault_name} {days:g} days, "
                        f"outside its lock's {bounds} days: every job would fail",
                    )


RULES = _book.rules
