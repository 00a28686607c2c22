"""AWS WAF: public API stages behind a web ACL in prod, and every web ACL logged and ruled."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    covers,
    dig,
    is_opaque,
    items,
    of_type,
    referenced,
)
from tap.policy.rules.resource_types import (
    API_STAGE,
    REST_API,
    WAF_ASSOCIATION,
    WAF_LOGGING,
    WAF_WEB_ACL,
)

_book = RuleBook()
# The header that carries the caller's credential (SigV4); it never belongs in a log.
REDACTED_HEADER = "authorization"


def _is_private(stage: PolicyResource, apis: Sequence[PolicyResource]) -> bool | None:
    """Whether the stage's REST API is PRIVATE; None when that can't be told."""
    refs = referenced(stage, "restApi", apis)
    if not refs:
        return None
    types = items(dig(refs[0].props, "endpointConfiguration", "types"))
    if types is None:
        return None
    return "PRIVATE" in types


@_book.stack(
    "apigateway-stage-waf-in-prod",
    "APIGateway.4",
    "In prod, every public (REGIONAL) REST API stage is associated with an AWS WAF web ACL; "
    "PRIVATE stages, reachable only through the VPC endpoint, are exempt.",
    uses_environment=True,
    subjects=(API_STAGE, WAF_ASSOCIATION),
)
def _stage_waf(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    if not config.is_prod:
        return
    stages = of_type(resources, API_STAGE)
    apis = of_type(resources, REST_API)
    associations = of_type(resources, WAF_ASSOCIATION)
    for stage in stages:
        if _is_private(stage, apis):
            continue
        if not any(covers(a, "resourceArn", stage, stages) for a in associations):
            yield Finding(
                stage.urn,
                f"{stage.name} is a public API stage with no WAF web ACL "
                "(a wafv2 WebAclAssociation naming the stage's ARN)",
            )


@_book.stack(
    "waf-web-acl-logging",
    "WAF.11",
    "Every web ACL logs (a WebAclLoggingConfiguration) and redacts the authorization header.",
    subjects=(WAF_WEB_ACL, WAF_LOGGING),
)
def _waf_logging(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    acls = of_type(resources, WAF_WEB_ACL)
    configurations = of_type(resources, WAF_LOGGING)
    for acl in acls:
        logging = [c for c in configurations if covers(c, "resourceArn", acl, acls)]
        if not logging:
            yield Finding(acl.urn, f"{acl.name} does not log (no WebAclLoggingConfiguration)")
            continue
        for configuration in logging:
            redacted = items(configuration.props.get("redactedFields"))
            if redacted is None:
                continue
            headers = {
                str(dig(field, "singleHeader", "name")).lower()
                for field in redacted
                if not is_opaque(dig(field, "singleHeader", "name"))
            }
            unknown = any(is_opaque(dig(field, "singleHeader", "name")) for field in redacted)
            if REDACTED_HEADER not in headers and not unknown:
                yield Finding(
                    configuration.urn,
                    f"{configuration.name} logs the authorization header of {acl.name}; add "
                    "it to redactedFields",
                )


@_book.resource(
    "waf-web-acl-has-rules",
    "WAF.10",
    "Every web ACL has at least one rule (or rule group).",
    WAF_WEB_ACL,
)
def _waf_rules(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if items(r.props.get("rules")) == []:
        yield f"{r.name} has no rules: it allows every request"


RULES = _book.rules
