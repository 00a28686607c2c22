"""AWS Backup for Aurora: a locked vault per region, a daily plan, a copy in another region.

What it adds to Aurora's own automated backups (point-in-time restore within the cluster's
`backup_retention_days`): those live and die with the cluster, in its region, and an account
admin can delete the cluster's snapshots. Here every day a snapshot of the writer cluster goes
to a vault in the writer's region and a copy goes to a vault in another region, both under a
vault lock, each with its own retention.

Layout:
- A vault in every region of the stack, encrypted with that region's CMK (so a copy can land in
  any region, and the plan follows the writer after `tap failover` without a new vault).
- A plan and a selection in each region given a cluster to back up. TapStack gives the writer's
  cluster only: in a global database the secondaries hold the same data (a snapshot of each
  would triple the storage bill for no extra recovery point), and AWS Backup's copy already puts
  a restorable snapshot in another region.
- One rule `daily`: `cron(0 6 ? * * *)` UTC, after the cluster's backup window (03:00-04:00)
  and its Sunday maintenance window (04:30-05:30), so the snapshot never waits on either. A job
  that cannot start within the start window (60 minutes, AWS's minimum) is retried the next day.
- Retention: `delete_after` only. Aurora recovery points cannot move to cold storage (AWS
  Backup's "Feature availability by resource": cold storage is for EFS, DynamoDB, EBS, ...), so
  the 90-days-in-cold rule never applies.

Vault lock, governance mode (no `changeable_for_days`): every job into the vault must carry a
retention between the lock's min and max days, and no recovery point can be deleted or have its
lifecycle shortened before its retention ends, except by a principal allowed
`backup:DeleteBackupVaultLockConfiguration` (the account's admins) who removes the lock first.
Compliance mode (`changeable_for_days` set) makes the lock immutable after that grace period:
nobody, root and AWS Support included, can then delete a recovery point or the vault before
retention ends, or lower the retention. It is what regulated archives need (SEC 17a-4), but a
mistaken retention (say 3,650 days instead of 365) then bills for years, and the vault can never
be removed. tap uses governance: it stops an attacker or a mistaken script holding ordinary
backup permissions, and leaves a recovery path for the account's admins, whose use CloudTrail
records.

The data bucket is not selected. It is versioned and replicated to every other region (S3 CRR,
RTC in prod), so a copy already exists elsewhere, overwrites and deletes keep the previous
version for `noncurrentVersionExpirationDays`, and S3 does not replicate the permanent deletion
of a version. Aurora is the system of record; what AWS Backup would add for the bucket (a
locked copy against an admin deleting versions in every region) costs a full second copy of
every object per region at backup storage prices, and the control for that threat on S3 is
Object Lock on the bucket itself.

The service role's policy is inline and scoped: the AWS managed `AWSBackupServiceRolePolicy
ForBackup` grants snapshot, copy and delete on every supported service and every resource in the
account (`Resource: "*"` for EC2, RDS, FSx, ...), far beyond one Aurora cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.policies import document, render, service_assume_role
from tap.components.roles import service_role
from tap.limits import BACKUP_MIN_START_WINDOW_MINUTES
from tap.naming import Labels

BACKUP_SERVICE = "backup.amazonaws.com"
RULE_NAME = "daily"
# After the Aurora backup window (03:00-04:00 UTC) and the Sunday maintenance window
# (04:30-05:30 UTC) that tap.components.database sets.
DEFAULT_SCHEDULE = "cron(0 6 ? * * *)"
DEFAULT_START_WINDOW_MINUTES = BACKUP_MIN_START_WINDOW_MINUTES
# An Aurora snapshot is a storage-level copy: minutes, not hours. A job still running after
# six hours is cancelled, and `tap verify` sees the missing recovery point the next morning.
DEFAULT_COMPLETION_WINDOW_MINUTES = 360
# Backup vault names: ^[a-zA-Z0-9\-\_]{2,50}$ (AWS::Backup::BackupVault BackupVaultName);
# plan and rule names: ^[a-zA-Z0-9\-\_\.]{1,50}$ (BackupRuleInput.RuleName); selection names:
# ^[a-zA-Z0-9\-\_\.]{1,50}$ (BackupSelection.SelectionName).
_VAULT_NAME = re.compile(r"[a-zA-Z0-9_-]{2,50}")
_PLAN_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,50}")
# AWS Backup's own names for what it creates in RDS: `awsbackup:job-<id>` cluster snapshots.
AWSBACKUP_SNAPSHOT_PREFIX = "awsbackup:"
# AWS Backup cron: six fields, cron(min hour day-of-month month day-of-week year).
_CRON = re.compile(r"cron\((\S+ ){5}\S+\)")


# --- pure logic --------------------------------------------------------------------------------


def vault_name(labels: Labels) -> str:
    return labels.name("backup-vault")


def plan_name(labels: Labels) -> str:
    return labels.name("backup-plan")


def selection_name(labels: Labels) -> str:
    return labels.name("backup-aurora")


def vault_arn(*, partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:backup:{region}:{account_id}:backup-vault:{name}"


def cluster_snapshot_arn(*, partition: str, region: str, account_id: str) -> str:
    """The cluster snapshots AWS Backup makes and copies in `region`, and no others."""
    return (
        f"arn:{partition}:rds:{region}:{account_id}:cluster-snapshot:{AWSBACKUP_SNAPSHOT_PREFIX}*"
    )


def validate_schedule(
    schedule: str, start_window_minutes: int, completion_window_minutes: int
) -> None:
    if not _CRON.fullmatch(schedule):
        raise ValueError(
            f"backup schedule must be an AWS cron expression with six fields such as "
            f"{DEFAULT_SCHEDULE!r}, got {schedule!r}"
        )
    if start_window_minutes < BACKUP_MIN_START_WINDOW_MINUTES:
        raise ValueError(
            f"backup start_window_minutes must be at least {BACKUP_MIN_START_WINDOW_MINUTES} "
            f"(AWS Backup's minimum), got {start_window_minutes}"
        )
    if completion_window_minutes <= start_window_minutes:
        raise ValueError(
            f"backup completion_window_minutes ({completion_window_minutes}) must be longer "
            f"than start_window_minutes ({start_window_minutes})"
        )


def backup_role_policy(
    *,
    partition: str,
    account_id: str,
    cluster_arns: Sequence[str],
    vault_arns: Sequence[str],
    key_arns: Sequence[str],
    regions: Sequence[str],
) -> str:
    """What AWS Backup needs to snapshot these clusters, copy the snapshots between tap's vaults
    and expire them: nothing on other clusters, other snapshots, other vaults or other keys."""
    snapshots = [
        cluster_snapshot_arn(partition=partition, region=region, account_id=account_id)
        for region in regions
    ]
    # A cluster's instances are `<cluster identifier>-<n>` (tap.components.database).
    instances = [arn.replace(":cluster:", ":db:", 1) + "-*" for arn in cluster_arns]
    # IAM's recoveryPoint format is `arn:<partition>:<vendor>:<region>:*:...` (an Aurora recovery
    # point is its RDS cluster snapshot). The vendor is a wildcard because cfn-lint's resource
    # check (the policy pack's TAP.6) cannot match `${Vendor}`; the path still names only the
    # cluster snapshots AWS Backup makes, in tap's regions.
    recovery_points = [
        f"arn:{partition}:*:{region}:*:cluster-snapshot:{AWSBACKUP_SNAPSHOT_PREFIX}*"
        for region in regions
    ]
    return render(
        document(
            {
                # Reads of metadata, before and after each job.
                "Sid": "DescribeAurora",
                "Effect": "Allow",
                "Action": [
                    "rds:DescribeDBClusters",
                    "rds:DescribeDBClusterSnapshots",
                    "rds:DescribeDBInstances",
                ],
                "Resource": [*cluster_arns, *instances, *snapshots],
            },
            {
                "Sid": "SnapshotTheSelectedClusters",
                "Effect": "Allow",
                "Action": [
                    "rds:CreateDBClusterSnapshot",
                    "rds:AddTagsToResource",
                    "rds:ListTagsForResource",
                ],
                "Resource": [*cluster_arns, *snapshots],
            },
            {
                # Cross-region copy, and expiry at the end of each recovery point's retention.
                "Sid": "CopyAndExpireBackupSnapshots",
                "Effect": "Allow",
                "Action": [
                    "rds:CopyDBClusterSnapshot",
                    "rds:DeleteDBClusterSnapshot",
                    "rds:ModifyDBClusterSnapshotAttribute",
                ],
                "Resource": snapshots,
            },
            {
                "Sid": "UseTapVaults",
                "Effect": "Allow",
                "Action": ["backup:DescribeBackupVault", "backup:CopyIntoBackupVault"],
                "Resource": list(vault_arns),
            },
            {
                # Scoped to recovery points of tap's regions, the resource type IAM documents
                # for this action (AWS's managed policy grants it on "*"); `tap verify` checks
                # that each backup's copy arrives.
                "Sid": "CopyOutOfVaults",
                "Effect": "Allow",
                "Action": "backup:CopyFromBackupVault",
                "Resource": recovery_points,
            },
            {
                "Sid": "DescribeRegionKeys",
                "Effect": "Allow",
                "Action": "kms:DescribeKey",
                "Resource": list(key_arns),
            },
            {
                # RDS encrypts the snapshot and its copy through grants on the regions' keys.
                "Sid": "GrantRegionKeysToRds",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": list(key_arns),
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        )
    )


def backup_trust(account_id: str) -> str:
    """AWS Backup assumes the role for this account's jobs only (confused-deputy guard)."""
    return service_assume_role(
        BACKUP_SERVICE, conditions={"StringEquals": {"aws:SourceAccount": account_id}}
    )


