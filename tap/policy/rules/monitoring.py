"""CloudWatch: log groups that expire and are encrypted, alarms that notify."""

from __future__ import annotations

from collections.abc import Iterator

from tap.baseline import PROD_MIN_LOG_RETENTION_DAYS
from tap.policy.rules.core import (
    ADVISORY,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    is_opaque,
    is_set,
    items,
    number,
)
from tap.policy.rules.resource_types import ALARM, LOG_GROUP

_book = RuleBook()


@_book.resource(
    "cloudwatch-log-group-retention",
    "CloudWatch.16",
    "Log groups expire their events: any retention outside prod, at least 365 days in prod.",
    LOG_GROUP,
    uses_environment=True,
)
def _log_retention(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("retentionInDays")
    if is_opaque(raw):
        return
    days = number(raw)
    if not days:
        yield f"{r.name} keeps logs forever; set retentionInDays"
    elif config.is_prod and days < PROD_MIN_LOG_RETENTION_DAYS:
        yield f"{r.name} keeps logs {raw} days; prod needs at least {PROD_MIN_LOG_RETENTION_DAYS}"


@_book.resource(
    "cloudwatch-log-group-kms",
    "TAP.2",
    "Log groups are encrypted with a customer managed KMS key (kmsKeyId).",
    LOG_GROUP,
)
def _log_kms(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not is_set(r.props.get("kmsKeyId")):
        yield f"{r.name} is not encrypted with a customer managed key (kmsKeyId)"


@_book.resource(
    "cloudwatch-alarm-has-actions",
    "CloudWatch.15",
    "Metric alarms notify someone: alarmActions is not empty.",
    ALARM,
)
def _alarm_actions(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if items(r.props.get("alarmActions")) == []:
        yield f"{r.name} has no alarmActions; nobody hears it"


@_book.resource(
    "cloudwatch-alarm-actions-enabled",
    "CloudWatch.17",
    "Metric alarms keep their actions enabled.",
    ALARM,
    enforcement=ADVISORY,
)
def _alarm_enabled(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("actionsEnabled") is False:
        yield f"{r.name} disables its actions (actionsEnabled: false)"


RULES = _book.rules
