"""`tap:dns`: optional; zone id, name and routing checked once, each error naming its key."""

from __future__ import annotations

from typing import Any

import pytest

from tap.config import parse
from tests.config.common import refuse

ZONE_ID = "Z0123456789ABCDEFGHIJ"
DNS = {"zoneId": ZONE_ID, "domainName": "api.example.com"}


def with_dns(**overrides: Any) -> dict[str, Any]:
    return {"dns": {**DNS, **overrides}}


def test_without_dns_there_is_no_entry_point() -> None:
    for stack in ("dev", "staging", "prod"):
        assert parse({}, stack).config.dns is None


def test_dns_defaults_to_latency_routing() -> None:
    dns = parse(with_dns(), "prod").config.dns
    assert dns is not None
    assert (dns.zone_id, dns.domain_name, dns.routing) == (ZONE_ID, "api.example.com", "latency")


def test_failover_routing_is_accepted_with_a_global_database() -> None:
    config = parse(with_dns(routing="failover"), "prod").config
    assert config.dns is not None and config.dns.routing == "failover"
    assert config.data_regions == config.regions


def test_without_a_global_database_only_the_primary_has_a_data_path() -> None:
    config = parse({**with_dns(), "primaryRegion": "us-west-2"}, "dev").config
    assert config.regions == ("us-east-1", "us-west-2")
    assert config.data_regions == ("us-west-2",)
    message = refuse(with_dns(routing="failover"), "dev")
    assert message.startswith("tap:dns.routing failover needs at least two regions")
    assert "only to regions whose API has a database" in message


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            with_dns(zoneId="/hostedzone/Z0123"),
            "tap:dns.zoneId '/hostedzone/Z0123' carries the API's '/hostedzone/' prefix; "
            "write the id alone ('Z0123')",
        ),
        (with_dns(zoneId="example.com"), "tap:dns.zoneId 'example.com' is not a Route 53 hosted"),
        (
            with_dns(domainName="API.example.com"),
            "tap:dns.domainName 'API.example.com': write the name in lower case",
        ),
        (with_dns(domainName="api.example.com."), "tap:dns.domainName 'api.example.com.': write"),
        (with_dns(domainName="*.example.com"), "tap:dns.domainName '*.example.com' is a wildcard"),
        (with_dns(domainName="localhost"), "tap:dns.domainName 'localhost' is a single label"),
        (
            with_dns(routing="weighted"),
            "tap:dns.routing 'weighted' is not allowed; use one of latency or failover",
        ),
        ({"dns": {"zoneId": ZONE_ID}}, "tap:dns.domainName is required"),
        ({"dns": {"domainName": "api.example.com"}}, "tap:dns.zoneId is required"),
        (with_dns(routng="latency"), "tap:dns.routng is not a known key (did you mean"),
        ({"dns": "api.example.com"}, "tap:dns must be a map"),
        (with_dns(zoneId=123), "tap:dns.zoneId must be a string"),
    ],
)
def test_bad_values_are_refused_naming_the_key(raw: dict[str, Any], message: str) -> None:
    assert message in refuse(raw, "prod")


def test_a_private_api_cannot_sit_behind_the_entry_point() -> None:
    message = refuse({**with_dns(), "api": {"endpointType": "PRIVATE"}}, "staging")
    assert message.startswith("tap:dns is set, but tap:api.endpointType is PRIVATE")
    assert "use REGIONAL, or remove tap:dns" in message


def test_failover_in_one_region_is_refused_naming_routing() -> None:
    message = refuse({**with_dns(routing="failover"), "regions": ["us-east-1"]}, "dev")
    assert message.startswith("tap:dns.routing failover needs at least two regions")
    assert parse({**with_dns(), "regions": ["us-east-1"]}, "dev").config.dns is not None
