"""AWS WAF in front of a region's REGIONAL API stages: managed rules, a rate limit, logs, metrics.

One web ACL per region (scope REGIONAL: a REGIONAL API stage can only use a web ACL of its own
region), associated with each stage it is given. Requests meet, in order:

0. `AWSManagedRulesAmazonIpReputationList` (25 WCU): sources Amazon's threat intelligence has
   seen attacking, scanning or running DDoS; the cheapest rule first.
1. A rate-based rule (2 WCU) blocking any client IP above `rate_limit` requests per evaluation
   window. It sits before the content rules, so a flood is counted and cut off before the more
   expensive inspection runs on it.
2. `AWSManagedRulesCommonRuleSet` (700 WCU): the OWASP-style core rule set, with one rule
   counted instead of blocking, `SizeRestrictions_BODY` (see below).
3. `AWSManagedRulesKnownBadInputsRuleSet` (200 WCU): exploit patterns (Log4j, Java
   deserialization, localhost Host headers).

That is 927 WCU, inside the 1,500 WCU a web ACL's base price covers; the component refuses a
rule set over it (the WCUs are AWS's published figures, WAF Developer Guide, "AWS Managed Rules
rule groups list"; the rate rule's base cost is in "Rate-based rule statement").

Why `SizeRestrictions_BODY` only counts: it blocks any body over 8 KB, but the API's contract
accepts records up to 64 KiB (the handler answers 413 above that, `MAX_BODY_BYTES`), so it
would reject valid writes. It stays in the ACL as a count, so oversized bodies still show in the
metrics and logs. The body-inspecting rules of the core set see the first 16 KB of a body (API
Gateway's default inspection limit; raising it to 64 KB is billed per request) and inspect that
part (`CONTINUE`); the API stores records through bound parameters and returns them as JSON,
so what they would miss past 16 KB is not an injection path into this service.

Logging: every request a rule blocked or counted goes to a CloudWatch Logs group named
`aws-waf-logs-...` (WAF refuses any other prefix), encrypted with the region's key (whose policy
already lets this region's CloudWatch Logs use it for any log group, policies.regional_key_policy)
and kept for the stack's log retention. Allowed requests are not logged again: the stage's access
log already has each of them. The `authorization` header (a SigV4 signature) is redacted. The
log delivery service writes through a resource policy this component owns, scoped to the one log
group: left to itself, WAF would grow one account-wide `AWSWAF-LOGS` policy, which fails once it
passes CloudWatch Logs' policy size limit.

Metrics: every rule and the ACL publish CloudWatch metrics (namespace AWS/WAFV2, dimension
`WebACL` = the ACL's metric name, `Rule` = the rule's metric name or ALL) with sampled requests;
tap.components.monitoring puts blocked requests on the dashboard and alarms on a spike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.logs import encrypted_log_group
from tap.components.policies import document, render
from tap.limits import WAF_DEFAULT_EVALUATION_WINDOW_SECONDS, WAF_WEB_ACL_BASE_WCU
from tap.naming import Labels

SCOPE = "REGIONAL"
MANAGED_VENDOR = "AWS"
# "The name that you give the destination must start with aws-waf-logs-" (PutLoggingConfiguration).
LOG_GROUP_PREFIX = "aws-waf-logs-"
# The one header that carries a credential on this API (SigV4); never logged.
REDACTED_HEADER = "authorization"
# WAF's CloudWatch Logs delivery is a vended log: delivery.logs.amazonaws.com writes it.
LOG_DELIVERY_SERVICE = "delivery.logs.amazonaws.com"

RATE_BASED_RULE_WCU = 2  # "Rate-based rule statement ... WCUs - 2, as a base cost"
# API Gateway forwards at most this much of a body to WAF by default; KB_32..KB_64 cost extra.
BODY_INSPECTION_LIMIT = "KB_16"
# Names of web ACLs, rules (EntityName) and metric names (VisibilityConfig.MetricName).
_ENTITY_NAME = re.compile(r"[0-9A-Za-z_-]{1,128}")
_METRIC_NAME = re.compile(r"[\w#:.\-/]{1,128}")
# Log actions kept: what a rule blocked, and what one only counted (COUNT rules, and managed
# rules overridden to Count, which WAF logs as EXCLUDED_AS_COUNT).
LOGGED_ACTIONS = ("BLOCK", "COUNT", "EXCLUDED_AS_COUNT")


@dataclass(frozen=True)
class ManagedRuleGroup:
    """An AWS managed rule group, with the capacity AWS publishes for it."""

    name: str
    wcu: int
    slug: str  # the rule's name in the ACL and the end of its metric name
    count_only: tuple[str, ...] = ()  # rules of the group overridden to Count


IP_REPUTATION = ManagedRuleGroup("AWSManagedRulesAmazonIpReputationList", 25, "ip-reputation")
COMMON_RULE_SET = ManagedRuleGroup(
    "AWSManagedRulesCommonRuleSet", 700, "common", count_only=("SizeRestrictions_BODY",)
)
KNOWN_BAD_INPUTS = ManagedRuleGroup("AWSManagedRulesKnownBadInputsRuleSet", 200, "known-bad-inputs")
RATE_RULE_SLUG = "rate-limit"

MANAGED_RULE_GROUPS_BY_NAME = {
    group.name: group for group in (IP_REPUTATION, COMMON_RULE_SET, KNOWN_BAD_INPUTS)
}


# --- pure logic --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """One rule of the ACL, in evaluation order: a managed group or the rate limit."""

    slug: str
    wcu: int
    managed: ManagedRuleGroup | None = None


def rule_specs() -> tuple[RuleSpec, ...]:
    """The ACL's rules in priority order (their index is their priority)."""
    return (
        RuleSpec(IP_REPUTATION.slug, IP_REPUTATION.wcu, IP_REPUTATION),
        RuleSpec(RATE_RULE_SLUG, RATE_BASED_RULE_WCU),
        RuleSpec(COMMON_RULE_SET.slug, COMMON_RULE_SET.wcu, COMMON_RULE_SET),
        RuleSpec(KNOWN_BAD_INPUTS.slug, KNOWN_BAD_INPUTS.wcu, KNOWN_BAD_INPUTS),
    )


