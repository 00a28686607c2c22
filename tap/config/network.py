"""`tap:networks` and `tap:allowedCidrs`: each region's VPC block, and who may reach it."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from tap.config.base import SUPPORTED_REGIONS, Model, Region, parse_ipv4_network
from tap.config.errors import KeyedError, user_keys
from tap.limits import VPC_LARGEST_PREFIX

NatStrategy = Literal["single", "perAz"]

# tap's own floor: the subnet plan (tap.cidr) of a /22 still gives every tier a /26 per AZ,
# room for NAT gateways, interface endpoints and Lambda ENIs. AWS would take up to a /28.
SMALLEST_VPC_PREFIX = 22
PRIVATE_RANGES = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
# SSH sources broader than this are the internet in all but name (CIS 5.2).
WIDEST_SSH_PREFIX = 8


class RegionNetwork(Model):
    """One region's VPC: `tap:networks.<region>`."""

    # The map key in the stack file; not a key of its own.
    NOT_USER_KEYS: ClassVar[tuple[str, ...]] = ("region",)

    region: Region
    """The region this network is in: the key of its `tap:networks` entry."""
    cidr: str
    """The VPC's IPv4 block: private space (10/8, 172.16/12, 192.168/16), /16 to /22, no overlap
    with another region.
    """
    az_count: Annotated[int, Field(ge=2, le=3)]
    """Availability zones the subnets span."""
    nat_strategy: NatStrategy
    """`single`: one NAT gateway per VPC; `perAz`: one per AZ, so an AZ outage keeps the others
    online.
    """

    @field_validator("cidr")
    @classmethod
    def _valid_vpc_cidr(cls, value: str) -> str:
        network = parse_ipv4_network(value)
        if not any(network.subnet_of(r) for r in PRIVATE_RANGES):
            raise ValueError(
                f"{value} is not private address space; use a block inside 10.0.0.0/8, "
                "172.16.0.0/12 or 192.168.0.0/16"
            )
        if not VPC_LARGEST_PREFIX <= network.prefixlen <= SMALLEST_VPC_PREFIX:
            size = (
                "too small" if network.prefixlen > SMALLEST_VPC_PREFIX else "larger than AWS allows"
            )
            raise ValueError(
                f"prefix /{network.prefixlen} is {size}; use a prefix between "
                f"/{VPC_LARGEST_PREFIX} and /{SMALLEST_VPC_PREFIX}"
            )
        return str(network)


def networks_from_map(value: Any) -> Any:
    """`{region: {cidr: ...}}` as the stack file writes it -> the model's list of networks."""
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a map, got {value!r}")
    networks = []
    for region, fields in value.items():
        if isinstance(fields, Mapping):
            if "region" in fields:
                allowed = ", ".join(user_keys(RegionNetwork))
                raise KeyedError(
                    ("networks", region, "region"),
                    f"is not a known key; allowed keys here: {allowed}",
                )
            networks.append({"region": region, **fields})
        else:
            # Left to validation, which names the entry and says it must be a map.
            networks.append(fields)
    return tuple(networks)


def default_vpc_cidr(cidr_base: int, region: Region) -> str:
    """10.<base + region index>.0.0/16: dev, staging and prod never overlap, so VPCs can peer."""
    return f"10.{cidr_base + SUPPORTED_REGIONS.index(region)}.0.0/16"


def check_overlaps(networks: Sequence[RegionNetwork]) -> None:
    for i, first in enumerate(networks):
        for second in networks[i + 1 :]:
            if ipaddress.ip_network(first.cidr).overlaps(ipaddress.ip_network(second.cidr)):
                raise KeyedError(
                    ("networks", second.region, "cidr"),
                    f"{second.cidr} overlaps tap:networks.{first.region}.cidr {first.cidr}; "
                    "every region needs its own non-overlapping VPC CIDR",
                )


def check_allowed_cidrs(
    allowed: Sequence[str], networks: Sequence[RegionNetwork], own_vpcs: bool, private_api: bool
) -> None:
    """Each source once: AWS refuses a second identical ingress rule (InvalidPermission.Duplicate).

    A PRIVATE API's endpoint group already admits its VPC's own block, so a source equal to it
    would plan that rule twice too (only checked when tap creates the VPCs: a shared network's
    block comes from the other stack; PRIVATE needs tap's own VPCs anyway).
    """
    seen: set[str] = set()
    for cidr in allowed:
        if cidr in seen:
            raise KeyedError(
                ("allowedCidrs",),
                f"lists {cidr} more than once; AWS refuses a second identical security group "
                "rule (InvalidPermission.Duplicate), so list each CIDR once",
            )
        seen.add(cidr)
        for network in networks if own_vpcs and private_api else ():
            if cidr == network.cidr:
                raise KeyedError(
                    ("allowedCidrs",),
                    f"contains {cidr}, the VPC CIDR of {network.region}, which the PRIVATE API's "
                    "endpoint group admits already; AWS refuses the duplicate rule "
                    "(InvalidPermission.Duplicate), so remove it",
                )


def check_bastion_sources(allowed: Sequence[str]) -> None:
    if not allowed:
        raise KeyedError(
            ("allowedCidrs",),
            "is empty but tap:enableBastionSsh is true; list the CIDRs allowed to reach SSH "
            "(port 22)",
        )
    too_wide = [c for c in allowed if ipaddress.ip_network(c).prefixlen < WIDEST_SSH_PREFIX]
    if too_wide:
        raise KeyedError(
            ("allowedCidrs",),
            f"contains {', '.join(too_wide)} while tap:enableBastionSsh is true; SSH from the "
            "whole internet is never allowed (CIS 5.2), list specific CIDRs of "
            f"/{WIDEST_SSH_PREFIX} or narrower",
        )
