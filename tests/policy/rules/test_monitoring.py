"""CloudWatch rules: one violation per rule."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tests.policy.rules.support import KEY_ARN, Case, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "cloudwatch-log-group-retention": Case(
        [res(r.LOG_GROUP, kmsKeyId=KEY_ARN)], "keeps logs forever"
    ),
    "cloudwatch-log-group-kms": Case(
        [res(r.LOG_GROUP, retentionInDays=30)], "not encrypted with a customer managed key"
    ),
    "cloudwatch-alarm-has-actions": Case([res(r.ALARM, alarmActions=[])], "has no alarmActions"),
    "cloudwatch-alarm-actions-enabled": Case(
        [res(r.ALARM, alarmActions=["arn:aws:sns:x"], actionsEnabled=False)],
        "disables its actions",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "cloudwatch-log-group-retention",
    "cloudwatch-log-group-kms",
}
