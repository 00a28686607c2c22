"""The AWS managed policies tap knows, with what each one grants.

A managed policy attached to a role is judged by its document, like an inline policy. AWS keeps
the documents, so tap keeps a copy of each policy it attaches (taken from the AWS Managed Policy
Reference, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html, at the
version noted); an AWS managed policy missing here is refused (rule iam-managed-policies-known)
rather than trusted. tests/policy/rules/test_aws_managed.py compares each copy with the one
moto ships, which is taken from AWS, so a new version of a policy fails the suite.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# arn:<partition>:iam::aws:policy/<path><name>: the account field "aws" marks an AWS managed one.
_AWS_MANAGED_ARN = re.compile(r"arn:[a-z-]+:iam::aws:policy(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)")


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    path: str
    version: str
    document: Mapping[str, Any]
    # Why a Resource "*" in this policy is accepted, for iam-no-wildcard-resources; None when it
    # is not.
    accepted_wildcard: str | None = None


MANAGED_POLICIES: dict[str, ManagedPolicy] = {
    policy.name: policy
    for policy in (
        ManagedPolicy(
            name="AmazonAPIGatewayPushToCloudWatchLogs",
            path="/service-role/",
            version="v1",
            document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogGroup",
                            "logs:CreateLogStream",
                            "logs:DescribeLogGroups",
                            "logs:DescribeLogStreams",
                            "logs:PutLogEvents",
                            "logs:GetLogEvents",
                            "logs:FilterLogEvents",
                        ],
                        "Resource": "*",
                    }
                ],
            },
            accepted_wildcard=(
                "API Gateway's account-level logging role serves every REST API of the account "
                "in the region (their execution log groups are API-Gateway-Execution-Logs_<api "
                "id>/<stage>), and API Gateway checks that the role holds this policy's "
                "permissions when the account setting names it"
            ),
        ),
        ManagedPolicy(
            name="AmazonRDSEnhancedMonitoringRole",
            path="/service-role/",
            version="v1",
            document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "EnableCreationAndManagementOfRDSCloudwatchLogGroups",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                        "Resource": ["arn:aws:logs:*:*:log-group:RDS*"],
                    },
                    {
                        "Sid": "EnableCreationAndManagementOfRDSCloudwatchLogStreams",
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                            "logs:GetLogEvents",
                        ],
                        "Resource": ["arn:aws:logs:*:*:log-group:RDS*:log-stream:*"],
                    },
                ],
            },
        ),
        # No longer attached: the function's role grants a scoped inline equivalent
        # (tap/components/policies.py). Kept so that attaching it again is judged, and fails.
        ManagedPolicy(
            name="AWSLambdaVPCAccessExecutionRole",
            path="/service-role/",
            version="v3",
            document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AWSLambdaVPCAccessExecutionPermissions",
                        "Effect": "Allow",
                        "Action": [
                            "logs:CreateLogGroup",
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "ec2:CreateNetworkInterface",
                            "ec2:DescribeNetworkInterfaces",
                            "ec2:DescribeSubnets",
                            "ec2:DeleteNetworkInterface",
                            "ec2:AssignPrivateIpAddresses",
                            "ec2:UnassignPrivateIpAddresses",
                        ],
                        "Resource": "*",
                    }
                ],
            },
        ),
    )
}


def is_aws_managed(arn: str) -> bool:
    return _AWS_MANAGED_ARN.fullmatch(arn) is not None


def managed_policy(arn: str) -> ManagedPolicy | None:
    """The policy an AWS managed policy ARN names, if tap knows it (path included)."""
    match = _AWS_MANAGED_ARN.fullmatch(arn)
    if match is None:
        return None
    policy = MANAGED_POLICIES.get(match["name"])
    return policy if policy is not None and policy.path == match["path"] else None
