"""Aurora PostgreSQL: one regional cluster (AuroraPostgres), or a global database across regions.

Its settings arrive validated by tap.config (AWS's limits, versions and instance classes are
checked there, once); the component checks only how clusters are wired into a global database,
before anything is registered. The engine release is resolved at deploy through the provider
(resolve_engine_version), once per global database.

AWS constraints this module encodes (Aurora User Guide):
- RDS-managed master passwords (Secrets Manager) are not supported for clusters that are part
  of an Aurora global database (rds-secrets-manager.html, "Limitations"). A standalone cluster
  uses `manage_master_user_password`. A global primary gets a generated password
  (MasterCredentials: a CMK-encrypted Secrets Manager secret replicated to every member region;
  in Pulumi state only as a secret). Secondaries take no credentials at all.
- A secondary can join only after the primary has an instance, and an encrypted secondary needs
  `source_region` (RDS pre-signs the cross-region request with it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from pulumi_aws.rds import (
    ClusterParameterGroupParameterArgsDict,
    ClusterServerlessv2ScalingConfigurationArgsDict,
    ParameterGroupParameterArgsDict,
)

from tap.aurora import ENGINE, LOG_EXPORTS, EngineVersionRequest, exported_log_group_name
from tap.components.logs import encrypted_log_group
from tap.components.policies import service_assume_role
from tap.components.roles import service_role
from tap.limits import (
    AURORA_SERVERLESS_CLASS,
    PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS,
    check_secret_name,
)
from tap.naming import Labels, Namer

PORT = 5432
MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole"
# The version a cluster is created with is resolved once, at create (resolve_engine_version).
# After that AWS owns the minor version: auto_minor_version_upgrade moves the instances to new
# minors in the maintenance window, and the provider then reads the new version back into
# engineVersion (terraform-provider-aws sets it to the actual version unless the configured
# one is a prefix of it; rds.GlobalCluster always does). Leaving engineVersion in the diff
# would plan a "change" back to the release of the first deploy (a downgrade RDS refuses), or
# an upgrade whenever a later deploy resolves a newer release. So engineVersion is ignored on
# every member, as pulumi-aws's GlobalCluster docs advise for global members; a major upgrade
# is a deliberate operation (docs/configuration.md).
ENGINE_VERSION_IGNORED = ("engineVersion",)
# What AWS changes on a global database's members, and the program must not fight:
# - replicationSourceIdentifier: RDS sets it on a secondary when it joins, and moves it when the
#   writer moves (`tap failover`): the demoted writer gets one, the promoted secondary loses it;
# - globalClusterIdentifier: after an unplanned failover the old writer's cluster is out of the
#   global cluster until Aurora adds it back as a secondary. Membership is decided at create;
#   an existing cluster cannot be added to a global cluster by an update, so the program would
#   only fail trying.
# The primary's create-time settings (masterUsername, databaseName, masterPassword) and the
# secondaries' sourceRegion stay as created: RDS reports the first two unchanged after a move
# and the provider does not read the others back, so they plan no change. The writer's role
# moves with tap:database.writerRegion, which changes no cluster (docs/runbook.md).
GLOBAL_MEMBER_IGNORED = (
    "globalClusterIdentifier",
    "replicationSourceIdentifier",
    *ENGINE_VERSION_IGNORED,
)

# Stand-in for the global cluster id while checking the wiring, before the GlobalCluster exists.
_PENDING_GLOBAL_ID = "pending-global-cluster"
_PENDING_PASSWORD = "pending-generated-password"


# --- pure logic --------------------------------------------------------------------------------


def serverless_scaling(
    instance_class: str, min_acu: float | None, max_acu: float | None
) -> ClusterServerlessv2ScalingConfigurationArgsDict | None:
    """The cluster's Serverless v2 range: only for db.serverless (config checks the values)."""
    if instance_class != AURORA_SERVERLESS_CLASS or min_acu is None or max_acu is None:
        return None
    return {"min_capacity": min_acu, "max_capacity": max_acu}