# --- the component -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupRegion:
    """One region's vault: its names, its key and its provider."""

    region: str
    labels: Labels
    kms_key_arn: pulumi.Input[str]  # the region's CMK: encrypts the vault (and copies into it)
    provider: aws.Provider


@dataclass(frozen=True)
class BackupArgs:
    labels: Labels  # region-global labels: name the service role
    regions: Sequence[BackupRegion]  # a vault in each
    # Region -> the cluster to back up there (its plan lives in that region).
    cluster_arns: Mapping[str, pulumi.Input[str]]
    # Region of a plan -> region of the vault its copies go to; a plan without an entry keeps
    # its recovery points in its own region (a one-region stack).
    copy_regions: Mapping[str, str]
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    retention_days: int
    copy_retention_days: int
    lock_min_retention_days: int
    lock_max_retention_days: int
    iam_provider: aws.Provider | None
    schedule: str = DEFAULT_SCHEDULE
    start_window_minutes: int = DEFAULT_START_WINDOW_MINUTES
    completion_window_minutes: int = DEFAULT_COMPLETION_WINDOW_MINUTES
    # Vaults hold state: protect them in prod; elsewhere let `pulumi destroy` empty them.
    protect: bool = False
    recovery_point_tags: Mapping[str, str] = field(default_factory=dict)