def web_acl_name(labels: Labels) -> str:
    return labels.name("waf")


def log_group_name(labels: Labels) -> str:
    return LOG_GROUP_PREFIX + labels.name("waf")


def rule_metric_name(acl_name: str, slug: str) -> str:
    return f"{acl_name}-{slug}"


def capacity(specs: Sequence[RuleSpec]) -> int:
    return sum(spec.wcu for spec in specs)


def capacity_of_rules(rules: Sequence[Mapping[str, Any]]) -> int | None:
    """The WCUs of a web ACL's `rules` input as the engine sees it (camelCase), or None when a
    statement is one this module does not price. Used where only the plan is at hand (the
    offline plan's mock of the ACL's `capacity`, the policy pack)."""
    total = 0
    for rule in rules:
        statement = rule.get("statement") or {}
        managed = statement.get("managedRuleGroupStatement")
        if isinstance(managed, Mapping) and managed.get("vendorName") == MANAGED_VENDOR:
            group = MANAGED_RULE_GROUPS_BY_NAME.get(str(managed.get("name")))
            if group is None:
                return None
            total += group.wcu
        elif "rateBasedStatement" in statement and "scopeDownStatement" not in (
            statement.get("rateBasedStatement") or {}
        ):
            total += RATE_BASED_RULE_WCU
        else:
            return None
    return total


def validate_waf_settings(
    *,
    labels: Labels,
    region: str,
    stage_arns: Mapping[str, object],
) -> None:
    """The wiring a caller can get wrong, and the rule set's own names and capacity (the
    settings arrive validated by tap.config), before anything is registered."""
    if labels.region != region:
        raise ValueError(f"waf labels are for {labels.region}, not {region}")
    if not stage_arns:
        raise ValueError("a web ACL needs at least one API stage to protect (stage_arns)")
    acl = web_acl_name(labels)
    names = [acl, *(spec.slug for spec in rule_specs())]
    metrics = [acl, *(rule_metric_name(acl, spec.slug) for spec in rule_specs())]
    for name in names:
        if not _ENTITY_NAME.fullmatch(name):
            raise ValueError(f"WAF name {name!r} must be 1-128 letters, digits, '-' or '_'")
    for metric in metrics:
        if not _METRIC_NAME.fullmatch(metric):
            raise ValueError(f"WAF metric name {metric!r} must be 1-128 word characters")
    used = capacity(rule_specs())
    if used > WAF_WEB_ACL_BASE_WCU:
        raise ValueError(
            f"the web ACL's rules need {used} WCUs, over the {WAF_WEB_ACL_BASE_WCU} its base "
            "price covers"
        )


def _visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgsDict:
    return {
        "cloudwatch_metrics_enabled": True,
        "metric_name": metric_name,
        "sampled_requests_enabled": True,
    }


def web_acl_rules(
    acl_name: str, *, rate_limit: int, rate_limit_window_seconds: int
) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """The ACL's rules as pulumi-aws inputs, in the order of `rule_specs`."""
    rules: list[aws.wafv2.WebAclRuleArgsDict] = []
    for priority, spec in enumerate(rule_specs()):
        visibility = _visibility(rule_metric_name(acl_name, spec.slug))
        if spec.managed is None:
            rules.append(
                {
                    "name": spec.slug,
                    "priority": priority,
                    "action": {"block": {}},
                    "statement": {
                        "rate_based_statement": {
                            "limit": rate_limit,
                            "aggregate_key_type": "IP",
                            "evaluation_window_sec": rate_limit_window_seconds,
                        }
                    },
                    "visibility_config": visibility,
                }
            )
            continue
        managed: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {
            "name": spec.managed.name,
            "vendor_name": MANAGED_VENDOR,
        }
        if spec.managed.count_only:
            managed["rule_action_overrides"] = [
                {"name": rule, "action_to_use": {"count": {}}} for rule in spec.managed.count_only
            ]
        rules.append(
            {
                "name": spec.slug,
                "priority": priority,
                # "none": the group's own actions apply (a managed group takes an override
                # action, never a rule action).
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": managed},
                "visibility_config": visibility,
            }
        )
    return rules


