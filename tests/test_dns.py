"""tap.dns: the entry point's values, names, health check and record layout (pure)."""

from __future__ import annotations

import pytest

from tap.dns import (
    FAILOVER_SECONDARY_LABEL,
    HEALTH_CHECK,
    ROUTING_MODES,
    SECONDARIES,
    HealthCheckSettings,
    check_domain_in_zone,
    check_endpoint_type,
    check_hosted_zone,
    check_public_zone,
    check_regions,
    failover_secondary_name,
    health_check_target,
    regional_domain_name,
    routed_records,
    validate_domain_name,
    validate_health_check_settings,
    validate_host_name,
    validate_routing,
    validate_zone_id,
)
from tap.limits import ACM_COMMON_NAME_MAX_LENGTH, DNS_NAME_MAX_LENGTH

REGIONS = ("us-east-1", "us-west-2", "eu-central-1")


# --- zone id -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone_id", ["Z1D633PJN98FT9", "Z0123456789ABCDEFGHIJ", "ZLY8HYME6SFDD", "Z" + "A" * 31]
)
def test_route53_zone_ids_pass(zone_id: str) -> None:
    assert validate_zone_id(zone_id) == zone_id


@pytest.mark.parametrize(
    ("zone_id", "message"),
    [
        ("/hostedzone/Z1D633PJN98FT9", "write the id alone ('Z1D633PJN98FT9')"),
        ("z1d633pjn98ft9", "upper-case Z"),
        ("Z" + "A" * 32, "at most 32 characters"),
        ("example.com", "not a Route 53 hosted zone id"),
        ("Z", "not a Route 53 hosted zone id"),
        ("Z1D633PJN98FT9\n", "not a Route 53 hosted zone id"),
        ("", "not a Route 53 hosted zone id"),
    ],
)
def test_bad_zone_ids_are_refused_with_what_to_write(zone_id: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_zone_id(zone_id)
    assert message in str(caught.value)


# --- domain name ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "domain",
    [
        "api.example.com",
        "example.com",
        "a.b.c.example.co.uk",
        "1api.example.com",
        "xn--bcher-kva.example.com",
        "api-prod.example.com",
        ("a" * 60) + ".com",
    ],
)
def test_host_names_a_certificate_can_carry_pass(domain: str) -> None:
    assert validate_domain_name(domain) == domain


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("api.example.com.", "without the trailing dot"),
        ("Api.Example.com", "lower case ('api.example.com')"),
        ("*.example.com", "wildcard"),
        (" api.example.com", "leading or trailing spaces"),
        ("api.example.com\n", "leading or trailing spaces"),
        (("a" * 61) + ".com", "at most 64"),
        ("localhost", "single label"),
        ("api..example.com", "empty label"),
        (".example.com", "empty label"),
        ("api_v1.example.com", "only a-z, 0-9 and inner hyphens"),
        ("-api.example.com", "only a-z, 0-9 and inner hyphens"),
        ("api-.example.com", "only a-z, 0-9 and inner hyphens"),
        ("bücher.example.com", "xn-- form"),
        ("ab--cd.example.com", "third and fourth places"),
        ("xn--zz.example.com", "third and fourth places"),
        ("api.example.123", "numeric label"),
    ],
)
def test_bad_domain_names_are_refused_with_the_reason(domain: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_domain_name(domain)
    assert message in str(caught.value)


def test_the_common_name_limit_is_acms_64_octets() -> None:
    longest = ("a" * (ACM_COMMON_NAME_MAX_LENGTH - 4)) + ".com"
    assert len(longest) == ACM_COMMON_NAME_MAX_LENGTH
    assert validate_domain_name(longest) == longest
    with pytest.raises(ValueError, match="65 characters"):
        validate_domain_name("a" + longest)


def test_host_names_hold_dns_label_and_name_limits() -> None:
    label = "a" * 63
    assert validate_host_name(f"{label}.com") == f"{label}.com"
    with pytest.raises(ValueError, match="64 characters; a DNS label has at most 63"):
        validate_host_name(f"{label}a.com")
    longest = ".".join([label, label, label, "a" * 61])
    assert len(longest) == DNS_NAME_MAX_LENGTH
    assert validate_host_name(longest) == longest
    with pytest.raises(ValueError, match="254 characters; a DNS name has at most 253"):
        validate_host_name("a" + longest)


# --- routing, zone, endpoint type, regions -------------------------------------------------------


@pytest.mark.parametrize("mode", ROUTING_MODES)
def test_routing_modes_pass(mode: str) -> None:
    assert validate_routing(mode) == mode


@pytest.mark.parametrize("mode", ["Latency", "weighted", "", "failover "])
def test_other_routing_values_are_refused_with_both_modes_named(mode: str) -> None:
    with pytest.raises(ValueError, match=r"use latency .* or failover"):
        validate_routing(mode)


@pytest.mark.parametrize(
    ("domain", "zone"),
    [
        ("api.example.com", "example.com"),
        ("api.example.com", "example.com."),
        ("api.example.com", "EXAMPLE.com."),
        ("example.com", "example.com"),
        ("a.b.example.com", "b.example.com"),
    ],
)
def test_names_at_or_below_the_zone_apex_are_inside_it(domain: str, zone: str) -> None:
    check_domain_in_zone(domain, zone)


@pytest.mark.parametrize(
    ("domain", "zone"),
    [
        ("api.example.org", "example.com"),
        ("api.badexample.com", "example.com"),
        ("example.com", "api.example.com"),
    ],
)
def test_names_outside_the_zone_are_refused_naming_the_zone(domain: str, zone: str) -> None:
    with pytest.raises(ValueError, match=f"not inside the hosted zone '{zone}'"):
        check_domain_in_zone(domain, zone)


def test_a_private_zone_is_refused() -> None:
    check_public_zone("example.com.", private=False)
    with pytest.raises(ValueError, match=r"'example\.com' is private; .* public zone"):
        check_public_zone("example.com.", private=True)


def test_the_looked_up_zone_must_be_public_and_hold_the_name_naming_the_key() -> None:
    zone = "Z0123456789ABCDEFGHIJ"
    assert (
        check_hosted_zone(
            domain_name="api.example.com", zone_id=zone, zone_name="example.com.", private=False
        )
        == zone
    )
    with pytest.raises(ValueError) as caught:
        check_hosted_zone(
            domain_name="api.example.org", zone_id=zone, zone_name="example.com.", private=False
        )
    assert str(caught.value).startswith("tap:dns.domainName 'api.example.org' is not inside")
    assert str(caught.value).endswith(f"(tap:dns.zoneId {zone})")
    with pytest.raises(ValueError) as caught:
        check_hosted_zone(
            domain_name="api.example.com", zone_id=zone, zone_name="example.com.", private=True
        )
    assert str(caught.value).startswith(f"tap:dns.zoneId {zone}: the hosted zone 'example.com'")


def test_only_regional_apis_can_sit_behind_the_entry_point() -> None:
    check_endpoint_type("REGIONAL")
    with pytest.raises(ValueError, match=r"PRIVATE: .* REGIONAL APIs"):
        check_endpoint_type("PRIVATE")


def test_failover_needs_a_second_region_and_latency_does_not() -> None:
    check_regions("latency", ["us-east-1"])
    check_regions("failover", ["us-east-1", "us-west-2"])
    with pytest.raises(ValueError, match="failover needs at least two regions"):
        check_regions("failover", ["us-east-1"])


@pytest.mark.parametrize(
    ("regions", "message"),
    [
        ([], "at least one region"),
        (["us-east-1", "us-east-1"], "distinct"),
        (["ap-south-1"], "no region code"),
    ],
)
def test_bad_region_lists_are_refused(regions: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_regions("latency", regions)


# --- names and the health check ------------------------------------------------------------------


def test_each_region_has_its_own_name_under_the_entry_point() -> None:
    assert regional_domain_name("api.example.com", "us-west-2") == "us-west-2.api.example.com"
    assert failover_secondary_name("api.example.com") == (
        f"{FAILOVER_SECONDARY_LABEL}.api.example.com"
    )


def test_the_health_check_probes_the_regions_own_name_at_health() -> None:
    assert health_check_target("api.example.com", "eu-central-1") == (
        "eu-central-1.api.example.com",
        "/health",
    )


def test_the_health_check_settings_are_https_30_s_3_failures() -> None:
    assert validate_health_check_settings(HEALTH_CHECK) == HEALTH_CHECK
    assert (HEALTH_CHECK.protocol, HEALTH_CHECK.port, HEALTH_CHECK.enable_sni) == (
        "HTTPS",
        443,
        True,
    )
    assert (HEALTH_CHECK.request_interval, HEALTH_CHECK.failure_threshold) == (30, 3)
    assert HEALTH_CHECK.worst_case_detection_seconds == 108


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (HealthCheckSettings(request_interval=20), "one of (10, 30)"),
        (HealthCheckSettings(failure_threshold=0), "1-10"),
        (HealthCheckSettings(failure_threshold=11), "1-10"),
        (HealthCheckSettings(protocol="HTTP"), "HTTPS on 443 with SNI"),
        (HealthCheckSettings(enable_sni=False), "HTTPS on 443 with SNI"),
    ],
)
def test_settings_route53_refuses_are_refused(settings: HealthCheckSettings, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_health_check_settings(settings)
    assert message in str(caught.value)


# --- records ------------------------------------------------------------------------------------


def test_latency_routing_is_one_record_per_region_with_its_own_check() -> None:
    records = routed_records(
        routing="latency",
        domain_name="api.example.com",
        regions=REGIONS,
        primary_region="us-east-1",
    )
    assert [(r.key, r.name, r.set_identifier, r.latency_region) for r in records] == [
        ("latency-use1", "api.example.com", "us-east-1", "us-east-1"),
        ("latency-usw2", "api.example.com", "us-west-2", "us-west-2"),
        ("latency-euc1", "api.example.com", "eu-central-1", "eu-central-1"),
    ]
    for record in records:
        assert record.health_check == record.target_region == record.latency_region
        assert record.failover is None and record.target_name is None


def test_failover_is_the_primary_then_a_latency_set_of_the_others() -> None:
    records = routed_records(
        routing="failover",
        domain_name="api.example.com",
        regions=REGIONS,
        primary_region="us-west-2",
    )
    by_key = {r.key: r for r in records}
    assert list(by_key) == [
        "failover-primary",
        "failover-secondary",
        "secondary-use1",
        "secondary-euc1",
    ]
    primary, secondary = by_key["failover-primary"], by_key["failover-secondary"]
    assert (primary.name, primary.failover, primary.target_region, primary.health_check) == (
        "api.example.com",
        "PRIMARY",
        "us-west-2",
        "us-west-2",
    )
    secondary_name = f"{FAILOVER_SECONDARY_LABEL}.api.example.com"
    assert (secondary.name, secondary.failover, secondary.target_name) == (
        "api.example.com",
        "SECONDARY",
        secondary_name,
    )
    assert secondary.health_check == SECONDARIES
    others = [by_key["secondary-use1"], by_key["secondary-euc1"]]
    assert {r.name for r in others} == {secondary_name}
    assert [(r.latency_region, r.health_check) for r in others] == [
        ("us-east-1", "us-east-1"),
        ("eu-central-1", "eu-central-1"),
    ]
    # A name carries one routing policy: the primary region never hides in the secondary set.
    assert all(r.target_region != "us-west-2" for r in others)


@pytest.mark.parametrize("routing", ROUTING_MODES)
def test_every_routed_record_carries_a_health_check(routing: str) -> None:
    records = routed_records(
        routing=routing,  # type: ignore[arg-type]
        domain_name="api.example.com",
        regions=REGIONS[:2],
        primary_region="us-east-1",
    )
    assert records
    assert all(r.health_check for r in records)
    assert all((r.target_region is None) != (r.target_name is None) for r in records)


def test_the_primary_must_be_one_of_the_regions() -> None:
    with pytest.raises(ValueError, match="primary region eu-central-1 is not one of"):
        routed_records(
            routing="failover",
            domain_name="api.example.com",
            regions=REGIONS[:2],
            primary_region="eu-central-1",
        )
