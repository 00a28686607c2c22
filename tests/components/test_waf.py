"""RegionalWebAcl: the rule set and its capacity, the rate limit, logging, associations."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from tap.components import waf
from tap.components.api import RegionalApi, RegionalApiArgs
from tap.components.waf import (
    COMMON_RULE_SET,
    IP_REPUTATION,
    KNOWN_BAD_INPUTS,
    RegionalWebAcl,
    RegionalWebAclArgs,
    RuleSpec,
    capacity,
    capacity_of_rules,
    rule_specs,
)
from tap.functions.api.contract import MAX_BODY_BYTES
from tap.limits import WAF_WEB_ACL_BASE_WCU
from tap.plan import MOCK_ACCOUNT_ID, PlanMocks
from tests.conftest import is_taggable, labels_for, plan_program, refused_before_registering

ACCOUNT = "111122223333"
REGION = "eu-central-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STAGE_ARN = f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5/stages/v1"
ACL_NAME = "tap-test-euc1-waf"

WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"

Resources = tuple[dict[str, Any], ...]


def waf_args(**overrides: Any) -> RegionalWebAclArgs:
    values: dict[str, Any] = {
        "labels": labels_for(REGION),
        "region": REGION,
        "account_id": ACCOUNT,
        "partition": "aws",
        "kms_key_arn": KEY,
        "log_retention_days": 90,
        "rate_limit": 1000,
        "stage_arns": {"v1": STAGE_ARN},
    }
    values.update(overrides)
    return RegionalWebAclArgs(**values)


@cache
def build(
    stages: tuple[tuple[str, str], ...] = (("v1", STAGE_ARN),), **overrides: Any
) -> Resources:
    def program() -> None:
        RegionalWebAcl(
            "tap-test-euc1-web-acl",
            waf_args(stage_arns=dict(stages), **overrides),
            opts=pulumi.ResourceOptions(
                providers=[aws.Provider("tap-test-euc1-aws", region=REGION)]
            ),
        )

    return tuple(plan_program(program)["resources"])


def one(resources: Resources, type_token: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["type"] == type_token]
    return found


def rules_by_name(resources: Resources) -> dict[str, dict[str, Any]]:
    return {rule["name"]: rule for rule in one(resources, WEB_ACL)["inputs"]["rules"]}


# --- pure logic --------------------------------------------------------------------------------


def test_the_rules_run_cheapest_first_with_the_rate_limit_before_content_inspection() -> None:
    assert [spec.slug for spec in rule_specs()] == [
        "ip-reputation",
        "rate-limit",
        "common",
        "known-bad-inputs",
    ]


def test_managed_groups_are_the_published_aws_groups_and_capacities() -> None:
    # AWS's names and WCUs (WAF Developer Guide, "AWS Managed Rules rule groups list").
    assert (IP_REPUTATION.name, IP_REPUTATION.wcu) == ("AWSManagedRulesAmazonIpReputationList", 25)
    assert (COMMON_RULE_SET.name, COMMON_RULE_SET.wcu) == ("AWSManagedRulesCommonRuleSet", 700)
    assert (KNOWN_BAD_INPUTS.name, KNOWN_BAD_INPUTS.wcu) == (
        "AWSManagedRulesKnownBadInputsRuleSet",
        200,
    )


def test_the_rule_set_fits_the_capacity_the_base_price_covers() -> None:
    assert capacity(rule_specs()) == 927
    assert capacity(rule_specs()) <= WAF_WEB_ACL_BASE_WCU == 1500


def test_the_size_rule_counts_because_the_api_accepts_bodies_over_8_kb() -> None:
    # SizeRestrictions_BODY blocks bodies over 8 KB; the API's contract accepts up to 64 KiB.
    assert MAX_BODY_BYTES > 8 * 1024
    assert COMMON_RULE_SET.count_only == ("SizeRestrictions_BODY",)
    assert IP_REPUTATION.count_only == KNOWN_BAD_INPUTS.count_only == ()


def test_capacity_of_rules_prices_the_planned_rules_and_refuses_to_guess() -> None:
    rules = one(build(), WEB_ACL)["inputs"]["rules"]
    assert capacity_of_rules(rules) == 927
    assert capacity_of_rules([{"statement": {"byteMatchStatement": {}}}]) is None
    unknown_group = {
        "statement": {"managedRuleGroupStatement": {"name": "Other", "vendorName": "AWS"}}
    }
    assert capacity_of_rules([unknown_group]) is None


# --- the component -----------------------------------------------------------------------------


def test_one_regional_web_acl_that_allows_what_no_rule_blocks() -> None:
    acl = one(build(), WEB_ACL)
    inputs = acl["inputs"]
    assert acl["name"] == inputs["name"] == ACL_NAME
    assert inputs["scope"] == "REGIONAL"
    assert inputs["defaultAction"] == {"allow": {}}
    assert inputs["visibilityConfig"] == {
        "cloudwatchMetricsEnabled": True,
        "metricName": ACL_NAME,
        "sampledRequestsEnabled": True,
    }
    # API Gateway's default body inspection size, stated rather than implied.
    assert inputs["associationConfig"] == {
        "requestBodies": [{"apiGateway": {"defaultSizeInspectionLimit": "KB_16"}}]
    }


def test_managed_groups_keep_their_own_actions_except_the_size_rule() -> None:
    rules = rules_by_name(build())
    for slug, group in (
        ("ip-reputation", IP_REPUTATION),
        ("common", COMMON_RULE_SET),
        ("known-bad-inputs", KNOWN_BAD_INPUTS),
    ):
        rule = rules[slug]
        statement = rule["statement"]["managedRuleGroupStatement"]
        assert (statement["name"], statement["vendorName"]) == (group.name, "AWS")
        assert rule["overrideAction"] == {"none": {}}
        assert "action" not in rule
    overrides = rules["common"]["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    assert (
        "ruleActionOverrides"
        not in rules["ip-reputation"]["statement"]["managedRuleGroupStatement"]
    )


def test_the_rate_rule_blocks_per_client_ip_at_the_configured_limit() -> None:
    rule = rules_by_name(build(rate_limit=250, rate_limit_window_seconds=60))["rate-limit"]
    assert rule["action"] == {"block": {}}
    assert rule["statement"] == {
        "rateBasedStatement": {"limit": 250, "aggregateKeyType": "IP", "evaluationWindowSec": 60}
    }


def test_every_rule_has_its_own_metric_and_samples() -> None:
    rules = one(build(), WEB_ACL)["inputs"]["rules"]
    assert [rule["priority"] for rule in rules] == list(range(len(rules)))
    for rule in rules:
        assert rule["visibilityConfig"] == {
            "cloudwatchMetricsEnabled": True,
            "metricName": f"{ACL_NAME}-{rule['name']}",
            "sampledRequestsEnabled": True,
        }


def test_the_plan_reports_the_capacity_aws_would_compute() -> None:
    mocks = PlanMocks(REGION)
    _, state = mocks.new_resource(
        pulumi.runtime.MockResourceArgs(
            typ=WEB_ACL,
            name=ACL_NAME,
            inputs=one(build(), WEB_ACL)["inputs"],
            provider="",
            resource_id="",
            custom=True,
        )
    )
    assert state["capacity"] == 927
    assert state["arn"].startswith(
        f"arn:aws:wafv2:{REGION}:{MOCK_ACCOUNT_ID}:regional/webacl/{ACL_NAME}/"
    )


def test_each_stage_gets_an_association() -> None:
    other = f"arn:aws:apigateway:{REGION}::/restapis/f6g7h8i9j0/stages/v2"
    resources = build(stages=(("v1", STAGE_ARN), ("v2", other)))
    associations = {r["name"]: r["inputs"] for r in resources if r["type"] == ASSOCIATION}
    assert {name: inputs["resourceArn"] for name, inputs in associations.items()} == {
        "tap-test-euc1-waf-association-v1": STAGE_ARN,
        "tap-test-euc1-waf-association-v2": other,
    }
    acl_arn = {inputs["webAclArn"] for inputs in associations.values()}
    assert len(acl_arn) == 1
    assert next(iter(acl_arn)).startswith(f"arn:aws:wafv2:{REGION}:")


def test_the_association_names_the_stage_by_the_arn_api_gateway_gives_it() -> None:
    """With a real RegionalApi: the stage ARN is `arn:aws:apigateway:<region>::/restapis/...`."""

    def program() -> None:
        provider = aws.Provider("tap-test-euc1-aws", region=REGION)
        api = RegionalApi(
            "tap-test-euc1-rest-api",
            RegionalApiArgs(
                labels=labels_for(REGION),
                region=REGION,
                function_name="tap-test-euc1-api-fn",
                function_invoke_arn="arn:aws:apigateway:eu-central-1:lambda:path/fn",
                endpoint_type="REGIONAL",
                vpc_endpoint_id=None,
                kms_key_arn=KEY,
                log_retention_days=30,
                execution_log_level="ERROR",
                throttling_burst_limit=20,
                throttling_rate_limit=10,
                cloudwatch_role_arn="arn:aws:iam::111122223333:role/apigw",
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
        RegionalWebAcl(
            "tap-test-euc1-web-acl",
            waf_args(stage_arns={"v1": api.stage.arn}),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    resources = plan_program(program)["resources"]
    association = one(tuple(resources), ASSOCIATION)
    stage = one(tuple(resources), "aws:apigateway/stage:Stage")
    assert association["inputs"]["resourceArn"] == (
        f"arn:aws:apigateway:{REGION}::/restapis/{stage['inputs']['restApi']}/stages/v1"
    )
    assert stage["urn"] in association["dependencies"]


def test_logs_go_to_an_encrypted_aws_waf_logs_group_with_retention() -> None:
    resources = build()
    group = one(resources, LOG_GROUP)["inputs"]
    assert group["name"] == "aws-waf-logs-tap-test-euc1-waf"
    assert group["kmsKeyId"] == KEY
    assert group["retentionInDays"] == 90
    logging = one(resources, LOGGING)["inputs"]
    assert logging["logDestinationConfigs"] == [
        f"arn:aws:logs:{REGION}:{MOCK_ACCOUNT_ID}:log-group:aws-waf-logs-tap-test-euc1-waf"
    ]
    assert logging["resourceArn"].startswith(f"arn:aws:wafv2:{REGION}:")


def test_the_authorization_header_never_reaches_the_logs() -> None:
    logging = one(build(), LOGGING)["inputs"]
    assert logging["redactedFields"] == [{"singleHeader": {"name": "authorization"}}]


def test_only_blocked_and_counted_requests_are_logged() -> None:
    assert one(build(), LOGGING)["inputs"]["loggingFilter"] == {
        "defaultBehavior": "DROP",
        "filters": [
            {
                "behavior": "KEEP",
                "requirement": "MEETS_ANY",
                "conditions": [
                    {"actionCondition": {"action": "BLOCK"}},
                    {"actionCondition": {"action": "COUNT"}},
                    {"actionCondition": {"action": "EXCLUDED_AS_COUNT"}},
                ],
            }
        ],
    }


def test_log_delivery_may_write_only_to_this_group_for_this_account_and_region() -> None:
    resources = build()
    policy = one(resources, LOG_POLICY)
    assert policy["inputs"]["policyName"] == "tap-test-euc1-waf-log-delivery"
    (statement,) = json.loads(policy["inputs"]["policyDocument"])["Statement"]
    group_arn = f"arn:aws:logs:{REGION}:{MOCK_ACCOUNT_ID}:log-group:aws-waf-logs-tap-test-euc1-waf"
    assert statement == {
        "Sid": "WafLogDeliveryWrites",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"{group_arn}:*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
            "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*"},
        },
    }
    # WAF finds the policy in place when logging starts, so it writes no account-wide one.
    assert policy["urn"] in one(resources, LOGGING)["dependencies"]


def test_taggable_resources_are_tagged_and_everything_is_in_the_region() -> None:
    for resource in build():
        if not resource["custom"] or resource["type"].startswith("pulumi:"):
            continue
        assert resource["region"] == REGION, resource["name"]
        if is_taggable(resource["type"]):
            assert resource["inputs"]["tags"]["Name"] == resource["name"]
            assert resource["inputs"]["tags"]["Owner"] == "tests"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"stage_arns": {}}, "a web ACL needs at least one API stage to protect"),
        ({"labels": labels_for("us-east-1")}, "waf labels are for us-east-1, not eu-central-1"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_registered(
    overrides: dict[str, Any], message: str
) -> None:
    def program() -> None:
        RegionalWebAcl("tap-test-euc1-web-acl", waf_args(**overrides))

    error, registered = refused_before_registering(program)
    assert message in str(error)
    assert registered == []


def test_a_rule_set_over_the_base_capacity_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    heavy = (*rule_specs(), RuleSpec("bot-control", 600))
    monkeypatch.setattr(waf, "rule_specs", lambda: heavy)

    def program() -> None:
        RegionalWebAcl("tap-test-euc1-web-acl", waf_args())

    error, registered = refused_before_registering(program)
    assert "the web ACL's rules need 1527 WCUs, over the 1500 its base price covers" in str(error)
    assert registered == []


@pulumi.runtime.test
def test_outputs_name_the_acl_its_metric_and_its_log_group(
    pulumi_mocks: PlanMocks,
) -> pulumi.Output[None]:
    component = RegionalWebAcl(
        "tap-test-euc1-web-acl",
        waf_args(),
        opts=pulumi.ResourceOptions(providers=[aws.Provider("tap-test-euc1-aws", region=REGION)]),
    )
    assert component.web_acl_name == component.metric_name == ACL_NAME

    def check(values: list[Any]) -> None:
        arn, group = values
        assert arn.startswith(
            f"arn:aws:wafv2:{REGION}:{MOCK_ACCOUNT_ID}:regional/webacl/{ACL_NAME}/"
        )
        assert group == "aws-waf-logs-tap-test-euc1-waf"

    return pulumi.Output.all(component.web_acl_arn, component.log_group.name).apply(check)
