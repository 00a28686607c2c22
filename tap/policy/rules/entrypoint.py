"""The global entry point (tap:dns): TLS on the custom domains, and routing that follows health.

None of these has a Security Hub control: they carry this project's own TAP ids.
"""

from __future__ import annotations

from collections.abc import Iterator

from tap.dns import HEALTH_PATH, HTTPS_PORT
from tap.policy.rules.core import PolicyConfig, PolicyResource, RuleBook, is_opaque, is_set
from tap.policy.rules.resource_types import API_DOMAIN_NAME, ROUTE53_HEALTH_CHECK, ROUTE53_RECORD

_book = RuleBook()

# API Gateway's security policies below TLS 1.2 (REST custom domains: TLS_1_0 also accepts 1.0
# and 1.1). An unset policy is refused too: tap always states the one it wants.
_WEAK_TLS_POLICIES = frozenset({"TLS_1_0"})
# Health checks that probe an endpoint (the others read other checks, alarms or controls).
_ENDPOINT_CHECKS = frozenset({"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"})
_HTTPS_CHECKS = frozenset({"HTTPS", "HTTPS_STR_MATCH"})


@_book.resource(
    "apigateway-custom-domain-tls-1-2",
    "TAP.7",
    "API Gateway custom domains state a security policy of TLS 1.2 or later (TLS_1_0 also "
    "accepts TLS 1.0 and 1.1).",
    API_DOMAIN_NAME,
)
def _custom_domain_tls(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    policy = r.props.get("securityPolicy")
    if is_opaque(policy):
        return
    if not is_set(policy) or (isinstance(policy, str) and policy in _WEAK_TLS_POLICIES):
        yield f"{r.name} accepts TLS below 1.2 (securityPolicy {policy or 'unset'}); use TLS_1_2"


@_book.resource(
    "route53-health-check-https-health",
    "TAP.8",
    "Route 53 endpoint health checks probe the API's deep /health over HTTPS on 443 with SNI, "
    "the way clients call it: a TCP or HTTP check passes while the service is down.",
    ROUTE53_HEALTH_CHECK,
)
def _health_check_https(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    props = r.props
    kind = props.get("type")
    if not isinstance(kind, str) or is_opaque(kind) or kind not in _ENDPOINT_CHECKS:
        return
    if kind not in _HTTPS_CHECKS:
        yield f"{r.name} is a {kind} check; use HTTPS on the API's {HEALTH_PATH}"
        return
    port, sni, path = props.get("port"), props.get("enableSni"), props.get("resourcePath")
    if not is_opaque(port) and port != HTTPS_PORT:
        yield f"{r.name} probes port {port}; the API answers HTTPS on {HTTPS_PORT}"
    if not is_opaque(sni) and sni is not True:
        yield f"{r.name} does not send SNI (enableSni); API Gateway serves only with SNI"
    if not is_opaque(path) and path != HEALTH_PATH:
        yield f"{r.name} probes {path or '/'}; use {HEALTH_PATH}, which checks the database"


@_book.resource(
    "route53-routed-records-health-checked",
    "TAP.9",
    "Route 53 records with a routing policy (a set identifier) carry a health check, so an "
    "unhealthy region drops out of the answers.",
    ROUTE53_RECORD,
)
def _routed_records_health_checked(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    props = r.props
    if not is_set(props.get("setIdentifier")):
        return
    if not is_set(props.get("healthCheckId")):
        yield (
            f"{r.name} routes {props.get('name')} ({props.get('setIdentifier')}) without a "
            "health check (healthCheckId): clients keep being sent there while it is down"
        )


RULES = _book.rules
