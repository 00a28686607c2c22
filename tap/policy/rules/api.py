"""API Gateway (REST): access and execution logs, X-Ray, authorization on every method, and an
execute-api VPC endpoint only where the APIs are private."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tap.policy.rules.core import (
    ADVISORY,
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    dig,
    is_opaque,
    is_set,
    items,
    of_type,
    referenced,
)
from tap.policy.rules.resource_types import (
    API_METHOD,
    API_METHOD_SETTINGS,
    API_RESOURCE,
    API_STAGE,
    REST_API,
    VPC_ENDPOINT,
)

_book = RuleBook()


@_book.resource(
    "apigateway-stage-access-logging",
    "APIGateway.9",
    "REST API stages write access logs (accessLogSettings with a destination and a format); "
    "the REST counterpart of APIGateway.9, which Security Hub checks on V2 stages only.",
    API_STAGE,
)
def _api_access_logs(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    settings = r.props.get("accessLogSettings")
    if is_opaque(settings):
        return
    if not (is_set(dig(settings, "destinationArn")) and is_set(dig(settings, "format"))):
        yield f"{r.name} writes no access logs (accessLogSettings destinationArn and format)"


@_book.resource(
    "apigateway-stage-xray-tracing",
    "APIGateway.3",
    "REST API stages trace with X-Ray.",
    API_STAGE,
    enforcement=ADVISORY,
)
def _api_xray(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("xrayTracingEnabled")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not trace with X-Ray (xrayTracingEnabled)"


@_book.resource(
    "apigateway-execution-logging",
    "APIGateway.1",
    "Stage method settings log execution at ERROR or INFO.",
    API_METHOD_SETTINGS,
)
def _api_execution_logs(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    level = dig(r.props, "settings", "loggingLevel")
    if not is_opaque(level) and level not in ("ERROR", "INFO"):
        yield f"{r.name} sets execution logging to {level!r}; use ERROR or INFO"


def _api_path(method: PolicyResource, api_resources: Sequence[PolicyResource]) -> str | None:
    """The method's resource path ("/" for the root); None when it can't be told yet."""
    refs = referenced(method, "resourceId", api_resources)
    if refs is None:
        return None
    parts: list[str] = []
    node = refs[0] if refs else None
    seen: set[str] = set()
    while node is not None and node.urn not in seen:
        seen.add(node.urn)
        part = node.props.get("pathPart")
        parents = referenced(node, "parentId", api_resources)
        if not isinstance(part, str) or is_opaque(part) or parents is None:
            return None
        parts.insert(0, part)
        node = parents[0] if parents else None
    return "/" + "/".join(parts)


@_book.stack(
    "apigateway-methods-authorized",
    "APIGateway.8",
    "Every REST API method requires authorization, except GET/HEAD on the /health resource; "
    "the REST counterpart of APIGateway.8, which Security Hub checks on V2 routes only.",
)
def _api_authorization(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    api_resources = of_type(resources, API_RESOURCE)
    for method in of_type(resources, API_METHOD):
        auth, verb = method.props.get("authorization"), method.props.get("httpMethod")
        if is_opaque(auth) or is_opaque(verb) or str(auth).upper() != "NONE":
            continue
        path = _api_path(method, api_resources)
        # A method we can't place yet falls back on the naming convention.
        is_health = method.name.endswith("-get-health") if path is None else path == "/health"
        if is_health and str(verb).upper() in ("GET", "HEAD"):
            continue
        yield Finding(
            method.urn,
            f"method {method.name} ({verb} {path or '?'}) has no authorization; only GET "
            "/health may be public",
        )


@_book.stack(
    "apigateway-private-dns-only-for-private-apis",
    "TAP.11",
    "No execute-api VPC endpoint with private DNS in a region where the stack serves a REGIONAL "
    "or EDGE REST API: from that VPC, every call to a public API's default hostname reaches the "
    "endpoint and gets 403 (API Gateway Developer Guide, private APIs).",
    subjects=(VPC_ENDPOINT,),
)
def _api_private_dns(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    public = [
        api
        for api in of_type(resources, REST_API)
        if any(
            isinstance(t, str) and not is_opaque(t) and t.upper() != "PRIVATE"
            for t in items(dig(api.props, "endpointConfiguration", "types")) or []
        )
    ]
    for endpoint in of_type(resources, VPC_ENDPOINT):
        service = endpoint.props.get("serviceName")
        if not (isinstance(service, str) and service.endswith(".execute-api")):
            continue
        if endpoint.props.get("privateDnsEnabled") is not True:
            continue
        for api in (a for a in public if a.region == endpoint.region):
            yield Finding(
                endpoint.urn,
                f"{endpoint.name} turns on private DNS for execute-api, so calls from its VPC to "
                f"the public API {api.name} get 403; create the endpoint only for PRIVATE APIs",
            )


RULES = _book.rules
