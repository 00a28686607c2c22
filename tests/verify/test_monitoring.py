"""Alarm checks: each alarm of the stack exists, has its actions on and notifies the topic."""

from __future__ import annotations

from pathlib import Path

from tests.verify.canned import TOPIC, findings_with


def test_a_missing_alarm_is_a_fail(project: Path) -> None:
    assert findings_with(project, DescribeAlarms={"MetricAlarms": []}) == [
        ("CloudWatch.15", "fail", "not found (ResourceNotFoundException)")
    ]


def test_an_alarm_that_notifies_nobody_or_is_disabled_is_drift(project: Path) -> None:
    def alarms(actions_enabled: bool, actions: list[str]) -> dict[str, object]:
        alarm = {
            "AlarmName": "tap-unit-use1-alarm-lambda-errors",
            "ActionsEnabled": actions_enabled,
            "AlarmActions": actions,
        }
        return {"MetricAlarms": [alarm]}

    assert findings_with(project, DescribeAlarms=alarms(True, [])) == [
        ("CloudWatch.15", "drift", "actions enabled, notify nobody")
    ]
    assert findings_with(project, DescribeAlarms=alarms(False, [TOPIC])) == [
        ("CloudWatch.15", "drift", f"actions disabled, notify {TOPIC}")
    ]


def test_a_reply_that_is_not_the_document_is_unknown(project: Path) -> None:
    no_state = {"MetricAlarms": [{"AlarmName": "tap-unit-use1-alarm-lambda-errors"}]}
    nameless = {"MetricAlarms": [{"ActionsEnabled": True}]}

    assert findings_with(project, DescribeAlarms=no_state) == [
        ("CloudWatch.15", "unknown", "unexpected reply (no ActionsEnabled)")
    ]
    assert findings_with(project, DescribeAlarms=nameless) == [
        ("CloudWatch.15", "unknown", "unexpected reply (no AlarmName)")
    ]