def log_delivery_policy(*, log_group_arn: str, account_id: str, partition: str, region: str) -> str:
    """Only this account's log deliveries in this region may write, and only to this group."""
    return render(
        document(
            {
                "Sid": "WafLogDeliveryWrites",
                "Effect": "Allow",
                "Principal": {"Service": LOG_DELIVERY_SERVICE},
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:*"},
                },
            }
        )
    )


# --- the component -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionalWebAclArgs:
    labels: Labels
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]  # the region's CMK: encrypts the WAF log group
    log_retention_days: int
    rate_limit: int  # requests per client IP per window before the rate rule blocks
    # Key (names the association) -> the stage's ARN,
    # `arn:aws:apigateway:<region>::/restapis/<id>/stages/<stage>`.
    stage_arns: Mapping[str, pulumi.Input[str]]
    rate_limit_window_seconds: int = WAF_DEFAULT_EVALUATION_WINDOW_SECONDS


class RegionalWebAcl(pulumi.ComponentResource):
    web_acl: aws.wafv2.WebAcl
    web_acl_arn: pulumi.Output[str]
    web_acl_name: str
    metric_name: str  # the WebACL dimension of the ACL's CloudWatch metrics
    log_group: aws.cloudwatch.LogGroup
    log_policy: aws.cloudwatch.LogResourcePolicy
    logging: aws.wafv2.WebAclLoggingConfiguration
    associations: dict[str, aws.wafv2.WebAclAssociation]

    def __init__(
        self, name: str, args: RegionalWebAclArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        validate_waf_settings(
            labels=args.labels,
            region=args.region,
            stage_arns=args.stage_arns,
        )
        super().__init__("tap:waf:RegionalWebAcl", name, None, opts)
        labels = args.labels
        acl_name = self.web_acl_name = self.metric_name = web_acl_name(labels)
        self.web_acl = aws.wafv2.WebAcl(
            acl_name,
            name=acl_name,
            description=f"tap {labels.namer.suffix} {args.region}: API stages",
            scope=SCOPE,
            default_action={"allow": {}},
            rules=web_acl_rules(
                acl_name,
                rate_limit=args.rate_limit,
                rate_limit_window_seconds=args.rate_limit_window_seconds,
            ),
            association_config={
                "request_bodies": [
                    {"api_gateway": {"default_size_inspection_limit": BODY_INSPECTION_LIMIT}}
                ]
            },
            visibility_config={
                "cloudwatch_metrics_enabled": True,
                "metric_name": acl_name,
                "sampled_requests_enabled": True,
            },
            tags=labels.tags(acl_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.web_acl_arn = self.web_acl.arn

        self.log_group = encrypted_log_group(
            self,
            labels,
            labels.name("waf-logs"),
            group_name=log_group_name(labels),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
        )
        policy_name = labels.name("waf-log-delivery")
        self.log_policy = aws.cloudwatch.LogResourcePolicy(
            policy_name,
            policy_name=policy_name,
            policy_document=pulumi.Output.all(
                self.log_group.arn, args.account_id, args.partition
            ).apply(
                lambda v: log_delivery_policy(
                    log_group_arn=v[0], account_id=v[1], partition=v[2], region=args.region
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.logging = aws.wafv2.WebAclLoggingConfiguration(
            labels.name("waf-logging"),
            resource_arn=self.web_acl.arn,
            log_destination_configs=[self.log_group.arn],
            redacted_fields=[{"single_header": {"name": REDACTED_HEADER}}],
            logging_filter={
                "default_behavior": "DROP",
                "filters": [
                    {
                        "behavior": "KEEP",
                        "requirement": "MEETS_ANY",
                        "conditions": [
                            {"action_condition": {"action": action}} for action in LOGGED_ACTIONS
                        ],
                    }
                ],
            },
            # With the group's own policy in place first, WAF does not write its account-wide one.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_policy]),
        )
        self.associations = {
            key: aws.wafv2.WebAclAssociation(
                labels.name("waf-association", key),
                resource_arn=stage_arn,
                web_acl_arn=self.web_acl.arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, stage_arn in args.stage_arns.items()
        }
        self.register_outputs(
            {
                "webAclArn": self.web_acl_arn,
                "webAclName": acl_name,
                "capacity": self.web_acl.capacity,
                "logGroupName": self.log_group.name,
            }
        )
