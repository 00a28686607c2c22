"""IAM and key policy documents as Python data (pure), rendered with json.dumps.

Building policies from dicts (not string templates) keeps them valid JSON and lets tests
assert on their structure.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

PolicyDocument = dict[str, Any]


def document(*statements: dict[str, Any]) -> PolicyDocument:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def render(doc: PolicyDocument) -> str:
    return json.dumps(doc, sort_keys=True)


def service_assume_role(service: str, conditions: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Sid": "AllowServiceToAssume",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = conditions
    return render(document(statement))


def regional_key_policy(*, partition: str, account_id: str, region: str) -> str:
    """The account administers the key; this region's CloudWatch Logs may use it for its groups,
    and this account's CloudWatch alarms may publish to topics encrypted with it.

    The root statement is how AWS delegates key access to IAM policies in the account (in a key
    policy, `Resource: "*"` means this key); the service statements are scoped by encryption
    context or source account.
    """
    logs_arn = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    return render(
        document(
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsUseKey",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:GenerateDataKey*",
                    "kms:ReEncrypt*",
                ],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arn}},
            },
            {
                # Alarms publish to the region's KMS-encrypted SNS topic; without this grant
                # CloudWatch's publish fails silently and nobody is paged.
                "Sid": "CloudWatchAlarmsPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        )
    )


def flow_log_trust(*, partition: str, account_id: str, region: str) -> str:
    """Only VPC Flow Logs of this account and region may assume the role (confused deputy)."""
    return service_assume_role(
        "vpc-flow-logs.amazonaws.com",
        {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {
                "aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"
            },
        },
    )


def flow_log_delivery(log_group_arn: str) -> str:
    """Write access to exactly one log group and its streams."""
    return render(
        document(
            {
                "Sid": "DeliverFlowLogs",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
            }
        )
    )


def lambda_vpc_access_statements(
    *,
    partition: str,
    region: str,
    account_id: str,
    subnet_ids: Sequence[str],
    security_group_id: str,
) -> list[dict[str, Any]]:
    """What Lambda needs to give a function its network interfaces in the VPC (the actions of
    the managed AWSLambdaVPCAccessExecutionRole but its CloudWatch Logs ones), each scoped as far
    as EC2's IAM allows (Service Authorization Reference, Amazon EC2):

    - CreateNetworkInterface authorizes the new interface, its subnet and its security groups:
      the subnets and the group are named; the interface's id is not known before it exists.
    - DeleteNetworkInterface, AssignPrivateIpAddresses and UnassignPrivateIpAddresses authorize
      the interface alone: `ec2:Subnet` keeps them to interfaces in the function's subnets.
      The resource is every id of the account and region because Lambda's guide requires that
      for DeleteNetworkInterface ("or your function may not be able to access the VPC"), and
      IfExists lets a request that names no existing interface through that condition.
    - DescribeNetworkInterfaces and DescribeSubnets support no resource-level permissions, so
      they take `Resource: "*"` (for DescribeNetworkInterfaces Lambda's guide says so too).
    """
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    subnets = [f"{ec2}:subnet/{subnet}" for subnet in subnet_ids]
    return [
        {
            "Sid": "CreateNetworkInterfacesInFunctionSubnets",
            "Effect": "Allow",
            "Action": "ec2:CreateNetworkInterface",
            "Resource": [
                f"{ec2}:network-interface/*",
                *subnets,
                f"{ec2}:security-group/{security_group_id}",
            ],
        },
        {
            "Sid": "ManageNetworkInterfacesInFunctionSubnets",
            "Effect": "Allow",
            "Action": [
                "ec2:AssignPrivateIpAddresses",
                "ec2:DeleteNetworkInterface",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": f"{ec2}:*/*",
            "Condition": {"ArnEqualsIfExists": {"ec2:Subnet": subnets}},
        },
        {
            "Sid": "DescribeNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
            "Resource": "*",
        },
    ]


# S3 refuses requests below this TLS version once the bucket policy says so (FSBP S3.5).
MIN_TLS_VERSION = 1.2


def tls_only_statements(arn: str) -> list[dict[str, Any]]:
    """Deny plain HTTP and TLS < 1.2 for everyone (FSBP S3.5), on the bucket and its objects."""
    resources = [arn, f"{arn}/*"]
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": MIN_TLS_VERSION}},
        },
    ]
