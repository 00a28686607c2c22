"""WAF rules: one violation per rule, PRIVATE stages exempt, the header redaction."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tap.policy.rules import rule_named
from tap.policy.rules.core import PolicyResource
from tests.policy.rules.support import Case, messages, res, urn

STAGE = res(r.API_STAGE, "tap-prod-use1-stage-v1")
ACL = res(r.WAF_WEB_ACL, "tap-prod-use1-waf", rules=[{"name": "rate-limit"}])


def association(*deps: str) -> PolicyResource:
    return res(r.WAF_ASSOCIATION, "tap-prod-use1-waf-association-v1", deps=deps, resourceArn="x")


def logging(redacted: list[dict[str, object]]) -> PolicyResource:
    return res(
        r.WAF_LOGGING,
        "tap-prod-use1-waf-logging",
        deps=(ACL.urn,),
        resourceArn="arn",
        redactedFields=redacted,
    )


VIOLATIONS: dict[str, Case] = {
    "apigateway-stage-waf-in-prod": Case(
        [STAGE], "tap-prod-use1-stage-v1 is a public API stage with no WAF web ACL", "prod"
    ),
    "waf-web-acl-logging": Case([ACL], "tap-prod-use1-waf does not log"),
    "waf-web-acl-has-rules": Case([res(r.WAF_WEB_ACL, rules=[])], "has no rules"),
}

FLAG_ON_ABSENCE: set[str] = {"apigateway-stage-waf-in-prod", "waf-web-acl-logging"}


def test_an_associated_stage_passes_and_only_prod_requires_one() -> None:
    rule = rule_named("apigateway-stage-waf-in-prod")
    assert messages(rule, [STAGE, association(STAGE.urn)], "prod") == []
    assert messages(rule, [STAGE], "staging") == []
    # An association of another stage does not cover this one.
    other = res(r.API_STAGE, "tap-prod-use1-stage-v2")
    assert messages(rule, [STAGE, other, association(other.urn)], "prod") == [
        "tap-prod-use1-stage-v1 is a public API stage with no WAF web ACL (a wafv2 "
        "WebAclAssociation naming the stage's ARN)"
    ]


def test_private_stages_are_exempt() -> None:
    rule = rule_named("apigateway-stage-waf-in-prod")
    api = res(r.REST_API, "tap-prod-use1-api", endpointConfiguration={"types": "PRIVATE"})
    stage = res(r.API_STAGE, "tap-prod-use1-stage-v1", deps=(api.urn,), restApi="id")
    assert messages(rule, [api, stage], "prod") == []
    public = res(r.REST_API, "tap-prod-use1-api", endpointConfiguration={"types": "REGIONAL"})
    assert messages(rule, [public, stage], "prod")


def test_logging_must_redact_the_authorization_header() -> None:
    rule = rule_named("waf-web-acl-logging")
    assert messages(rule, [ACL, logging([{"singleHeader": {"name": "Authorization"}}])]) == []
    assert messages(rule, [ACL, logging([{"singleHeader": {"name": "cookie"}}])]) == [
        "tap-prod-use1-waf-logging logs the authorization header of tap-prod-use1-waf; add it "
        "to redactedFields"
    ]
    assert messages(rule, [ACL, logging([])])
    # A configuration of another ACL does not count.
    other = res(r.WAF_LOGGING, "other", deps=(urn(r.WAF_WEB_ACL, "x"),), resourceArn="arn")
    assert messages(rule, [ACL, other]) == [
        "tap-prod-use1-waf does not log (no WebAclLoggingConfiguration)"
    ]
