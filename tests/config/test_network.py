"""`tap:regions`, `tap:networks` and `tap:allowedCidrs`."""

from __future__ import annotations

from typing import Any

import pytest

from tap.config import parse
from tests.config.common import refuse


class TestRegions:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"regions": ["us-east-1", "ap-south-1"]},
                "tap:regions 'ap-south-1' is not allowed; use one of us-east-1, us-west-2 or "
                "eu-central-1",
            ),
            (
                {"networks": {"ap-south-1": {"cidr": "10.0.0.0/16"}}},
                "tap:networks 'ap-south-1' is not allowed; use one of us-east-1, us-west-2 or "
                "eu-central-1",
            ),
            (
                {"primaryRegion": "eu-central-1"},
                "tap:primaryRegion eu-central-1 is not one of tap:regions (us-east-1, "
                "us-west-2); choose one of those",
            ),
            ({"regions": []}, "tap:regions list at least one region"),
            (
                {"regions": ["us-east-1", "us-east-1"]},
                "tap:regions us-east-1 listed more than once",
            ),
            ({"regions": "us-east-1"}, "tap:regions must be a list, got 'us-east-1'"),
            (
                {"regions": [1]},
                "tap:regions 1 is not allowed; use one of us-east-1, us-west-2 or eu-central-1",
            ),
        ],
    )
    def test_regions(self, raw: dict[str, Any], message: str) -> None:
        assert refuse(raw) == message

    def test_the_primary_defaults_to_the_first_region(self) -> None:
        config = parse({"regions": ["us-west-2", "us-east-1"]}, "dev").config
        assert config.primary_region == "us-west-2"
        assert config.secondary_regions == ("us-east-1",)


class TestVpcCidrs:
    @pytest.mark.parametrize("prefix", [16, 19, 22])
    def test_vpc_prefixes_in_range(self, prefix: int) -> None:
        parse({"networks": {"us-east-1": {"cidr": f"10.10.0.0/{prefix}"}}}, "dev")

    @pytest.mark.parametrize(
        ("cidr", "message"),
        [
            (
                "10.10.0.0/23",
                "tap:networks.us-east-1.cidr prefix /23 is too small; use a prefix between /16 "
                "and /22",
            ),
            (
                "10.10.0.0/15",
                "tap:networks.us-east-1.cidr prefix /15 is larger than AWS allows; use a prefix "
                "between /16 and /22",
            ),
            (
                "8.8.0.0/16",
                "tap:networks.us-east-1.cidr 8.8.0.0/16 is not private address space; use a "
                "block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
            ),
            (
                "10.10.0.1/16",
                "tap:networks.us-east-1.cidr '10.10.0.1/16' is not an IPv4 CIDR block like "
                "10.10.0.0/16 (10.10.0.1/16 has host bits set)",
            ),
            (
                "fd00::/48",
                "tap:networks.us-east-1.cidr 'fd00::/48' is IPv6; "
                "tap networks are IPv4 CIDR blocks",
            ),
            (
                "10.10.0.0/16\n",
                "tap:networks.us-east-1.cidr '10.10.0.0/16\\n' is not an IPv4 CIDR block like "
                "10.10.0.0/16 ('10.10.0.0/16\\n' does not appear to be an IPv4 or IPv6 network)",
            ),
        ],
    )
    def test_vpc_cidrs(self, cidr: str, message: str) -> None:
        assert refuse({"networks": {"us-east-1": {"cidr": cidr}}}) == message

    def test_a_cidr_is_kept_in_its_canonical_form(self) -> None:
        config = parse({"networks": {"us-east-1": {"cidr": "10.10.0.0/255.255.0.0"}}}, "dev")
        assert config.config.network("us-east-1").cidr == "10.10.0.0/16"

    def test_overlapping_cidrs_across_regions(self) -> None:
        message = refuse(
            {
                "networks": {
                    "us-east-1": {"cidr": "10.10.0.0/16"},
                    "us-west-2": {"cidr": "10.10.128.0/17"},
                }
            }
        )
        assert message == (
            "tap:networks.us-west-2.cidr 10.10.128.0/17 overlaps tap:networks.us-east-1.cidr "
            "10.10.0.0/16; every region needs its own non-overlapping VPC CIDR"
        )

    def test_overlap_with_a_default_cidr(self) -> None:
        message = refuse({"networks": {"us-west-2": {"cidr": "10.10.0.0/20"}}})
        assert message.startswith("tap:networks.us-west-2.cidr 10.10.0.0/20 overlaps")

    def test_adjacent_blocks_do_not_overlap(self) -> None:
        parse(
            {
                "networks": {
                    "us-east-1": {"cidr": "10.10.0.0/17"},
                    "us-west-2": {"cidr": "10.10.128.0/17"},
                }
            },
            "dev",
        )

    @pytest.mark.parametrize(
        ("network", "message"),
        [
            (
                {"azCount": 4},
                "tap:networks.us-east-1.azCount 4 is out of range; use 2 or 3 availability zones",
            ),
            (
                {"azCount": 1},
                "tap:networks.us-east-1.azCount 1 is out of range; use 2 or 3 availability zones",
            ),
            (
                {"azCount": "3"},
                "tap:networks.us-east-1.azCount must be a whole number, got '3'",
            ),
            (
                {"natStrategy": "multi"},
                "tap:networks.us-east-1.natStrategy 'multi' is not allowed; "
                "use one of single or perAz",
            ),
            (
                {"cidrr": "10.0.0.0/16"},
                "tap:networks.us-east-1.cidrr is not a known key (did you mean "
                "tap:networks.us-east-1.cidr?); allowed keys here: azCount, cidr, natStrategy",
            ),
            (
                {"region": "us-west-2"},
                "tap:networks.us-east-1.region is not a known key; allowed keys here: "
                "azCount, cidr, natStrategy",
            ),
        ],
    )
    def test_network_fields(self, network: dict[str, Any], message: str) -> None:
        assert refuse({"networks": {"us-east-1": network}}) == message

    def test_a_network_must_be_a_map(self) -> None:
        assert refuse({"networks": {"us-east-1": "10.0.0.0/16"}}) == (
            "tap:networks.us-east-1 must be a map, got '10.0.0.0/16'"
        )
        assert refuse({"networks": ["us-east-1"]}) == (
            "tap:networks must be a map, got ['us-east-1']"
        )


