"""The subnet plan: inside the VPC, disjoint, sized per tier, and stable as AZs are added."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from tap.cidr import TIERS, plan_subnets

VPC_CIDRS = ["10.10.0.0/16", "10.31.0.0/16", "172.16.0.0/18", "192.168.4.0/22", "10.0.64.0/20"]


@pytest.mark.parametrize("vpc_cidr", VPC_CIDRS)
@pytest.mark.parametrize("az_count", [1, 2, 3, 4])
def test_subnets_are_inside_the_vpc_and_disjoint(vpc_cidr: str, az_count: int) -> None:
    plan = plan_subnets(vpc_cidr, az_count)
    vpc = ipaddress.ip_network(vpc_cidr)
    networks = [ipaddress.ip_network(s.cidr) for s in plan.subnets]
    assert len(networks) == 3 * az_count
    assert all(n.subnet_of(vpc) for n in networks)  # type: ignore[arg-type]
    for a, b in itertools.combinations(networks, 2):
        assert not a.overlaps(b), (a, b)


def test_one_subnet_per_tier_and_az() -> None:
    plan = plan_subnets("10.30.0.0/16", 3)
    assert [(s.tier, s.az_index) for s in plan.subnets] == [
        (tier, az) for tier in TIERS for az in range(3)
    ]
    assert [s.cidr for s in plan.tier("private")] == [
        "10.30.0.0/19",
        "10.30.32.0/19",
        "10.30.64.0/19",
    ]
    assert [s.cidr for s in plan.tier("public")] == [
        "10.30.128.0/20",
        "10.30.144.0/20",
        "10.30.160.0/20",
    ]
    assert [s.cidr for s in plan.tier("database")] == [
        "10.30.192.0/20",
        "10.30.208.0/20",
        "10.30.224.0/20",
    ]


def test_private_subnets_are_the_largest() -> None:
    plan = plan_subnets("10.10.0.0/16", 2)
    private = ipaddress.ip_network(plan.tier("private")[0].cidr)
    public = ipaddress.ip_network(plan.tier("public")[0].cidr)
    assert private.num_addresses == 2 * public.num_addresses


@pytest.mark.parametrize("vpc_cidr", VPC_CIDRS)
def test_adding_an_az_never_moves_existing_subnets(vpc_cidr: str) -> None:
    two = {(s.tier, s.az_index): s.cidr for s in plan_subnets(vpc_cidr, 2).subnets}
    three = {(s.tier, s.az_index): s.cidr for s in plan_subnets(vpc_cidr, 3).subnets}
    assert all(three[key] == cidr for key, cidr in two.items())


def test_smallest_vpc_still_gets_usable_subnets() -> None:
    plan = plan_subnets("192.168.4.0/22", 3)
    prefixes = {s.tier: ipaddress.ip_network(s.cidr).prefixlen for s in plan.subnets}
    assert prefixes == {"private": 25, "public": 26, "database": 26}


@pytest.mark.parametrize(
    ("vpc_cidr", "az_count", "message"),
    [
        ("10.0.0.0/25", 2, "10.0.0.0/25 is too small for a subnet plan; use /24 or larger"),
        ("10.0.0.0/16", 0, "az_count must be 1-4, got 0"),
        ("10.0.0.0/16", 5, "az_count must be 1-4, got 5"),
        ("fd00::/56", 2, "fd00::/56 is not an IPv4 network"),
    ],
)
def test_refusals(vpc_cidr: str, az_count: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        plan_subnets(vpc_cidr, az_count)
