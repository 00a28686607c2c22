"""One region's API tier (`tap:stack:ApiTier`): the function, the REST API in front of it, its
web ACL and its alarms. TapStack (tap/stack.py) builds one per region; the tier lives here so
the composition stays readable in one sitting.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from tap.components.api import (
    RegionalApi,
    RegionalApiArgs,
)
from tap.components.function import (
    ApiFunction,
    ApiFunctionArgs,
    DatabaseEndpoint,
    FunctionPlacement,
)
from tap.components.monitoring import (
    AlarmThresholds,
    Monitoring,
    MonitoringArgs,
    ReplicationWatch,
    WafWatch,
)
from tap.components.network import (
    EXECUTE_API,
    Network,
)
from tap.components.signing import SignedCode
from tap.components.waf import RegionalWebAcl, RegionalWebAclArgs, rule_metric_name, rule_specs
from tap.config import StackConfig
from tap.outputs import (
    api_outputs,
)

if TYPE_CHECKING:  # annotations only: tap.stack imports this module
    from tap.stack import RegionalDeployment


@dataclass(frozen=True)
class ApiTierArgs:
    config: StackConfig
    deployment: RegionalDeployment
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    iam_provider: aws.Provider
    # Only in the stack that owns the account's API Gateway settings (manageApiGatewayAccount).
    cloudwatch_role_arn: pulumi.Input[str] | None
    # The region's bucket, which the dashboard shows.
    bucket_name: pulumi.Input[str]
    # The region's cluster, as the API reaches it. None where the region has no cluster (dev and
    # staging outside the primary region): no data path, so no function and no API there, only
    # the region's alarms (docs/architecture.md, "Consistency per region").
    database: DatabaseEndpoint | None
    db_cluster_identifier: pulumi.Input[str] | None
    # "writer" or "secondary" (a global database's member), which decides the database alarms.
    db_role: str | None
    # The migration's checked result: the function's new code waits for it.
    schema_ready: pulumi.Input[pulumi.Resource] | None
    replication: ReplicationWatch | None
    # The region's signed zip (tap:codeSigning), which the function deploys.
    signed_code: SignedCode | None = None


class ApiTier(pulumi.ComponentResource):
    """One region's serverless API: the function, the REST API in front of it, and its alarms.

    Where the region has no database there is no function and no API: only the monitoring of
    what the region does run (its NAT gateways).
    """

    function: ApiFunction | None
    api: RegionalApi | None
    web_acl: RegionalWebAcl | None
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
        api = config.api
        self.function = self.api = None
        if args.database is not None:
            self.function = ApiFunction(
                labels.name("function"),
                ApiFunctionArgs(
                    placement=function_placement(
                        config,
                        deployment,
                        account_id=args.account_id,
                        partition=args.partition,
                        iam_provider=args.iam_provider,
                        signed_code=args.signed_code,
                    ),
                    environment=config.environment,
                    version=_version(),
                    database=args.database,
                    memory_mb=function.memory_mb,
                    timeout_seconds=function.timeout_seconds,
                    reserved_concurrency=function.reserved_concurrency,
                    schema_ready=args.schema_ready,
                ),
                opts=child,
            )
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
                        network.interface_endpoint_ids[EXECUTE_API]
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
        self.web_acl = None
        waf_watch = None
        if self.api is not None and config.waf.enabled:
            self.web_acl = RegionalWebAcl(
                labels.name("web-acl"),
                RegionalWebAclArgs(
                    labels=labels,
                    region=region,
                    account_id=args.account_id,
                    partition=args.partition,
                    kms_key_arn=deployment.key.key_arn,
                    log_retention_days=config.log_retention_days,
                    rate_limit=config.waf.rate_limit,
                    rate_limit_window_seconds=config.waf.rate_limit_window_seconds,
                    stage_arns={api.stage_name: self.api.stage.arn},
                ),
                opts=child,
            )
            acl = self.web_acl.metric_name
            waf_watch = WafWatch(acl, [rule_metric_name(acl, spec.slug) for spec in rule_specs()])
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
                function_name=self.function.function_name if self.function else None,
                function_log_group_name=self.function.log_group.name if self.function else None,
                api_name=self.api.api_name if self.api else None,
                stage_name=api.stage_name,
                bucket_name=args.bucket_name,
                db_cluster_identifier=args.db_cluster_identifier,
                db_role=args.db_role or "writer",
                replication=args.replication,
                nat_gateway_ids=(
                    [nat.id for nat in network.nat_gateways] if isinstance(network, Network) else []
                ),
                waf=waf_watch,
                thresholds=AlarmThresholds(
                    lambda_errors=thresholds.lambda_errors,
                    lambda_throttles=thresholds.lambda_throttles,
                    api_5xx_errors=thresholds.api_5xx_errors,
                    api_p99_latency_ms=thresholds.api_p99_latency_ms,
                    db_cpu_percent=thresholds.db_cpu_percent,
                    db_freeable_memory_bytes=thresholds.db_free_memory_mb * 1024**2,
                    db_connections=thresholds.db_connections,
                    db_connection_errors=thresholds.db_connection_errors,
                    db_commit_latency_ms=thresholds.db_commit_latency_ms,
                    db_forwarded_write_latency_ms=thresholds.db_forwarded_write_latency_ms,
                    db_rpo_lag_ms=thresholds.db_rpo_lag_ms,
                    replication_latency_seconds=thresholds.replication_latency_seconds,
                    nat_packets_dropped=thresholds.nat_packet_drops,
                    waf_blocked_requests=thresholds.waf_blocked_requests,
                ),
            ),
            opts=child,
        )
        self.outputs = api_outputs(
            self.function,
            self.api,
            self.monitoring,
            api,
            web_acl=self.web_acl,
            code_signing_config_arn=(
                args.signed_code.code_signing_config_arn if args.signed_code else None
            ),
        )
        self.register_outputs(self.outputs)


def _version() -> str:
    """The package version the function reports on /health."""
    try:
        return metadata.version("tap")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def function_placement(
    config: StackConfig,
    deployment: RegionalDeployment,
    *,
    account_id: pulumi.Input[str],
    partition: pulumi.Input[str],
    iam_provider: aws.Provider,
    signed_code: SignedCode | None,
) -> FunctionPlacement:
    """Where every function of a region runs (the API's, the migration's, the rotation's): its
    private subnets behind the egress-only app group, the region's key, the configured runtime
    and code; IAM through the primary region's provider."""
    function, region = config.function, deployment.region
    return FunctionPlacement(
        labels=deployment.labels,
        region=region,
        account_id=account_id,
        partition=partition,
        subnet_ids=deployment.network.subnet_ids["private"],
        security_group_id=deployment.security_groups.app.id,
        kms_key_arn=deployment.key.key_arn,
        log_retention_days=config.log_retention_days,
        runtime=function.runtime,
        architecture=function.architecture,
        image_uri=function.image_uri(region),
        iam_provider=iam_provider,
        signed_code=signed_code,
    )
