"""TapStack: the whole environment, one explicit AWS provider and one regional set per region."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.api import (
    ApiGatewayCloudWatchRole,
    ApiGatewayCloudWatchRoleArgs,
    RegionalApi,
    RegionalApiArgs,
)
from tap.components.database import (
    AuroraPostgres,
    AuroraPostgresArgs,
    GlobalDatabase,
    GlobalDatabaseArgs,
)
from tap.components.function import ApiFunction, ApiFunctionArgs
from tap.components.kms import RegionalKey, RegionalKeyArgs
from tap.components.monitoring import (
    AlarmThresholds,
    Monitoring,
    MonitoringArgs,
    ReplicationTarget,
    ReplicationWatch,
)
from tap.components.network import Network, NetworkArgs, SharedNetwork, SharedNetworkArgs
from tap.components.security import AccountPasswordPolicy, SecurityGroups, SecurityGroupsArgs
from tap.components.storage import RegionalBucketSpec, ReplicatedStorage, ReplicatedStorageArgs
from tap.config import StackConfig
from tap.naming import Labels, Namer, common_tags
from tap.outputs import (
    api_outputs,
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

        self.security_groups = SecurityGroups(
            labels.name("security"),
            SecurityGroupsArgs(
                labels=labels,
                vpc_id=self.network.vpc_id,
                vpc_cidr=self.network.vpc_cidr,
                allowed_cidrs=config.allowed_cidrs,
                enable_bastion_ssh=config.enable_bastion_ssh,
            ),
            opts=child,
        )

        self.outputs = foundation_outputs(self.key, self.network, self.security_groups)
        self.register_outputs(self.outputs)


@dataclass(frozen=True)
class ApiTierArgs:
    config: StackConfig
    deployment: RegionalDeployment
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    iam_provider: aws.Provider
    cloudwatch_role_arn: pulumi.Input[str]
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    db_cluster_arn: pulumi.Input[str] | None
    db_cluster_identifier: pulumi.Input[str] | None
    db_secret_arn: pulumi.Input[str] | None
    replication: ReplicationWatch | None


class ApiTier(pulumi.ComponentResource):
    """One region's serverless API: the function, the REST API in front of it, and its alarms."""

    function: ApiFunction
    api: RegionalApi
    monitoring: Monitoring
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: ApiTierArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:stack:ApiTier", name, None, opts)
        config, deployment = args.config, args.deployment
        region, labels = deployment.region, deployment.labels
        network = deployment.network
        child = pulumi.ResourceOptions(parent=self)
        function = config.function
        self.function = ApiFunction(
            labels.name("function"),
            ApiFunctionArgs(
                labels=labels,
                region=region,
                environment=config.environment,
                version=_version(),
                account_id=args.account_id,
                partition=args.partition,
                subnet_ids=network.subnet_ids["private"],
                security_group_id=deployment.security_groups.app.id,
                kms_key_arn=deployment.key.key_arn,
                bucket_name=args.bucket_name,
                bucket_arn=args.bucket_arn,
                memory_mb=function.memory_mb,
                timeout_seconds=function.timeout_seconds,
                reserved_concurrency=function.reserved_concurrency,
                log_retention_days=config.log_retention_days,
                runtime=function.runtime,
                architecture=function.architecture,
                image_uri=function.image_uri(region),
                db_secret_arn=args.db_secret_arn,
                db_cluster_arn=args.db_cluster_arn,
                iam_provider=args.iam_provider,
            ),
            opts=child,
        )
        api = config.api
        private = api.endpoint_type == "PRIVATE"
        self.api = RegionalApi(
            labels.name("rest-api"),
            RegionalApiArgs(
                labels=labels,
                region=region,
                function_name=self.function.function_name,
                function_invoke_arn=self.function.invoke_arn,
                endpoint_type=api.endpoint_type,
                vpc_endpoint_id=(
                    network.interface_endpoint_ids["execute-api"]
                    if private and isinstance(network, Network)
                    else None
                ),
                kms_key_arn=deployment.key.key_arn,
                log_retention_days=config.log_retention_days,
                execution_log_level=api.execution_log_level,
                throttling_burst_limit=api.throttling_burst_limit,
                throttling_rate_limit=api.throttling_rate_limit,
                cloudwatch_role_arn=args.cloudwatch_role_arn,
                stage_name=api.stage_name,
            ),
            opts=child,
        )
        thresholds = config.monitoring.thresholds
        self.monitoring = Monitoring(
            labels.name("monitoring"),
            MonitoringArgs(
                labels=labels,
                region=region,
                account_id=args.account_id,
                partition=args.partition,
                kms_key_arn=deployment.key.key_arn,
                alarm_email=config.monitoring.alarm_email,
                function_name=self.function.function_name,
                api_name=self.api.api_name,
                stage_name=api.stage_name,
                bucket_name=args.bucket_name,
                db_cluster_identifier=args.db_cluster_identifier,
                replication=args.replication,
                nat_gateway_ids=(
                    [nat.id for nat in network.nat_gateways] if isinstance(network, Network) else []
                ),
                thresholds=AlarmThresholds(
                    lambda_errors=thresholds.lambda_errors,
                    lambda_throttles=thresholds.lambda_throttles,
                    api_5xx_errors=thresholds.api_5xx_errors,
                    api_p99_latency_ms=thresholds.api_p99_latency_ms,
                    db_cpu_percent=thresholds.db_cpu_percent,
                    db_freeable_memory_bytes=thresholds.db_free_memory_mb * 1024**2,
                    db_connections=thresholds.db_connections,
                    replication_latency_seconds=thresholds.replication_latency_seconds,
                    nat_packets_dropped=thresholds.nat_packet_drops,
                ),
            ),
            opts=child,
        )
        self.outputs = api_outputs(self.function, self.api, self.monitoring, api)
        self.register_outputs(self.outputs)