def validate_backup_args(args: BackupArgs) -> None:
    """The wiring a caller can get wrong and the component's own schedule; the retentions
    arrive validated by tap.config (within AWS's bounds and the lock's range)."""
    validate_schedule(args.schedule, args.start_window_minutes, args.completion_window_minutes)
    vault_regions = [r.region for r in args.regions]
    if len(set(vault_regions)) != len(vault_regions):
        raise ValueError(f"backup regions must be distinct, got {', '.join(vault_regions)}")
    for spec in args.regions:
        if spec.labels.region != spec.region:
            raise ValueError(f"backup labels are for {spec.labels.region}, not {spec.region}")
        for name, pattern in (
            (vault_name(spec.labels), _VAULT_NAME),
            (plan_name(spec.labels), _PLAN_NAME),
            (selection_name(spec.labels), _PLAN_NAME),
        ):
            if not pattern.fullmatch(name):
                raise ValueError(f"AWS Backup name {name!r} is too long or has other characters")
    if not args.cluster_arns:
        raise ValueError("backup needs at least one cluster to back up (cluster_arns)")
    for region in args.cluster_arns:
        if region not in vault_regions:
            raise ValueError(f"backup of a cluster in {region} needs a vault there (regions)")
        destination = args.copy_regions.get(region)
        if destination is None:
            if len(vault_regions) > 1:
                raise ValueError(
                    f"backup of the cluster in {region} needs a copy region: the stack has "
                    "vaults in other regions"
                )
            continue
        if destination == region:
            raise ValueError(
                f"backup copy region for {region} must be another region, got {destination}"
            )
        if destination not in vault_regions:
            raise ValueError(
                f"backup copy region {destination} has no vault; choose one of "
                f"{', '.join(r for r in vault_regions if r != region)}"
            )


