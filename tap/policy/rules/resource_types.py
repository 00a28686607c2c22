"""The resource types the rules read, by the engine's type tokens (pulumi-aws, pulumi-random).

Plain strings, so the rules stay importable without pulumi_aws.
"""

from __future__ import annotations

API_ACCOUNT = "aws:apigateway/account:Account"
API_METHOD = "aws:apigateway/method:Method"
API_METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
API_RESOURCE = "aws:apigateway/resource:Resource"
API_STAGE = "aws:apigateway/stage:Stage"
API_DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
ACM_CERTIFICATE = "aws:acm/certificate:Certificate"
ROUTE53_HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
ROUTE53_RECORD = "aws:route53/record:Record"
REST_API = "aws:apigateway/restApi:RestApi"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PASSWORD_POLICY = "aws:iam/accountPasswordPolicy:AccountPasswordPolicy"
IAM_GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
IAM_GROUP_POLICY_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"
IAM_USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
IAM_ROLE_POLICY_ATTACHMENTS_EXCLUSIVE = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
)
IAM_GROUP_POLICY_ATTACHMENTS_EXCLUSIVE = (
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive"
)
IAM_USER_POLICY_ATTACHMENTS_EXCLUSIVE = (
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive"
)
KMS_KEY = "aws:kms/key:Key"
LAMBDA_FUNCTION = "aws:lambda/function:Function"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
RDS_INSTANCE = "aws:rds/instance:Instance"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
BUCKET_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
BUCKET_SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
SECRET_TYPE = "aws:secretsmanager/secret:Secret"
SNS_TOPIC = "aws:sns/topic:Topic"
SQS_QUEUE = "aws:sqs/queue:Queue"
STACK = "pulumi:pulumi:Stack"
WAF_WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"
SIGNING_PROFILE = "aws:signer/signingProfile:SigningProfile"
SIGNING_JOB = "aws:signer/signingJob:SigningJob"
CODE_SIGNING_CONFIG = "aws:lambda/codeSigningConfig:CodeSigningConfig"
BUCKET_OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"

# Types whose pulumi-aws class accepts `tags` (tests keep this in step with pulumi_aws).
TAGGABLE_TYPES = (
    ACM_CERTIFICATE,
    API_DOMAIN_NAME,
    REST_API,
    API_STAGE,
    LOG_GROUP,
    ALARM,
    DEFAULT_SG,
    "aws:ec2/eip:Eip",
    FLOW_LOG,
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    SECURITY_GROUP,
    SUBNET,
    VPC,
    VPC_ENDPOINT,
    IAM_POLICY,
    IAM_ROLE,
    KMS_KEY,
    LAMBDA_FUNCTION,
    RDS_CLUSTER,
    RDS_CLUSTER_INSTANCE,
    "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup",
    ROUTE53_HEALTH_CHECK,
    BUCKET,
    SECRET_TYPE,
    SNS_TOPIC,
    SQS_QUEUE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    SG_INGRESS_RULE,
    WAF_WEB_ACL,
    BACKUP_VAULT,
    BACKUP_PLAN,
    SIGNING_PROFILE,
    CODE_SIGNING_CONFIG,
    BUCKET_OBJECT,
)