def _version() -> str:
    """The package version the function reports on /health."""
    try:
        return metadata.version("tap")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


class TapStack(pulumi.ComponentResource):
    """Composes the regional deployments and the account-wide pieces from a StackConfig."""

    providers: dict[str, aws.Provider]
    regions: dict[str, RegionalDeployment]
    storage: ReplicatedStorage
    database: AuroraPostgres | GlobalDatabase
    api_tiers: dict[str, ApiTier]
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
        self.api_tiers = self._api_tiers(config, account_id, partition)

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
                    self.database.master_secret_arn,
                    writer=region == config.primary_region,
                ),
                self.api_tiers[region].outputs,
            )
            for region, deployment in self.regions.items()
        }
        self.register_outputs({"regions": self.region_outputs})

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
            deletion_protection=config.is_prod,
            skip_final_snapshot=not config.is_prod,
            protect=config.is_prod,
            log_statement=database.log_statement,
            log_min_duration_statement_ms=database.log_min_duration_statement_ms,
            performance_insights=database.performance_insights,
            monitoring_interval=database.monitoring_interval,
            iam_provider=self.providers[config.primary_region],
        )

    def _api_tiers(
        self, config: StackConfig, account_id: pulumi.Output[str], partition: pulumi.Output[str]
    ) -> dict[str, ApiTier]:
        primary = self.providers[config.primary_region]
        # One logging role per account (IAM is global); each region's API Gateway points at it.
        cloudwatch_role = ApiGatewayCloudWatchRole(
            self._namer.name("apigateway-cloudwatch"),
            ApiGatewayCloudWatchRoleArgs(
                labels=_labels(config, self._namer), account_id=account_id, partition=partition
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=primary),
        )
        tiers = {}
        for region, deployment in self.regions.items():
            is_primary = region == config.primary_region
            bucket = self.storage.buckets[region]
            cluster = self._clusters.get(region)
            tiers[region] = ApiTier(
                deployment.labels.name("api-tier"),
                ApiTierArgs(
                    config=config,
                    deployment=deployment,
                    account_id=account_id,
                    partition=partition,
                    iam_provider=primary,
                    cloudwatch_role_arn=cloudwatch_role.role_arn,
                    bucket_name=bucket.bucket_name,
                    bucket_arn=bucket.bucket_arn,
                    db_cluster_arn=cluster.cluster_arn if cluster else None,
                    db_cluster_identifier=cluster.cluster_identifier if cluster else None,
                    # The secret lives with the writer; secondaries are read-only for now. Its ARN
                    # is an address, not the password: the role policy and the env var carry it
                    # in clear so reviewers can read the policy in the plan.
                    db_secret_arn=(
                        pulumi.Output.unsecret(self.database.master_secret_arn).apply(
                            lambda arn: arn or ""
                        )
                        if is_primary
                        else None
                    ),
                    replication=self._replication_watch(config) if is_primary else None,
                ),
                opts=pulumi.ResourceOptions(parent=self, providers=[self.providers[region]]),
            )
        return tiers

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