class Backup(pulumi.ComponentResource):
    vaults: dict[str, aws.backup.Vault]
    locks: dict[str, aws.backup.VaultLockConfiguration]
    plans: dict[str, aws.backup.Plan]
    selections: dict[str, aws.backup.Selection]
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    vault_names: dict[str, str]

    def __init__(
        self, name: str, args: BackupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_backup_args(args)
        super().__init__("tap:backup:Backup", name, None, opts)
        by_region = {spec.region: spec for spec in args.regions}
        self.vault_names = {spec.region: vault_name(spec.labels) for spec in args.regions}
        self.vaults, self.locks = {}, {}
        for spec in args.regions:
            self._vault(spec, args)

        role_name = args.labels.name("backup")
        self.role = service_role(
            self,
            args.labels,
            role_name,
            description="AWS Backup: snapshot tap's Aurora clusters, copy and expire them",
            trust_policy=pulumi.Output.from_input(args.account_id).apply(backup_trust),
            iam_provider=args.iam_provider,
        )
        key_arns = [spec.kms_key_arn for spec in args.regions]
        self.role_policy = aws.iam.RolePolicy(
            args.labels.name("backup-policy"),
            role=self.role.id,
            policy=pulumi.Output.all(
                args.partition,
                args.account_id,
                pulumi.Output.all(*args.cluster_arns.values()),
                pulumi.Output.all(*key_arns),
            ).apply(
                lambda v: backup_role_policy(
                    partition=v[0],
                    account_id=v[1],
                    cluster_arns=v[2],
                    vault_arns=[
                        vault_arn(partition=v[0], region=region, account_id=v[1], name=vault)
                        for region, vault in self.vault_names.items()
                    ],
                    key_arns=v[3],
                    regions=list(by_region),
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=args.iam_provider),
        )

        self.plans, self.selections = {}, {}
        for region, cluster_arn in args.cluster_arns.items():
            destination = args.copy_regions.get(region)
            self._plan(
                by_region[region],
                by_region[destination] if destination else None,
                cluster_arn,
                args,
            )

        self.register_outputs(
            {
                "vaultNames": self.vault_names,
                "vaultArns": {region: vault.arn for region, vault in self.vaults.items()},
                "planIds": {region: plan.id for region, plan in self.plans.items()},
                "roleArn": self.role.arn,
            }
        )

    def _vault(self, spec: BackupRegion, args: BackupArgs) -> None:
        name = vault_name(spec.labels)
        vault = aws.backup.Vault(
            name,
            name=name,
            kms_key_arn=spec.kms_key_arn,
            # Outside prod `pulumi destroy` deletes the recovery points the lock allows to go.
            force_destroy=not args.protect,
            tags=spec.labels.tags(name),
            opts=pulumi.ResourceOptions(parent=self, provider=spec.provider, protect=args.protect),
        )
        self.vaults[spec.region] = vault
        # No changeable_for_days: governance mode (see the module doc for compliance mode).
        self.locks[spec.region] = aws.backup.VaultLockConfiguration(
            spec.labels.name("backup-vault-lock"),
            backup_vault_name=vault.name,
            min_retention_days=args.lock_min_retention_days,
            max_retention_days=args.lock_max_retention_days,
            opts=pulumi.ResourceOptions(parent=self, provider=spec.provider),
        )

    def _plan(
        self,
        source: BackupRegion,
        destination: BackupRegion | None,
        cluster_arn: pulumi.Input[str],
        args: BackupArgs,
    ) -> None:
        name = plan_name(source.labels)
        provider = pulumi.ResourceOptions(parent=self, provider=source.provider)
        rule: aws.backup.PlanRuleArgsDict = {
            "rule_name": RULE_NAME,
            "target_vault_name": self.vaults[source.region].name,
            "schedule": args.schedule,
            "start_window": args.start_window_minutes,
            "completion_window": args.completion_window_minutes,
            "lifecycle": {"delete_after": args.retention_days},
            "recovery_point_tags": {**args.recovery_point_tags, "BackupPlan": name},
        }
        locks = [self.locks[source.region]]
        if destination is not None:
            rule["copy_actions"] = [
                {
                    "destination_vault_arn": self.vaults[destination.region].arn,
                    "lifecycle": {"delete_after": args.copy_retention_days},
                }
            ]
            locks.append(self.locks[destination.region])
        # Jobs need the locks in place to be held to them, and the copy needs its target vault.
        plan = aws.backup.Plan(
            name,
            name=name,
            rules=[rule],
            tags=source.labels.tags(name),
            opts=pulumi.ResourceOptions.merge(provider, pulumi.ResourceOptions(depends_on=locks)),
        )
        self.plans[source.region] = plan
        selection = selection_name(source.labels)
        self.selections[source.region] = aws.backup.Selection(
            selection,
            name=selection,
            plan_id=plan.id,
            iam_role_arn=self.role.arn,
            resources=[cluster_arn],
            # AWS Backup checks the role when the selection is made: the policy must be there.
            opts=pulumi.ResourceOptions.merge(
                provider, pulumi.ResourceOptions(depends_on=[self.role_policy])
            ),
        )


def recovery_point_lifecycles(plan_inputs: Mapping[str, Any]) -> list[int]:
    """Every retention a plan's `rules` input (camelCase, as the engine sees it) asks of a
    vault: the rule's own and each copy's. For the policy pack and the plan's checks."""
    days: list[int] = []
    for rule in plan_inputs.get("rules") or []:
        lifecycle = rule.get("lifecycle") or {}
        if "deleteAfter" in lifecycle:
            days.append(int(lifecycle["deleteAfter"]))
        for copy in rule.get("copyActions") or []:
            copy_lifecycle = copy.get("lifecycle") or {}
            if "deleteAfter" in copy_lifecycle:
                days.append(int(copy_lifecycle["deleteAfter"]))
    return days