def resolve_engine_version(
    request: EngineVersionRequest, opts: pulumi.InvokeOutputOptions
) -> pulumi.Output[str]:
    """The newest release AWS offers for `request`, asked through the given region's provider.

    `version=<major>` with `latest=True` picks the newest release in the major; AWS lists only
    releases it offers for new clusters (include_all is off). A minimum the newest release does
    not reach fails the deploy with a message naming the config key.
    """
    found = aws.rds.get_engine_version_output(
        engine=ENGINE, version=str(request.major), latest=True, opts=opts
    )

    def meets_minimum(version: str) -> str:
        if not request.admits(version):
            raise pulumi.RunError(
                f"tap:database.engineVersion {request}: the newest Aurora PostgreSQL "
                f"{request.major} release AWS offers is {version}; lower the minimum or wait "
                "for a newer release"
            )
        return version

    return found.version_actual.apply(meets_minimum)


def aurora_cluster_identifier(namer: Namer) -> str:
    """A member cluster's identifier, from its region's namer: `tap-prod-use1-aurora`. It names
    the region, not the role, so moving the writer (`tap failover`) renames nothing."""
    return namer.name("aurora")


def aurora_global_cluster_identifier(namer: Namer) -> str:
    """The global cluster's identifier, from the region-less namer: `tap-prod-gbl-aurora-global`."""
    return namer.name("aurora-global")


def final_snapshot_identifier(cluster_identifier: str) -> str:
    """Deterministic, so a prod destroy leaves a snapshot whose name people can find."""
    return f"{cluster_identifier}-final"


def monitoring_trust(*, partition: str, account_id: str, region: str) -> str:
    """Only RDS Enhanced Monitoring for this account's DB instances in this region."""
    return service_assume_role(
        "monitoring.rds.amazonaws.com",
        {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:rds:{region}:{account_id}:db:*"},
        },
    )


def monitoring_policy_arn(partition: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{MONITORING_POLICY}"


def cluster_parameters(
    log_statement: str, log_min_duration_statement_ms: int
) -> list[ClusterParameterGroupParameterArgsDict]:
    return [
        # pending-reboot is valid for static and dynamic parameters alike; a new cluster
        # starts with these values either way.
        {
            "name": "shared_preload_libraries",
            "value": "pg_stat_statements",
            "apply_method": "pending-reboot",
        },
        {"name": "rds.force_ssl", "value": "1", "apply_method": "pending-reboot"},
        {"name": "log_statement", "value": log_statement, "apply_method": "immediate"},
        {
            "name": "log_min_duration_statement",
            "value": str(log_min_duration_statement_ms),
            "apply_method": "immediate",
        },
    ]


def instance_parameters(
    log_statement: str, log_min_duration_statement_ms: int
) -> list[ParameterGroupParameterArgsDict]:
    """Instance-level values override the cluster's, so repeat the ones that matter."""
    return [
        {
            "name": "shared_preload_libraries",
            "value": "pg_stat_statements",
            "apply_method": "pending-reboot",
        },
        {"name": "log_statement", "value": log_statement, "apply_method": "immediate"},
        {
            "name": "log_min_duration_statement",
            "value": str(log_min_duration_statement_ms),
            "apply_method": "immediate",
        },
    ]


def instance_zone(
    zones: Sequence[pulumi.Input[str]] | None, index: int
) -> pulumi.Input[str] | None:
    return zones[index % len(zones)] if zones else None


# --- one cluster -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuroraPostgresArgs:
    """One cluster's settings. The values come validated from tap.config (StackConfig.database):
    the component builds them as given and checks only how a cluster is wired into a global
    database, which no config key decides."""

    labels: Labels
    region: str
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]  # the database tier
    security_group_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]  # the region's CMK
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    engine: EngineVersionRequest  # the configured major (and minimum)
    instance_class: str  # "db.serverless" or a provisioned class such as "db.r6g.large"
    instance_count: int
    # Retention of the exported log groups (a value CloudWatch Logs accepts, from tap.config).
    log_retention_days: int
    # The release to create with; None resolves `engine` through this region's provider.
    # GlobalDatabase resolves once and hands every member the same release.
    engine_version: pulumi.Input[str] | None = None
    # Required for a standalone cluster or a global primary; a secondary inherits both.
    master_username: str | None = None
    database_name: str | None = None
    serverless_min_capacity: float | None = None
    serverless_max_capacity: float | None = None
    # Instance i goes to zone i % len(zones); None lets RDS choose.
    availability_zones: Sequence[pulumi.Input[str]] | None = None
    backup_retention_days: int = 7
    backup_window: str = "03:00-04:00"
    maintenance_window: str = "sun:04:30-sun:05:30"
    deletion_protection: bool = True
    skip_final_snapshot: bool = False
    protect: bool = False
    log_statement: str = "ddl"
    log_min_duration_statement_ms: int = 1000
    performance_insights: bool = True
    monitoring_interval: int = 60
    ca_cert_identifier: str = "rds-ca-rsa2048-g1"
    # IAM is global: the monitoring role goes through the primary region's provider.
    iam_provider: aws.Provider | None = None
    # Global database membership; GlobalDatabase fills these in.
    global_cluster_identifier: pulumi.Input[str] | None = None
    secondary: bool = False
    source_region: str | None = None
    # Only for a global primary, where AWS cannot manage the password (see module doc).
    master_password: pulumi.Input[str] | None = None
    # Aurora global write forwarding (EnableGlobalWriteForwarding): a secondary forwards the
    # writes it receives to the writer. GlobalDatabase sets it on every member, the primary
    # included: there AWS keeps it unused until a switchover or failover demotes the primary,
    # which then forwards at once, with no deploy in between (the CloudFormation schema of
    # AWS::RDS::DBCluster, EnableGlobalWriteForwarding).
    global_write_forwarding: bool = False
    # What the cluster must wait for: a secondary waits for the primary and its instances.
    depends_on: Sequence[pulumi.Resource] = ()

    @property
    def cluster_identifier(self) -> str:
        return aurora_cluster_identifier(self.labels.namer)

    @property
    def is_global(self) -> bool:
        return self.global_cluster_identifier is not None


