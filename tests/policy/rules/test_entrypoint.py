"""Entry point rules: TLS 1.2 on custom domains, HTTPS /health checks, health-checked routing."""

from __future__ import annotations

from typing import Any

import pytest

from tap.policy.rules import UNKNOWN, PolicyResource, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import Case, messages, res, urn

CHECK: dict[str, Any] = {"type": "HTTPS", "port": 443, "enableSni": True, "resourcePath": "/health"}


def record(**props: Any) -> PolicyResource:
    """A Route 53 record (its `name` prop is the DNS name, which `res` takes as the resource's)."""
    name = "tap-test-gbl-record-latency-use1"
    return PolicyResource(
        urn=urn(r.ROUTE53_RECORD, name), type=r.ROUTE53_RECORD, name=name, props=props
    )


# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "apigateway-custom-domain-tls-1-2": Case(
        [res(r.API_DOMAIN_NAME, securityPolicy="TLS_1_0")],
        "accepts TLS below 1.2 (securityPolicy TLS_1_0)",
    ),
    "route53-health-check-https-health": Case(
        [res(r.ROUTE53_HEALTH_CHECK, **{**CHECK, "type": "TCP"})],
        "is a TCP check; use HTTPS on the API's /health",
    ),
    "route53-routed-records-health-checked": Case(
        [record(name="api.example.com", setIdentifier="us-east-1")],
        "routes api.example.com (us-east-1) without a health check",
    ),
}

# The crafted record lacks healthCheckId; making its other props unknown does not supply it.
FLAG_ON_ABSENCE: set[str] = {"route53-routed-records-health-checked"}


def test_tls_1_2_passes_and_an_unset_policy_does_not() -> None:
    rule = rule_named("apigateway-custom-domain-tls-1-2")
    assert messages(rule, [res(r.API_DOMAIN_NAME, securityPolicy="TLS_1_2")]) == []
    assert messages(rule, [res(r.API_DOMAIN_NAME, securityPolicy=UNKNOWN)]) == []
    assert messages(rule, [res(r.API_DOMAIN_NAME)]) == [
        "tap-test-use1-x accepts TLS below 1.2 (securityPolicy unset); use TLS_1_2"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "HTTP"}, "is a HTTP check"),
        ({"port": 8443}, "probes port 8443; the API answers HTTPS on 443"),
        ({"enableSni": False}, "does not send SNI"),
        ({"resourcePath": "/"}, "probes /; use /health"),
        ({"resourcePath": "/v1/records"}, "probes /v1/records; use /health"),
    ],
)
def test_endpoint_checks_must_be_https_443_sni_on_health(
    change: dict[str, object], message: str
) -> None:
    rule = rule_named("route53-health-check-https-health")
    assert messages(rule, [res(r.ROUTE53_HEALTH_CHECK, **CHECK)]) == []
    (found,) = messages(rule, [res(r.ROUTE53_HEALTH_CHECK, **{**CHECK, **change})])
    assert message in found


def test_calculated_checks_probe_nothing_and_pass() -> None:
    rule = rule_named("route53-health-check-https-health")
    calculated = res(r.ROUTE53_HEALTH_CHECK, type="CALCULATED", childHealthThreshold=1)
    assert messages(rule, [calculated]) == []


def test_plain_records_need_no_health_check_and_routed_ones_do() -> None:
    rule = rule_named("route53-routed-records-health-checked")
    assert messages(rule, [record(name="us-east-1.api.example.com")]) == []
    routed = record(name="api.example.com", setIdentifier="us-east-1", healthCheckId="hc-1")
    assert messages(rule, [routed]) == []
    unknown = record(name="api.example.com", setIdentifier="us-east-1", healthCheckId=UNKNOWN)
    assert messages(rule, [unknown]) == []
