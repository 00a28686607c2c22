"""Which pulumi-aws inputs are which CloudFormation properties: an explicit, reviewed table.

pulumi-aws names inputs after the Terraform provider, not after CloudFormation: a bucket's
`bucket` is `BucketName`, an SQS queue's `messageRetentionSeconds` is `MessageRetentionPeriod`,
a cluster's `enabledCloudwatchLogsExports` is `EnableCloudwatchLogsExports`, and several
pulumi-aws types configure one part of a CloudFormation resource (`BucketVersioning` is the
bucket's `VersioningConfiguration`). So no name is derived by case conversion: each entry
below was read off both schemas. tests/constraints/test_mappings.py proves every entry exists
on both sides (pulumi-aws's classes, cfn-lint's schema in every region tap deploys to).

Paths are dotted; `name[]` walks into each item of a list. Only values the program or the
config decide are checked: identifiers and ARNs that the plan's mock engine invents (`vpc-...`,
`arn:...:key/...`) would test the mocks, not tap. They are mapped only where `tap diff` needs
their property to tell a replacement (`create_only_property`), marked `checked=False`.

`tags` is mapped on every taggable type the same way: pulumi's map becomes CloudFormation's
list of `{Key, Value}`, and each key and value is checked against the type's `Tag` schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tap import awsdata


@dataclass(frozen=True)
class Prop:
    """A CloudFormation property path, and pulumi values that never reach the AWS API.

    `provider_only` lists values the provider treats as "leave unset" (Lambda's reserved
    concurrency -1, a bucket versioning status of Disabled) so they are not checked.
    `checked=False`: the value is the mock engine's invention (a reference to another
    resource), so only its property is known, for `create_only_property`.
    """

    cfn: str
    provider_only: tuple[object, ...] = ()
    checked: bool = True


@dataclass(frozen=True)
class TypeMap:
    cfn_type: str
    properties: dict[str, Prop] = field(default_factory=dict)
    # The pulumi type configures one part of `cfn_type` (it has no CloudFormation type itself).
    part_of: bool = False
    # cfn-lint extension schemas (schemas/extensions/<dir>/<file>) that apply to the whole
    # resource; evaluated on the CloudFormation-shaped object of the mapped top-level values.
    extensions: tuple[str, ...] = ()


def _props(**mapping: str | Prop) -> dict[str, Prop]:
    return {k: v if isinstance(v, Prop) else Prop(v) for k, v in mapping.items()}


def _reference(cfn: str) -> Prop:
    """A property whose value the plan invents: known for tap diff, never checked."""
    return Prop(cfn, checked=False)


def _map(pulumi_type: str, properties: dict[str, Prop], *extensions: str) -> TypeMap:
    return TypeMap(awsdata.CFN_TYPES[pulumi_type], properties, extensions=extensions)


def _part(cfn_type: str, properties: dict[str, Prop]) -> TypeMap:
    return TypeMap(cfn_type, properties, part_of=True)


TAGS = "tags"
S3_BUCKET = "AWS::S3::Bucket"

# Ingress and egress rules (AWS::EC2::SecurityGroupIngress / Egress) name their fields alike.
_SECURITY_GROUP_RULE = _props(
    cidrIpv4="CidrIp",
    description="Description",
    fromPort="FromPort",
    toPort="ToPort",
    ipProtocol="IpProtocol",
)

MAPPINGS: dict[str, TypeMap] = {
    # --- ACM (tap:dns) -----------------------------------------------------------------------
    "aws:acm/certificate:Certificate": _map(
        "aws:acm/certificate:Certificate",
        _props(
            domainName="DomainName",
            subjectAlternativeNames="SubjectAlternativeNames",
            validationMethod="ValidationMethod",
            keyAlgorithm="KeyAlgorithm",
            tags="Tags",
        ),
    ),
    # --- API Gateway -------------------------------------------------------------------------
    "aws:apigateway/account:Account": _map("aws:apigateway/account:Account", {}),
    "aws:apigateway/basePathMapping:BasePathMapping": _map(
        "aws:apigateway/basePathMapping:BasePathMapping",
        _props(domainName="DomainName", stageName="Stage"),
    ),
    "aws:apigateway/deployment:Deployment": _map(
        "aws:apigateway/deployment:Deployment", _props(description="Description")
    ),
    # endpointConfiguration.types is one string in pulumi-aws v7 and a list in CloudFormation:
    # the component sets the constant REGIONAL, so it is left out rather than reshaped.
    "aws:apigateway/domainName:DomainName": _map(
        "aws:apigateway/domainName:DomainName",
        _props(domainName="DomainName", securityPolicy="SecurityPolicy", tags="Tags"),
    ),
    "aws:apigateway/integration:Integration": _part(
        "AWS::ApiGateway::Method",
        _props(
            type="Integration.Type",
            integrationHttpMethod="Integration.IntegrationHttpMethod",
            connectionType="Integration.ConnectionType",
            contentHandling="Integration.ContentHandling",
            passthroughBehavior="Integration.PassthroughBehavior",
            timeoutMilliseconds="Integration.TimeoutInMillis",
        ),
    ),
    "aws:apigateway/method:Method": _map(
        "aws:apigateway/method:Method",
        _props(
            authorization="AuthorizationType",
            httpMethod="HttpMethod",
            requestModels="RequestModels",
        ),
    ),
    "aws:apigateway/model:Model": _map(
        "aws:apigateway/model:Model",
        _props(name="Name", contentType="ContentType", description="Description", schema="Schema"),
    ),
    "aws:apigateway/requestValidator:RequestValidator": _map(
        "aws:apigateway/requestValidator:RequestValidator",
        _props(
            name="Name",
            validateRequestBody="ValidateRequestBody",
            validateRequestParameters="ValidateRequestParameters",
        ),
    ),
    "aws:apigateway/response:Response": _map(
        "aws:apigateway/response:Response",
        _props(
            responseType="ResponseType",
            statusCode="StatusCode",
            responseTemplates="ResponseTemplates",
            responseParameters="ResponseParameters",
        ),
    ),
    "aws:apigateway/methodSettings:MethodSettings": _part(
        "AWS::ApiGateway::Stage",
        {
            "settings.loggingLevel": Prop("MethodSettings[].LoggingLevel"),
            # -1 is the provider's "no throttling override" and is not sent.
            "settings.throttlingBurstLimit": Prop(
                "MethodSettings[].ThrottlingBurstLimit", provider_only=(-1,)
            ),
            "settings.throttlingRateLimit": Prop(
                "MethodSettings[].ThrottlingRateLimit", provider_only=(-1,)
            ),
            "settings.cacheTtlInSeconds": Prop("MethodSettings[].CacheTtlInSeconds"),
        },
    ),
    "aws:apigateway/resource:Resource": _map(
        "aws:apigateway/resource:Resource", _props(pathPart="PathPart")
    ),
    "aws:apigateway/restApi:RestApi": _map(
        "aws:apigateway/restApi:RestApi",
        _props(name="Name", description="Description", tags="Tags"),
    ),
    "aws:apigateway/stage:Stage": _map(
        "aws:apigateway/stage:Stage",
        _props(
            stageName="StageName",
            description="Description",
            tags="Tags",
            **{"accessLogSettings.format": "AccessLogSetting.Format"},
        ),
    ),
    # --- AWS Backup --------------------------------------------------------------------------
    # Tags are not mapped: BackupVaultTags and BackupPlanTags are maps in CloudFormation.
    "aws:backup/vault:Vault": _map(
        "aws:backup/vault:Vault",
        _props(name="BackupVaultName", kmsKeyArn=_reference("EncryptionKeyArn")),
    ),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _part(
        "AWS::Backup::BackupVault",
        _props(
            backupVaultName="BackupVaultName",
            minRetentionDays="LockConfiguration.MinRetentionDays",
            maxRetentionDays="LockConfiguration.MaxRetentionDays",
            changeableForDays="LockConfiguration.ChangeableForDays",
        ),
    ),
    "aws:backup/plan:Plan": _map(
        "aws:backup/plan:Plan",
        _props(
            name="BackupPlan.BackupPlanName",
            **{
                "rules[].ruleName": "BackupPlan.BackupPlanRule[].RuleName",
                "rules[].targetVaultName": "BackupPlan.BackupPlanRule[].TargetBackupVault",
                "rules[].schedule": "BackupPlan.BackupPlanRule[].ScheduleExpression",
                "rules[].startWindow": "BackupPlan.BackupPlanRule[].StartWindowMinutes",
                "rules[].completionWindow": ("BackupPlan.BackupPlanRule[].CompletionWindowMinutes"),
                "rules[].lifecycle.deleteAfter": (
                    "BackupPlan.BackupPlanRule[].Lifecycle.DeleteAfterDays"
                ),
                "rules[].copyActions[].lifecycle.deleteAfter": (
                    "BackupPlan.BackupPlanRule[].CopyActions[].Lifecycle.DeleteAfterDays"
                ),
            },
        ),
    ),
    "aws:backup/selection:Selection": _map(
        "aws:backup/selection:Selection", _props(name="BackupSelection.SelectionName")
    ),
    # --- CloudWatch --------------------------------------------------------------------------
    "aws:cloudwatch/dashboard:Dashboard": _map(
        "aws:cloudwatch/dashboard:Dashboard", _props(dashboardName="DashboardName")
    ),
    "aws:cloudwatch/logGroup:LogGroup": _map(
        "aws:cloudwatch/logGroup:LogGroup",
        _props(name="LogGroupName", retentionInDays="RetentionInDays", tags="Tags"),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _map(
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        _props(name="FilterName", pattern="FilterPattern", logGroupName="LogGroupName"),
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _map(
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy", _props(policyName="PolicyName")
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _map(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        _props(
            name="AlarmName",
            alarmDescription="AlarmDescription",
            comparisonOperator="ComparisonOperator",
            datapointsToAlarm="DatapointsToAlarm",
            evaluationPeriods="EvaluationPeriods",
            # pulumi's name is plural; CloudFormation's (and the API's) singular.
            evaluateLowSampleCountPercentiles="EvaluateLowSampleCountPercentile",
            extendedStatistic="ExtendedStatistic",
            metricName="MetricName",
            namespace="Namespace",
            period="Period",
            statistic="Statistic",
            threshold="Threshold",
            treatMissingData="TreatMissingData",
            unit="Unit",
            alarmActions="AlarmActions",
            okActions="OKActions",
            insufficientDataActions="InsufficientDataActions",
            tags="Tags",
        ),
        "aws_cloudwatch_alarm/period.json",
    ),
    # --- EC2 and VPC -------------------------------------------------------------------------
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _part(
        "AWS::EC2::SecurityGroup", _props(tags="Tags")
    ),
    "aws:ec2/eip:Eip": _map("aws:ec2/eip:Eip", _props(domain="Domain", tags="Tags")),
    "aws:ec2/flowLog:FlowLog": _map(
        "aws:ec2/flowLog:FlowLog",
        _props(
            trafficType="TrafficType",
            logDestinationType="LogDestinationType",
            maxAggregationInterval="MaxAggregationInterval",
            tags="Tags",
        ),
    ),
    "aws:ec2/internetGateway:InternetGateway": _map(
        "aws:ec2/internetGateway:InternetGateway", _props(tags="Tags")
    ),
    "aws:ec2/natGateway:NatGateway": _map(
        "aws:ec2/natGateway:NatGateway", _props(connectivityType="ConnectivityType", tags="Tags")
    ),
    "aws:ec2/route:Route": _map(
        "aws:ec2/route:Route", _props(destinationCidrBlock="DestinationCidrBlock")
    ),
    "aws:ec2/routeTable:RouteTable": _map("aws:ec2/routeTable:RouteTable", _props(tags="Tags")),
    # Only the two ids the mock engine invents: nothing tap decides.
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _map(
        "aws:ec2/routeTableAssociation:RouteTableAssociation", {}
    ),
    "aws:ec2/securityGroup:SecurityGroup": _map(
        "aws:ec2/securityGroup:SecurityGroup",
        _props(name="GroupName", description="GroupDescription", tags="Tags"),
    ),
    "aws:ec2/subnet:Subnet": _map(
        "aws:ec2/subnet:Subnet", _props(cidrBlock="CidrBlock", tags="Tags")
    ),
    "aws:ec2/vpc:Vpc": _map(
        "aws:ec2/vpc:Vpc",
        _props(cidrBlock="CidrBlock", instanceTenancy="InstanceTenancy", tags="Tags"),
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _map(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        _props(vpcEndpointType="VpcEndpointType", ipAddressType="IpAddressType", tags="Tags"),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _map(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", _SECURITY_GROUP_RULE
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _map(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", _SECURITY_GROUP_RULE
    ),
    # --- IAM and KMS -------------------------------------------------------------------------
    "aws:iam/role:Role": _map(
        "aws:iam/role:Role",
        _props(
            name="RoleName",
            description="Description",
            path="Path",
            maxSessionDuration="MaxSessionDuration",
            assumeRolePolicy="AssumeRolePolicyDocument",
            tags="Tags",
        ),
    ),
    # `role` is the role's name, which the mock engine replaces with an invented id.
    "aws:iam/rolePolicy:RolePolicy": _map(
        "aws:iam/rolePolicy:RolePolicy", _props(name="PolicyName", policy="PolicyDocument")
    ),
    "aws:kms/alias:Alias": _map("aws:kms/alias:Alias", _props(name="AliasName")),
    "aws:kms/key:Key": _map(
        "aws:kms/key:Key",
        _props(
            description="Description",
            keyUsage="KeyUsage",
            customerMasterKeySpec="KeySpec",
            # The waiting period before deletion: the API's PendingWindowInDays.
            deletionWindowInDays="PendingWindowInDays",
            rotationPeriodInDays="RotationPeriodInDays",
            tags="Tags",
        ),
    ),
    # --- Lambda ------------------------------------------------------------------------------
    "aws:lambda/codeSigningConfig:CodeSigningConfig": _map(
        "aws:lambda/codeSigningConfig:CodeSigningConfig",
        _props(
            description="Description",
            tags="Tags",
            **{
                "policies.untrustedArtifactOnDeployment": (
                    "CodeSigningPolicies.UntrustedArtifactOnDeployment"
                )
            },
        ),
    ),
    "aws:lambda/function:Function": _map(
        "aws:lambda/function:Function",
        _props(
            name="FunctionName",
            description="Description",
            handler="Handler",
            runtime="Runtime",
            memorySize="MemorySize",
            timeout="Timeout",
            # -1 is the provider's "no reserved concurrency" and is not sent.
            reservedConcurrentExecutions=Prop("ReservedConcurrentExecutions", provider_only=(-1,)),
            architectures="Architectures",
            packageType="PackageType",
            imageUri="Code.ImageUri",
            tags="Tags",
            **{
                "imageConfig.commands": "ImageConfig.Command",
                "tracingConfig.mode": "TracingConfig.Mode",
                "loggingConfig.logFormat": "LoggingConfig.LogFormat",
                "loggingConfig.logGroup": "LoggingConfig.LogGroup",
                "loggingConfig.applicationLogLevel": "LoggingConfig.ApplicationLogLevel",
                "loggingConfig.systemLogLevel": "LoggingConfig.SystemLogLevel",
                "ephemeralStorage.size": "EphemeralStorage.Size",
                "environment.variables": "Environment.Variables",
            },
        ),
    ),
    "aws:lambda/permission:Permission": _map(
        "aws:lambda/permission:Permission",
        _props(action="Action", principal="Principal", function="FunctionName"),
    ),
    # --- RDS ---------------------------------------------------------------------------------
    "aws:rds/cluster:Cluster": _map(
        "aws:rds/cluster:Cluster",
        _props(
            clusterIdentifier="DBClusterIdentifier",
            globalClusterIdentifier="GlobalClusterIdentifier",
            masterUsername="MasterUsername",
            databaseName="DatabaseName",
            backupRetentionPeriod="BackupRetentionPeriod",
            port="Port",
            engineMode="EngineMode",
            enabledCloudwatchLogsExports="EnableCloudwatchLogsExports",
            storageType="StorageType",
            monitoringInterval="MonitoringInterval",
            performanceInsightsRetentionPeriod="PerformanceInsightsRetentionPeriod",
            dbClusterParameterGroupName="DBClusterParameterGroupName",
            dbSubnetGroupName="DBSubnetGroupName",
            tags="Tags",
            **{
                "serverlessv2ScalingConfiguration.minCapacity": (
                    "ServerlessV2ScalingConfiguration.MinCapacity"
                ),
                "serverlessv2ScalingConfiguration.maxCapacity": (
                    "ServerlessV2ScalingConfiguration.MaxCapacity"
                ),
            },
        ),
    ),
    "aws:rds/clusterInstance:ClusterInstance": _map(
        "aws:rds/clusterInstance:ClusterInstance",
        _props(
            identifier="DBInstanceIdentifier",
            clusterIdentifier=_reference("DBClusterIdentifier"),
            monitoringInterval="MonitoringInterval",
            performanceInsightsRetentionPeriod="PerformanceInsightsRetentionPeriod",
            promotionTier="PromotionTier",
            caCertIdentifier="CACertificateIdentifier",
            dbParameterGroupName="DBParameterGroupName",
            tags="Tags",
        ),
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _map(
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        _props(
            name="DBClusterParameterGroupName",
            family="Family",
            description="Description",
            tags="Tags",
        ),
    ),
    "aws:rds/globalCluster:GlobalCluster": _map(
        "aws:rds/globalCluster:GlobalCluster",
        _props(globalClusterIdentifier="GlobalClusterIdentifier", engine="Engine", tags="Tags"),
    ),
    "aws:rds/parameterGroup:ParameterGroup": _map(
        "aws:rds/parameterGroup:ParameterGroup",
        _props(
            name="DBParameterGroupName", family="Family", description="Description", tags="Tags"
        ),
    ),
    "aws:rds/subnetGroup:SubnetGroup": _map(
        "aws:rds/subnetGroup:SubnetGroup",
        _props(name="DBSubnetGroupName", description="DBSubnetGroupDescription", tags="Tags"),
    ),
    # --- Route 53 (tap:dns) ------------------------------------------------------------------
    "aws:route53/healthCheck:HealthCheck": _map(
        "aws:route53/healthCheck:HealthCheck",
        _props(
            type="HealthCheckConfig.Type",
            fqdn="HealthCheckConfig.FullyQualifiedDomainName",
            port="HealthCheckConfig.Port",
            resourcePath="HealthCheckConfig.ResourcePath",
            requestInterval="HealthCheckConfig.RequestInterval",
            failureThreshold="HealthCheckConfig.FailureThreshold",
            enableSni="HealthCheckConfig.EnableSNI",
            measureLatency="HealthCheckConfig.MeasureLatency",
            childHealthThreshold="HealthCheckConfig.HealthThreshold",
            tags="HealthCheckTags",
        ),
    ),
    "aws:route53/record:Record": _map(
        "aws:route53/record:Record",
        _props(
            zoneId="HostedZoneId",
            name="Name",
            type="Type",
            ttl="TTL",
            setIdentifier="SetIdentifier",
            **{
                # pulumi-aws wraps each routing policy in a one-item list.
                "latencyRoutingPolicies[].region": "Region",
                "failoverRoutingPolicies[].type": "Failover",
                "aliases[].evaluateTargetHealth": "AliasTarget.EvaluateTargetHealth",
            },
        ),
    ),
    # --- S3: the bucket, and the pulumi-aws types that each set one part of it ----------------
    "aws:s3/bucket:Bucket": _map(
        "aws:s3/bucket:Bucket",
        _props(bucket="BucketName", bucketPrefix="BucketNamePrefix", tags="Tags"),
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _part(
        S3_BUCKET,
        _props(
            **{
                "rules[].id": "LifecycleConfiguration.Rules[].Id",
                "rules[].status": "LifecycleConfiguration.Rules[].Status",
                "rules[].abortIncompleteMultipartUpload.daysAfterInitiation": (
                    "LifecycleConfiguration.Rules[].AbortIncompleteMultipartUpload"
                    ".DaysAfterInitiation"
                ),
                "rules[].noncurrentVersionExpiration.noncurrentDays": (
                    "LifecycleConfiguration.Rules[].NoncurrentVersionExpiration.NoncurrentDays"
                ),
                "rules[].transitions[].storageClass": (
                    "LifecycleConfiguration.Rules[].Transitions[].StorageClass"
                ),
                "rules[].noncurrentVersionTransitions[].storageClass": (
                    "LifecycleConfiguration.Rules[].NoncurrentVersionTransitions[].StorageClass"
                ),
            }
        ),
    ),
    "aws:s3/bucketLogging:BucketLogging": _part(
        S3_BUCKET,
        _props(
            **{
                "targetPrefix": "LoggingConfiguration.LogFilePrefix",
                "targetObjectKeyFormat.partitionedPrefix.partitionDateSource": (
                    "LoggingConfiguration.TargetObjectKeyFormat.PartitionedPrefix"
                    ".PartitionDateSource"
                ),
            }
        ),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _part(
        S3_BUCKET, _props(**{"rule.objectOwnership": "OwnershipControls.Rules[].ObjectOwnership"})
    ),
    # A bucket policy is a JSON document: the policy rules and the IAM linter read it.
    "aws:s3/bucketPolicy:BucketPolicy": _map("aws:s3/bucketPolicy:BucketPolicy", {}),
    # Four booleans: nothing AWS could refuse.
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _part(S3_BUCKET, {}),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _part(
        S3_BUCKET,
        _props(
            **{
                f"rules[].{pulumi_path}": f"ReplicationConfiguration.Rules[].{cfn_path}"
                for pulumi_path, cfn_path in {
                    "id": "Id",
                    "priority": "Priority",
                    "status": "Status",
                    "filter.prefix": "Filter.Prefix",
                    "deleteMarkerReplication.status": "DeleteMarkerReplication.Status",
                    "destination.storageClass": "Destination.StorageClass",
                    "destination.metrics.status": "Destination.Metrics.Status",
                    "destination.metrics.eventThreshold.minutes": (
                        "Destination.Metrics.EventThreshold.Minutes"
                    ),
                    "destination.replicationTime.status": "Destination.ReplicationTime.Status",
                    "destination.replicationTime.time.minutes": (
                        "Destination.ReplicationTime.Time.Minutes"
                    ),
                    "sourceSelectionCriteria.sseKmsEncryptedObjects.status": (
                        "SourceSelectionCriteria.SseKmsEncryptedObjects.Status"
                    ),
                }.items()
            }
        ),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _part(
            S3_BUCKET,
            _props(
                **{
                    "rules[].applyServerSideEncryptionByDefault.sseAlgorithm": (
                        "BucketEncryption.ServerSideEncryptionConfiguration[]"
                        ".ServerSideEncryptionByDefault.SSEAlgorithm"
                    )
                }
            ),
        )
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _part(
        S3_BUCKET,
        {
            # Disabled is the provider's "never enabled": it makes no API call.
            "versioningConfiguration.status": Prop(
                "VersioningConfiguration.Status", provider_only=("Disabled",)
            )
        },
    ),
    # --- Secrets Manager, SNS, SQS -----------------------------------------------------------
    "aws:secretsmanager/secret:Secret": _map(
        "aws:secretsmanager/secret:Secret",
        _props(name="Name", description="Description", tags="Tags"),
    ),
    "aws:sns/topic:Topic": _map(
        "aws:sns/topic:Topic", _props(name="TopicName", displayName="DisplayName", tags="Tags")
    ),
    # A topic policy is a JSON document: the policy rules and the IAM linter read it.
    "aws:sns/topicPolicy:TopicPolicy": _map("aws:sns/topicPolicy:TopicPolicy", {}),
    "aws:sns/topicSubscription:TopicSubscription": _map(
        "aws:sns/topicSubscription:TopicSubscription", _props(protocol="Protocol")
    ),
    "aws:sqs/queue:Queue": _map(
        "aws:sqs/queue:Queue",
        _props(
            name="QueueName",
            fifoQueue="FifoQueue",
            # Renamed by pulumi-aws: seconds in the name, the API's attribute names in CFN.
            messageRetentionSeconds="MessageRetentionPeriod",
            visibilityTimeoutSeconds="VisibilityTimeout",
            receiveWaitTimeSeconds="ReceiveMessageWaitTimeSeconds",
            maxMessageSize="MaximumMessageSize",
            delaySeconds="DelaySeconds",
            kmsDataKeyReusePeriodSeconds="KmsDataKeyReusePeriodSeconds",
            tags="Tags",
        ),
        "aws_sqs_queue/properties.json",
    ),
}

# --- AWS Signer and AWS WAF ----------------------------------------------------------------------
MAPPINGS.update(
    {
        "aws:signer/signingProfile:SigningProfile": _map(
            "aws:signer/signingProfile:SigningProfile",
            _props(
                name="ProfileName",
                platformId="PlatformId",
                tags="Tags",
                **{
                    "signatureValidityPeriod.value": "SignatureValidityPeriod.Value",
                    "signatureValidityPeriod.type": "SignatureValidityPeriod.Type",
                },
            ),
        ),
        "aws:wafv2/webAcl:WebAcl": _map(
            "aws:wafv2/webAcl:WebAcl",
            _props(
                name="Name",
                description="Description",
                scope="Scope",
                tags="Tags",
                **{
                    "visibilityConfig.metricName": "VisibilityConfig.MetricName",
                    "rules[].name": "Rules[].Name",
                    "rules[].priority": "Rules[].Priority",
                    "rules[].visibilityConfig.metricName": "Rules[].VisibilityConfig.MetricName",
                    "rules[].statement.rateBasedStatement.limit": (
                        "Rules[].Statement.RateBasedStatement.Limit"
                    ),
                    "rules[].statement.rateBasedStatement.aggregateKeyType": (
                        "Rules[].Statement.RateBasedStatement.AggregateKeyType"
                    ),
                    "rules[].statement.rateBasedStatement.evaluationWindowSec": (
                        "Rules[].Statement.RateBasedStatement.EvaluationWindowSec"
                    ),
                    "rules[].statement.managedRuleGroupStatement.name": (
                        "Rules[].Statement.ManagedRuleGroupStatement.Name"
                    ),
                    "rules[].statement.managedRuleGroupStatement.vendorName": (
                        "Rules[].Statement.ManagedRuleGroupStatement.VendorName"
                    ),
                    "rules[].statement.managedRuleGroupStatement.ruleActionOverrides[].name": (
                        "Rules[].Statement.ManagedRuleGroupStatement.RuleActionOverrides[].Name"
                    ),
                },
            ),
        ),
        "aws:secretsmanager/secretRotation:SecretRotation": _map(
            "aws:secretsmanager/secretRotation:SecretRotation",
            _props(
                **{"rotationRules.automaticallyAfterDays": "RotationRules.AutomaticallyAfterDays"}
            ),
        ),
        "aws:wafv2/webAclAssociation:WebAclAssociation": _map(
            "aws:wafv2/webAclAssociation:WebAclAssociation", {}
        ),
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _map(
            "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
            {
                "loggingFilter.defaultBehavior": Prop("LoggingFilter.DefaultBehavior"),
                "loggingFilter.filters[].behavior": Prop("LoggingFilter.Filters[].Behavior"),
                "loggingFilter.filters[].requirement": Prop("LoggingFilter.Filters[].Requirement"),
                "loggingFilter.filters[].conditions[].actionCondition.action": Prop(
                    "LoggingFilter.Filters[].Conditions[].ActionCondition.Action"
                ),
                "redactedFields[].singleHeader.name": Prop("RedactedFields[].SingleHeader.Name"),
            },
        ),
    }
)

# Planned types with nothing to map, and why. A planned `aws:` type in neither table fails
# tests/constraints/test_mappings.py, so a new resource type gets a reviewed entry.
UNCHECKED: dict[str, str] = {
    "aws:acm/certificateValidation:CertificateValidation": (
        "no CloudFormation type: it waits for ACM to issue the certificate; its inputs are the "
        "certificate's ARN and its validation records' names, which the mock engine invents"
    ),
    "aws:iam/accountPasswordPolicy:AccountPasswordPolicy": (
        "no CloudFormation type; its values are tap's fixed floors (tap/baseline.py), which "
        "config cannot change"
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        "attaches a managed policy by ARN: no CloudFormation type, nothing tap names"
    ),
    "aws:signer/signingJob:SigningJob": (
        "no CloudFormation type (a signing job is an API call); its values are bucket names "
        "and the object version of the upload"
    ),
    "aws:s3/bucketObjectv2:BucketObjectv2": (
        "no CloudFormation type; tap names its key from the function's name, and its body is "
        "the function's zip"
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": (
        "no CloudFormation type; its only value is the secret itself, masked in the plan"
    ),
    "aws:lambda/invocation:Invocation": (
        "no CloudFormation type (the provider invokes the function at deploy); its input is "
        "the migration event, which the migration function checks"
    ),
}


def create_only_property(pulumi_type: str, input_name: str, region: str) -> str | None:
    """The CloudFormation property behind a top-level pulumi input that AWS cannot change in
    place (the schema's `createOnlyProperties`), or None when it can or the mapping is unsure.

    The mapping is taken as certain when MAPPINGS lists the input (`bucket` -> `BucketName`)
    or the input has the property's name up to case (`storageEncrypted` -> `StorageEncrypted`,
    `dbSubnetGroupName` -> `DBSubnetGroupName`); any other input is not judged.
    """
    cfn_type = awsdata.CFN_TYPES.get(pulumi_type)
    if cfn_type is None:
        return None
    schema = awsdata.resource_schema(cfn_type, region)
    create_only = {
        path.removeprefix("/properties/")
        for path in schema.get("createOnlyProperties", [])
        if path.count("/") == 2
    }
    mapping = MAPPINGS.get(pulumi_type)
    listed = mapping.properties.get(input_name) if mapping is not None else None
    if listed is not None:
        return listed.cfn if listed.cfn in create_only else None
    by_lower = {name.lower(): name for name in create_only}
    return by_lower.get(input_name.lower())