def check_membership(args: AuroraPostgresArgs) -> None:
    """How the cluster is wired: standalone, global primary or secondary. Raises ValueError."""
    if args.availability_zones is not None and len(args.availability_zones) == 0:
        raise ValueError("availability_zones must name at least one zone, or be None")
    if args.secondary:
        _check_secondary(args)
    else:
        _check_writer(args)


def _check_secondary(args: AuroraPostgresArgs) -> None:
    if not args.is_global:
        raise ValueError("a secondary cluster needs global_cluster_identifier")
    if args.source_region is None or args.source_region == args.region:
        raise ValueError(
            "a secondary cluster needs source_region: the primary's region, not its own "
            f"({args.region})"
        )
    if args.master_username is not None or args.database_name is not None:
        raise ValueError(
            "a secondary cluster inherits master_username and database_name from the primary; "
            "leave both None"
        )
    if args.master_password is not None:
        raise ValueError("a secondary cluster takes no master_password (AWS refuses one)")


def _check_writer(args: AuroraPostgresArgs) -> None:
    if args.source_region is not None:
        raise ValueError("source_region applies only to a secondary cluster")
    if args.global_write_forwarding and not args.is_global:
        raise ValueError(
            "global_write_forwarding needs global_cluster_identifier: only members of an Aurora "
            "global database forward writes"
        )
    if args.master_username is None or args.database_name is None:
        raise ValueError("a standalone or primary cluster needs master_username and database_name")
    if args.is_global and args.master_password is None:
        raise ValueError(
            "AWS does not support RDS-managed master passwords (manage_master_user_password) "
            "for clusters in an Aurora global database; pass master_password as a secret "
            "Output (e.g. a pulumi_random.RandomPassword result). See "
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
            "rds-secrets-manager.html#rds-secrets-manager-limitations"
        )
    if not args.is_global and args.master_password is not None:
        raise ValueError(
            "a standalone cluster lets RDS manage the master password in Secrets Manager; "
            "do not pass master_password"
        )


def _first_secret_arn(
    secrets: Sequence[aws.rds.outputs.ClusterMasterUserSecret] | None,
) -> str | None:
    return secrets[0].secret_arn if secrets else None


