"""The global entry point's rules and shape (pure): `tap:dns` values, names, health checks, records.

One name (`tap:dns.domainName`) in one Route 53 public hosted zone (`tap:dns.zoneId`) routes
clients to the regions whose deep `/health` answers. Everything here is plain Python, so the
config model, the components (tap.components.entrypoint), the policy rules and the docs share
one definition, and the tests exercise it without Pulumi.

Each validator raises ValueError with a message that does not name the key: the config layer
prefixes the key (`tap:dns.domainName ...`), so the same check serves config, components and
tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from tap.limits import (
    ACM_COMMON_NAME_MAX_LENGTH,
    DNS_LABEL_MAX_LENGTH,
    DNS_NAME_MAX_LENGTH,
    ROUTE53_HEALTH_CHECK_INTERVALS,
    ROUTE53_HEALTH_CHECK_MAX_FAILURE_THRESHOLD,
    ROUTE53_HEALTH_CHECK_MIN_FAILURE_THRESHOLD,
    ROUTE53_ZONE_ID_MAX_LENGTH,
)
from tap.naming import region_code

Routing = Literal["latency", "failover"]
ROUTING_MODES: tuple[Routing, ...] = get_args(Routing)
DEFAULT_ROUTING: Routing = "latency"

# --- formats --------------------------------------------------------------------------------------

# What GetHostedZone returns in `Id`, and what people copy from it.
ROUTE53_ZONE_ID_PREFIX = "/hostedzone/"

_ZONE_ID = re.compile(rf"Z[A-Z0-9]{{1,{ROUTE53_ZONE_ID_MAX_LENGTH - 1}}}")
# A host name label (RFC 1035 2.3.1 as relaxed by RFC 1123 2.1: a leading digit is allowed):
# letters, digits and inner hyphens. ACM refuses anything else in a public certificate.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
# RFC 5891 4.2.3.1: hyphens in the third and fourth positions are reserved for A-labels (xn--);
# ACM refuses "<character><character>--" names that are not valid internationalized names.
_RESERVED_HYPHENS = re.compile(r"..--")
_A_LABEL_PREFIX = "xn--"

# --- the health check --------------------------------------------------------------------------

HTTPS_PORT = 443
HEALTH_PATH = "/health"


@dataclass(frozen=True)
class HealthCheckSettings:
    """How Route 53 probes one region's `/health`.

    30 s and 3 failures (Route 53's standard interval and default threshold):
    - Each check runs from "a dozen or so" checker locations (AWS News Blog, "Route 53 Health
      Check Improvements"), so 30 s means 20-25 requests a minute on `/health`, about a million a
      month per region; 10 s triples that ("60 to 70 checks per minute") and costs an optional
      feature more per check, for about a minute sooner.
    - A checker calls the region unhealthy after 3 consecutive failures, so one slow cold start
      or one lost packet at one checker moves nothing; Route 53 calls the region unhealthy once
      18% of checkers or fewer report it healthy. Worst case from the failure to the record
      dropping out: 3 x (30 s + the 6 s a failing request may take) = 108 s.
    - HTTPS with SNI: API Gateway serves only with SNI, and the checker must send the API's own
      host name. A 2xx or 3xx within 2 s after connecting (4 s to connect) is healthy; `/health`
      answers 503 when the region cannot serve.
    """

    request_interval: int = 30
    failure_threshold: int = 3
    protocol: str = "HTTPS"
    port: int = HTTPS_PORT
    enable_sni: bool = True

    @property
    def worst_case_detection_seconds(self) -> int:
        # Route 53: connect within 4 s, then a status within 2 s; every failure can take both.
        return self.failure_threshold * (self.request_interval + 4 + 2)


HEALTH_CHECK = HealthCheckSettings()


def validate_health_check_settings(settings: HealthCheckSettings) -> HealthCheckSettings:
    if settings.request_interval not in ROUTE53_HEALTH_CHECK_INTERVALS:
        raise ValueError(
            f"health check request_interval must be one of {ROUTE53_HEALTH_CHECK_INTERVALS} s "
            f"(Route 53 offers no other), got {settings.request_interval}"
        )
    threshold = settings.failure_threshold
    low, high = (
        ROUTE53_HEALTH_CHECK_MIN_FAILURE_THRESHOLD,
        ROUTE53_HEALTH_CHECK_MAX_FAILURE_THRESHOLD,
    )
    if not low <= threshold <= high:
        raise ValueError(f"health check failure_threshold must be {low}-{high}, got {threshold}")
    if settings.protocol != "HTTPS" or settings.port != HTTPS_PORT or not settings.enable_sni:
        raise ValueError(
            "the entry point checks /health over HTTPS on 443 with SNI, as clients call"
        )
    return settings


def health_check_target(domain_name: str, region: str) -> tuple[str, str]:
    """(host, path) one region's health check probes: `https://us-west-2.<name>/health`.

    The region's own name, not the shared one: the shared name resolves to whichever region
    Route 53 picks, so a check on it would say nothing about one region. The own name is a
    custom domain of that region alone, with the same certificate, the same kind of mapping
    (the stage at the root) and the same stage as the shared name there, so the check follows
    the path clients take, down to the database (`/health` answers 503 without it).
    """
    return regional_domain_name(domain_name, region), HEALTH_PATH


# --- validation --------------------------------------------------------------------------------


def validate_zone_id(value: str) -> str:
    """A Route 53 hosted zone id, as the API takes it (Z0123456789ABCDEFGHIJ)."""
    if value.startswith(ROUTE53_ZONE_ID_PREFIX):
        raise ValueError(
            f"{value!r} carries the API's {ROUTE53_ZONE_ID_PREFIX!r} prefix; write the id alone "
            f"({value.removeprefix(ROUTE53_ZONE_ID_PREFIX)!r})"
        )
    if _ZONE_ID.fullmatch(value) is None:
        raise ValueError(
            f"{value!r} is not a Route 53 hosted zone id: an upper-case Z followed by upper-case "
            f"letters and digits, at most {ROUTE53_ZONE_ID_MAX_LENGTH} characters in all "
            "(`aws route53 list-hosted-zones` shows it)"
        )
    return value


def validate_domain_name(value: str) -> str:
    """The entry point's name: one lower-case host name a public certificate can carry."""
    if value != value.strip():
        raise ValueError(f"{value!r} has leading or trailing spaces")
    if value.endswith("."):
        raise ValueError(f"{value!r}: write the name without the trailing dot")
    if "*" in value:
        raise ValueError(
            f"{value!r} is a wildcard; the entry point is one name that clients resolve"
        )
    if value != value.lower():
        # Route 53 and API Gateway keep names in lower case: a mixed-case name would show as a
        # change on every deployment.
        raise ValueError(f"{value!r}: write the name in lower case ({value.lower()!r})")
    if len(value) > ACM_COMMON_NAME_MAX_LENGTH:
        raise ValueError(
            f"{value!r} is {len(value)} characters; ACM puts it in the certificate's common name, "
            f"which holds at most {ACM_COMMON_NAME_MAX_LENGTH} (RFC 5280)"
        )
    return validate_host_name(value)


def validate_host_name(value: str) -> str:
    if len(value) > DNS_NAME_MAX_LENGTH:
        raise ValueError(
            f"{value!r} is {len(value)} characters; a DNS name has at most {DNS_NAME_MAX_LENGTH}"
        )
    labels = value.split(".")
    if len(labels) < 2:
        raise ValueError(
            f"{value!r} is a single label; use a name inside your zone, like api.example.com"
        )
    for label in labels:
        if not label:
            raise ValueError(f"{value!r} has an empty label (two dots in a row, or a leading dot)")
        if len(label) > DNS_LABEL_MAX_LENGTH:
            raise ValueError(
                f"{value!r}: the label {label[:20]!r}... is {len(label)} characters; a DNS label "
                f"has at most {DNS_LABEL_MAX_LENGTH}"
            )
        if _LABEL.fullmatch(label) is None:
            raise ValueError(
                f"{value!r}: the label {label!r} may hold only a-z, 0-9 and inner hyphens "
                "(write an internationalized name in its xn-- form)"
            )
        if _RESERVED_HYPHENS.match(label) and not _is_a_label(label):
            raise ValueError(
                f"{value!r}: the label {label!r} has hyphens in its third and fourth places, "
                "which only a valid xn-- (punycode) label may have"
            )
    if labels[-1].isdigit():
        raise ValueError(f"{value!r} ends in a numeric label; no top-level domain is numeric")
    return value


def _is_a_label(label: str) -> bool:
    if not label.startswith(_A_LABEL_PREFIX):
        return False
    try:
        label.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return True


def validate_routing(value: str) -> Routing:
    for mode in ROUTING_MODES:
        if value == mode:
            return mode
    raise ValueError(
        f"{value!r} is not a routing mode; use latency (every healthy region serves its nearest "
        "clients) or failover (the primary region, then the others)"
    )


def normalize_zone_name(name: str) -> str:
    """Route 53 returns zone names with or without the root's trailing dot, in lower case."""
    return name.rstrip(".").lower()


def check_domain_in_zone(domain_name: str, zone_name: str) -> None:
    """The name must be the zone's apex or below it: Route 53 refuses records outside a zone."""
    zone = normalize_zone_name(zone_name)
    if domain_name != zone and not domain_name.endswith("." + zone):
        raise ValueError(
            f"{domain_name!r} is not inside the hosted zone {zone!r}; use {zone!r} or a name "
            f"ending in '.{zone}', or the id of the zone that holds {domain_name!r}"
        )


def check_public_zone(zone_name: str, *, private: bool) -> None:
    if private:
        raise ValueError(
            f"the hosted zone {normalize_zone_name(zone_name)!r} is private; the entry point needs "
            "a public zone (clients, ACM's validation and Route 53's health checkers resolve the "
            "name from the internet)"
        )


def check_endpoint_type(endpoint_type: str) -> None:
    """A PRIVATE API cannot sit behind the entry point.

    It has no public host name: Route 53's health checkers (on the internet) cannot reach its
    `/health`, and a public record cannot route to it. Routing on anything else (a canary inside
    each VPC publishing a metric) would not be the check of what clients reach.
    """
    if endpoint_type != "REGIONAL":
        raise ValueError(
            f"the API is {endpoint_type}: the global entry point routes public clients on Route 53 "
            "health checks, which reach only REGIONAL APIs (a PRIVATE API has no public host name)"
        )


def check_regions(routing: Routing, regions: Sequence[str]) -> None:
    if not regions:
        raise ValueError("the entry point needs at least one region with an API")
    if len(set(regions)) != len(regions):
        raise ValueError(f"regions must be distinct, got {list(regions)}")
    for region in regions:
        region_code(region)  # a known region: it names records and resources
    if routing == "failover" and len(regions) < 2:
        raise ValueError(
            f"failover needs at least two regions (the primary, then the others); this "
            f"stack has {', '.join(regions)}; use latency, or add a region"
        )


# The config keys a deploy-time error names (tap.config's `dns` section defines them).
ZONE_ID_KEY = "tap:dns.zoneId"
DOMAIN_NAME_KEY = "tap:dns.domainName"


def check_hosted_zone(*, domain_name: str, zone_id: str, zone_name: str, private: bool) -> str:
    """The zone `zone_id` turned out to be (GetHostedZone) must be public and hold the name.

    Only the account knows a zone's name, so this runs at `pulumi preview`, before anything
    is created; returns the zone id for the records to use.
    """
    try:
        check_public_zone(zone_name, private=private)
    except ValueError as exc:
        raise ValueError(f"{ZONE_ID_KEY} {zone_id}: {exc}") from None
    try:
        check_domain_in_zone(domain_name, zone_name)
    except ValueError as exc:
        raise ValueError(f"{DOMAIN_NAME_KEY} {exc} ({ZONE_ID_KEY} {zone_id})") from None
    return zone_id


# --- what the entry point's resources state ------------------------------------------------------

# API Gateway's custom domains: TLS 1.2 at least (TLS_1_0 also accepts 1.0 and 1.1).
TLS_SECURITY_POLICY = "TLS_1_2"
# The routed records and the regions' own names: IPv4 aliases of the regional custom domains.
RECORD_TYPE = "A"


# --- names ---------------------------------------------------------------------------------------

# The failover SECONDARY points at a latency-routed set of the other regions under this label.
# Clients never use it: the certificate does not cover it, so TLS to it fails by design.
FAILOVER_SECONDARY_LABEL = "tap-secondaries"


def regional_domain_name(domain_name: str, region: str) -> str:
    """`us-west-2.api.example.com`: one region's own name, to reach that region whatever its
    health (operators, tests). A Subject Alternative Name on that region's certificate."""
    return validate_host_name(f"{region}.{domain_name}")


def failover_secondary_name(domain_name: str) -> str:
    return validate_host_name(f"{FAILOVER_SECONDARY_LABEL}.{domain_name}")


def url(host: str) -> str:
    return f"https://{host}"


# --- records -----------------------------------------------------------------------------------

# The health-check key of the failover SECONDARY: a calculated check that is healthy while any
# of the other regions is.
SECONDARIES = "secondaries"


@dataclass(frozen=True)
class RoutedRecord:
    """One alias record with a routing policy, before it becomes a resource.

    It points either at a region's custom domain (`target_region`) or at another record name in
    the same zone (`target_name`), and carries the health check `health_check` (a region, or
    SECONDARIES), so it drops out while that check is unhealthy.
    """

    key: str
    name: str
    set_identifier: str
    health_check: str
    latency_region: str | None = None
    failover: Literal["PRIMARY", "SECONDARY"] | None = None
    target_region: str | None = None
    target_name: str | None = None


def routed_records(
    *, routing: Routing, domain_name: str, regions: Sequence[str], primary_region: str
) -> tuple[RoutedRecord, ...]:
    """The records that route `domain_name`, in a stable order.

    latency: one latency record per region, each with its region's health check; Route 53
    answers with the healthy region nearest the client's resolver.

    failover: Route 53 takes one PRIMARY and one SECONDARY per name, so "the primary, then the
    others" is two levels. PRIMARY aliases the primary region (its health check). SECONDARY
    aliases `tap-secondaries.<domain>`, a latency-routed set of the other regions (each with its
    own check), and carries a calculated check that is healthy while any of them is. When the
    primary is unhealthy, clients get the nearest healthy other region.
    """
    check_regions(routing, regions)
    if primary_region not in regions:
        raise ValueError(f"primary region {primary_region} is not one of {list(regions)}")
    if routing == "latency":
        return tuple(_latency_record(domain_name, region, "latency") for region in regions)
    secondary_name = failover_secondary_name(domain_name)
    others = [region for region in regions if region != primary_region]
    return (
        RoutedRecord(
            key="failover-primary",
            name=domain_name,
            set_identifier="primary",
            health_check=primary_region,
            failover="PRIMARY",
            target_region=primary_region,
        ),
        RoutedRecord(
            key="failover-secondary",
            name=domain_name,
            set_identifier="secondary",
            health_check=SECONDARIES,
            failover="SECONDARY",
            target_name=secondary_name,
        ),
        *(_latency_record(secondary_name, region, "secondary") for region in others),
    )


def _latency_record(name: str, region: str, prefix: str) -> RoutedRecord:
    return RoutedRecord(
        key=f"{prefix}-{region_code(region)}",
        name=name,
        set_identifier=region,
        health_check=region,
        latency_region=region,
        target_region=region,
    )
