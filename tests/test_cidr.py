"""The subnet plan: inside the VPC, disjoint, sized per tier, and stable as AZs are added."""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import FrozenInstanceError

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


def test_the_smallest_vpc_the_planner_accepts_is_a_24() -> None:
    # Public and database subnets are the VPC's prefix + 4: a /24 gives /28, AWS's smallest.
    plan = plan_subnets("10.0.0.0/24", 4)
    prefixes = {s.tier: ipaddress.ip_network(s.cidr).prefixlen for s in plan.subnets}
    assert prefixes == {"private": 27, "public": 28, "database": 28}


@pytest.mark.parametrize("prefix", range(25, 33))
def test_every_vpc_smaller_than_a_24_is_refused(prefix: int) -> None:
    with pytest.raises(ValueError, match="too small for a subnet plan; use /24 or larger"):
        plan_subnets(f"10.0.0.0/{prefix}", 1)


def test_a_vpc_block_with_host_bits_is_refused() -> None:
    # 10.0.0.1/16 is an address, not a block: the planner does not guess which block was meant.
    with pytest.raises(ValueError, match="has host bits set"):
        plan_subnets("10.0.0.1/16", 2)


def test_a_tier_named_at_run_time_selects_its_subnets() -> None:
    plan = plan_subnets("10.30.0.0/16", 2)
    read = "".join(["data", "base"])  # a name read from input, not the interned literal
    assert plan.tier(read) == plan.tier("database")  # type: ignore[arg-type]
    assert len(plan.tier(read)) == 2  # type: ignore[arg-type]


def test_plans_are_values() -> None:
    # Components share one plan per region; none can change the subnets another sees.
    plan = plan_subnets("10.30.0.0/16", 2)
    assert hash(plan) == hash(plan_subnets("10.30.0.0/16", 2))
    with pytest.raises(FrozenInstanceError):
        plan.vpc_cidr = "10.31.0.0/16"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        plan.subnets[0].cidr = "10.31.0.0/19"  # type: ignore[misc]
