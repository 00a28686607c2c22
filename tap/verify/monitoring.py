"""CloudWatch alarms: each one the stack creates exists and notifies the region's alarm topic.

Mirrors tap.components.monitoring: every alarm has its actions enabled and publishes to the
region's SNS alarm topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.verify.context import Context, failure
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import UnexpectedReply, items, required

ALARM_ACTIONS = Control(
    "CloudWatch.15", "alarm-actions", "the alarm exists and notifies the alarm topic"
)
CONTROLS = (ALARM_ACTIONS,)

# DescribeAlarms takes at most 100 names per call (AlarmNames, CloudWatch API reference).
_DESCRIBE_ALARMS_LIMIT = 100


def check(ctx: Context, region: str) -> list[CheckResult]:
    api = ctx.region(region)["api"]
    names: list[str] = api["alarmNames"]
    topic = api["alarmTopicArn"]
    expected = f"actions enabled, notify {topic}"

    def actions(alarm: Mapping[str, Any]) -> tuple[str, bool]:
        targets = items(alarm, "AlarmActions", str)
        on = required(alarm, "ActionsEnabled", bool)
        actual = (
            f"actions {'enabled' if on else 'disabled'}, notify {', '.join(targets) or 'nobody'}"
        )
        return actual, on and topic in targets

    found = _alarms(ctx, region, names)
    return [
        ALARM_ACTIONS.evaluate(
            region,
            name,
            expected,
            found if isinstance(found, Failure) else found.get(name, _MISSING),
            actions,
        )
        for name in names
    ]


_MISSING = failure("ResourceNotFoundException")


def _alarms(ctx: Context, region: str, names: list[str]) -> dict[str, Any] | Failure:
    """The metric alarms among `names`, by name."""
    found: dict[str, Any] = {}
    for start in range(0, len(names), _DESCRIBE_ALARMS_LIMIT):
        chunk = names[start : start + _DESCRIBE_ALARMS_LIMIT]
        reply = ctx.read("cloudwatch", region, "describe_alarms", AlarmNames=chunk)
        if isinstance(reply, Failure):
            return reply
        try:
            alarms = items(reply, "MetricAlarms", dict)
            found.update({required(alarm, "AlarmName", str): alarm for alarm in alarms})
        except UnexpectedReply as error:
            return Failure.unexpected(error)
    return found
