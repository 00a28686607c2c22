"""API Gateway rules: one violation per rule, and which methods may skip authorization."""

from __future__ import annotations

from tap.policy.rules import UNKNOWN, PolicyResource, rule_named
from tap.policy.rules import resource_types as r
from tests.policy.rules.support import Case, messages, res

HEALTH = res(
    r.API_RESOURCE, "tap-test-use1-api-resource-health", pathPart="health", parentId="root"
)
RECORDS = res(
    r.API_RESOURCE, "tap-test-use1-api-resource-records", pathPart="records", parentId="root"
)

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "apigateway-stage-access-logging": Case(
        [res(r.API_STAGE, stageName="v1")], "writes no access logs"
    ),
    "apigateway-stage-xray-tracing": Case(
        [res(r.API_STAGE, xrayTracingEnabled=False)], "does not trace with X-Ray"
    ),
    "apigateway-execution-logging": Case(
        [res(r.API_METHOD_SETTINGS, settings={"loggingLevel": "OFF"})],
        "sets execution logging to 'OFF'",
    ),
    "apigateway-private-dns-only-for-private-apis": Case(
        [
            res(r.REST_API, "tap-test-use1-api", endpointConfiguration={"types": "REGIONAL"}),
            res(
                r.VPC_ENDPOINT,
                "tap-test-use1-vpce-execute-api",
                serviceName="com.amazonaws.us-east-1.execute-api",
                privateDnsEnabled=True,
            ),
        ],
        "calls from its VPC to the public API tap-test-use1-api get 403",
    ),
    "apigateway-methods-authorized": Case(
        [
            RECORDS,
            res(
                r.API_METHOD,
                "tap-test-use1-api-method-post-records",
                deps=(RECORDS.urn,),
                httpMethod="POST",
                authorization="NONE",
                resourceId="id-records",
            ),
        ],
        "(POST /records) has no authorization",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "apigateway-stage-access-logging",
}


def _method(name: str, verb: str, *resources: PolicyResource) -> PolicyResource:
    return res(
        r.API_METHOD,
        name,
        deps=tuple(x.urn for x in resources),
        httpMethod=verb,
        authorization="NONE",
        resourceId=UNKNOWN,
    )


def test_only_get_health_may_skip_authorization() -> None:
    rule = rule_named("apigateway-methods-authorized")
    get_health = _method("tap-test-use1-api-method-get-health", "GET", HEALTH)
    post_health = _method("tap-test-use1-api-method-post-health", "POST", HEALTH)
    nested = res(
        r.API_RESOURCE,
        "nested-health",
        deps=(RECORDS.urn,),
        pathPart="health",
        parentId="id-records",
    )
    nested_get = _method("tap-test-use1-api-method-get-records-health", "GET", nested)
    root_get = _method("tap-test-use1-api-method-get-health", "GET")  # named like it, on "/"
    assert messages(rule, [HEALTH, get_health]) == []
    assert messages(rule, [HEALTH, post_health]) == [
        "method tap-test-use1-api-method-post-health (POST /health) has no authorization; only "
        "GET /health may be public"
    ]
    assert "(GET /records/health)" in messages(rule, [RECORDS, nested, nested_get])[0]
    assert "(GET /)" in messages(rule, [root_get])[0]
    authorized = res(r.API_METHOD, httpMethod="GET", authorization="AWS_IAM")
    assert messages(rule, [authorized]) == []


def test_a_method_that_cannot_be_placed_falls_back_on_its_name() -> None:
    rule = rule_named("apigateway-methods-authorized")
    ambiguous = _method("tap-test-use1-api-method-get-health", "GET", HEALTH, RECORDS)
    assert messages(rule, [HEALTH, RECORDS, ambiguous]) == []
    other = _method("tap-test-use1-api-method-get-records", "GET", HEALTH, RECORDS)
    assert messages(rule, [HEALTH, RECORDS, other])


def test_private_dns_for_execute_api_only_beside_private_apis() -> None:
    rule = rule_named("apigateway-private-dns-only-for-private-apis")

    def api(types: object, region: str = "us-east-1") -> PolicyResource:
        return PolicyResource(
            f"urn:api-{region}-{types}",
            r.REST_API,
            f"api-{region}",
            {"endpointConfiguration": {"types": types}},
            region=region,
        )

    def endpoint(service: str = "execute-api", dns: object = True) -> PolicyResource:
        return PolicyResource(
            f"urn:vpce-{service}",
            r.VPC_ENDPOINT,
            f"vpce-{service}",
            {"serviceName": f"com.amazonaws.us-east-1.{service}", "privateDnsEnabled": dns},
            region="us-east-1",
        )

    assert messages(rule, [api("PRIVATE"), endpoint()]) == []
    assert messages(rule, [api(["PRIVATE"]), endpoint()]) == []
    assert messages(rule, [api("REGIONAL", "us-west-2"), endpoint()]) == []
    assert messages(rule, [api("REGIONAL"), endpoint(dns=False)]) == []
    assert messages(rule, [api("REGIONAL"), endpoint("sts")]) == []
    assert messages(rule, [api(UNKNOWN), endpoint()]) == []
    assert len(messages(rule, [api(["EDGE"]), endpoint()])) == 1
