"""The VPC: flow logs, the default security group, security group ingress and subnets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    covers,
    is_opaque,
    items,
    number,
    of_type,
)
from tap.policy.rules.resource_types import (
    DEFAULT_SG,
    FLOW_LOG,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    SG_INGRESS_RULE,
    SUBNET,
    VPC,
)

_book = RuleBook()

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
DATABASE_PORTS = {
    5432: "PostgreSQL",
    3306: "MySQL",
    1433: "SQL Server",
    1521: "Oracle",
    27017: "MongoDB",
    6379: "Redis",
}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


@_book.stack(
    "vpc-flow-logs-enabled",
    "EC2.6",
    "Every VPC has a flow log.",
)
def _vpc_flow_logs(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    vpcs = of_type(resources, VPC)
    flow_logs = [f for f in of_type(resources, FLOW_LOG) if f.props.get("vpcId") is not None]
    for vpc in vpcs:
        if not any(covers(f, "vpcId", vpc, vpcs) for f in flow_logs):
            yield Finding(vpc.urn, f"VPC {vpc.name} has no flow log")


@_book.resource(
    "ec2-default-security-group-closed",
    "EC2.2",
    "The VPC's default security group allows no inbound or outbound traffic.",
    DEFAULT_SG,
)
def _default_sg(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for direction in ("ingress", "egress"):
        rules = items(r.props.get(direction))
        if rules:
            yield f"{r.name} has {direction} rules; the default security group must stay empty"


class _Ingress(NamedTuple):
    cidrs: tuple[str, ...]
    protocol: Any
    from_port: Any
    to_port: Any


def _ingresses(r: PolicyResource) -> Iterator[_Ingress]:
    p = r.props
    if r.type == SG_INGRESS_RULE:
        own = tuple(c for c in (p.get("cidrIpv4"), p.get("cidrIpv6")) if isinstance(c, str))
        yield _Ingress(own, p.get("ipProtocol"), p.get("fromPort"), p.get("toPort"))
        return
    if r.type == SECURITY_GROUP_RULE:
        if p.get("type") != "ingress":
            return
        blocks = [p]
    else:
        blocks = [b for b in items(p.get("ingress")) or [] if isinstance(b, Mapping)]
    for block in blocks:
        cidrs = [
            c
            for key in ("cidrBlocks", "ipv6CidrBlocks")
            for c in items(block.get(key)) or []
            if isinstance(c, str)
        ]
        yield _Ingress(
            tuple(cidrs), block.get("protocol"), block.get("fromPort"), block.get("toPort")
        )


def _exposed_ports(r: PolicyResource, ports: Mapping[int, str]) -> Iterator[str]:
    for ingress in _ingresses(r):
        open_to = [c for c in ingress.cidrs if c in OPEN_CIDRS]
        if not open_to or is_opaque(ingress.protocol):
            continue
        protocol = str(ingress.protocol).lower()
        if protocol in ("icmp", "icmpv6", "1", "58"):
            continue
        if protocol in ("-1", "all"):
            low, high = 0.0, 65535.0
        else:
            low_n, high_n = number(ingress.from_port), number(ingress.to_port)
            if low_n is None or high_n is None:
                continue  # unknown ports: can't tell yet
            low, high = low_n, high_n
        hit = [f"{port} ({label})" for port, label in ports.items() if low <= port <= high]
        if hit:
            yield f"{r.name} allows {', '.join(open_to)} to port {', '.join(hit)}"


_SG_TYPES = (SG_INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE)


@_book.resource(
    "ec2-no-public-admin-ports",
    "CIS 5.2",
    "No security group rule allows 0.0.0.0/0 or ::/0 to SSH (22) or RDP (3389).",
    *_SG_TYPES,
)
def _no_public_admin(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    yield from _exposed_ports(r, ADMIN_PORTS)


@_book.resource(
    "ec2-no-public-database-ports",
    "EC2.19",
    "No security group rule allows 0.0.0.0/0 or ::/0 to a database port (5432, 3306, 1433, "
    "1521, 27017, 6379).",
    *_SG_TYPES,
)
def _no_public_db(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    yield from _exposed_ports(r, DATABASE_PORTS)


@_book.resource(
    "ec2-subnet-no-auto-public-ip",
    "EC2.15",
    "Subnets do not assign public IPs on launch (mapPublicIpOnLaunch).",
    SUBNET,
)
def _subnet_public_ip(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("mapPublicIpOnLaunch") is True:
        yield f"{r.name} assigns public IPs on launch (mapPublicIpOnLaunch: true)"


RULES = _book.rules
