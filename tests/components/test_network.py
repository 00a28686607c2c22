"""Network on its own: VPC, tiers, NAT strategy, routes, default SG, flow logs, endpoints."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.components.network import (
    EXECUTE_API,
    INTERFACE_ENDPOINT_SERVICES,
    Network,
    NetworkArgs,
    SharedNetwork,
    SharedNetworkArgs,
)
from tap.naming import region_code
from tap.plan import PlanError, PlanMocks, run_under_mocks
from tests.conftest import is_taggable, labels_for, plan_program

REGION = "us-west-2"


@cache
def build(az_count: int = 3, nat_strategy: str = "perAz") -> tuple[dict[str, Any], ...]:
    def program() -> None:
        provider = aws.Provider("tap-test-usw2-aws", region=REGION)
        Network(
            "tap-test-usw2-network",
            NetworkArgs(
                labels=labels_for(REGION),
                region=REGION,
                cidr="10.21.0.0/16",
                az_count=az_count,
                nat_strategy=nat_strategy,
                flow_log_key_arn="arn:aws:kms:us-west-2:111122223333:key/test",
                log_retention_days=90,
                account_id="111122223333",
                partition="aws",
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return tuple(plan_program(program)["resources"])


def of_type(resources: tuple[dict[str, Any], ...], type_token: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == type_token]


def test_vpc_has_dns_support_and_hostnames() -> None:
    (vpc,) = of_type(build(), "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.21.0.0/16"
    assert vpc["inputs"]["enableDnsSupport"] is True
    assert vpc["inputs"]["enableDnsHostnames"] is True
    assert vpc["name"] == "tap-test-usw2-vpc"


@pytest.mark.parametrize("az_count", [2, 3])
def test_three_tiers_over_the_azs_without_public_ip_mapping(az_count: int) -> None:
    subnets = of_type(build(az_count, "single"), "aws:ec2/subnet:Subnet")
    assert len(subnets) == 3 * az_count
    tiers = sorted(s["inputs"]["tags"]["Tier"] for s in subnets)
    assert tiers == sorted(["public", "private", "database"] * az_count)
    assert all(s["inputs"]["mapPublicIpOnLaunch"] is False for s in subnets)
    zones = {s["inputs"]["availabilityZone"] for s in subnets}
    assert zones == {f"{REGION}{letter}" for letter in "abc"[:az_count]}


@pytest.mark.parametrize(("strategy", "expected"), [("single", 1), ("perAz", 3)])
def test_nat_gateways_follow_the_strategy(strategy: str, expected: int) -> None:
    resources = build(3, strategy)
    assert len(of_type(resources, "aws:ec2/natGateway:NatGateway")) == expected
    assert len(of_type(resources, "aws:ec2/eip:Eip")) == expected
    private_routes = [
        r for r in of_type(resources, "aws:ec2/route:Route") if "-route-private-" in r["name"]
    ]
    assert len(private_routes) == 3
    assert all(r["inputs"]["natGatewayId"].startswith("nat-") for r in private_routes)


def test_nat_gateways_sit_in_public_subnets() -> None:
    resources = build()
    by_urn = {r["urn"]: r for r in resources}
    for nat in of_type(resources, "aws:ec2/natGateway:NatGateway"):
        subnets = [by_urn[d] for d in nat["dependencies"] if "Subnet::" in d]
        assert [s["inputs"]["tags"]["Tier"] for s in subnets] == ["public"]


def test_only_the_public_table_routes_to_the_internet_gateway() -> None:
    resources = build()
    (igw,) = of_type(resources, "aws:ec2/internetGateway:InternetGateway")
    igw_routes = [
        r for r in of_type(resources, "aws:ec2/route:Route") if "gatewayId" in r["inputs"]
    ]
    assert [r["name"] for r in igw_routes] == ["tap-test-usw2-route-public-default"]
    assert igw["urn"] in igw_routes[0]["dependencies"]


def test_database_tier_has_no_route_out() -> None:
    resources = build()
    (table,) = [r for r in resources if r["name"] == "tap-test-usw2-rt-database"]
    assert not [
        r for r in of_type(resources, "aws:ec2/route:Route") if table["urn"] in r["dependencies"]
    ]
    assert "routes" not in table["inputs"] or table["inputs"]["routes"] == []
    db_assocs = [
        a
        for a in of_type(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation")
        if "-rta-database-" in a["name"]
    ]
    assert len(db_assocs) == 3
    assert all(table["urn"] in a["dependencies"] for a in db_assocs)


def test_default_security_group_is_stripped_of_rules() -> None:
    (default_sg,) = of_type(build(), "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg["inputs"]["ingress"] == []
    assert default_sg["inputs"]["egress"] == []


def test_flow_logs_capture_all_traffic_to_an_encrypted_group() -> None:
    resources = build()
    (flow_log,) = of_type(resources, "aws:ec2/flowLog:FlowLog")
    (group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert flow_log["inputs"]["trafficType"] == "ALL"
    assert flow_log["inputs"]["logDestinationType"] == "cloud-watch-logs"
    assert flow_log["inputs"]["logDestination"].endswith(f":log-group:{group['inputs']['name']}")
    assert group["inputs"]["kmsKeyId"] == "arn:aws:kms:us-west-2:111122223333:key/test"
    assert group["inputs"]["retentionInDays"] == 90


def test_flow_log_role_is_least_privilege() -> None:
    resources = build()
    (role,) = of_type(resources, "aws:iam/role:Role")
    (policy,) = of_type(resources, "aws:iam/rolePolicy:RolePolicy")
    (group,) = of_type(resources, "aws:cloudwatch/logGroup:LogGroup")
    trust = json.loads(role["inputs"]["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    (statement,) = json.loads(policy["inputs"]["policy"])["Statement"]
    group_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:{group['inputs']['name']}"
    assert statement["Resource"] == [group_arn, f"{group_arn}:log-stream:*"]
    assert all("*" not in action for action in statement["Action"] if action != "*")
    assert "*" not in statement["Action"]


def test_endpoints() -> None:
    resources = build()
    endpoints = of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
    by_service = {e["inputs"]["serviceName"]: e["inputs"] for e in endpoints}
    assert by_service[f"com.amazonaws.{REGION}.s3"]["vpcEndpointType"] == "Gateway"
    assert len(by_service[f"com.amazonaws.{REGION}.s3"]["routeTableIds"]) == 3
    for service in INTERFACE_ENDPOINT_SERVICES:
        endpoint = by_service[f"com.amazonaws.{REGION}.{service}"]
        assert endpoint["vpcEndpointType"] == "Interface"
        assert endpoint["privateDnsEnabled"] is True
        assert len(endpoint["subnetIds"]) == 3
        assert len(endpoint["securityGroupIds"]) == 1


def test_no_execute_api_endpoint_unless_added() -> None:
    """Its private DNS would send the VPC's calls to every public API there (403)."""
    assert EXECUTE_API not in INTERFACE_ENDPOINT_SERVICES
    endpoints = of_type(build(), "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert not [e for e in endpoints if e["inputs"]["serviceName"].endswith(".execute-api")]


def test_an_added_endpoint_sits_behind_the_given_group() -> None:
    def program() -> None:
        provider = aws.Provider("tap-test-usw2-aws", region=REGION)
        network = Network(
            "tap-test-usw2-network",
            NetworkArgs(
                labels=labels_for(REGION),
                region=REGION,
                cidr="10.21.0.0/16",
                az_count=2,
                nat_strategy="single",
                flow_log_key_arn="arn:aws:kms:us-west-2:111122223333:key/test",
                log_retention_days=90,
                account_id="111122223333",
                partition="aws",
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        network.add_interface_endpoint(EXECUTE_API, ["sg-api"])
        assert EXECUTE_API in network.interface_endpoint_ids
        with pytest.raises(ValueError, match="already has an interface endpoint for sts"):
            network.add_interface_endpoint("sts", ["sg-api"])

    resources = tuple(plan_program(program)["resources"])
    (endpoint,) = [
        e
        for e in of_type(resources, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if e["inputs"]["serviceName"] == f"com.amazonaws.{REGION}.execute-api"
    ]
    assert endpoint["name"] == "tap-test-usw2-vpce-execute-api"
    assert endpoint["region"] == REGION
    assert endpoint["inputs"]["privateDnsEnabled"] is True
    assert endpoint["inputs"]["securityGroupIds"] == ["sg-api"]
    assert len(endpoint["inputs"]["subnetIds"]) == 2


def test_endpoint_security_group_allows_https_from_the_vpc_only() -> None:
    resources = build()
    rules = of_type(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert [
        (r["inputs"]["fromPort"], r["inputs"]["toPort"], r["inputs"]["cidrIpv4"]) for r in rules
    ] == [(443, 443, "10.21.0.0/16")]
    assert rules[0]["inputs"]["description"]


def test_every_resource_is_named_and_tagged() -> None:
    for resource in build():
        if resource["type"].startswith("tap:") or not resource["custom"]:
            continue
        assert resource["name"].startswith("tap-test-usw2-"), resource["name"]
        if is_taggable(resource["type"]):
            tags = resource["inputs"]["tags"]
            assert tags["Name"] == resource["name"]
            assert tags["Project"] == "tap"


def shared_network_program(region: str) -> Callable[[], None]:
    def program() -> None:
        ref = pulumi.StackReference("tap-dev-gbl-network-ref", stack_name="org/net/dev")
        network = SharedNetwork(
            f"tap-dev-{region_code(region)}-shared-network",
            SharedNetworkArgs(region=region, stack_reference=ref, stack_name="org/net/dev"),
        )
        pulumi.export("vpc", network.vpc_id)
        pulumi.export("private", network.subnet_ids["private"])

    return program


def test_shared_network_reads_the_referenced_stack() -> None:
    mocks = PlanMocks("us-east-1")
    mocks.stack_reference_outputs["org/net/dev"] = {
        "regions": {
            "us-east-1": {
                "vpcId": "vpc-shared",
                "vpcCidr": "10.10.0.0/16",
                "subnetIds": {"public": ["a"], "private": ["b", "c"], "database": ["d", "e"]},
            }
        }
    }
    recording, outputs = run_under_mocks(
        shared_network_program("us-east-1"), stack="test", mocks=mocks
    )
    assert outputs == {"vpc": "vpc-shared", "private": ["b", "c"]}
    assert not [r for r in recording.registrations if r.type == "aws:ec2/vpc:Vpc"]


def test_shared_network_explains_a_missing_region() -> None:
    mocks = PlanMocks("us-east-1")
    mocks.stack_reference_outputs["org/net/dev"] = {"regions": {}}
    # Every output of the region is missing; which one the SDK reports first is its choice.
    with pytest.raises(
        ValueError, match=r"stack org/net/dev has no output regions\.us-west-2\.[a-zA-Z.]+; it"
    ):
        run_under_mocks(shared_network_program("us-west-2"), stack="test", mocks=mocks)


def test_an_unmocked_invoke_fails_the_plan_instead_of_returning_none() -> None:
    def program() -> None:
        aws.ec2.get_vpc_output(default=True)

    with pytest.raises(PlanError, match="no mock for invoke aws:ec2/getVpc:getVpc"):
        run_under_mocks(program, stack="test")
