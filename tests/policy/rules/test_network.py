"""VPC rules: one violation per rule, open ingress that is fine, flow logs found by dependency."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tap.policy.rules import rule_named
from tests.policy.rules.support import Case, messages, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "vpc-flow-logs-enabled": Case(
        [res(r.VPC, "tap-test-use1-vpc")], "VPC tap-test-use1-vpc has no flow log"
    ),
    "ec2-default-security-group-closed": Case(
        [
            res(
                r.DEFAULT_SG,
                ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
                egress=[],
            )
        ],
        "has ingress rules",
    ),
    "ec2-no-public-admin-ports": Case(
        [res(r.SG_INGRESS_RULE, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=22, toPort=22)],
        "allows 0.0.0.0/0 to port 22 (SSH)",
    ),
    "ec2-no-public-database-ports": Case(
        [
            res(
                r.SECURITY_GROUP,
                ingress=[
                    {
                        "protocol": "tcp",
                        "fromPort": 5000,
                        "toPort": 6000,
                        "ipv6CidrBlocks": ["::/0"],
                    }
                ],
            )
        ],
        "allows ::/0 to port 5432 (PostgreSQL)",
    ),
    "ec2-subnet-no-auto-public-ip": Case(
        [res(r.SUBNET, mapPublicIpOnLaunch=True)], "assigns public IPs on launch"
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "vpc-flow-logs-enabled",
}


def test_open_ingress_elsewhere_or_from_private_ranges_is_fine() -> None:
    admin, db = rule_named("ec2-no-public-admin-ports"), rule_named("ec2-no-public-database-ports")
    https = res(r.SG_INGRESS_RULE, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443)
    private = res(
        r.SG_INGRESS_RULE, cidrIpv4="10.0.0.0/8", ipProtocol="tcp", fromPort=22, toPort=22
    )
    everything = res(r.SG_INGRESS_RULE, cidrIpv6="::/0", ipProtocol="-1")
    rule_resource = res(
        r.SECURITY_GROUP_RULE,
        type="ingress",
        protocol="tcp",
        fromPort=3389,
        toPort=3389,
        cidrBlocks=["0.0.0.0/0"],
    )
    assert messages(admin, [https, private]) == messages(db, [https, private]) == []
    assert messages(admin, [everything]) == [
        "tap-test-use1-x allows ::/0 to port 22 (SSH), 3389 (RDP)"
    ]
    assert len(messages(db, [everything])) == 1
    assert messages(admin, [rule_resource]) == [
        "tap-test-use1-x allows 0.0.0.0/0 to port 3389 (RDP)"
    ]


def test_flow_logs_link_by_dependency() -> None:
    rule = rule_named("vpc-flow-logs-enabled")
    vpc = res(r.VPC, "vpc")
    other = res(r.VPC, "other")
    flow = res(r.FLOW_LOG, "flow", deps=(vpc.urn,), vpcId="vpc-123", trafficType="ALL")
    assert messages(rule, [vpc, other, flow]) == ["VPC other has no flow log"]