class AuroraPostgres(pulumi.ComponentResource):
    """One region's Aurora PostgreSQL cluster: standalone, a global primary or a secondary."""

    subnet_group: aws.rds.SubnetGroup
    cluster_parameter_group: aws.rds.ClusterParameterGroup
    instance_parameter_group: aws.rds.ParameterGroup
    monitoring_role: aws.iam.Role | None
    # By log type: the groups the cluster exports to, created before it with key and retention.
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    cluster_identifier: pulumi.Output[str]
    # The cluster's immutable resource id (cluster-ABC...): IAM database authentication names it
    # in `rds-db:connect` resource ARNs.
    cluster_resource_id: pulumi.Output[str]
    engine_version: pulumi.Output[str]  # the release the cluster is created with
    # None for global members (no managed secret) and until RDS reports the secret.
    master_secret_arn: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: AuroraPostgresArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_membership(args)
        super().__init__("tap:database:AuroraPostgres", name, None, opts)
        self._labels = labels = args.labels
        child = pulumi.ResourceOptions(parent=self)
        family = args.engine.family
        self.engine_version = pulumi.Output.from_input(
            args.engine_version
            if args.engine_version is not None
            else resolve_engine_version(args.engine, pulumi.InvokeOutputOptions(parent=self))
        )

        subnet_group_name = labels.name("aurora-subnets")
        self.subnet_group = aws.rds.SubnetGroup(
            subnet_group_name,
            name=subnet_group_name,
            description=f"Database tier subnets of {args.cluster_identifier}",
            subnet_ids=args.subnet_ids,
            tags=labels.tags(subnet_group_name),
            opts=child,
        )
        cluster_pg_name = labels.name("aurora-cluster-params")
        self.cluster_parameter_group = aws.rds.ClusterParameterGroup(
            cluster_pg_name,
            name=cluster_pg_name,
            family=family,
            description=f"TLS only, pg_stat_statements, statement logging ({family})",
            parameters=cluster_parameters(args.log_statement, args.log_min_duration_statement_ms),
            tags=labels.tags(cluster_pg_name),
            opts=child,
        )
        instance_pg_name = labels.name("aurora-instance-params")
        self.instance_parameter_group = aws.rds.ParameterGroup(
            instance_pg_name,
            name=instance_pg_name,
            family=family,
            description=f"pg_stat_statements, statement logging ({family})",
            parameters=instance_parameters(args.log_statement, args.log_min_duration_statement_ms),
            tags=labels.tags(instance_pg_name),
            opts=child,
        )
        self.monitoring_role = self._monitoring_role(args) if args.monitoring_interval else None
        self.log_groups = {
            log_type: encrypted_log_group(
                self,
                labels,
                labels.name("aurora", log_type, "logs"),
                group_name=exported_log_group_name(args.cluster_identifier, log_type),
                retention_days=args.log_retention_days,
                kms_key_arn=args.kms_key_arn,
            )
            for log_type in LOG_EXPORTS
        }
        self.cluster = self._cluster(args)
        self.instances = [self._instance(args, index) for index in range(args.instance_count)]

        self.endpoint = self.cluster.endpoint
        self.reader_endpoint = self.cluster.reader_endpoint
        self.cluster_arn = self.cluster.arn
        self.cluster_identifier = self.cluster.cluster_identifier
        self.cluster_resource_id = self.cluster.cluster_resource_id
        secret_arn: pulumi.Output[str | None] = (
            pulumi.Output.from_input(None)
            if args.is_global
            else self.cluster.master_user_secrets.apply(_first_secret_arn)
        )
        self.master_secret_arn = pulumi.Output.secret(secret_arn)
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "readerEndpoint": self.reader_endpoint,
                "clusterArn": self.cluster_arn,
                "clusterIdentifier": self.cluster_identifier,
                "clusterResourceId": self.cluster_resource_id,
                "masterSecretArn": self.master_secret_arn,
            }
        )

    def _monitoring_role(self, args: AuroraPostgresArgs) -> aws.iam.Role:
        labels = self._labels
        iam_opts = pulumi.ResourceOptions(parent=self, provider=args.iam_provider)
        role_name = labels.name("rds-monitoring")
        role = service_role(
            self,
            labels,
            role_name,
            description=f"RDS Enhanced Monitoring for {args.cluster_identifier}",
            trust_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                lambda v: monitoring_trust(partition=v[0], account_id=v[1], region=args.region)
            ),
            iam_provider=args.iam_provider,
        )
        aws.iam.RolePolicyAttachment(
            labels.name("rds-monitoring-policy"),
            role=role.name,
            policy_arn=pulumi.Output.from_input(args.partition).apply(monitoring_policy_arn),
            opts=iam_opts,
        )
        return role

    def _cluster(self, args: AuroraPostgresArgs) -> aws.rds.Cluster:
        identifier = args.cluster_identifier
        # Secondaries hold a replica of the primary's data; the primary's snapshot covers it
        # (the provider's own global example skips it there).
        skip_snapshot = args.skip_final_snapshot or args.secondary
        managed_password = not args.is_global
        ignored = GLOBAL_MEMBER_IGNORED if args.is_global else ENGINE_VERSION_IGNORED
        return aws.rds.Cluster(
            identifier,
            cluster_identifier=identifier,
            engine=ENGINE,
            engine_mode="provisioned",
            engine_version=self.engine_version,
            port=PORT,
            db_subnet_group_name=self.subnet_group.name,
            vpc_security_group_ids=[args.security_group_id],
            db_cluster_parameter_group_name=self.cluster_parameter_group.name,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            master_username=args.master_username,
            database_name=args.database_name,
            manage_master_user_password=True if managed_password else None,
            master_user_secret_kms_key_id=args.kms_key_arn if managed_password else None,
            master_password=(
                pulumi.Output.secret(args.master_password)
                if args.master_password is not None
                else None
            ),
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            deletion_protection=args.deletion_protection,
            skip_final_snapshot=skip_snapshot,
            final_snapshot_identifier=(
                None if skip_snapshot else final_snapshot_identifier(identifier)
            ),
            serverlessv2_scaling_configuration=serverless_scaling(
                args.instance_class, args.serverless_min_capacity, args.serverless_max_capacity
            ),
            global_cluster_identifier=args.global_cluster_identifier,
            source_region=args.source_region,
            enable_global_write_forwarding=True if args.global_write_forwarding else None,
            tags=self._labels.tags(identifier),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.protect,
                # Its log groups first: RDS would create them itself, unencrypted and kept
                # forever, and tap's create would then fail on the existing name. On destroy the
                # cluster goes first, so it cannot recreate a group after tap deleted it.
                depends_on=[*args.depends_on, *self.log_groups.values()],
                ignore_changes=list(ignored),
            ),
        )

    def _instance(self, args: AuroraPostgresArgs, index: int) -> aws.rds.ClusterInstance:
        identifier = f"{args.cluster_identifier}-{index}"
        monitoring = self.monitoring_role.arn if self.monitoring_role else None
        return aws.rds.ClusterInstance(
            identifier,
            identifier=identifier,
            cluster_identifier=self.cluster.id,
            instance_class=args.instance_class,
            # An instance runs its cluster's version: the cluster is where it is set.
            engine=aws.rds.EngineType.AURORA_POSTGRESQL,
            db_parameter_group_name=self.instance_parameter_group.name,
            db_subnet_group_name=self.subnet_group.name,
            publicly_accessible=False,
            auto_minor_version_upgrade=True,
            copy_tags_to_snapshot=True,
            ca_cert_identifier=args.ca_cert_identifier,
            availability_zone=instance_zone(args.availability_zones, index),
            performance_insights_enabled=args.performance_insights,
            performance_insights_kms_key_id=(
                args.kms_key_arn if args.performance_insights else None
            ),
            performance_insights_retention_period=(
                PERFORMANCE_INSIGHTS_FREE_RETENTION_DAYS if args.performance_insights else None
            ),
            monitoring_interval=args.monitoring_interval,
            monitoring_role_arn=monitoring,
            tags=self._labels.tags(identifier),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )


