"""AWS WAF: each region's REGIONAL stage is behind the stack's web ACL, which logs safely.

Mirrors tap.components.waf: the stage is associated with the region's web ACL, and the ACL
logs to an `aws-waf-logs-` log group with the authorization header redacted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import items, optional, required

WAF_ASSOCIATION = Control(
    "APIGateway.4", "waf-association", "the stage is associated with the stack's web ACL"
)
WAF_LOGGING = Control(
    "WAF.11",
    "waf-logging",
    "the web ACL logs to an aws-waf-logs- group and redacts the authorization header",
)
CONTROLS = (WAF_ASSOCIATION, WAF_LOGGING)
LOG_GROUP_MARK = ":log-group:aws-waf-logs-"
REDACTED = "authorization"


def stage_arn(partition: str, region: str, rest_api_id: str, stage: str) -> str:
    """How WAF names a REST API stage (AssociateWebACL's ResourceArn)."""
    return f"arn:{partition}:apigateway:{region}::/restapis/{rest_api_id}/stages/{stage}"


def check(ctx: Context, region: str) -> list[CheckResult]:
    if not ctx.config.waf.enabled:
        return []
    outputs = ctx.region(region)
    api = outputs["api"]
    if api["restApiId"] is None:
        return []  # a region without a data path serves no API (docs/architecture.md)
    stage = stage_arn(
        outputs["kmsKeyArn"].split(":")[1], region, api["restApiId"], api["stageName"]
    )
    acl = api.get("webAclArn")
    if not acl:
        missing = Failure("fail", "no webAclArn in the stack's outputs")
        return [WAF_ASSOCIATION.unread(region, stage, "the stack's web ACL", missing)]

    def associated(reply: Mapping[str, Any]) -> tuple[str, bool]:
        web_acl = optional(reply, "WebACL", dict)
        arn = required(web_acl, "ARN", str) if web_acl is not None else None
        return arn or "no web ACL", arn == acl

    def logged(reply: Mapping[str, Any]) -> tuple[str, bool]:
        configuration = required(reply, "LoggingConfiguration", dict)
        destinations = items(configuration, "LogDestinationConfigs", str)
        redacted = [
            (optional(optional(field, "SingleHeader", dict) or {}, "Name", str) or "").lower()
            for field in items(configuration, "RedactedFields", dict)
        ]
        actual = (
            f"to {', '.join(destinations) or 'nowhere'}; redacts "
            f"{', '.join(name for name in redacted if name) or 'nothing'}"
        )
        to_group = bool(destinations) and all(LOG_GROUP_MARK in d for d in destinations)
        return actual, to_group and REDACTED in redacted

    return [
        WAF_ASSOCIATION.evaluate(
            region,
            stage,
            acl,
            ctx.read("wafv2", region, "get_web_acl_for_resource", ResourceArn=stage),
            associated,
        ),
        WAF_LOGGING.evaluate(
            region,
            acl,
            "to an aws-waf-logs- log group; redacts authorization",
            ctx.read("wafv2", region, "get_logging_configuration", ResourceArn=acl),
            logged,
        ),
    ]
