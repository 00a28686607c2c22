"""TapStack: the whole environment, one explicit AWS provider and one regional set per region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.api_tier import ApiTier, ApiTierArgs, function_placement
from tap.components.api import (
    ApiGatewayCloudWatchRole,
    ApiGatewayCloudWatchRoleArgs,
)
from tap.components.backup import Backup, BackupArgs, BackupRegion
from tap.components.database import (
    PORT,
    AuroraPostgres,
    AuroraPostgresArgs,
    GlobalDatabase,
    GlobalDatabaseArgs,
    secret_arn_in_region,
)
from tap.components.entrypoint import (
    HEALTH_METRICS_REGION,
    DedicatedAlarmTopic,
    EntryPointArgs,
    ExistingAlarmTopic,
    GlobalEntryPoint,
    RegionalTarget,
)
from tap.components.function import (
    DEFAULT_SOURCE_DIR,
    DatabaseEndpoint,
    MigrationFunction,
    MigrationFunctionArgs,
    function_code,
)
from tap.components.kms import RegionalKey, RegionalKeyArgs
from tap.components.monitoring import (
    ReplicationTarget,
    ReplicationWatch,
)
from tap.components.network import (
    EXECUTE_API,
    Network,
    NetworkArgs,
    SharedNetwork,
    SharedNetworkArgs,
)
from tap.components.rotation import MasterSecretRotation, MasterSecretRotationArgs
from tap.components.security import AccountPasswordPolicy, SecurityGroups, SecurityGroupsArgs
from tap.components.signing import CodeSigning, CodeSigningArgs, SignedCode
from tap.components.storage import RegionalBucketSpec, ReplicatedStorage, ReplicatedStorageArgs
from tap.config import StackConfig
from tap.naming import Labels, Namer, common_tags
from tap.outputs import (
    database_outputs,
    foundation_outputs,
    region_outputs,
    storage_outputs,
)


@dataclass(frozen=True)
class RegionArgs:
    config: StackConfig
    region: str
    labels: Labels
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    iam_provider: aws.Provider
    network_reference: pulumi.StackReference | None = None


class RegionalDeployment(pulumi.ComponentResource):
    """Everything tap runs in one region. Its children inherit the region's provider."""

    labels: Labels
    region: str
    key: RegionalKey
    network: Network | SharedNetwork
    security_groups: SecurityGroups
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: RegionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:stack:Region", name, None, opts)
        config, region, labels = args.config, args.region, args.labels
        self.labels = labels
        self.region = region
        child = pulumi.ResourceOptions(parent=self)

        self.key = RegionalKey(
            labels.name("key"),
            RegionalKeyArgs(
                labels=labels,
                region=region,
                account_id=args.account_id,
                partition=args.partition,
                deletion_window_days=config.kms_deletion_window_days,
                protect=config.is_prod,
            ),
            opts=child,
        )

        if args.network_reference is not None:
            self.network = SharedNetwork(
                labels.name("shared-network"),
                SharedNetworkArgs(
                    region=region,
                    stack_reference=args.network_reference,
                    stack_name=config.networking_stack_ref or "",
                ),
                opts=child,
            )
        else:
            network = config.network(region)
            self.network = Network(
                labels.name("network"),
                NetworkArgs(
                    labels=labels,
                    region=region,
                    cidr=network.cidr,
                    az_count=network.az_count,
                    nat_strategy=network.nat_strategy,
                    flow_log_key_arn=self.key.key_arn,
                    log_retention_days=config.log_retention_days,
                    account_id=args.account_id,
                    partition=args.partition,
                    iam_provider=args.iam_provider,
                ),
                opts=child,
            )

        private_api = config.api.endpoint_type == "PRIVATE"
        self.security_groups = SecurityGroups(
            labels.name("security"),
            SecurityGroupsArgs(
                labels=labels,
                vpc_id=self.network.vpc_id,
                vpc_cidr=self.network.vpc_cidr,
                allowed_cidrs=config.allowed_cidrs,
                enable_bastion_ssh=config.enable_bastion_ssh,
                private_api=private_api,
            ),
            opts=child,
        )
        api_group = self.security_groups.api_endpoint
        # A PRIVATE API's way in, behind the API's group (tap:allowedCidrs); only then, since
        # its private DNS sends the VPC's calls to any public API there (403). Config refuses
        # PRIVATE with a shared network.
        if private_api and api_group is not None and isinstance(self.network, Network):
            self.network.add_interface_endpoint(EXECUTE_API, [api_group.id])

        self.outputs = foundation_outputs(self.key, self.network, self.security_groups)
        self.register_outputs(self.outputs)