# --- a global database -------------------------------------------------------------------------


@dataclass(frozen=True)
class GlobalDatabaseArgs:
    """The primary's and each secondary's regional args, with their global fields left unset:
    GlobalDatabase fills them in, so the wiring AWS needs cannot be got wrong by a caller."""

    labels: Labels  # global scope (region None): names the global cluster
    primary: AuroraPostgresArgs
    providers: Mapping[str, aws.Provider]  # one per member region
    secondaries: Sequence[AuroraPostgresArgs] = ()

    @property
    def identifier(self) -> str:
        return aurora_global_cluster_identifier(self.labels.namer)


def primary_member(
    args: AuroraPostgresArgs, global_cluster_identifier: pulumi.Input[str]
) -> AuroraPostgresArgs:
    return replace(
        args, global_cluster_identifier=global_cluster_identifier, global_write_forwarding=True
    )


def secondary_member(
    args: AuroraPostgresArgs,
    global_cluster_identifier: pulumi.Input[str],
    primary_region: str,
    depends_on: Sequence[pulumi.Resource] = (),
) -> AuroraPostgresArgs:
    return replace(
        args,
        global_cluster_identifier=global_cluster_identifier,
        secondary=True,
        source_region=primary_region,
        global_write_forwarding=True,
        depends_on=tuple(depends_on),
    )


