"""The CrossGuard rules as plain Python: no pulumi_policy import and no Pulumi calls.

Each rule names the AWS Security Hub control it enforces (FSBP, or CIS AWS Foundations as
"CIS x.y"); the few with no Security Hub counterpart carry this project's own "TAP.n" ids. Rules
read resource properties by the engine's camelCase names. The same rules run in the CrossGuard
pack (pack.py adapts them), on the offline plan (`evaluate(from_manifest(...))`) and in tests.

Values a preview can't know yet ("<unknown>") or that the plan masks ("<secret>") mean "can't
tell": a rule skips them rather than failing. JSON policy documents may be strings or dicts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from tap.baseline import (
    PASSWORD_MAX_AGE_DAYS,
    PASSWORD_MIN_LENGTH,
    PASSWORD_REUSE_PREVENTION,
    PROD_MIN_BACKUP_RETENTION_DAYS,
    PROD_MIN_LOG_RETENTION_DAYS,
)

UNKNOWN = "<unknown>"
SECRET = "<secret>"
ENVIRONMENTS = ("dev", "staging", "prod")
REQUIRED_TAGS = ("Project", "Environment", "ManagedBy", "Region", "Name")

Enforcement = Literal["mandatory", "advisory"]
MANDATORY: Enforcement = "mandatory"
ADVISORY: Enforcement = "advisory"

# --- resource types -----------------------------------------------------------------------------

API_METHOD = "aws:apigateway/method:Method"
API_METHOD_SETTINGS = "aws:apigateway/methodSettings:MethodSettings"
API_RESOURCE = "aws:apigateway/resource:Resource"
API_STAGE = "aws:apigateway/stage:Stage"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
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

# Types whose pulumi-aws class accepts `tags` (tests keep this in step with pulumi_aws): a type
# list keeps this module importable without pulumi_aws.
TAGGABLE_TYPES = (
    "aws:apigateway/restApi:RestApi",
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
    "aws:ec2/vpcEndpoint:VpcEndpoint",
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
    BUCKET,
    SECRET_TYPE,
    SNS_TOPIC,
    SQS_QUEUE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    SG_INGRESS_RULE,
)

# Lambda runtimes AWS supports and has not scheduled for deprecation; revisit when it does.
SUPPORTED_LAMBDA_RUNTIMES = (
    "python3.11",
    "python3.12",
    "python3.13",
    "nodejs20.x",
    "nodejs22.x",
    "java17",
    "java21",
    "dotnet8",
    "ruby3.3",
    "ruby3.4",
    "provided.al2023",
)

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
DATABASE_PORTS = {
    5432: "PostgreSQL",
    3306: "MySQL",
    1433: "SQL Server",
    1521: "Oracle",
    27017: "MongoDB",
    6379: "Redis",
}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
ADMIN_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


# --- the model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyResource:
    """One resource as the rules see it (from a plan manifest or from pulumi-policy)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    region: str | None = None
    protect: bool = False
    dependencies: tuple[str, ...] = ()
    parent: str | None = None
    # Which URNs feed each property; the engine knows, the plan manifest does not.
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyConfig:
    environment: str = "dev"
    required_tags: tuple[str, ...] = REQUIRED_TAGS

    def __post_init__(self) -> None:
        if self.environment not in ENVIRONMENTS:
            raise ValueError(
                f"environment must be one of {', '.join(ENVIRONMENTS)}, not {self.environment!r}"
            )

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


@dataclass(frozen=True)
class Violation:
    rule: str
    control: str
    urn: str
    message: str
    enforcement: Enforcement


class Finding(NamedTuple):
    """What a stack rule yields: a message and the resource it is about."""

    urn: str
    message: str


