"""Monitoring of a web ACL: blocked requests on the dashboard, and an alarm on a spike."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from tap.components.monitoring import (
    AlarmThresholds,
    DashboardTargets,
    Monitoring,
    WafWatch,
    alarm_specs,
    dashboard_widgets,
)
from tap.components.waf import rule_metric_name, rule_specs, web_acl_name
from tests.components.test_monitoring import monitoring_args
from tests.conftest import labels_for, plan_program

REGION = "us-west-2"
ACL = web_acl_name(labels_for(REGION))
WATCH = WafWatch(ACL, [rule_metric_name(ACL, spec.slug) for spec in rule_specs()])
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def targets(waf: WafWatch | None) -> DashboardTargets:
    return DashboardTargets(
        region=REGION,
        function_name="fn",
        api_name="api",
        stage_name="v1",
        bucket_name="bucket",
        waf=waf,
    )


def test_the_dashboard_shows_allowed_and_blocked_requests_and_blocks_per_rule() -> None:
    widgets = {w["properties"]["title"]: w["properties"] for w in dashboard_widgets(targets(WATCH))}
    totals = widgets["WAF requests allowed and blocked"]["metrics"]
    assert ["AWS/WAFV2", "BlockedRequests", "WebACL", ACL, "Region", REGION, "Rule", "ALL"] in (
        totals
    )
    assert ["AWS/WAFV2", "AllowedRequests", "WebACL", ACL, "Region", REGION, "Rule", "ALL"] in (
        totals
    )
    per_rule = widgets["WAF blocked requests by rule"]["metrics"]
    assert [row[-1] for row in per_rule] == [
        f"{ACL}-ip-reputation",
        f"{ACL}-rate-limit",
        f"{ACL}-common",
        f"{ACL}-known-bad-inputs",
    ]
    assert {row[1] for row in per_rule} == {"BlockedRequests"}


def test_no_waf_widget_or_alarm_without_a_web_acl() -> None:
    titles = [w["properties"]["title"] for w in dashboard_widgets(targets(None))]
    assert not [t for t in titles if "WAF" in t]
    assert not [s for s in alarm_specs(monitoring_args()) if s.namespace == "AWS/WAFV2"]


def test_the_spike_alarm_counts_every_block_of_the_acl_against_the_configured_threshold() -> None:
    args = dataclasses.replace(
        monitoring_args(), waf=WATCH, thresholds=AlarmThresholds(waf_blocked_requests=250)
    )
    (spec,) = [s for s in alarm_specs(args) if s.key == "waf-blocked-requests"]
    assert (spec.namespace, spec.metric_name, spec.statistic) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
    )
    assert spec.dimensions == {"WebACL": ACL, "Region": REGION, "Rule": "ALL"}
    assert (spec.comparison_operator, spec.threshold) == ("GreaterThanOrEqualToThreshold", 250)
    # No blocks, no datapoints: quiet is fine.
    assert spec.treat_missing_data == "notBreaching"


def test_the_component_creates_the_alarm_and_renders_the_widgets() -> None:
    def program() -> None:
        Monitoring(
            "tap-test-usw2-monitoring",
            dataclasses.replace(monitoring_args(), waf=WATCH),
            opts=pulumi.ResourceOptions(providers=[aws.Provider("p", region=REGION)]),
        )

    resources = plan_program(program)["resources"]
    alarms = {r["name"]: r["inputs"] for r in resources if r["type"] == ALARM}
    alarm = alarms["tap-test-usw2-alarm-waf-blocked-requests"]
    assert alarm["metricName"] == "BlockedRequests"
    assert alarm["threshold"] == 1000
    (board,) = [r for r in resources if r["type"] == "aws:cloudwatch/dashboard:Dashboard"]
    body: dict[str, Any] = json.loads(board["inputs"]["dashboardBody"])
    assert "WAF blocked requests by rule" in [w["properties"]["title"] for w in body["widgets"]]
