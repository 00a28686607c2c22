"""CloudWatch Logs: every log group the stack creates expires and uses the region's key.

Mirrors tap.components.logs: the VPC flow log group, the function's, the API's access and
execution log groups, and the groups the region's Aurora cluster exports its logs to, each with
`logRetentionDays` and encrypted with the region's key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tap.aurora import LOG_EXPORTS, exported_log_group_name
from tap.verify.context import Context, failure
from tap.verify.kms import is_region_key
from tap.verify.model import CheckResult, Control, Failure
from tap.verify.replies import UnexpectedReply, optional, required

RETENTION = Control("CloudWatch.16", "log-retention", "retention is logRetentionDays")
# FSBP has no control for log group encryption; this id is tap's own.
ENCRYPTION = Control("TAP.2", "log-encryption", "the log group is encrypted with the region's key")
CONTROLS = (RETENTION, ENCRYPTION)


def check(ctx: Context, region: str) -> list[CheckResult]:
    outputs = ctx.region(region)
    names = list(outputs["api"]["logGroupNames"])
    if outputs["flowLogGroupName"]:
        names.insert(0, outputs["flowLogGroupName"])
    if outputs["database"] is not None:
        identifier = outputs["database"]["clusterIdentifier"]
        names += [exported_log_group_name(identifier, log_type) for log_type in LOG_EXPORTS]
    days = f"{ctx.config.log_retention_days} days"
    key = outputs["kmsKeyArn"]

    def retention(group: Mapping[str, Any]) -> str:
        value = optional(group, "retentionInDays", int)
        return f"{value} days" if value else "never expire"

    def encryption(group: Mapping[str, Any]) -> tuple[str, bool]:
        group_key = optional(group, "kmsKeyId", str)
        return group_key or "AWS-owned key", is_region_key(group_key, outputs)

    results = []
    for name in names:
        group = _log_group(ctx, region, name)
        results.append(RETENTION.evaluate(region, name, days, group, retention))
        results.append(ENCRYPTION.evaluate(region, name, key, group, encryption))
    return results


def _log_group(ctx: Context, region: str, name: str) -> Mapping[str, Any] | Failure:
    """The group named exactly `name` (describe_log_groups matches by prefix)."""
    groups = ctx.read_all(
        "logs", region, "describe_log_groups", "logGroups", logGroupNamePrefix=name
    )
    if isinstance(groups, Failure):
        return groups
    try:
        found = [group for group in groups if required(group, "logGroupName", str) == name]
    except UnexpectedReply as error:
        return Failure.unexpected(error)
    return found[0] if found else failure("ResourceNotFoundException")