ResourceCheck = Callable[[PolicyResource, PolicyConfig], Iterable[str]]
StackCheck = Callable[[Sequence[PolicyResource], PolicyConfig], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A resource rule (non-empty `resource_types`; check(resource, config) yields messages) or a
    stack rule (empty; check(resources, config) yields Findings)."""

    name: str
    description: str
    control: str
    enforcement: Enforcement
    resource_types: tuple[str, ...]
    check: Callable[..., Iterable[str | Finding]]
    uses_environment: bool = False

    @property
    def is_stack_rule(self) -> bool:
        return not self.resource_types


_REGISTRY: list[Rule] = []


def _resource_rule(
    name: str,
    control: str,
    description: str,
    *types: str,
    enforcement: Enforcement = MANDATORY,
    uses_environment: bool = False,
) -> Callable[[ResourceCheck], ResourceCheck]:
    def register(check: ResourceCheck) -> ResourceCheck:
        _REGISTRY.append(
            Rule(name, description, control, enforcement, types, check, uses_environment)
        )
        return check

    return register


def _stack_rule(
    name: str,
    control: str,
    description: str,
    *,
    enforcement: Enforcement = MANDATORY,
    uses_environment: bool = False,
) -> Callable[[StackCheck], StackCheck]:
    def register(check: StackCheck) -> StackCheck:
        _REGISTRY.append(Rule(name, description, control, enforcement, (), check, uses_environment))
        return check

    return register


# --- reading props ------------------------------------------------------------------------------


def is_opaque(value: object) -> bool:
    """Unknown in a preview, or a secret the plan masks: the rules can't tell its value."""
    return isinstance(value, str) and value in (UNKNOWN, SECRET)


def dig(value: Any, *path: str) -> Any:
    """value[path...]: None when a step is missing, UNKNOWN when a step isn't known yet."""
    for key in path:
        if is_opaque(value):
            return UNKNOWN
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def items(value: Any) -> list[Any] | None:
    """A list-valued prop as a list ([] when absent, None when unknown); a lone value as [value]."""
    if value is None:
        return []
    if is_opaque(value):
        return None
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _set(value: Any) -> bool:
    """A known, non-empty value (or one we can't see, which a preview may still fill)."""
    return value not in (None, "", [], {})


def _policy_document(value: Any) -> Mapping[str, Any] | None:
    """A JSON policy document (string or dict); None when absent, unknown or unparseable."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or is_opaque(value) or not value:
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, Mapping) else None


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in items(document.get("Statement")) or [] if isinstance(s, Mapping)]


def _of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.type in types]


def _referenced(
    resource: PolicyResource,
    key: str,
    candidates: Sequence[PolicyResource],
    identities: Callable[[PolicyResource], set[str] | None] | None = None,
) -> list[PolicyResource] | None:
    """The candidates that `resource.props[key]` points at; None when that can't be told yet.

    Property dependencies are exact. Otherwise a known value is matched against the candidates'
    identities (when those are reliable), and failing that the resource's dependency edges decide
    if they name exactly one candidate.
    """
    value = resource.props.get(key)
    if value in (None, ""):
        return []
    exact = resource.property_dependencies.get(key)
    if exact:
        return [c for c in candidates if c.urn in exact]
    if identities is not None and isinstance(value, str) and not is_opaque(value):
        hits: list[PolicyResource] = []
        unsure = False
        for candidate in candidates:
            ids = identities(candidate)
            if ids is None:
                unsure = True
            elif value in ids:
                hits.append(candidate)
        if hits or not unsure:
            return hits
    linked = [c for c in candidates if c.urn in resource.dependencies]
    return linked if len(linked) <= 1 else None


def _covers(
    companion: PolicyResource, key: str, target: PolicyResource, pool: Sequence[PolicyResource]
) -> bool:
    refs = _referenced(companion, key, pool, _bucket_ids if target.type == BUCKET else None)
    if refs is None:  # can't tell which: give it the benefit of the doubt
        return target.urn in companion.dependencies
    return any(r.urn == target.urn for r in refs)


# --- S3 -----------------------------------------------------------------------------------------


def _bucket_ids(bucket: PolicyResource) -> set[str] | None:
    physical = bucket.props.get("bucket")
    if not isinstance(physical, str) or not physical or is_opaque(physical):
        return None
    return {bucket.name, physical, f"arn:aws:s3:::{physical}"}


def _bucket_label(bucket: PolicyResource) -> str:
    physical = bucket.props.get("bucket")
    return physical if isinstance(physical, str) and not is_opaque(physical) else bucket.name


def _named_like_logs(bucket: PolicyResource) -> bool:
    names = [bucket.name, bucket.props.get("bucket")]
    return any(isinstance(n, str) and ("-logs-" in n or n.endswith("-logs")) for n in names if n)


def _log_targets(resources: Sequence[PolicyResource]) -> tuple[set[str], set[str]]:
    """URNs of buckets that receive server access logs: (certainly, possibly)."""
    buckets = _of_type(resources, BUCKET)
    certain = {b.urn for b in buckets if _named_like_logs(b)}
    possible: set[str] = set()
    for logging in _of_type(resources, BUCKET_LOGGING):
        refs = _referenced(logging, "targetBucket", buckets, _bucket_ids)
        if refs is None:
            possible |= {b.urn for b in buckets if b.urn in logging.dependencies}
        else:
            certain |= {b.urn for b in refs}
    return certain, possible - certain


@_resource_rule(
    "s3-public-access-block-all",
    "S3.8",
    "A bucket's public access block turns on all four settings (blockPublicAcls, "
    "blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets).",
    BUCKET_PUBLIC_ACCESS_BLOCK,
)
def _s3_public_access_block(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [f for f in flags if r.props.get(f) is not True and not is_opaque(r.props.get(f))]
    if off:
        yield f"{r.name} leaves {', '.join(off)} off; all four public access settings must be true"


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or not _is_everyone(statement.get("Principal")):
        return False
    if not {"s3:*", "*"} & {str(a) for a in items(statement.get("Action")) or []}:
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator in ("Bool", "BoolIfExists"):
        block = condition.get(operator)
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            values = {str(v).lower() for v in items(value) or []}
            if key.lower() == "aws:securetransport" and "false" in values:
                return True
    return False


@_resource_rule(
    "s3-bucket-policy-tls-only",
    "S3.5",
    "A bucket policy denies every request made without TLS (aws:SecureTransport false).",
    BUCKET_POLICY,
)
def _s3_tls_only(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("policy")
    if is_opaque(raw):
        return
    document = _policy_document(raw)
    if document is None or not any(_denies_insecure_transport(s) for s in _statements(document)):
        yield (
            f"{r.name} does not deny non-TLS requests; add a Deny for s3:* with "
            '{"Bool": {"aws:SecureTransport": "false"}}'
        )


@_resource_rule(
    "s3-versioning-enabled",
    "S3.14",
    "Bucket versioning is Enabled (not Suspended or Disabled).",
    BUCKET_VERSIONING,
)
def _s3_versioning(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    status = dig(r.props, "versioningConfiguration", "status")
    if not is_opaque(status) and status != "Enabled":
        yield f"{r.name} sets versioning to {status!r}; it must be 'Enabled'"


@_resource_rule(
    "s3-ownership-bucket-owner-enforced",
    "S3.12",
    "Bucket ownership is BucketOwnerEnforced, which turns ACLs off.",
    BUCKET_OWNERSHIP,
)
def _s3_ownership(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    ownership = dig(r.props, "rule", "objectOwnership")
    if not is_opaque(ownership) and ownership != "BucketOwnerEnforced":
        yield f"{r.name} sets object ownership {ownership!r}; use BucketOwnerEnforced (no ACLs)"


@_resource_rule(
    "s3-lifecycle-noncurrent-and-multipart",
    "S3.13",
    "A bucket lifecycle configuration has enabled rules that expire noncurrent versions and "
    "abort incomplete multipart uploads.",
    BUCKET_LIFECYCLE,
)
def _s3_lifecycle(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    rules = items(r.props.get("rules"))
    if rules is None or any(is_opaque(x) for x in rules):
        return
    enabled = [
        x for x in rules if isinstance(x, Mapping) and x.get("status") in ("Enabled", UNKNOWN)
    ]
    wanted = {
        "noncurrentVersionExpiration": "expire noncurrent versions",
        "abortIncompleteMultipartUpload": "abort incomplete multipart uploads",
    }
    for key, what in wanted.items():
        if not any(_set(x.get(key)) for x in enabled):
            yield f"{r.name} has no enabled rule to {what} ({key})"


@_resource_rule(
    "s3-replication-delete-markers-and-kms",
    "S3.7",
    "Every enabled replication rule replicates delete markers and SSE-KMS objects, and encrypts "
    "replicas with a KMS key in the destination region.",
    BUCKET_REPLICATION,
)
def _s3_replication(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    rules = items(r.props.get("rules"))
    if rules is None or any(is_opaque(x) for x in rules):
        return
    enabled = [x for x in rules if isinstance(x, Mapping) and x.get("status") != "Disabled"]
    if not enabled:
        yield f"{r.name} has no enabled replication rule"
    for rule in enabled:
        label = rule.get("id") or "a rule"
        markers = dig(rule, "deleteMarkerReplication", "status")
        if not is_opaque(markers) and markers != "Enabled":
            yield f"{r.name}: {label} does not replicate delete markers"
        sse = dig(rule, "sourceSelectionCriteria", "sseKmsEncryptedObjects", "status")
        if not is_opaque(sse) and sse != "Enabled":
            yield f"{r.name}: {label} does not replicate SSE-KMS encrypted objects"
        if not _set(dig(rule, "destination", "encryptionConfiguration", "replicaKmsKeyId")):
            yield f"{r.name}: {label} has no replica KMS key (replicaKmsKeyId)"


def _bucket_has(companion_type: str, what: str) -> StackCheck:
    def check(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
        buckets = _of_type(resources, BUCKET)
        companions = _of_type(resources, companion_type)
        for bucket in buckets:
            if not any(_covers(c, "bucket", bucket, buckets) for c in companions):
                yield Finding(bucket.urn, f"bucket {_bucket_label(bucket)} has no {what}")

    return check


_stack_rule(
    "s3-bucket-has-public-access-block",
    "S3.8",
    "Every bucket has a BucketPublicAccessBlock.",
)(_bucket_has(BUCKET_PUBLIC_ACCESS_BLOCK, "public access block (BucketPublicAccessBlock)"))
_stack_rule(
    "s3-bucket-has-versioning",
    "S3.14",
    "Every bucket has a BucketVersioning.",
)(_bucket_has(BUCKET_VERSIONING, "versioning configuration (BucketVersioning)"))
_stack_rule(
    "s3-bucket-has-tls-policy",
    "S3.5",
    "Every bucket has a BucketPolicy (which s3-bucket-policy-tls-only then checks).",
)(_bucket_has(BUCKET_POLICY, "bucket policy, so nothing denies non-TLS requests"))
_stack_rule(
    "s3-bucket-has-ownership-controls",
    "S3.12",
    "Every bucket has BucketOwnershipControls.",
)(_bucket_has(BUCKET_OWNERSHIP, "ownership controls (BucketOwnershipControls)"))
_stack_rule(
    "s3-bucket-has-lifecycle",
    "S3.13",
    "Every bucket has a BucketLifecycleConfiguration.",
)(_bucket_has(BUCKET_LIFECYCLE, "lifecycle configuration (BucketLifecycleConfiguration)"))


def _sse_defaults(config_resource: PolicyResource) -> list[tuple[Any, Any]] | None:
    rules = items(config_resource.props.get("rules"))
    if rules is None:
        return None
    found = []
    for rule in rules:
        default = dig(rule, "applyServerSideEncryptionByDefault")
        if is_opaque(default):
            return None
        found.append((dig(default, "sseAlgorithm"), dig(default, "kmsMasterKeyId")))
    return found


@_stack_rule(
    "s3-bucket-encryption",
    "S3.17",
    "Every bucket has default encryption: data buckets SSE-KMS with a customer managed key; "
    "server access log targets (a BucketLogging target, or a name with -logs-) SSE-S3 (AES256), "
    "the only encryption S3 log delivery supports.",
)
def _s3_encryption(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    buckets = _of_type(resources, BUCKET)
    configs = _of_type(resources, BUCKET_SSE)
    log_targets, maybe_log_targets = _log_targets(resources)
    for bucket in buckets:
        label = _bucket_label(bucket)
        mine = [c for c in configs if _covers(c, "bucket", bucket, buckets)]
        if not mine:
            yield Finding(bucket.urn, f"bucket {label} has no server-side encryption configuration")
        for sse in mine:
            defaults = _sse_defaults(sse)
            if defaults is None:
                continue
            algorithms = [a for a, _ in defaults if not is_opaque(a)]
            is_kms = bool(algorithms) and all(a in ("aws:kms", "aws:kms:dsse") for a in algorithms)
            has_keys = all(_set(k) for a, k in defaults if a != "AES256")
            is_s3 = bool(algorithms) and all(a == "AES256" for a in algorithms)
            if bucket.urn in log_targets:
                if algorithms and not is_s3:
                    yield Finding(
                        sse.urn,
                        f"access-log bucket {label} must use SSE-S3 (AES256): S3 server access "
                        "logging cannot deliver to an SSE-KMS bucket",
                    )
            elif bucket.urn in maybe_log_targets:
                continue  # either is right, depending on which bucket the logs go to
            elif algorithms and not (is_kms and has_keys):
                yield Finding(
                    sse.urn,
                    f"data bucket {label} must default to SSE-KMS (aws:kms) with a customer "
                    "managed key (kmsMasterKeyId)",
                )


@_stack_rule(
    "s3-data-bucket-access-logging",
    "S3.9",
    "Every data bucket (one that is not itself an access-log target) has server access logging "
    "(a BucketLogging).",
)
def _s3_access_logging(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    buckets = _of_type(resources, BUCKET)
    loggings = _of_type(resources, BUCKET_LOGGING)
    log_targets, maybe_log_targets = _log_targets(resources)
    for bucket in buckets:
        if bucket.urn in log_targets | maybe_log_targets:
            continue
        if not any(_covers(x, "bucket", bucket, buckets) for x in loggings):
            yield Finding(
                bucket.urn, f"data bucket {_bucket_label(bucket)} has no server access logging"
            )


@_stack_rule(
    "s3-access-log-target-exists",
    "S3.9",
    "Every BucketLogging delivers to a bucket this stack defines (so its policy and encryption "
    "are checked too).",
    enforcement=ADVISORY,
)
def _s3_log_target_exists(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    buckets = _of_type(resources, BUCKET)
    for logging in _of_type(resources, BUCKET_LOGGING):
        target = logging.props.get("targetBucket")
        if is_opaque(target):
            continue
        if not target:
            yield Finding(logging.urn, f"{logging.name} has no targetBucket")
        elif _referenced(logging, "targetBucket", buckets, _bucket_ids) == []:
            yield Finding(
                logging.urn,
                f"{logging.name} delivers access logs to {target}, a bucket this stack does not "
                "define",
            )


# --- RDS / Aurora -------------------------------------------------------------------------------


@_resource_rule(
    "rds-storage-encrypted",
    "RDS.27",
    "Aurora clusters encrypt storage with a customer managed KMS key (storageEncrypted and "
    "kmsKeyId); global clusters set storageEncrypted.",
    RDS_CLUSTER,
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
)
def _rds_encrypted(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    encrypted = r.props.get("storageEncrypted")
    if not is_opaque(encrypted) and encrypted is not True:
        yield f"{r.name} does not encrypt its storage (storageEncrypted)"
    if r.type != RDS_GLOBAL_CLUSTER and not _set(r.props.get("kmsKeyId")):
        yield f"{r.name} has no customer managed KMS key (kmsKeyId)"


@_resource_rule(
    "rds-instance-not-public",
    "RDS.2",
    "Database instances are not publicly accessible.",
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
)
def _rds_not_public(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("publiclyAccessible") is True:
        yield f"{r.name} is publicly accessible (publiclyAccessible: true)"


@_resource_rule(
    "rds-deletion-protection-in-prod",
    "RDS.7",
    "In prod, database clusters (and global clusters, instances) have deletion protection.",
    RDS_CLUSTER,
    RDS_GLOBAL_CLUSTER,
    RDS_INSTANCE,
    uses_environment=True,
)
def _rds_deletion_protection(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("deletionProtection")
    if config.is_prod and not is_opaque(value) and value is not True:
        yield f"{r.name} has no deletion protection (deletionProtection) in prod"


@_resource_rule(
    "rds-iam-authentication",
    "RDS.12",
    "Aurora clusters enable IAM database authentication.",
    RDS_CLUSTER,
)
def _rds_iam_auth(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("iamDatabaseAuthenticationEnabled")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not enable IAM database authentication"


@_resource_rule(
    "rds-backup-retention",
    "RDS.50",
    "Automated backups are kept at least 7 days in prod and at least 1 day elsewhere.",
    RDS_CLUSTER,
    RDS_INSTANCE,
    uses_environment=True,
)
def _rds_backup_retention(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("backupRetentionPeriod")
    if is_opaque(raw):
        return
    default = 1.0 if r.type == RDS_CLUSTER else 0.0  # what AWS applies when it is absent
    days = default if raw is None else _number(raw)
    minimum = PROD_MIN_BACKUP_RETENTION_DAYS if config.is_prod else 1
    if days is None or days < minimum:
        yield (
            f"{r.name} keeps backups {raw if raw is not None else int(default)} day(s); "
            f"{config.environment} needs at least {minimum}"
        )


@_resource_rule(
    "rds-postgresql-logs-exported",
    "RDS.37",
    "Aurora PostgreSQL clusters export the postgresql log to CloudWatch Logs.",
    RDS_CLUSTER,
    RDS_INSTANCE,
)
def _rds_logs(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    engine = r.props.get("engine")
    if not isinstance(engine, str) or "postgres" not in engine:
        return
    exports = items(r.props.get("enabledCloudwatchLogsExports"))
    if exports is not None and "postgresql" not in exports and UNKNOWN not in exports:
        yield f"{r.name} does not export the postgresql log (enabledCloudwatchLogsExports)"


@_resource_rule(
    "rds-auto-minor-version-upgrade",
    "RDS.13",
    "Database instances take automatic minor version upgrades.",
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
)
def _rds_minor_upgrades(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("autoMinorVersionUpgrade") is False:  # absent means AWS's default, true
        yield f"{r.name} turns automatic minor version upgrades off"


@_resource_rule(
    "rds-copy-tags-to-snapshot",
    "RDS.16",
    "Database clusters and instances copy their tags to snapshots.",
    RDS_CLUSTER,
    RDS_INSTANCE,
)
def _rds_copy_tags(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("copyTagsToSnapshot")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not copy tags to snapshots (copyTagsToSnapshot)"


@_stack_rule(
    "rds-no-plaintext-master-password",
    "TAP.1",
    "No database sets its master password in clear: use manageMasterUserPassword, or a secret "
    "generated by RandomPassword. (pulumi-policy decrypts secrets before policies see them, so a "
    "hand-written secret reads as clear text here too.)",
)
def _rds_master_password(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    generated = {r.urn for r in _of_type(resources, RANDOM_PASSWORD)}
    for db in _of_type(resources, RDS_CLUSTER, RDS_INSTANCE):
        key = "masterPassword" if db.type == RDS_CLUSTER else "password"
        value = db.props.get(key)
        if not isinstance(value, str) or not value or is_opaque(value):
            continue
        if generated & set(db.property_dependencies.get(key) or db.dependencies):
            continue
        yield Finding(
            db.urn,
            f"{db.name} sets {key} in clear text; use manageMasterUserPassword or a generated "
            "secret",
        )


# --- KMS ----------------------------------------------------------------------------------------


@_resource_rule(
    "kms-key-rotation",
    "KMS.4",
    "Symmetric customer managed KMS keys rotate automatically (enableKeyRotation).",
    KMS_KEY,
)
def _kms_rotation(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    spec = r.props.get("customerMasterKeySpec") or r.props.get("keySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        return  # only symmetric keys can rotate
    value = r.props.get("enableKeyRotation")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not rotate automatically (enableKeyRotation)"


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in (items(principal.get("AWS")) or [])
    return False


@_resource_rule(
    "kms-key-policy-not-public",
    "KMS.5",
    'No key policy statement allows Principal "*" (or {"AWS": "*"}) without a Condition.',
    KMS_KEY,
)
def _kms_not_public(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    document = _policy_document(r.props.get("policy"))
    for statement in _statements(document or {}):
        if (
            statement.get("Effect") == "Allow"
            and _is_everyone(statement.get("Principal"))
            and not statement.get("Condition")
        ):
            sid = statement.get("Sid") or "a statement"
            yield f"{r.name}: {sid} allows any principal without a Condition"


# --- EC2 / VPC ----------------------------------------------------------------------------------


@_stack_rule(
    "vpc-flow-logs-enabled",
    "EC2.6",
    "Every VPC has a flow log.",
)
def _vpc_flow_logs(resources: Sequence[PolicyResource], config: PolicyConfig) -> Iterator[Finding]:
    vpcs = _of_type(resources, VPC)
    flow_logs = [f for f in _of_type(resources, FLOW_LOG) if f.props.get("vpcId") is not None]
    for vpc in vpcs:
        if not any(_covers(f, "vpcId", vpc, vpcs) for f in flow_logs):
            yield Finding(vpc.urn, f"VPC {vpc.name} has no flow log")


@_resource_rule(
    "ec2-default-security-group-closed",
    "EC2.2",
    "The VPC's default security group allows no inbound or outbound traffic.",
    DEFAULT_SG,
)
def _default_sg(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for direction in ("ingress", "egress"):
        rules = items(r.props.get(direction))
        if rules:
            yield f"{r.name} has {direction} rules; the default security group must stay empty"


class _Ingress(NamedTuple):
    cidrs: tuple[str, ...]
    protocol: Any
    from_port: Any
    to_port: Any


def _ingresses(r: PolicyResource) -> Iterator[_Ingress]:
    p = r.props
    if r.type == SG_INGRESS_RULE:
        own = tuple(c for c in (p.get("cidrIpv4"), p.get("cidrIpv6")) if isinstance(c, str))
        yield _Ingress(own, p.get("ipProtocol"), p.get("fromPort"), p.get("toPort"))
        return
    if r.type == SECURITY_GROUP_RULE:
        if p.get("type") != "ingress":
            return
        blocks = [p]
    else:
        blocks = [b for b in items(p.get("ingress")) or [] if isinstance(b, Mapping)]
    for block in blocks:
        cidrs = [
            c
            for key in ("cidrBlocks", "ipv6CidrBlocks")
            for c in items(block.get(key)) or []
            if isinstance(c, str)
        ]
        yield _Ingress(
            tuple(cidrs), block.get("protocol"), block.get("fromPort"), block.get("toPort")
        )


def _exposed_ports(r: PolicyResource, ports: Mapping[int, str]) -> Iterator[str]:
    for ingress in _ingresses(r):
        open_to = [c for c in ingress.cidrs if c in OPEN_CIDRS]
        if not open_to or is_opaque(ingress.protocol):
            continue
        protocol = str(ingress.protocol).lower()
        if protocol in ("icmp", "icmpv6", "1", "58"):
            continue
        if protocol in ("-1", "all"):
            low, high = 0.0, 65535.0
        else:
            low_n, high_n = _number(ingress.from_port), _number(ingress.to_port)
            if low_n is None or high_n is None:
                continue  # unknown ports: can't tell yet
            low, high = low_n, high_n
        hit = [f"{port} ({label})" for port, label in ports.items() if low <= port <= high]
        if hit:
            yield f"{r.name} allows {', '.join(open_to)} to port {', '.join(hit)}"


_SG_TYPES = (SG_INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE)


@_resource_rule(
    "ec2-no-public-admin-ports",
    "CIS 5.2",
    "No security group rule allows 0.0.0.0/0 or ::/0 to SSH (22) or RDP (3389).",
    *_SG_TYPES,
)
def _no_public_admin(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    yield from _exposed_ports(r, ADMIN_PORTS)


@_resource_rule(
    "ec2-no-public-database-ports",
    "EC2.19",
    "No security group rule allows 0.0.0.0/0 or ::/0 to a database port (5432, 3306, 1433, "
    "1521, 27017, 6379).",
    *_SG_TYPES,
)
def _no_public_db(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    yield from _exposed_ports(r, DATABASE_PORTS)


@_resource_rule(
    "ec2-subnet-no-auto-public-ip",
    "EC2.15",
    "Subnets do not assign public IPs on launch (mapPublicIpOnLaunch).",
    SUBNET,
)
def _subnet_public_ip(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("mapPublicIpOnLaunch") is True:
        yield f"{r.name} assigns public IPs on launch (mapPublicIpOnLaunch: true)"


# --- Lambda -------------------------------------------------------------------------------------


@_resource_rule(
    "lambda-supported-runtime",
    "Lambda.2",
    f"Zip-packaged functions use a runtime AWS supports ({', '.join(SUPPORTED_LAMBDA_RUNTIMES)}).",
    LAMBDA_FUNCTION,
)
def _lambda_runtime(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    runtime = r.props.get("runtime")
    if r.props.get("packageType") == "Image" or is_opaque(runtime):
        return
    if runtime not in SUPPORTED_LAMBDA_RUNTIMES:
        yield f"{r.name} uses runtime {runtime!r}, which is not a supported Lambda runtime"


def _lambda_subnets(r: PolicyResource) -> list[Any] | None:
    return items(dig(r.props, "vpcConfig", "subnetIds"))


@_resource_rule(
    "lambda-in-vpc",
    "Lambda.3",
    "Functions run inside a VPC (vpcConfig with subnets).",
    LAMBDA_FUNCTION,
)
def _lambda_vpc(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if _lambda_subnets(r) == []:
        yield f"{r.name} does not run in a VPC (vpcConfig.subnetIds)"


@_resource_rule(
    "lambda-multi-az",
    "Lambda.5",
    "VPC functions get at least two subnets, so they survive the loss of an Availability Zone.",
    LAMBDA_FUNCTION,
)
def _lambda_multi_az(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    subnets = _lambda_subnets(r)
    if subnets is None:
        return
    known = {str(s) for s in subnets if not is_opaque(s)}
    if len(known) + sum(1 for s in subnets if is_opaque(s)) == 1:
        yield f"{r.name} has one subnet; give its vpcConfig at least two (one per AZ)"


@_resource_rule(
    "lambda-xray-tracing-active",
    "Lambda.7",
    "Functions trace with X-Ray in Active mode.",
    LAMBDA_FUNCTION,
)
def _lambda_tracing(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    mode = dig(r.props, "tracingConfig", "mode")
    if not is_opaque(mode) and mode != "Active":
        yield f"{r.name} does not trace actively (tracingConfig.mode is {mode!r})"


@_resource_rule(
    "lambda-permission-not-public",
    "Lambda.1",
    'No Lambda permission grants invocation to principal "*".',
    LAMBDA_PERMISSION,
)
def _lambda_permission(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("principal") == "*":
        yield f'{r.name} lets any principal ("*") invoke the function'


# --- API Gateway --------------------------------------------------------------------------------


@_resource_rule(
    "apigateway-stage-access-logging",
    "APIGateway.9",
    "REST API stages write access logs (accessLogSettings with a destination and a format); "
    "the REST counterpart of APIGateway.9, which Security Hub checks on V2 stages only.",
    API_STAGE,
)
def _api_access_logs(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    settings = r.props.get("accessLogSettings")
    if is_opaque(settings):
        return
    if not (_set(dig(settings, "destinationArn")) and _set(dig(settings, "format"))):
        yield f"{r.name} writes no access logs (accessLogSettings destinationArn and format)"


@_resource_rule(
    "apigateway-stage-xray-tracing",
    "APIGateway.3",
    "REST API stages trace with X-Ray.",
    API_STAGE,
    enforcement=ADVISORY,
)
def _api_xray(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    value = r.props.get("xrayTracingEnabled")
    if not is_opaque(value) and value is not True:
        yield f"{r.name} does not trace with X-Ray (xrayTracingEnabled)"


@_resource_rule(
    "apigateway-execution-logging",
    "APIGateway.1",
    "Stage method settings log execution at ERROR or INFO.",
    API_METHOD_SETTINGS,
)
def _api_execution_logs(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    level = dig(r.props, "settings", "loggingLevel")
    if not is_opaque(level) and level not in ("ERROR", "INFO"):
        yield f"{r.name} sets execution logging to {level!r}; use ERROR or INFO"


def _api_path(method: PolicyResource, api_resources: Sequence[PolicyResource]) -> str | None:
    """The method's resource path ("/" for the root); None when it can't be told yet."""
    refs = _referenced(method, "resourceId", api_resources)
    if refs is None:
        return None
    parts: list[str] = []
    node = refs[0] if refs else None
    seen: set[str] = set()
    while node is not None and node.urn not in seen:
        seen.add(node.urn)
        part = node.props.get("pathPart")
        parents = _referenced(node, "parentId", api_resources)
        if not isinstance(part, str) or is_opaque(part) or parents is None:
            return None
        parts.insert(0, part)
        node = parents[0] if parents else None
    return "/" + "/".join(parts)


@_stack_rule(
    "apigateway-methods-authorized",
    "APIGateway.8",
    "Every REST API method requires authorization, except GET/HEAD on the /health resource; "
    "the REST counterpart of APIGateway.8, which Security Hub checks on V2 routes only.",
)
def _api_authorization(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    api_resources = _of_type(resources, API_RESOURCE)
    for method in _of_type(resources, API_METHOD):
        auth, verb = method.props.get("authorization"), method.props.get("httpMethod")
        if is_opaque(auth) or is_opaque(verb) or str(auth).upper() != "NONE":
            continue
        path = _api_path(method, api_resources)
        # A method we can't place yet falls back on the naming convention.
        is_health = method.name.endswith("-get-health") if path is None else path == "/health"
        if is_health and str(verb).upper() in ("GET", "HEAD"):
            continue
        yield Finding(
            method.urn,
            f"method {method.name} ({verb} {path or '?'}) has no authorization; only GET "
            "/health may be public",
        )


# --- CloudWatch ---------------------------------------------------------------------------------


@_resource_rule(
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
    days = _number(raw)
    if not days:
        yield f"{r.name} keeps logs forever; set retentionInDays"
    elif config.is_prod and days < PROD_MIN_LOG_RETENTION_DAYS:
        yield f"{r.name} keeps logs {raw} days; prod needs at least {PROD_MIN_LOG_RETENTION_DAYS}"


@_resource_rule(
    "cloudwatch-log-group-kms",
    "TAP.2",
    "Log groups are encrypted with a customer managed KMS key (kmsKeyId).",
    LOG_GROUP,
)
def _log_kms(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not _set(r.props.get("kmsKeyId")):
        yield f"{r.name} is not encrypted with a customer managed key (kmsKeyId)"


@_resource_rule(
    "cloudwatch-alarm-has-actions",
    "CloudWatch.15",
    "Metric alarms notify someone: alarmActions is not empty.",
    ALARM,
)
def _alarm_actions(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if items(r.props.get("alarmActions")) == []:
        yield f"{r.name} has no alarmActions; nobody hears it"


@_resource_rule(
    "cloudwatch-alarm-actions-enabled",
    "CloudWatch.17",
    "Metric alarms keep their actions enabled.",
    ALARM,
    enforcement=ADVISORY,
)
def _alarm_enabled(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.props.get("actionsEnabled") is False:
        yield f"{r.name} disables its actions (actionsEnabled: false)"


# --- IAM ----------------------------------------------------------------------------------------


@_resource_rule(
    "iam-password-policy-length",
    "IAM.15",
    "The account password policy requires at least 14 characters.",
    PASSWORD_POLICY,
)
def _password_length(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("minimumPasswordLength")
    length = _number(raw)
    if not is_opaque(raw) and (length is None or length < PASSWORD_MIN_LENGTH):
        yield f"{r.name} allows passwords shorter than {PASSWORD_MIN_LENGTH} characters ({raw})"


@_resource_rule(
    "iam-password-policy-complexity",
    "IAM.7",
    "The account password policy requires upper- and lowercase letters, numbers and symbols.",
    PASSWORD_POLICY,
)
def _password_complexity(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    keys = (
        "requireUppercaseCharacters",
        "requireLowercaseCharacters",
        "requireNumbers",
        "requireSymbols",
    )
    off = [k for k in keys if r.props.get(k) is not True and not is_opaque(r.props.get(k))]
    if off:
        yield f"{r.name} does not require {', '.join(off)}"


@_resource_rule(
    "iam-password-policy-max-age",
    "IAM.17",
    "Passwords expire within 90 days.",
    PASSWORD_POLICY,
)
def _password_age(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("maxPasswordAge")
    age = _number(raw)
    if not is_opaque(raw) and (not age or age > PASSWORD_MAX_AGE_DAYS):
        lifetime = f"{raw} days" if age else "forever"
        yield (
            f"{r.name} lets passwords live {lifetime}; they must expire within "
            f"{PASSWORD_MAX_AGE_DAYS} days"
        )


@_resource_rule(
    "iam-password-policy-reuse",
    "IAM.16",
    "The account password policy prevents reusing any of the last 24 passwords.",
    PASSWORD_POLICY,
)
def _password_reuse(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    raw = r.props.get("passwordReusePrevention")
    count = _number(raw)
    if not is_opaque(raw) and (count is None or count < PASSWORD_REUSE_PREVENTION):
        yield (
            f"{r.name} remembers {raw or 0} passwords; it must prevent reuse of the last "
            f"{PASSWORD_REUSE_PREVENTION}"
        )


@_stack_rule(
    "iam-password-policy-managed-in-prod",
    "IAM.7",
    "The prod stack owns the account password policy (one AccountPasswordPolicy).",
    enforcement=ADVISORY,
    uses_environment=True,
)
def _password_policy_present(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    stack = next((r for r in resources if r.type == "pulumi:pulumi:Stack"), None)
    if config.is_prod and not _of_type(resources, PASSWORD_POLICY):
        yield Finding(
            stack.urn if stack else "",
            "prod manages no account password policy (set tap:manageAccountPasswordPolicy)",
        )


_POLICY_TYPES = (IAM_ROLE_POLICY, IAM_POLICY, IAM_GROUP_POLICY, IAM_USER_POLICY, IAM_ROLE)


def _permission_statements(r: PolicyResource) -> Iterator[Mapping[str, Any]]:
    """The Allow statements of a resource's permission policies (a role's inline ones too)."""
    if r.type == IAM_ROLE:
        raw_documents = [dig(p, "policy") for p in items(r.props.get("inlinePolicies")) or []]
    else:
        raw_documents = [r.props.get("policy")]
    for raw in raw_documents:
        for statement in _statements(_policy_document(raw) or {}):
            if statement.get("Effect") == "Allow":
                yield statement


@_resource_rule(
    "iam-no-wildcard-actions",
    "IAM.21",
    'Permission policies allow no "*" or "service:*" actions, and no NotAction.',
    *_POLICY_TYPES,
)
def _iam_wildcard_actions(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for statement in _permission_statements(r):
        sid = statement.get("Sid") or "a statement"
        if "NotAction" in statement:
            yield f"{r.name}: {sid} allows NotAction, which grants everything else"
        for action in items(statement.get("Action")) or []:
            if isinstance(action, str) and (action == "*" or action.endswith(":*")):
                yield f"{r.name}: {sid} allows wildcard action {action!r}"


@_resource_rule(
    "iam-no-wildcard-resources",
    "IAM.1",
    'Permission policies scope every statement to resources: Resource "*" only for xray:* '
    "actions, which have no resource ARNs.",
    *_POLICY_TYPES,
)
def _iam_wildcard_resources(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    for statement in _permission_statements(r):
        sid = statement.get("Sid") or "a statement"
        if "NotResource" in statement:
            yield f"{r.name}: {sid} uses NotResource"
        if "*" not in (items(statement.get("Resource")) or []):
            continue
        actions = [str(a) for a in items(statement.get("Action")) or []]
        if not actions or not all(a.lower().startswith("xray:") for a in actions):
            yield f"{r.name}: {sid} allows {', '.join(actions) or 'its actions'} on Resource '*'"


@_resource_rule(
    "iam-no-admin-managed-policies",
    "IAM.1",
    "No role, group or user gets AdministratorAccess, PowerUserAccess or IAMFullAccess.",
    IAM_ROLE_POLICY_ATTACHMENT,
    IAM_GROUP_POLICY_ATTACHMENT,
    IAM_POLICY_ATTACHMENT,
    IAM_USER_POLICY_ATTACHMENT,
)
def _iam_admin_policies(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    arn = r.props.get("policyArn")
    if isinstance(arn, str) and arn.rsplit("/", 1)[-1] in ADMIN_MANAGED_POLICIES:
        yield f"{r.name} attaches {arn}; grant only what the workload needs"


@_resource_rule(
    "iam-no-user-policies",
    "IAM.2",
    "No policy is attached to an IAM user directly; grant through groups or roles.",
    IAM_USER_POLICY,
    IAM_USER_POLICY_ATTACHMENT,
    IAM_POLICY_ATTACHMENT,
)
def _iam_user_policies(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if r.type == IAM_POLICY_ATTACHMENT and not items(r.props.get("users")):
        return
    yield f"{r.name} attaches a policy to an IAM user; use a group or a role"


# --- Secrets Manager, SNS, SQS ------------------------------------------------------------------


@_resource_rule(
    "secretsmanager-secret-cmk",
    "TAP.3",
    "Secrets (and their replicas) are encrypted with a customer managed KMS key, not the AWS "
    "managed aws/secretsmanager key.",
    SECRET_TYPE,
)
def _secret_cmk(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not _set(r.props.get("kmsKeyId")):
        yield f"{r.name} uses the AWS managed key; set kmsKeyId to a customer managed key"
    for replica in items(r.props.get("replicas")) or []:
        if isinstance(replica, Mapping) and not _set(replica.get("kmsKeyId")):
            yield f"{r.name}: its replica in {replica.get('region')} has no kmsKeyId"


@_resource_rule(
    "sns-topic-encrypted",
    "SNS.1",
    "SNS topics are encrypted with a KMS key (kmsMasterKeyId).",
    SNS_TOPIC,
)
def _sns_encrypted(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not _set(r.props.get("kmsMasterKeyId")):
        yield f"{r.name} is not encrypted (kmsMasterKeyId)"


@_resource_rule(
    "sqs-queue-encrypted",
    "SQS.1",
    "SQS queues are encrypted (kmsMasterKeyId, or sqsManagedSseEnabled).",
    SQS_QUEUE,
)
def _sqs_encrypted(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    managed = r.props.get("sqsManagedSseEnabled")
    if not _set(r.props.get("kmsMasterKeyId")) and managed is not True and not is_opaque(managed):
        yield f"{r.name} is not encrypted (kmsMasterKeyId or sqsManagedSseEnabled)"


# --- tags ---------------------------------------------------------------------------------------


@_resource_rule(
    "required-tags",
    "TAP.4",
    f"Every taggable resource carries the tags {', '.join(REQUIRED_TAGS)} (non-empty).",
    *TAGGABLE_TYPES,
)
def _required_tags(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    tags = r.props.get("tags")
    if is_opaque(tags):
        return
    if not isinstance(tags, Mapping) or not tags:
        yield f"{r.name} has no tags; it needs {', '.join(config.required_tags)}"
        return
    missing = [k for k in config.required_tags if tags.get(k) in (None, "")]
    if missing:
        yield f"{r.name} lacks the tags {', '.join(missing)}"


RULES: tuple[Rule, ...] = tuple(_REGISTRY)


# --- running the rules --------------------------------------------------------------------------


def run_rule(
    rule: Rule, resources: Sequence[PolicyResource], config: PolicyConfig
) -> list[Violation]:
    """One rule over the resources: a resource rule over those of its types, or a stack rule."""
    found: list[Violation] = []

    def add(urn: str, message: str) -> None:
        found.append(Violation(rule.name, rule.control, urn, message, rule.enforcement))

    if rule.is_stack_rule:
        for result in rule.check(resources, config):
            if isinstance(result, Finding):
                add(result.urn, result.message)
            else:
                add("", result)
        return found
    for resource in resources:
        if resource.type in rule.resource_types:
            for result in rule.check(resource, config):
                add(resource.urn, result.message if isinstance(result, Finding) else result)
    return found


def evaluate(
    resources: Sequence[PolicyResource],
    config: PolicyConfig | None = None,
    rules: Sequence[Rule] = RULES,
) -> list[Violation]:
    """Every rule over the resources; violations in rule order."""
    config = config or PolicyConfig()
    return [v for rule in rules for v in run_rule(rule, resources, config)]


def from_manifest(manifest: Mapping[str, Any]) -> list[PolicyResource]:
    """The resources of a `tap plan --format json` manifest."""
    return [
        PolicyResource(
            urn=r["urn"],
            type=r["type"],
            name=r["name"],
            props=r.get("inputs") or {},
            region=r.get("region"),
            protect=bool(r.get("protect")),
            dependencies=tuple(r.get("dependencies") or ()),
            parent=r.get("parent"),
        )
        for r in manifest.get("resources", [])
    ]


def rule_named(name: str) -> Rule:
    for rule in RULES:
        if rule.name == name:
            return rule
    raise KeyError(name)