class TapStack(pulumi.ComponentResource):
    """Composes the regional deployments and the account-wide pieces from a StackConfig."""

    providers: dict[str, aws.Provider]
    regions: dict[str, RegionalDeployment]
    storage: ReplicatedStorage
    database: AuroraPostgres | GlobalDatabase
    # One per region with a cluster; the writer's (`migration`) is invoked at deploy.
    migrations: dict[str, MigrationFunction]
    migration: MigrationFunction
    # One per region with a cluster, where the functions run (tap:codeSigning).
    code_signing: dict[str, CodeSigning]
    api_tiers: dict[str, ApiTier]
    backup: Backup | None
    rotation: MasterSecretRotation | None
    entry_point: GlobalEntryPoint | None
    password_policy: AccountPasswordPolicy | None

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:stack:TapStack", name, None, opts)
        namer = self._namer = Namer(config.environment_suffix)

        self.providers = {
            region: self._regional_provider(config, namer.for_region(region))
            for region in config.regions
        }
        primary = self.providers[config.primary_region]
        account_invoke = pulumi.InvokeOutputOptions(parent=self, provider=primary)
        account_id = aws.get_caller_identity_output(opts=account_invoke).account_id
        partition = aws.get_partition_output(opts=account_invoke).partition

        network_reference = None
        if config.networking_stack_ref:
            network_reference = pulumi.StackReference(
                namer.name("network-ref"),
                stack_name=config.networking_stack_ref,
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.regions = {}
        for region in config.regions:
            labels = _labels(config, namer.for_region(region))
            self.regions[region] = RegionalDeployment(
                labels.name("region"),
                RegionArgs(
                    config=config,
                    region=region,
                    labels=labels,
                    account_id=account_id,
                    partition=partition,
                    iam_provider=primary,
                    network_reference=network_reference,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[region]]),
            )

        self.storage = self._storage(config, account_id, partition)
        self.database = self._database(config, account_id, partition)
        self.code_signing = self._code_signing(config, account_id, partition)
        self.migrations = {
            region: self._migration(config, region, account_id, partition)
            for region in self._clusters
        }
        self.migration = self.migrations[config.writer_region]
        self.api_tiers = self._api_tiers(config, account_id, partition)
        self.entry_point = self._entry_point(config, account_id, partition)
        self.backup = self._backup(config, account_id, partition)
        self.rotation = self._rotation(config, account_id, partition)

        self.password_policy = None
        if config.manage_account_password_policy:
            self.password_policy = AccountPasswordPolicy(
                namer.name("password-policy"),
                opts=pulumi.ResourceOptions(parent=self, provider=primary),
            )

        self.region_outputs = {
            region: region_outputs(
                deployment.outputs,
                storage_outputs(self.storage, region, primary=region == config.primary_region),
                database_outputs(
                    self._clusters.get(region),
                    writer=region == config.writer_region,
                    admin_secret_arn=self._admin_secret_arn(region),
                    migration=self.migrations[region],
                )
                if region in self._clusters
                else None,
                self.api_tiers[region].outputs,
            )
            for region, deployment in self.regions.items()
        }
        # The global URL and each region's URL and health check; None without tap:dns.
        self.entry_point_outputs = self.entry_point.outputs if self.entry_point else None
        # Stack outputs beside the regions' (tap/__main__.py exports them): names tap verify reads.
        self.hardening_outputs: dict[str, Any] = {}
        if self.rotation is not None:
            # Names, not the secret.
            self.hardening_outputs["secretRotation"] = {
                "secretName": self.rotation.secret_name,
                "functionName": self.rotation.function_name,
                "days": config.secret_rotation.days,
            }
        if self.backup is not None:
            self.hardening_outputs["backup"] = {
                "vaultNames": self.backup.vault_names,
                "planRegions": sorted(self.backup.plans),
                "copyRegion": config.backup.destination(config.writer_region, config.regions),
            }
        outputs: dict[str, Any] = {"regions": self.region_outputs, **self.hardening_outputs}
        if self.entry_point_outputs:
            outputs["entryPoint"] = self.entry_point_outputs
        self.register_outputs(outputs)

    def _rotation(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> MasterSecretRotation | None:
        """Rotation of the global database's generated master password (tap:secretRotation), in
        the secret's region; a regional cluster's RDS-managed secret is rotated by RDS."""
        database = self.database
        if not (
            config.secret_rotation.enabled
            and isinstance(database, GlobalDatabase)
            and database.credentials is not None
        ):
            return None
        region = config.primary_region
        deployment, cluster = self.regions[region], self._clusters[region]
        return MasterSecretRotation(
            deployment.labels.name("secret-rotation"),
            MasterSecretRotationArgs(
                placement=function_placement(
                    config,
                    deployment,
                    account_id=account_id,
                    partition=partition,
                    iam_provider=self.providers[config.primary_region],
                    signed_code=self._signed_code(region),
                ),
                # An address, not the password (as the migration function's policy carries it).
                secret_arn=pulumi.Output.unsecret(database.master_secret_arn),
                secret_name=database.credentials.secret.name,
                replica_key_arns={
                    other: self.regions[other].key.key_arn for other in config.secondary_regions
                },
                db_host=cluster.endpoint,
                db_name=config.database.database_name,
                rotation_days=config.secret_rotation.days,
                depends_on=[*cluster.instances, *self._secret_versions()],
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[region]]),
        )

    def _code_signing(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> dict[str, CodeSigning]:
        """The signed zip and its config in each region with a cluster (tap:codeSigning)."""
        if not config.code_signing.enabled:
            return {}
        function = config.function
        signing = {}
        for region in self._clusters:
            deployment = self.regions[region]
            signing[region] = CodeSigning(
                deployment.labels.name("code-signing"),
                CodeSigningArgs(
                    labels=deployment.labels,
                    region=region,
                    account_id=account_id,
                    partition=partition,
                    kms_key_arn=deployment.key.key_arn,
                    code=function_code(DEFAULT_SOURCE_DIR, function.runtime, function.architecture),
                    untrusted_artifact_on_deployment=(
                        config.code_signing.untrusted_artifact_on_deployment
                    ),
                    force_destroy=not config.is_prod,
                    protect=config.is_prod,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[region]]),
            )
        return signing

    def _signed_code(self, region: str) -> SignedCode | None:
        signing = self.code_signing.get(region)
        return signing.signed_code if signing else None

    def _backup(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> Backup | None:
        """AWS Backup of the writer's cluster, copied to another region (tap:backup)."""
        if not config.backup.enabled:
            return None
        settings, writer_region = config.backup, config.writer_region
        destination = settings.destination(writer_region, config.regions)
        return Backup(
            self._namer.name("backup"),
            BackupArgs(
                labels=_labels(config, self._namer),
                regions=[
                    BackupRegion(
                        region,
                        deployment.labels,
                        deployment.key.key_arn,
                        self.providers[region],
                    )
                    for region, deployment in self.regions.items()
                ],
                cluster_arns={writer_region: self._clusters[writer_region].cluster_arn},
                copy_regions={writer_region: destination} if destination else {},
                account_id=account_id,
                partition=partition,
                retention_days=settings.retention_days,
                copy_retention_days=settings.copy_retention_days,
                lock_min_retention_days=settings.lock_min_retention_days,
                lock_max_retention_days=settings.lock_max_retention_days,
                iam_provider=self.providers[config.primary_region],
                protect=config.is_prod,
                recovery_point_tags=_labels(config, self._namer).common_tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _storage(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> ReplicatedStorage:
        """The data bucket in the primary region, replicated to every other region."""

        def spec(region: str) -> RegionalBucketSpec:
            deployment = self.regions[region]
            return RegionalBucketSpec(
                region=region,
                labels=deployment.labels,
                kms_key_arn=deployment.key.key_arn,
                provider=self.providers[region],
            )

        settings = config.storage
        return ReplicatedStorage(
            self._namer.name("storage"),
            ReplicatedStorageArgs(
                primary=spec(config.primary_region),
                replicas=[spec(region) for region in config.secondary_regions],
                account_id=account_id,
                partition=partition,
                iam_provider=self.providers[config.primary_region],
                noncurrent_version_expiration_days=settings.noncurrent_version_expiration_days,
                abort_multipart_days=settings.abort_incomplete_multipart_days,
                replication_time_control=settings.replication_time_control,
                force_destroy=not config.is_prod,
                protect=config.is_prod,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _database(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> AuroraPostgres | GlobalDatabase:
        """A regional cluster in the primary region, or (database.global) a global database."""
        primary = config.primary_region
        primary_args = self._aurora_args(config, primary, account_id, partition, writer=True)
        if not config.database.global_database:
            regional = AuroraPostgres(
                self.regions[primary].labels.name("database"),
                primary_args,
                opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[primary]]),
            )
            self._clusters: dict[str, AuroraPostgres] = {primary: regional}
            return regional
        database = GlobalDatabase(
            self._namer.name("database"),
            GlobalDatabaseArgs(
                labels=_labels(config, self._namer),
                primary=primary_args,
                secondaries=[
                    self._aurora_args(config, region, account_id, partition, writer=False)
                    for region in config.secondary_regions
                ],
                providers=self.providers,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._clusters = {primary: database.primary}
        self._clusters.update(database.secondaries)
        return database

    def _aurora_args(
        self,
        config: StackConfig,
        region: str,
        account_id: pulumi.Output[str],
        partition: pulumi.Output[str],
        *,
        writer: bool,
    ) -> AuroraPostgresArgs:
        deployment = self.regions[region]
        database = config.database
        return AuroraPostgresArgs(
            labels=deployment.labels,
            region=region,
            subnet_ids=deployment.network.subnet_ids["database"],
            security_group_id=deployment.security_groups.database.id,
            kms_key_arn=deployment.key.key_arn,
            account_id=account_id,
            partition=partition,
            engine=database.engine,
            instance_class=database.instance_class,
            instance_count=database.instance_count,
            # A global secondary inherits both from the primary.
            master_username=database.master_username if writer else None,
            database_name=database.database_name if writer else None,
            serverless_min_capacity=database.serverless_min_capacity
            if database.serverless
            else None,
            serverless_max_capacity=database.serverless_max_capacity
            if database.serverless
            else None,
            availability_zones=deployment.network.availability_zones or None,
            backup_retention_days=database.backup_retention_days,
            log_retention_days=config.log_retention_days,
            deletion_protection=config.is_prod,
            skip_final_snapshot=not config.is_prod,
            protect=config.is_prod,
            log_statement=database.log_statement,
            log_min_duration_statement_ms=database.log_min_duration_statement_ms,
            performance_insights=database.performance_insights,
            monitoring_interval=database.monitoring_interval,
            iam_provider=self.providers[config.primary_region],
        )

    def _migration(
        self,
        config: StackConfig,
        region: str,
        account_id: pulumi.Output[str],
        partition: pulumi.Output[str],
    ) -> MigrationFunction:
        """`region`'s migration function (its VPC, its cluster's endpoint, the master secret's
        copy in that region), invoked at deploy where the writer is.

        Every region with a cluster has one, so that moving the writer creates and deletes no
        function and no log group (log groups are stateful: `tap diff` would rightly flag the
        delete); only the invocation moves.
        """
        deployment = self.regions[region]
        cluster = self._clusters[region]
        return MigrationFunction(
            deployment.labels.name("db-migration"),
            MigrationFunctionArgs(
                placement=function_placement(
                    config,
                    deployment,
                    account_id=account_id,
                    partition=partition,
                    iam_provider=self.providers[config.primary_region],
                    signed_code=self._signed_code(region),
                ),
                host=cluster.endpoint,
                database_name=config.database.database_name,
                admin_secret_arn=self._admin_secret_arn(region),
                cluster_resource_id=cluster.cluster_resource_id,
                waits_for=[*cluster.instances, *self._secret_versions()],
                invoke=region == config.writer_region,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[region]]),
        )

    def _secret_versions(self) -> list[pulumi.Resource]:
        """The generated master secret's value (a global database's); RDS writes a regional
        cluster's managed secret itself, with the cluster."""
        if isinstance(self.database, GlobalDatabase) and self.database.credentials is not None:
            return [self.database.credentials.secret_version]
        return []

    def _admin_secret_arn(self, region: str) -> pulumi.Output[str]:
        """The master secret as `region` holds it: a regional cluster's own, or the global
        database's generated secret (replicated to every member region) there.

        Its ARN is an address, not the password: the migration function's environment and
        policy carry it in clear so reviewers can read the policy in the plan.
        """
        arn = pulumi.Output.unsecret(self.database.master_secret_arn)

        def in_region(value: str | None) -> str:
            if not value:
                raise pulumi.RunError(
                    "the Aurora cluster reports no master secret (RDS had not created it): the "
                    "migration function has no login; run the deploy again"
                )
            return secret_arn_in_region(value, region)

        return arn.apply(in_region)

    def _database_endpoint(self, config: StackConfig, region: str) -> DatabaseEndpoint | None:
        """How `region`'s API reaches its cluster, or None where the region has no cluster."""
        cluster = self._clusters.get(region)
        if cluster is None:
            return None
        database = config.database
        secondary = region != config.writer_region
        return DatabaseEndpoint(
            # A global secondary's writer endpoint is inactive: reads and forwarded writes go
            # through its reader endpoint ("Using write forwarding in an Aurora PostgreSQL global
            # database").
            host=cluster.reader_endpoint if secondary else cluster.endpoint,
            port=PORT,
            database_name=database.database_name,
            cluster_resource_id=cluster.cluster_resource_id,
            write_forwarding=database.write_forwarding_consistency if secondary else None,
            # Serverless v2 resumes from zero ACUs in seconds: let the first connect wait for it
            # (the handler still answers before the invocation's timeout).
            connect_timeout_seconds=(
                config.function.timeout_seconds
                if database.serverless and database.serverless_min_capacity == 0
                else None
            ),
        )

    def _api_tiers(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> dict[str, ApiTier]:
        primary = self.providers[config.primary_region]
        # One logging role per account (IAM is global), set in each region's API Gateway account
        # settings by the one stack that owns them; the others' APIs log through it too.
        cloudwatch_role_arn: pulumi.Output[str] | None = None
        if config.manage_api_gateway_account:
            cloudwatch_role_arn = ApiGatewayCloudWatchRole(
                self._namer.name("apigateway-cloudwatch"),
                ApiGatewayCloudWatchRoleArgs(
                    labels=_labels(config, self._namer), account_id=account_id, partition=partition
                ),
                opts=pulumi.ResourceOptions(parent=self, provider=primary),
            ).role_arn
        tiers = {}
        for region, deployment in self.regions.items():
            is_primary = region == config.primary_region
            cluster = self._clusters.get(region)
            tiers[region] = ApiTier(
                deployment.labels.name("api-tier"),
                ApiTierArgs(
                    config=config,
                    deployment=deployment,
                    account_id=account_id,
                    partition=partition,
                    iam_provider=primary,
                    cloudwatch_role_arn=cloudwatch_role_arn,
                    bucket_name=self.storage.buckets[region].bucket_name,
                    database=self._database_endpoint(config, region),
                    db_cluster_identifier=cluster.cluster_identifier if cluster else None,
                    db_role=(
                        None
                        if cluster is None
                        else "writer"
                        if region == config.writer_region
                        else "secondary"
                    ),
                    schema_ready=self.migration.ready,
                    replication=self._replication_watch(config) if is_primary else None,
                    signed_code=self._signed_code(region),
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[region]]),
            )
        return tiers

    def _entry_point(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> GlobalEntryPoint | None:
        """tap:dns: one name in front of the regional APIs, built once their stages exist."""
        if config.dns is None:
            return None
        # Route 53 publishes health-check metrics only in us-east-1: the alarms live there, with
        # that region's provider and alarm topic, or a provider and topic of their own when the
        # stack has no us-east-1.
        alarm_namer = self._namer.for_region(HEALTH_METRICS_REGION)
        alarm_tier = self.api_tiers.get(HEALTH_METRICS_REGION)
        alarm_topic: ExistingAlarmTopic | DedicatedAlarmTopic
        if alarm_tier is not None:
            alarm_provider = self.providers[HEALTH_METRICS_REGION]
            monitoring = alarm_tier.monitoring
            alarm_topic = ExistingAlarmTopic(monitoring.topic_arn, ready=[monitoring.topic_policy])
        else:
            alarm_provider = self._regional_provider(config, alarm_namer)
            alarm_topic = DedicatedAlarmTopic(
                account_id=account_id,
                partition=partition,
                kms_deletion_window_days=config.kms_deletion_window_days,
                protect=config.is_prod,
                alarm_email=config.monitoring.alarm_email,
            )
        return GlobalEntryPoint(
            self._namer.name("entrypoint"),
            EntryPointArgs(
                labels=_labels(config, self._namer),
                zone_id=config.dns.zone_id,
                domain_name=config.dns.domain_name,
                routing=config.dns.routing,
                primary_region=config.primary_region,
                targets=[
                    RegionalTarget(
                        region=region,
                        labels=self.regions[region].labels,
                        provider=self.providers[region],
                        rest_api_id=api.rest_api.id,
                        stage_name=api.stage_name,
                        invoke_url=api.invoke_url,
                    )
                    for region, tier in self.api_tiers.items()
                    # Only regions with a database have an API (ApiTier): the others have no
                    # data path to serve, so nothing to route to.
                    if (api := tier.api) is not None
                ],
                dns_provider=self.providers[config.primary_region],
                alarm_labels=_labels(config, alarm_namer),
                alarm_provider=alarm_provider,
                alarm_topic=alarm_topic,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _replication_watch(self, config: StackConfig) -> ReplicationWatch | None:
        """S3 publishes replication metrics only with RTC/metrics on (prod)."""
        if not config.storage.replication_time_control or not self.storage.replicas:
            return None
        return ReplicationWatch(
            source_bucket_name=self.storage.primary.bucket_name,
            destinations=[
                ReplicationTarget(
                    region=region, bucket_name=bucket.bucket_name, rule_id=f"replicate-to-{region}"
                )
                for region, bucket in self.storage.replicas.items()
            ],
        )

    def _regional_provider(self, config: StackConfig, namer: Namer) -> aws.Provider:
        # default_tags backs up the explicit tags on each resource; it is not relied on alone.
        return aws.Provider(
            namer.name("aws"),
            region=namer.region,
            allowed_account_ids=list(config.allowed_account_ids) or None,
            default_tags={"tags": _labels(config, namer).common_tags},
            opts=pulumi.ResourceOptions(parent=self),
        )


def _labels(config: StackConfig, namer: Namer) -> Labels:
    return Labels(
        namer,
        common_tags(
            environment=config.environment,
            suffix=config.environment_suffix,
            region=namer.region,
            extra=config.tags,
        ),
    )