def check_global_membership(args: GlobalDatabaseArgs) -> None:
    """How the members are wired together; raises ValueError naming the member."""
    members = [args.primary, *args.secondaries]
    for member in members:
        if (
            member.is_global
            or member.secondary
            or member.source_region is not None
            or member.global_write_forwarding
        ):
            raise ValueError(
                f"{member.region}: GlobalDatabase sets global_cluster_identifier, secondary, "
                "source_region and global_write_forwarding itself; leave them unset"
            )
        if member.region not in args.providers:
            raise ValueError(f"GlobalDatabase has no provider for region {member.region}")
        # One release for all: GlobalDatabase resolves it once, in the primary's region.
        if member.engine != args.primary.engine or member.engine_version is not None:
            raise ValueError(
                f"{member.region}: every member runs the primary's engine {args.primary.engine}, "
                "resolved once by GlobalDatabase; pass the same engine and no engine_version"
            )
    regions = [m.region for m in members]
    if len(set(regions)) != len(regions):
        raise ValueError(f"a global database has one cluster per region, got {regions}")
    # GlobalDatabase generates the primary's password when none is given.
    check_membership(
        replace(
            primary_member(args.primary, _PENDING_GLOBAL_ID),
            master_password=args.primary.master_password or _PENDING_PASSWORD,
        )
    )
    for secondary in args.secondaries:
        check_membership(secondary_member(secondary, _PENDING_GLOBAL_ID, args.primary.region))


def secret_arn_in_region(arn: str, region: str) -> str:
    """The ARN of a secret's copy in `region`: Secrets Manager gives a replica the primary's
    ARN with only the region changed (the same name and random suffix)."""
    parts = arn.split(":", 6)
    if len(parts) != 7 or parts[2] != "secretsmanager":
        raise ValueError(f"not a Secrets Manager secret ARN: {arn!r}")
    parts[3] = region
    return ":".join(parts)


# RDS refuses "/", '"', "@" and spaces in master passwords.
PASSWORD_SPECIALS = "!#$%^&*()-_=+[]{}<>:?"
PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class MasterCredentialsArgs:
    labels: Labels
    username: str
    kms_key_arn: pulumi.Input[str]  # the primary region's CMK
    # Region -> CMK ARN of each region the secret is replicated to (the secondaries).
    replica_keys: Mapping[str, pulumi.Input[str]]
    recovery_window_days: int = 30


def master_secret_name(labels: Labels) -> str:
    """`tap-prod-use1-aurora-master-credentials`: not ending in `-` + six characters, which a
    partial-ARN lookup could take for Secrets Manager's random suffix (tap.limits)."""
    name = labels.name("aurora-master-credentials")
    check_secret_name(name)
    return name