class TestAllowedCidrs:
    def test_allowed_cidrs(self) -> None:
        assert refuse({"allowedCidrs": ["10.0.0.0/33"]}).startswith(
            "tap:allowedCidrs '10.0.0.0/33' is not an IPv4 CIDR block like 10.10.0.0/16"
        )

    def test_https_from_anywhere_is_allowed_when_asked_for(self) -> None:
        config = parse({"allowedCidrs": ["0.0.0.0/0"]}, "dev").config
        assert config.allowed_cidrs == ("0.0.0.0/0",)

    @pytest.mark.parametrize(
        "cidrs", [["203.0.113.0/24", "203.0.113.0/24"], ["10.100.0.0/16", "10.100.0.0/255.255.0.0"]]
    )
    def test_a_source_listed_twice_is_refused(self, cidrs: list[str]) -> None:
        assert refuse({"allowedCidrs": cidrs}) == (
            f"tap:allowedCidrs lists {cidrs[0]} more than once; AWS refuses a second identical "
            "security group rule (InvalidPermission.Duplicate), so list each CIDR once"
        )

    def test_a_source_equal_to_a_vpc_cidr_is_refused_for_a_private_api(self) -> None:
        raw = {"allowedCidrs": ["10.11.0.0/16"], "api": {"endpointType": "PRIVATE"}}
        assert refuse(raw) == (
            "tap:allowedCidrs contains 10.11.0.0/16, the VPC CIDR of us-west-2, which the PRIVATE "
            "API's endpoint group admits already; AWS refuses the duplicate rule "
            "(InvalidPermission.Duplicate), so remove it"
        )

    def test_a_vpc_cidr_is_no_duplicate_where_there_is_no_api_endpoint_group(self) -> None:
        # REGIONAL: no endpoint group; the bastion's SSH rule from the VPC is the only one.
        raw = {"allowedCidrs": ["10.11.0.0/16"], "enableBastionSsh": True}
        assert parse(raw, "dev").config.allowed_cidrs == ("10.11.0.0/16",)

    def test_cidrs_that_limit_nothing_are_warned_about(self) -> None:
        regional = parse({"allowedCidrs": ["10.100.0.0/16"]}, "dev")
        assert regional.warnings == (
            "tap:allowedCidrs is set, but it limits only a PRIVATE API's endpoint and the "
            "bastion's SSH: with tap:api.endpointType REGIONAL and no bastion it has no effect (a "
            "REGIONAL API is reached over the internet; use PRIVATE to keep it to networks you "
            "list)",
        )
        raw: dict[str, Any]
        for raw in (
            {"allowedCidrs": ["10.100.0.0/16"], "api": {"endpointType": "PRIVATE"}},
            {"allowedCidrs": ["10.100.0.0/16"], "enableBastionSsh": True},
            {"allowedCidrs": []},
        ):
            assert parse(raw, "dev").warnings == (), raw

    def test_a_source_inside_a_vpc_cidr_is_a_different_rule(self) -> None:
        assert parse({"allowedCidrs": ["10.11.0.0/24"]}, "dev").config.allowed_cidrs

    def test_a_shared_networks_block_is_not_known_offline(self) -> None:
        raw = {"allowedCidrs": ["10.11.0.0/16"], "networkingStackRef": "acme/network/dev"}
        assert parse(raw, "dev").config.allowed_cidrs == ("10.11.0.0/16",)

    def test_bastion_needs_allowed_cidrs(self) -> None:
        assert refuse({"enableBastionSsh": True}) == (
            "tap:allowedCidrs is empty but tap:enableBastionSsh is true; list the CIDRs allowed "
            "to reach SSH (port 22)"
        )

    @pytest.mark.parametrize(
        "cidrs", [["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["10.0.0.0/8", "64.0.0.0/7"]]
    )
    def test_bastion_refuses_the_whole_internet(self, cidrs: list[str]) -> None:
        too_wide = ", ".join(c for c in cidrs if int(c.split("/")[1]) < 8)
        assert refuse({"enableBastionSsh": True, "allowedCidrs": cidrs}) == (
            f"tap:allowedCidrs contains {too_wide} while tap:enableBastionSsh is true; SSH from "
            "the whole internet is never allowed (CIS 5.2), list specific CIDRs of /8 or narrower"
        )

    def test_bastion_takes_a_slash_8(self) -> None:
        raw = {"enableBastionSsh": True, "allowedCidrs": ["10.0.0.0/8"]}
        assert parse(raw, "dev").config.enable_bastion_ssh is True
