"""The global entry point, with tap:dns (tap.components.entrypoint), per region:

- its custom domains (the shared name and the region's own) accept TLS 1.2 and later only;
- its health check probes the region's own name's /health over HTTPS on 443 with SNI;
- the record that routes the name to it carries that health check.

Route 53 is global: its reads go to us-east-1, and each result names the region it is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tap import dns
from tap.config import DnsConfig
from tap.verify.context import Context
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.outputs import VerifyError
from tap.verify.replies import UnexpectedReply, items, optional, required

CUSTOM_DOMAIN_TLS = Control(
    "TAP.7",
    "custom-domain-tls",
    f"both custom domains use securityPolicy {dns.TLS_SECURITY_POLICY}",
)
HEALTH_CHECK = Control(
    "TAP.8", "health-check", "HTTPS on 443 with SNI, on the region's own name at /health"
)
ROUTED_RECORD = Control(
    "TAP.9", "routed-record", "the name's record for the region carries its health check"
)
CONTROLS = (CUSTOM_DOMAIN_TLS, HEALTH_CHECK, ROUTED_RECORD)

# Route 53's control plane: its API is global, served from us-east-1.
ROUTE53_REGION = "us-east-1"


def validate_entry_point_outputs(outputs: Mapping[str, Any], regions: Sequence[str]) -> None:
    """With tap:dns set, the outputs must hold the zone and each region's health check id."""
    entry = outputs.get("entryPoint")
    if not isinstance(entry, Mapping):
        raise VerifyError(
            "missing key entryPoint: the stack file sets tap:dns, but the outputs have no entry "
            "point; run `pulumi up` first, or pass the outputs of this stack"
        )
    if not isinstance(entry.get("zoneId"), str):
        raise VerifyError("entryPoint.zoneId must be a string")
    checks = entry.get("healthCheckIds")
    for region in regions:
        if not isinstance(checks, Mapping) or not isinstance(checks.get(region), str):
            raise VerifyError(f"entryPoint.healthCheckIds.{region} must be a string")


def check(ctx: Context, region: str) -> list[CheckResult]:
    settings = ctx.config.dns
    if settings is None:
        return []
    check_id = str(ctx.outputs["entryPoint"]["healthCheckIds"][region])
    return [
        *_custom_domains(ctx, region, settings.domain_name),
        _health_check(ctx, region, settings.domain_name, check_id),
        _routed_record(ctx, region, settings, check_id),
    ]


def _custom_domains(ctx: Context, region: str, domain_name: str) -> list[CheckResult]:
    def policy(reply: Mapping[str, Any]) -> str:
        return optional(reply, "securityPolicy", str) or "unset"

    return [
        CUSTOM_DOMAIN_TLS.evaluate(
            region,
            name,
            dns.TLS_SECURITY_POLICY,
            ctx.read("apigateway", region, "get_domain_name", domainName=name),
            policy,
        )
        for name in (domain_name, dns.regional_domain_name(domain_name, region))
    ]


def _health_check(ctx: Context, region: str, domain_name: str, check_id: str) -> CheckResult:
    host, path = dns.health_check_target(domain_name, region)
    settings = dns.HEALTH_CHECK
    expected = f"{settings.protocol} {host}:{settings.port}{path} SNI"

    def probe(reply: Mapping[str, Any]) -> str:
        config = required(required(reply, "HealthCheck", dict), "HealthCheckConfig", dict)
        kind = optional(config, "Type", str) or "?"
        target = f"{optional(config, 'FullyQualifiedDomainName', str) or '?'}"
        port = optional(config, "Port", int)
        resource_path = optional(config, "ResourcePath", str) or "/"
        sni = " SNI" if optional(config, "EnableSNI", bool) else ""
        return f"{kind} {target}:{port}{resource_path}{sni}"

    reply = ctx.read("route53", ROUTE53_REGION, "get_health_check", HealthCheckId=check_id)
    return HEALTH_CHECK.evaluate(region, check_id, expected, reply, probe)


def _routed_record(ctx: Context, region: str, settings: DnsConfig, check_id: str) -> CheckResult:
    (spec,) = [
        record
        for record in dns.routed_records(
            routing=settings.routing,
            domain_name=settings.domain_name,
            regions=ctx.config.regions,
            primary_region=ctx.config.primary_region,
        )
        if record.target_region == region
    ]
    resource = f"{spec.name} ({spec.set_identifier})"
    expected = f"healthCheckId {check_id}"
    reply = ctx.read(
        "route53",
        ROUTE53_REGION,
        "list_resource_record_sets",
        # The deployed zone, as for every other resource verify reads: from the outputs.
        HostedZoneId=str(ctx.outputs["entryPoint"]["zoneId"]),
        StartRecordName=spec.name,
        StartRecordType=dns.RECORD_TYPE,
        # The name's A records come first and together: one per region at most.
        MaxItems="100",
    )
    if isinstance(reply, Failure):
        return ROUTED_RECORD.unread(region, resource, expected, reply)
    try:
        records = items(reply, "ResourceRecordSets", dict)
    except UnexpectedReply as error:
        return ROUTED_RECORD.unread(region, resource, expected, Failure.unexpected(error))
    found = [
        record
        for record in records
        if dns.normalize_zone_name(str(record.get("Name", ""))) == spec.name
        and record.get("Type") == dns.RECORD_TYPE
        and record.get("SetIdentifier") == spec.set_identifier
    ]
    if not found:
        return ROUTED_RECORD.unread(region, resource, expected, Failure("fail", "not found"))
    actual = f"healthCheckId {optional(found[0], 'HealthCheckId', str) or 'none'}"
    return ROUTED_RECORD.judge(region, resource, expected, actual)