class MasterCredentials(pulumi.ComponentResource):
    """A generated master password for a global primary, where RDS cannot manage one.

    The password lives in a CMK-encrypted Secrets Manager secret (replicated to the secondary
    regions for failover) and, in Pulumi state, only as a secret: never in config, code or
    outputs in clear.
    """

    password: pulumi.Output[str]
    secret: aws.secretsmanager.Secret
    # The secret's value: whoever logs in with the secret waits for it.
    secret_version: aws.secretsmanager.SecretVersion
    secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: MasterCredentialsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        secret_name = master_secret_name(args.labels)
        super().__init__("tap:database:MasterCredentials", name, None, opts)
        labels = args.labels
        generated = random.RandomPassword(
            labels.name("aurora-master-password"),
            length=PASSWORD_LENGTH,
            special=True,
            override_special=PASSWORD_SPECIALS,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["result"]),
        )
        self.password = pulumi.Output.secret(generated.result)
        self.secret = aws.secretsmanager.Secret(
            secret_name,
            name=secret_name,
            description=f"Master credentials of the Aurora global database {secret_name}",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=args.recovery_window_days,
            replicas=[
                {"region": region, "kms_key_id": key} for region, key in args.replica_keys.items()
            ],
            tags=labels.tags(secret_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.secret_version = aws.secretsmanager.SecretVersion(
            labels.name("aurora-master-version"),
            secret_id=self.secret.id,
            secret_string=pulumi.Output.json_dumps(
                {
                    "engine": "postgres",
                    "port": PORT,
                    "username": args.username,
                    "password": self.password,
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.secret_arn = self.secret.arn
        self.register_outputs({"secretArn": self.secret_arn})


class GlobalDatabase(pulumi.ComponentResource):
    """An Aurora global database: the global cluster, its primary, and one secondary per region."""

    global_cluster: aws.rds.GlobalCluster
    engine_version: pulumi.Output[str]  # the one release every member runs
    global_cluster_identifier: pulumi.Output[str]
    primary: AuroraPostgres
    secondaries: dict[str, AuroraPostgres]
    credentials: MasterCredentials | None
    master_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: GlobalDatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        check_global_membership(args)
        super().__init__("tap:database:GlobalDatabase", name, None, opts)
        primary_provider = args.providers[args.primary.region]
        # Every member runs one release: resolved once, through the primary region's provider.
        self.engine_version = resolve_engine_version(
            args.primary.engine,
            pulumi.InvokeOutputOptions(parent=self, provider=primary_provider),
        )
        primary = replace(args.primary, engine_version=self.engine_version)
        self.credentials = None
        if primary.master_password is None:
            self.credentials = MasterCredentials(
                primary.labels.name("aurora-credentials"),
                MasterCredentialsArgs(
                    labels=primary.labels,
                    username=primary.master_username or "",
                    kms_key_arn=primary.kms_key_arn,
                    replica_keys={s.region: s.kms_key_arn for s in args.secondaries},
                    recovery_window_days=30 if primary.protect else 7,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, providers=[args.providers[primary.region]]
                ),
            )
            primary = replace(primary, master_password=self.credentials.password)
        identifier = args.identifier
        self.global_cluster = aws.rds.GlobalCluster(
            identifier,
            global_cluster_identifier=identifier,
            engine=ENGINE,
            engine_version=self.engine_version,
            database_name=primary.database_name,
            storage_encrypted=True,
            deletion_protection=primary.deletion_protection,
            tags=args.labels.tags(identifier),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=primary_provider,
                protect=primary.protect,
                ignore_changes=list(ENGINE_VERSION_IGNORED),
            ),
        )
        self.global_cluster_identifier = self.global_cluster.id

        self.primary = AuroraPostgres(
            primary.labels.name("database"),
            primary_member(primary, self.global_cluster.id),
            opts=pulumi.ResourceOptions(parent=self, providers=[primary_provider]),
        )
        # AWS refuses a secondary until the primary has an instance.
        primary_ready: list[pulumi.Resource] = [self.primary.cluster, *self.primary.instances]
        self.secondaries = {
            secondary.region: AuroraPostgres(
                secondary.labels.name("database"),
                secondary_member(
                    replace(secondary, engine_version=self.engine_version),
                    self.global_cluster.id,
                    primary.region,
                    primary_ready,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, providers=[args.providers[secondary.region]]
                ),
            )
            for secondary in args.secondaries
        }
        self.master_secret_arn = pulumi.Output.secret(
            self.credentials.secret_arn
            if self.credentials is not None
            else self.primary.master_secret_arn.apply(lambda arn: arn or "")
        )
        outputs: dict[str, Any] = {
            "masterSecretArn": self.master_secret_arn,
            "globalClusterIdentifier": self.global_cluster_identifier,
            "writerEndpoint": self.primary.endpoint,
            "readerEndpoints": {
                region: member.reader_endpoint for region, member in self.secondaries.items()
            },
        }
        self.register_outputs(outputs)
