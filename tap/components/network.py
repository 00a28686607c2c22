"""One region's VPC: three subnet tiers, NAT, flow logs and private endpoints to AWS services."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tap.cidr import TIERS, Tier, plan_subnets
from tap.components.logs import encrypted_log_group
from tap.components.policies import flow_log_delivery, flow_log_trust
from tap.components.roles import service_role
from tap.components.security import https_from_vpc
from tap.naming import Labels

# What the Lambda tier reaches without NAT.
INTERFACE_ENDPOINT_SERVICES: tuple[str, ...] = (
    "secretsmanager",
    "logs",
    "kms",
    "sts",
)
# A PRIVATE REST API's way in. Not one of the defaults: with private DNS on, every call from the
# VPC to a public (REGIONAL or EDGE) API's default hostname resolves to this endpoint and gets
# 403 (API Gateway Developer Guide, "Private REST APIs"), so it exists only for a PRIVATE API,
# added by the stack with the API's own security group (add_interface_endpoint).
EXECUTE_API = "execute-api"
ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class NetworkArgs:
    labels: Labels
    region: str
    cidr: str
    az_count: int
    nat_strategy: str  # "single" | "perAz"
    flow_log_key_arn: pulumi.Input[str]
    log_retention_days: int
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    # IAM is global: its resources go through the primary region's provider.
    iam_provider: aws.Provider | None = None
    interface_endpoints: tuple[str, ...] = INTERFACE_ENDPOINT_SERVICES


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    subnets: dict[Tier, list[aws.ec2.Subnet]]
    subnet_ids: dict[Tier, pulumi.Output[list[str]]]
    # The zone of each AZ slot, in subnet order (slot i holds subnet i of every tier).
    availability_zones: list[pulumi.Output[str]]
    route_table_ids: dict[Tier, list[pulumi.Output[str]]]
    nat_gateways: list[aws.ec2.NatGateway]
    endpoint_security_group: aws.ec2.SecurityGroup
    # Interface endpoint ids by service ("sts", ...; "execute-api" once added for a PRIVATE API).
    interface_endpoint_ids: dict[str, pulumi.Output[str]]
    flow_log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:network:Network", name, None, opts)
        self._labels = labels = args.labels
        child = pulumi.ResourceOptions(parent=self)
        plan = plan_subnets(args.cidr, args.az_count)

        vpc_name = labels.name("vpc")
        self.vpc = aws.ec2.Vpc(
            vpc_name,
            cidr_block=plan.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            instance_tenancy="default",
            tags=labels.tags(vpc_name),
            opts=child,
        )
        self.vpc_id = self.vpc.id
        self.vpc_cidr = self.vpc.cidr_block
        self._lock_down_default_security_group()

        zones = aws.get_availability_zones_output(
            state="available",
            filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.availability_zones = [zones.names[index] for index in range(args.az_count)]
        subnets: dict[Tier, list[aws.ec2.Subnet]] = {"public": [], "private": [], "database": []}
        for spec in plan.subnets:
            subnet_name = labels.name("subnet", spec.tier, spec.az_index)
            subnets[spec.tier].append(
                aws.ec2.Subnet(
                    subnet_name,
                    vpc_id=self.vpc.id,
                    cidr_block=spec.cidr,
                    availability_zone=self.availability_zones[spec.az_index],
                    # No tier auto-assigns public IPs (FSBP EC2.15): NAT gateways use EIPs.
                    map_public_ip_on_launch=False,
                    tags={**labels.tags(subnet_name), "Tier": spec.tier},
                    opts=child,
                )
            )
        self.subnets = subnets
        self.subnet_ids = {
            tier: pulumi.Output.all(*[s.id for s in group]) for tier, group in subnets.items()
        }

        igw_name = labels.name("igw")
        igw = aws.ec2.InternetGateway(
            igw_name, vpc_id=self.vpc.id, tags=labels.tags(igw_name), opts=child
        )
        self.nat_gateways = self._nat_gateways(args, subnets["public"], igw)
        self.route_table_ids = self._route_tables(subnets, igw)
        self.flow_log_group = self._flow_logs(args)
        self.endpoint_security_group = https_from_vpc(
            self,
            labels,
            self.vpc.id,
            self.vpc.cidr_block,
            "endpoints",
            "VPC interface endpoints: HTTPS from inside the VPC only",
        )
        self._endpoints(args)

        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                "subnetIds": self.subnet_ids,
                "endpointSecurityGroupId": self.endpoint_security_group.id,
                "flowLogGroupName": self.flow_log_group.name,
            }
        )

    def _lock_down_default_security_group(self) -> None:
        """Adopting the default group with no rules strips them (CIS 5.4 / FSBP EC2.2)."""
        name = self._labels.name("default-sg")
        aws.ec2.DefaultSecurityGroup(
            name,
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags=self._labels.tags(name),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _nat_gateways(
        self,
        args: NetworkArgs,
        public_subnets: list[aws.ec2.Subnet],
        igw: aws.ec2.InternetGateway,
    ) -> list[aws.ec2.NatGateway]:
        count = len(public_subnets) if args.nat_strategy == "perAz" else 1
        gateways = []
        for index in range(count):
            eip_name = self._labels.name("nat-eip", index)
            eip = aws.ec2.Eip(
                eip_name,
                domain="vpc",
                tags=self._labels.tags(eip_name),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            )
            nat_name = self._labels.name("nat", index)
            gateways.append(
                aws.ec2.NatGateway(
                    nat_name,
                    allocation_id=eip.allocation_id,
                    subnet_id=public_subnets[index].id,
                    connectivity_type="public",
                    tags=self._labels.tags(nat_name),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )
        return gateways

    def _route_tables(
        self,
        subnets: dict[Tier, list[aws.ec2.Subnet]],
        igw: aws.ec2.InternetGateway,
    ) -> dict[Tier, list[pulumi.Output[str]]]:
        """One public table (to the IGW), one private table per AZ (to its NAT), and one
        database table with only the VPC-local route: the database tier never reaches out."""
        public = self._route_table("public")
        self._default_route("public", public, gateway_id=igw.id)
        private = []
        for az, _ in enumerate(subnets["private"]):
            table = self._route_table("private", az)
            nat = self.nat_gateways[az % len(self.nat_gateways)]
            self._default_route(f"private-{az}", table, nat_gateway_id=nat.id)
            private.append(table)
        database = self._route_table("database")

        tables: dict[Tier, list[aws.ec2.RouteTable]] = {
            "public": [public],
            "private": private,
            "database": [database],
        }
        for tier, group in subnets.items():
            for az, subnet in enumerate(group):
                table = tables[tier][az] if tier == "private" else tables[tier][0]
                aws.ec2.RouteTableAssociation(
                    self._labels.name("rta", tier, az),
                    subnet_id=subnet.id,
                    route_table_id=table.id,
                    opts=pulumi.ResourceOptions(parent=self),
                )
        return {tier: [t.id for t in tables[tier]] for tier in TIERS}

    def _route_table(self, *parts: str | int) -> aws.ec2.RouteTable:
        name = self._labels.name("rt", *parts)
        return aws.ec2.RouteTable(
            name,
            vpc_id=self.vpc.id,
            tags=self._labels.tags(name),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _default_route(
        self,
        label: str,
        table: aws.ec2.RouteTable,
        *,
        gateway_id: pulumi.Input[str] | None = None,
        nat_gateway_id: pulumi.Input[str] | None = None,
    ) -> aws.ec2.Route:
        return aws.ec2.Route(
            self._labels.name("route", label, "default"),
            route_table_id=table.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=gateway_id,
            nat_gateway_id=nat_gateway_id,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _flow_logs(self, args: NetworkArgs) -> aws.cloudwatch.LogGroup:
        """ALL traffic to a KMS-encrypted log group, via a role that can write only there."""
        labels = self._labels
        group_name = labels.name("flow-logs")
        log_group = encrypted_log_group(
            self,
            labels,
            group_name,
            group_name=f"/vpc-flow-logs/{labels.name('vpc')}",
            retention_days=args.log_retention_days,
            kms_key_arn=args.flow_log_key_arn,
        )
        iam_opts = pulumi.ResourceOptions(parent=self, provider=args.iam_provider)
        role_name = labels.name("flow-logs-role")
        role = service_role(
            self,
            labels,
            role_name,
            description=f"VPC flow logs delivery for {labels.name('vpc')}",
            trust_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                lambda v: flow_log_trust(partition=v[0], account_id=v[1], region=args.region)
            ),
            iam_provider=args.iam_provider,
        )
        aws.iam.RolePolicy(
            labels.name("flow-logs-policy"),
            role=role.id,
            policy=log_group.arn.apply(flow_log_delivery),
            opts=iam_opts,
        )
        flow_name = labels.name("flow-log")
        aws.ec2.FlowLog(
            flow_name,
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=labels.tags(flow_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return log_group

    def _endpoints(self, args: NetworkArgs) -> None:
        labels = self._labels
        s3_name = labels.name("vpce", "s3")
        aws.ec2.VpcEndpoint(
            s3_name,
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=self.route_table_ids["private"],
            tags=labels.tags(s3_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._region = args.region
        self.interface_endpoint_ids = {}
        for service in args.interface_endpoints:
            self.add_interface_endpoint(service, [self.endpoint_security_group.id])

    def add_interface_endpoint(
        self, service: str, security_group_ids: list[pulumi.Input[str]]
    ) -> aws.ec2.VpcEndpoint:
        """An interface endpoint to `service` in the private subnets, with private DNS, behind
        the given groups. The stack adds execute-api this way, after the API's group exists."""
        if service in self.interface_endpoint_ids:
            raise ValueError(f"the VPC already has an interface endpoint for {service}")
        endpoint_name = self._labels.name("vpce", service)
        endpoint = aws.ec2.VpcEndpoint(
            endpoint_name,
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{self._region}.{service}",
            vpc_endpoint_type="Interface",
            private_dns_enabled=True,
            subnet_ids=self.subnet_ids["private"],
            security_group_ids=security_group_ids,
            tags=self._labels.tags(endpoint_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.interface_endpoint_ids[service] = endpoint.id
        return endpoint


@dataclass(frozen=True)
class SharedNetworkArgs:
    region: str
    # A stack that exports `regions` in TapStack's output shape (another tap stack, typically).
    stack_reference: pulumi.StackReference
    stack_name: str


class SharedNetwork(pulumi.ComponentResource):
    """One region's network read from another stack's outputs instead of being created."""

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    subnet_ids: dict[Tier, pulumi.Output[list[str]]]
    # Unknown for a shared network: RDS places instances itself.
    availability_zones: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: SharedNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:network:SharedNetwork", name, None, opts)
        region = args.region
        reference, stack_name = args.stack_reference, args.stack_name
        # Unknown for a shared network: RDS places instances itself.
        self.availability_zones = []

        def pick(*path: str) -> pulumi.Output[object]:
            def walk(regions: object) -> object:
                node = regions
                for key in (region, *path):
                    if not isinstance(node, dict) or key not in node:
                        raise ValueError(
                            f"stack {stack_name} has no output regions.{region}."
                            f"{'.'.join(path)}; it must export TapStack's `regions` output"
                        )
                    node = node[key]
                return node

            return reference.require_output("regions").apply(walk)

        self.vpc_id = pick("vpcId").apply(str)
        self.vpc_cidr = pick("vpcCidr").apply(str)
        self.subnet_ids = {
            tier: pick("subnetIds", tier).apply(lambda ids: [str(i) for i in _as_list(ids)])
            for tier in TIERS
        }
        self.register_outputs({"vpcId": self.vpc_id, "vpcCidr": self.vpc_cidr})


def _as_list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of subnet ids, got {value!r}")
    return value
