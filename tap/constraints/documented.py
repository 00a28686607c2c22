"""AWS limits that the CloudFormation schemas leave out, each from the API reference page.

The provider schemas carry no pattern for several names tap sets (an SQS queue's, an SNS
topic's, a dashboard's, a secret's, a DB subnet group's), and leave some enums in prose only
(RDS monitoring intervals, a flow log's aggregation interval, a stage's logging level).
botocore's service models do not carry them either. So this table keeps each rule as a small
JSON-schema fragment, evaluated like the schemas' own, with the page it was read from. It is
the only copy in tap: tests/constraints/test_documented.py tries each rule's edges.

Patterns are ECMA-262, as in the schemas (`\\Z`-anchored and ASCII-only when evaluated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tap.limits import SECRET_NAME_ARN_SUFFIX_PATTERN


@dataclass(frozen=True)
class DocumentedRule:
    schema: dict[str, Any]
    source: str  # the AWS documentation page that states the rule


_NAME = r"^[A-Za-z0-9_-]+$"
# RDS names of parameter groups: a letter first, no trailing or doubled hyphen (the schemas'
# pattern has this), and at most 255 characters (the schemas leave the length out).
_RDS_GROUP_NAME = {"maxLength": 255}
_RDS_MONITORING = {"enum": [0, 1, 5, 10, 15, 30, 60]}
_SG_RULE_DESCRIPTION = {"maxLength": 255, "pattern": r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$"}

DOCUMENTED: dict[tuple[str, str], DocumentedRule] = {
    ("AWS::SQS::Queue", "QueueName"): DocumentedRule(
        {"minLength": 1, "maxLength": 80, "pattern": r"^[A-Za-z0-9_-]+(\.fifo)?$"},
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
    ),
    ("AWS::SNS::Topic", "TopicName"): DocumentedRule(
        {"minLength": 1, "maxLength": 256, "pattern": r"^[A-Za-z0-9_-]+(\.fifo)?$"},
        "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    ),
    ("AWS::CloudWatch::Dashboard", "DashboardName"): DocumentedRule(
        {"minLength": 1, "maxLength": 255, "pattern": _NAME},
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
    ),
    ("AWS::SecretsManager::Secret", "Name"): DocumentedRule(
        {
            "minLength": 1,
            "maxLength": 512,
            "pattern": r"^[A-Za-z0-9/_+=.@-]+$",
            # "Do not end your secret name with a hyphen followed by six characters."
            "not": {"pattern": SECRET_NAME_ARN_SUFFIX_PATTERN},
        },
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    ),
    ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName"): DocumentedRule(
        {"maxLength": 255, "pattern": r"^[A-Za-z0-9._ -]+$", "not": {"enum": ["default"]}},
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html",
    ),
    ("AWS::RDS::DBClusterParameterGroup", "DBClusterParameterGroupName"): DocumentedRule(
        _RDS_GROUP_NAME,
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBClusterParameterGroup.html",
    ),
    ("AWS::RDS::DBParameterGroup", "DBParameterGroupName"): DocumentedRule(
        _RDS_GROUP_NAME,
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html",
    ),
    ("AWS::RDS::DBCluster", "MonitoringInterval"): DocumentedRule(
        _RDS_MONITORING,
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
    ),
    ("AWS::RDS::DBInstance", "MonitoringInterval"): DocumentedRule(
        _RDS_MONITORING,
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
    ),
    ("AWS::EC2::FlowLog", "MaxAggregationInterval"): DocumentedRule(
        {"enum": [60, 600]},
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html",
    ),
    ("AWS::EC2::SecurityGroupIngress", "Description"): DocumentedRule(
        _SG_RULE_DESCRIPTION,
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
    ),
    ("AWS::EC2::SecurityGroupEgress", "Description"): DocumentedRule(
        _SG_RULE_DESCRIPTION,
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
    ),
    ("AWS::ApiGateway::Stage", "StageName"): DocumentedRule(
        {"minLength": 1, "maxLength": 128, "pattern": _NAME},
        "https://docs.aws.amazon.com/apigateway/latest/api/API_CreateStage.html",
    ),
    ("AWS::ApiGateway::Stage", "MethodSettings[].LoggingLevel"): DocumentedRule(
        {"enum": ["OFF", "ERROR", "INFO"]},
        "https://docs.aws.amazon.com/apigateway/latest/api/API_MethodSetting.html",
    ),
    ("AWS::ApiGateway::Method", "AuthorizationType"): DocumentedRule(
        {"enum": ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"]},
        "https://docs.aws.amazon.com/apigateway/latest/api/API_PutMethod.html",
    ),
    ("AWS::SNS::Subscription", "Protocol"): DocumentedRule(
        {
            "enum": [
                "http",
                "https",
                "email",
                "email-json",
                "sms",
                "sqs",
                "application",
                "lambda",
                "firehose",
            ]
        },
        "https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html",
    ),
}
