"""CloudWatch log groups: every one tap creates is KMS-encrypted and has a retention."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from tap.config import LOG_RETENTION_DAYS
from tap.naming import Labels


def validate_log_retention(days: int) -> None:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(
            f"log_retention_days {days} is not a retention CloudWatch Logs accepts; use one "
            f"of {', '.join(map(str, LOG_RETENTION_DAYS))}"
        )


def encrypted_log_group(
    parent: pulumi.Resource,
    labels: Labels,
    logical_name: str,
    *,
    group_name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
) -> aws.cloudwatch.LogGroup:
    """A log group created by tap (not left to the service), so it gets a key and a retention."""
    validate_log_retention(retention_days)
    return aws.cloudwatch.LogGroup(
        logical_name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=labels.tags(logical_name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
