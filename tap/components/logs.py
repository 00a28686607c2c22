"""CloudWatch log groups: every one tap creates is KMS-encrypted and has a retention.

The retention comes validated from tap.config (a value CloudWatch Logs accepts, from AWS's data).
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from tap.naming import Labels


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
    return aws.cloudwatch.LogGroup(
        logical_name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=labels.tags(logical_name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
