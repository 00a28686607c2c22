"""TapStack: the whole environment, one explicit AWS provider and one regional set per region."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.kms import RegionalKey, RegionalKeyArgs
from tap.components.network import Network, NetworkArgs, SharedNetwork, SharedNetworkArgs
from tap.components.security import AccountPasswordPolicy, SecurityGroups, SecurityGroupsArgs
from tap.config import StackConfig
from tap.naming import Labels, Namer, common_tags


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

    key: RegionalKey
    network: Network | SharedNetwork
    security_groups: SecurityGroups
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: RegionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:stack:Region", name, None, opts)
        config, region, labels = args.config, args.region, args.labels
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

        self.outputs = {
            "vpcId": self.network.vpc_id,
            "vpcCidr": self.network.vpc_cidr,
            "subnetIds": self.network.subnet_ids,
            "securityGroupIds": self.security_groups.ids,
            "kmsKeyArn": self.key.key_arn,
            "kmsAliasName": self.key.alias_name,
        }
        self.register_outputs(self.outputs)


class TapStack(pulumi.ComponentResource):
    """Composes the regional deployments and the account-wide pieces from a StackConfig."""

    providers: dict[str, aws.Provider]
    regions: dict[str, RegionalDeployment]
    password_policy: AccountPasswordPolicy | None

    def __init__(
        self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:stack:TapStack", name, None, opts)
        namer = Namer(config.environment_suffix)

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

        self.password_policy = None
        if config.manage_account_password_policy:
            self.password_policy = AccountPasswordPolicy(
                namer.name("password-policy"),
                opts=pulumi.ResourceOptions(parent=self, provider=primary),
            )

        self.region_outputs = {region: d.outputs for region, d in self.regions.items()}
        self.register_outputs({"regions": self.region_outputs})

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
