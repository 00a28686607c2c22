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
