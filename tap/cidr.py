"""Subnet plans per tier and availability zone (pure).

A VPC block is cut into fixed slots so addresses never move when `azCount` grows:

    first half      private tier, 4 AZ slots (prefix + 3)  e.g. /16 -> four /19
    third quarter   public tier,  4 AZ slots (prefix + 4)  e.g. /16 -> four /20
    last quarter    database tier, 4 AZ slots (prefix + 4) e.g. /16 -> four /20

Private subnets get the most room because Lambda ENIs live there.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from tap.limits import SUBNET_SMALLEST_PREFIX

Tier = Literal["public", "private", "database"]
TIERS: tuple[Tier, ...] = ("public", "private", "database")
AZ_SLOTS = 4


@dataclass(frozen=True)
class SubnetSpec:
    tier: Tier
    az_index: int
    cidr: str


@dataclass(frozen=True)
class SubnetPlan:
    vpc_cidr: str
    subnets: tuple[SubnetSpec, ...]

    def tier(self, tier: Tier) -> tuple[SubnetSpec, ...]:
        return tuple(s for s in self.subnets if s.tier == tier)


def plan_subnets(vpc_cidr: str, az_count: int) -> SubnetPlan:
    """Public, private and database subnets for `az_count` AZs inside `vpc_cidr`."""
    if not 1 <= az_count <= AZ_SLOTS:
        raise ValueError(f"az_count must be 1-{AZ_SLOTS}, got {az_count}")
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    if not isinstance(vpc, ipaddress.IPv4Network):
        raise ValueError(f"{vpc_cidr} is not an IPv4 network")
    if vpc.prefixlen + 4 > SUBNET_SMALLEST_PREFIX:
        raise ValueError(
            f"{vpc_cidr} is too small for a subnet plan; "
            f"use /{SUBNET_SMALLEST_PREFIX - 4} or larger"
        )
    private_half, rest = vpc.subnets(prefixlen_diff=1)
    public_quarter, database_quarter = rest.subnets(prefixlen_diff=1)
    slots: dict[Tier, list[ipaddress.IPv4Network]] = {
        "private": list(private_half.subnets(prefixlen_diff=2)),
        "public": list(public_quarter.subnets(prefixlen_diff=2)),
        "database": list(database_quarter.subnets(prefixlen_diff=2)),
    }
    subnets = tuple(
        SubnetSpec(tier, az, str(slots[tier][az])) for tier in TIERS for az in range(az_count)
    )
    return SubnetPlan(str(vpc), subnets)
