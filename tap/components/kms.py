"""A customer-managed KMS key per region, for logs now and S3, Aurora, SNS and Lambda later."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from tap.components.policies import regional_key_policy
from tap.naming import Labels


@dataclass(frozen=True)
class RegionalKeyArgs:
    labels: Labels
    region: str
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    # KMS allows 7-30 days; longer in prod gives time to notice a mistaken deletion.
    deletion_window_days: int
    # Protect the key from `pulumi destroy`: losing it makes every ciphertext unreadable.
    protect: bool = False


class RegionalKey(pulumi.ComponentResource):
    key: aws.kms.Key
    alias: aws.kms.Alias
    key_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: RegionalKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:kms:RegionalKey", name, None, opts)
        labels = args.labels
        key_name = labels.name("kms")
        policy = pulumi.Output.all(args.partition, args.account_id).apply(
            lambda values: regional_key_policy(
                partition=values[0], account_id=values[1], region=args.region
            )
        )
        self.key = aws.kms.Key(
            key_name,
            description=f"tap {labels.namer.suffix} {args.region}: logs, S3, Aurora, SNS, Lambda",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            multi_region=False,
            policy=policy,
            tags=labels.tags(key_name),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.alias = aws.kms.Alias(
            labels.name("kms-alias"),
            name=f"alias/{key_name}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_arn = self.key.arn
        self.key_id = self.key.key_id
        self.alias_name = self.alias.name
        self.register_outputs(
            {"keyArn": self.key_arn, "keyId": self.key_id, "aliasName": self.alias_name}
        )
