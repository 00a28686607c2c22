"""The CrossGuard rules, pure: the catalogue, the shipped stacks, and one failing case per rule."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from tap.policy import rules as r
from tap.policy.rules import (
    RULES,
    UNKNOWN,
    PolicyConfig,
    PolicyResource,
    Rule,
    evaluate,
    from_manifest,
    rule_named,
    run_rule,
)
from tests.conftest import Planned, is_taggable

CONTROL_ID = re.compile(r"^(CIS \d+(\.\d+)*|[A-Za-z0-9]+\.\d+)$")
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def res(
    type_: str, name: str = "tap-test-use1-x", *, deps: tuple[str, ...] = (), **props: Any
) -> PolicyResource:
    return PolicyResource(
        urn=urn(type_, name), type=type_, name=name, props=props, dependencies=deps
    )


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::tap::{type_}::{name}"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def bucket(name: str) -> PolicyResource:
    return res(r.BUCKET, name, bucket=f"{name}-123456789012")


def on_bucket(type_: str, target: PolicyResource, suffix: str, **props: Any) -> PolicyResource:
    return res(
        type_,
        f"{target.name}-{suffix}",
        deps=(target.urn,),
        bucket=target.props["bucket"],
        **props,
    )


def sse(target: PolicyResource, algorithm: str, key: str | None = None) -> PolicyResource:
    default: dict[str, Any] = {"sseAlgorithm": algorithm}
    if key:
        default["kmsMasterKeyId"] = key
    return on_bucket(
        r.BUCKET_SSE, target, "encryption", rules=[{"applyServerSideEncryptionByDefault": default}]
    )


KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/abc"
DATA = bucket("tap-test-use1-data")
HEALTH = res(
    r.API_RESOURCE, "tap-test-use1-api-resource-health", pathPart="health", parentId="root"
)
RECORDS = res(
    r.API_RESOURCE, "tap-test-use1-api-resource-records", pathPart="records", parentId="root"
)
STACK = res("pulumi:pulumi:Stack", "tap-test")


@dataclass(frozen=True)
class Case:
    resources: list[PolicyResource]
    message: str
    environment: str = "dev"


# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "s3-public-access-block-all": Case(
        [
            res(
                r.BUCKET_PUBLIC_ACCESS_BLOCK,
                blockPublicAcls=True,
                blockPublicPolicy=False,
                ignorePublicAcls=True,
                restrictPublicBuckets=True,
            )
        ],
        "leaves blockPublicPolicy off",
    ),
    "s3-bucket-policy-tls-only": Case(
        [
            res(
                r.BUCKET_POLICY,
                policy=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}),
            )
        ],
        "does not deny non-TLS requests",
    ),
    "s3-versioning-enabled": Case(
        [res(r.BUCKET_VERSIONING, versioningConfiguration={"status": "Suspended"})],
        "sets versioning to 'Suspended'",
    ),
    "s3-ownership-bucket-owner-enforced": Case(
        [res(r.BUCKET_OWNERSHIP, rule={"objectOwnership": "ObjectWriter"})],
        "use BucketOwnerEnforced",
    ),
    "s3-lifecycle-noncurrent-and-multipart": Case(
        [
            res(
                r.BUCKET_LIFECYCLE,
                rules=[
                    {"status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 30}}
                ],
            )
        ],
        "no enabled rule to abort incomplete multipart uploads",
    ),
    "s3-replication-delete-markers-and-kms": Case(
        [
            res(
                r.BUCKET_REPLICATION,
                rules=[
                    {
                        "id": "to-usw2",
                        "status": "Enabled",
                        "deleteMarkerReplication": {"status": "Disabled"},
                        "sourceSelectionCriteria": {
                            "sseKmsEncryptedObjects": {"status": "Enabled"}
                        },
                        "destination": {
                            "bucket": "arn:aws:s3:::replica",
                            "encryptionConfiguration": {"replicaKmsKeyId": KEY_ARN},
                        },
                    }
                ],
            )
        ],
        "to-usw2 does not replicate delete markers",
    ),
    "s3-bucket-has-public-access-block": Case([DATA], "has no public access block"),
    "s3-bucket-has-versioning": Case([DATA], "has no versioning configuration"),
    "s3-bucket-has-tls-policy": Case([DATA], "has no bucket policy"),
    "s3-bucket-has-ownership-controls": Case([DATA], "has no ownership controls"),
    "s3-bucket-has-lifecycle": Case([DATA], "has no lifecycle configuration"),
    "s3-bucket-encryption": Case([DATA, sse(DATA, "AES256")], "must default to SSE-KMS"),
    "s3-data-bucket-access-logging": Case([DATA], "has no server access logging"),
    "s3-access-log-target-exists": Case(
        [DATA, on_bucket(r.BUCKET_LOGGING, DATA, "logging", targetBucket="central-logs-bucket")],
        "delivers access logs to central-logs-bucket, a bucket this stack does not define",
    ),
    "rds-storage-encrypted": Case(
        [res(r.RDS_CLUSTER, storageEncrypted=False, kmsKeyId=KEY_ARN)], "does not encrypt"
    ),
    "rds-instance-not-public": Case(
        [res(r.RDS_CLUSTER_INSTANCE, publiclyAccessible=True)], "is publicly accessible"
    ),
    "rds-deletion-protection-in-prod": Case(
        [res(r.RDS_CLUSTER, deletionProtection=False)], "no deletion protection", "prod"
    ),
    "rds-iam-authentication": Case(
        [res(r.RDS_CLUSTER, iamDatabaseAuthenticationEnabled=False)],
        "does not enable IAM database authentication",
    ),
    "rds-backup-retention": Case(
        [res(r.RDS_CLUSTER, backupRetentionPeriod=3)], "prod needs at least 7", "prod"
    ),
    "rds-postgresql-logs-exported": Case(
        [res(r.RDS_CLUSTER, engine="aurora-postgresql", enabledCloudwatchLogsExports=[])],
        "does not export the postgresql log",
    ),
    "rds-auto-minor-version-upgrade": Case(
        [res(r.RDS_CLUSTER_INSTANCE, autoMinorVersionUpgrade=False)],
        "turns automatic minor version upgrades off",
    ),
    "rds-copy-tags-to-snapshot": Case(
        [res(r.RDS_CLUSTER, copyTagsToSnapshot=False)], "does not copy tags to snapshots"
    ),
    "rds-no-plaintext-master-password": Case(
        [res(r.RDS_CLUSTER, masterPassword="hunter2hunter2")], "sets masterPassword in clear text"
    ),
    "kms-key-rotation": Case(
        [res(r.KMS_KEY, enableKeyRotation=False)], "does not rotate automatically"
    ),
    "kms-key-policy-not-public": Case(
        [
            res(
                r.KMS_KEY,
                enableKeyRotation=True,
                policy=policy(
                    {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}
                ),
            )
        ],
        "Open allows any principal without a Condition",
    ),
    "vpc-flow-logs-enabled": Case(
        [res(r.VPC, "tap-test-use1-vpc")], "VPC tap-test-use1-vpc has no flow log"
    ),
    "ec2-default-security-group-closed": Case(
        [
            res(
                r.DEFAULT_SG,
                ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
                egress=[],
            )
        ],
        "has ingress rules",
    ),
    "ec2-no-public-admin-ports": Case(
        [res(r.SG_INGRESS_RULE, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=22, toPort=22)],
        "allows 0.0.0.0/0 to port 22 (SSH)",
    ),
    "ec2-no-public-database-ports": Case(
        [
            res(
                r.SECURITY_GROUP,
                ingress=[
                    {
                        "protocol": "tcp",
                        "fromPort": 5000,
                        "toPort": 6000,
                        "ipv6CidrBlocks": ["::/0"],
                    }
                ],
            )
        ],
        "allows ::/0 to port 5432 (PostgreSQL)",
    ),
    "ec2-subnet-no-auto-public-ip": Case(
        [res(r.SUBNET, mapPublicIpOnLaunch=True)], "assigns public IPs on launch"
    ),
    "lambda-supported-runtime": Case(
        [res(r.LAMBDA_FUNCTION, runtime="python3.8", packageType="Zip")],
        "uses runtime 'python3.8'",
    ),
    "lambda-in-vpc": Case([res(r.LAMBDA_FUNCTION, runtime="python3.12")], "does not run in a VPC"),
    "lambda-multi-az": Case(
        [res(r.LAMBDA_FUNCTION, vpcConfig={"subnetIds": ["subnet-a"], "securityGroupIds": ["sg"]})],
        "has one subnet",
    ),
    "lambda-xray-tracing-active": Case(
        [res(r.LAMBDA_FUNCTION, tracingConfig={"mode": "PassThrough"})],
        "does not trace actively",
    ),
    "lambda-permission-not-public": Case(
        [res(r.LAMBDA_PERMISSION, principal="*", action="lambda:InvokeFunction")],
        'lets any principal ("*") invoke',
    ),
    "apigateway-stage-access-logging": Case(
        [res(r.API_STAGE, stageName="v1")], "writes no access logs"
    ),
    "apigateway-stage-xray-tracing": Case(
        [res(r.API_STAGE, xrayTracingEnabled=False)], "does not trace with X-Ray"
    ),
    "apigateway-execution-logging": Case(
        [res(r.API_METHOD_SETTINGS, settings={"loggingLevel": "OFF"})],
        "sets execution logging to 'OFF'",
    ),
    "apigateway-methods-authorized": Case(
        [
            RECORDS,
            res(
                r.API_METHOD,
                "tap-test-use1-api-method-post-records",
                deps=(RECORDS.urn,),
                httpMethod="POST",
                authorization="NONE",
                resourceId="id-records",
            ),
        ],
        "(POST /records) has no authorization",
    ),
    "cloudwatch-log-group-retention": Case(
        [res(r.LOG_GROUP, kmsKeyId=KEY_ARN)], "keeps logs forever"
    ),
    "cloudwatch-log-group-kms": Case(
        [res(r.LOG_GROUP, retentionInDays=30)], "not encrypted with a customer managed key"
    ),
    "cloudwatch-alarm-has-actions": Case([res(r.ALARM, alarmActions=[])], "has no alarmActions"),
    "cloudwatch-alarm-actions-enabled": Case(
        [res(r.ALARM, alarmActions=["arn:aws:sns:x"], actionsEnabled=False)],
        "disables its actions",
    ),
    "iam-password-policy-length": Case(
        [res(r.PASSWORD_POLICY, minimumPasswordLength=8)], "shorter than 14 characters"
    ),
    "iam-password-policy-complexity": Case(
        [
            res(
                r.PASSWORD_POLICY,
                requireUppercaseCharacters=True,
                requireLowercaseCharacters=True,
                requireNumbers=True,
                requireSymbols=False,
            )
        ],
        "does not require requireSymbols",
    ),
    "iam-password-policy-max-age": Case(
        [res(r.PASSWORD_POLICY, maxPasswordAge=180)], "live 180 days"
    ),
    "iam-password-policy-reuse": Case(
        [res(r.PASSWORD_POLICY, passwordReusePrevention=5)], "reuse of the last 24"
    ),
    "iam-password-policy-managed-in-prod": Case(
        [STACK], "prod manages no account password policy", "prod"
    ),
    "iam-no-wildcard-actions": Case(
        [
            res(
                r.IAM_ROLE_POLICY,
                policy=policy(
                    {
                        "Sid": "All",
                        "Effect": "Allow",
                        "Action": "s3:*",
                        "Resource": "arn:aws:s3:::b",
                    }
                ),
            )
        ],
        "All allows wildcard action 's3:*'",
    ),
    "iam-no-wildcard-resources": Case(
        [
            res(
                r.IAM_POLICY,
                policy=policy(
                    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
                ),
            )
        ],
        "Read allows s3:GetObject on Resource '*'",
    ),
    "iam-no-admin-managed-policies": Case(
        [
            res(
                r.IAM_ROLE_POLICY_ATTACHMENT,
                role="r",
                policyArn="arn:aws:iam::aws:policy/AdministratorAccess",
            )
        ],
        "attaches arn:aws:iam::aws:policy/AdministratorAccess",
    ),
    "iam-no-user-policies": Case(
        [res(r.IAM_USER_POLICY, user="alice", policy=policy())],
        "attaches a policy to an IAM user",
    ),
    "secretsmanager-secret-cmk": Case([res(r.SECRET_TYPE)], "uses the AWS managed key"),
    "sns-topic-encrypted": Case([res(r.SNS_TOPIC)], "is not encrypted (kmsMasterKeyId)"),
    "sqs-queue-encrypted": Case([res(r.SQS_QUEUE, sqsManagedSseEnabled=False)], "is not encrypted"),
    "required-tags": Case(
        [res(r.VPC, tags={"Name": "tap-test-use1-vpc", "Project": "tap"})],
        "lacks the tags Environment, ManagedBy, Region",
    ),
}


def messages(rule: Rule, resources: list[PolicyResource], environment: str = "dev") -> list[str]:
    return [v.message for v in run_rule(rule, resources, PolicyConfig(environment))]


# --- the catalogue ------------------------------------------------------------------------------


def test_there_are_at_least_30_rules_with_unique_kebab_case_names() -> None:
    assert len(RULES) >= 30
    names = [rule.name for rule in RULES]
    assert [n for n, count in Counter(names).items() if count > 1] == []
    assert all(KEBAB.match(n) for n in names), names


def test_every_rule_is_described_and_names_a_control() -> None:
    for rule in RULES:
        assert len(rule.description) > 20, rule.name
        assert CONTROL_ID.match(rule.control), (rule.name, rule.control)
        assert rule.enforcement in ("mandatory", "advisory")
        assert all(t.count(":") == 2 for t in rule.resource_types), rule.name


def test_most_rules_are_mandatory() -> None:
    mandatory = [rule for rule in RULES if rule.enforcement == "mandatory"]
    assert len(mandatory) > len(RULES) / 2


def test_the_violation_table_covers_every_rule() -> None:
    # A new rule needs a failing case here before the suite passes.
    assert set(VIOLATIONS) == {rule.name for rule in RULES}


def test_rule_named_finds_rules_and_refuses_unknown_names() -> None:
    assert rule_named("kms-key-rotation").control == "KMS.4"
    with pytest.raises(KeyError):
        rule_named("no-such-rule")


def test_only_declared_rules_read_the_environment() -> None:
    assert {rule.name for rule in RULES if rule.uses_environment} == {
        "rds-deletion-protection-in-prod",
        "rds-backup-retention",
        "cloudwatch-log-group-retention",
        "iam-password-policy-managed-in-prod",
    }


def test_policy_config_refuses_an_unknown_environment() -> None:
    assert PolicyConfig().environment == "dev"
    assert PolicyConfig("prod").is_prod
    assert not PolicyConfig("staging").is_prod
    with pytest.raises(ValueError, match="environment must be one of"):
        PolicyConfig("qa")


def test_the_taggable_types_match_pulumi_aws(plans: dict[str, Planned]) -> None:
    assert all(is_taggable(t) for t in r.TAGGABLE_TYPES)
    shipped = {
        res["type"]
        for planned in plans.values()
        for res in planned.cloud_resources()
        if is_taggable(res["type"])
    }
    assert shipped <= set(r.TAGGABLE_TYPES)


# --- the shipped stacks -------------------------------------------------------------------------


def test_the_shipped_stacks_pass_every_rule(planned: Planned) -> None:
    resources = from_manifest(planned.manifest)
    violations = evaluate(resources, PolicyConfig(environment=planned.config.environment))
    assert [(v.rule, v.urn, v.message) for v in violations] == []


def test_the_rules_have_something_to_check_in_the_shipped_stacks(plans: dict[str, Planned]) -> None:
    # Guards against a type-token typo turning a rule vacuous.
    shipped = {res["type"] for planned in plans.values() for res in planned.resources}
    never_shipped = {
        r.SECURITY_GROUP_RULE,
        r.RDS_INSTANCE,
        r.IAM_POLICY,
        r.IAM_GROUP_POLICY,
        r.IAM_USER_POLICY,
        r.IAM_GROUP_POLICY_ATTACHMENT,
        r.IAM_POLICY_ATTACHMENT,
        r.IAM_USER_POLICY_ATTACHMENT,
    }
    for rule in RULES:
        if rule.resource_types and rule.name not in ("iam-no-user-policies",):
            assert shipped & set(rule.resource_types), rule.name
        assert set(rule.resource_types) <= shipped | never_shipped | set(r.TAGGABLE_TYPES)


def test_from_manifest_keeps_what_the_rules_need(plans: dict[str, Planned]) -> None:
    manifest = plans["prod"].manifest
    resources = from_manifest(manifest)
    assert len(resources) == len(manifest["resources"])
    first = manifest["resources"][1]
    converted = resources[1]
    assert converted.urn == first["urn"] and converted.type == first["type"]
    assert converted.props == first["inputs"]
    assert converted.dependencies == tuple(first["dependencies"])
    assert any(res.protect for res in resources)


# --- every rule fails on its crafted violation --------------------------------------------------


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_every_rule_fails_on_its_violation(name: str) -> None:
    case = VIOLATIONS[name]
    rule = rule_named(name)
    violations = run_rule(rule, case.resources, PolicyConfig(case.environment))
    assert violations, f"{name} passed its violating input"
    assert any(case.message in v.message for v in violations), [v.message for v in violations]
    for violation in violations:
        assert (violation.rule, violation.control) == (rule.name, rule.control)
        assert violation.enforcement == rule.enforcement
    if not rule.is_stack_rule:
        assert {v.urn for v in violations} <= {res.urn for res in case.resources}


def test_evaluate_runs_every_rule_and_filters_by_type() -> None:
    key = res(r.KMS_KEY, enableKeyRotation=False, tags={})
    found = {v.rule for v in evaluate([key])}
    assert found == {"kms-key-rotation", "required-tags"}


# --- unknowns and secrets -----------------------------------------------------------------------


def _unknown_leaves(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unknown_leaves(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_leaves(v) for v in value]
    return UNKNOWN


@pytest.mark.parametrize("depth", ["top-level", "leaves"])
def test_unknown_props_neither_crash_nor_flag(plans: dict[str, Planned], depth: str) -> None:
    resources = []
    for res_ in from_manifest(plans["prod"].manifest):
        if depth == "top-level":
            props = dict.fromkeys(res_.props, UNKNOWN)
        else:
            props = _unknown_leaves(dict(res_.props))
        resources.append(
            PolicyResource(res_.urn, res_.type, res_.name, props, dependencies=res_.dependencies)
        )
    assert [(v.rule, v.message) for v in evaluate(resources, PolicyConfig("prod"))] == []


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_every_rule_tolerates_unknown_and_odd_shapes(name: str) -> None:
    rule = rule_named(name)

    def with_props(value: Any) -> list[PolicyResource]:
        return [
            PolicyResource(
                x.urn, x.type, x.name, dict.fromkeys(x.props, value), dependencies=x.dependencies
            )
            for x in VIOLATIONS[name].resources
        ]

    for odd in (r.SECRET, None, 7, "text", [], {}, [UNKNOWN], {"x": UNKNOWN}):
        run_rule(rule, with_props(odd), PolicyConfig("prod"))  # must not raise
    if rule.name not in _FLAG_ON_ABSENCE:
        assert messages(rule, with_props(UNKNOWN), "prod") == []


# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
_FLAG_ON_ABSENCE = {
    "s3-bucket-has-public-access-block",
    "s3-bucket-has-versioning",
    "s3-bucket-has-tls-policy",
    "s3-bucket-has-ownership-controls",
    "s3-bucket-has-lifecycle",
    "s3-data-bucket-access-logging",
    "vpc-flow-logs-enabled",
    "iam-password-policy-managed-in-prod",
    "iam-no-user-policies",
    "secretsmanager-secret-cmk",
    "sns-topic-encrypted",
    "lambda-in-vpc",
    "apigateway-stage-access-logging",
    "cloudwatch-log-group-retention",
    "cloudwatch-log-group-kms",
}


# --- S3 details ---------------------------------------------------------------------------------


def _complete(target: PolicyResource) -> list[PolicyResource]:
    """A bucket with every companion it needs, each set up right (encryption aside)."""
    arn = f"arn:aws:s3:::{target.props['bucket']}"
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    lifecycle = [
        {"status": "Enabled", "noncurrentVersionExpiration": {"noncurrentDays": 30}},
        {"status": "Enabled", "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7}},
    ]
    return [
        target,
        on_bucket(r.BUCKET_PUBLIC_ACCESS_BLOCK, target, "pab", **dict.fromkeys(flags, True)),
        on_bucket(
            r.BUCKET_VERSIONING, target, "versioning", versioningConfiguration={"status": "Enabled"}
        ),
        on_bucket(r.BUCKET_POLICY, target, "policy", policy=policy(deny)),
        on_bucket(
            r.BUCKET_OWNERSHIP, target, "ownership", rule={"objectOwnership": "BucketOwnerEnforced"}
        ),
        on_bucket(r.BUCKET_LIFECYCLE, target, "lifecycle", rules=lifecycle),
    ]


def _s3_messages(resources: list[PolicyResource]) -> list[str]:
    return [v.message for v in evaluate(resources) if v.rule.startswith("s3-")]


def test_a_bucket_logging_target_needs_sse_s3_whatever_its_name() -> None:
    audit = bucket("tap-test-use1-audit")  # no -logs- in the name: the BucketLogging tells
    logging = res(
        r.BUCKET_LOGGING,
        "tap-test-use1-data-logging",
        deps=(DATA.urn, audit.urn),
        bucket=DATA.props["bucket"],
        targetBucket=audit.props["bucket"],
    )
    base = [*_complete(DATA), *_complete(audit), logging, sse(DATA, "aws:kms", KEY_ARN)]
    assert _s3_messages([*base, sse(audit, "AES256")]) == []
    assert _s3_messages([*base, sse(audit, "aws:kms", KEY_ARN)]) == [
        "access-log bucket tap-test-use1-audit-123456789012 must use SSE-S3 (AES256): S3 server "
        "access logging cannot deliver to an SSE-KMS bucket"
    ]


def test_a_logs_bucket_by_name_uses_sse_s3_and_needs_no_logging_itself() -> None:
    logs = bucket("tap-test-use1-data-logs")
    assert _s3_messages([*_complete(logs), sse(logs, "AES256")]) == []


def test_a_data_bucket_needs_a_kms_key_not_just_aws_kms() -> None:
    logs = bucket("tap-test-use1-data-logs")
    logging = res(
        r.BUCKET_LOGGING,
        "l",
        deps=(DATA.urn, logs.urn),
        bucket=DATA.props["bucket"],
        targetBucket=logs.props["bucket"],
    )
    base = [*_complete(DATA), *_complete(logs), sse(logs, "AES256"), logging]
    assert _s3_messages([*base, sse(DATA, "aws:kms", KEY_ARN)]) == []
    assert "must default to SSE-KMS" in " ".join(_s3_messages([*base, sse(DATA, "aws:kms")]))
    assert "has no server-side encryption" in " ".join(_s3_messages(base))


def test_companions_link_by_dependency_when_names_are_unknown() -> None:
    unnamed = res(r.BUCKET, "tap-test-use1-data", bucket=UNKNOWN)
    pab = res(r.BUCKET_PUBLIC_ACCESS_BLOCK, "pab", deps=(unnamed.urn,), bucket=UNKNOWN)
    rule = rule_named("s3-bucket-has-public-access-block")
    assert messages(rule, [unnamed, pab]) == []
    assert messages(rule, [unnamed, pab, res(r.BUCKET, "other", bucket="other")]) == [
        "bucket other has no public access block (BucketPublicAccessBlock)"
    ]


def test_a_bucket_policy_must_deny_insecure_transport() -> None:
    rule = rule_named("s3-bucket-policy-tls-only")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert messages(rule, [res(r.BUCKET_POLICY, policy=policy(deny))]) == []
    assert messages(rule, [res(r.BUCKET_POLICY, policy={"Statement": [deny]})]) == []
    allowed = {**deny, "Effect": "Allow"}
    assert messages(rule, [res(r.BUCKET_POLICY, policy=policy(allowed))])
    assert messages(rule, [res(r.BUCKET_POLICY, policy="not json")])
    assert messages(rule, [res(r.BUCKET_POLICY, policy=UNKNOWN)]) == []


# --- RDS details --------------------------------------------------------------------------------


def test_environment_limits_apply_in_prod_only() -> None:
    cluster = res(r.RDS_CLUSTER, deletionProtection=False, backupRetentionPeriod=1)
    logs = res(r.LOG_GROUP, retentionInDays=30, kmsKeyId=KEY_ARN)
    for name, resource in [
        ("rds-deletion-protection-in-prod", cluster),
        ("rds-backup-retention", cluster),
        ("cloudwatch-log-group-retention", logs),
    ]:
        rule = rule_named(name)
        assert messages(rule, [resource], "dev") == [], name
        assert messages(rule, [resource], "staging") == [], name
        assert messages(rule, [resource], "prod"), name
    assert messages(
        rule_named("rds-backup-retention"), [res(r.RDS_CLUSTER, backupRetentionPeriod=0)]
    )
    assert messages(rule_named("iam-password-policy-managed-in-prod"), [STACK], "dev") == []


def test_a_master_password_is_fine_when_managed_masked_or_generated() -> None:
    rule = rule_named("rds-no-plaintext-master-password")
    generated = res(r.RANDOM_PASSWORD, "pw")
    assert messages(rule, [res(r.RDS_CLUSTER, manageMasterUserPassword=True)]) == []
    assert messages(rule, [res(r.RDS_CLUSTER, masterPassword=r.SECRET)]) == []
    # pulumi-policy hands over secrets decrypted; a RandomPassword's result is one.
    from_random = res(r.RDS_CLUSTER, "db", deps=(generated.urn,), masterPassword="Zq8...random")
    assert messages(rule, [generated, from_random]) == []
    instance = res(r.RDS_INSTANCE, "db", password="hunter2hunter2")
    assert messages(rule, [instance]) == [
        "db sets password in clear text; use manageMasterUserPassword or a generated secret"
    ]


# --- network, API, IAM details ------------------------------------------------------------------


def test_open_ingress_elsewhere_or_from_private_ranges_is_fine() -> None:
    admin, db = rule_named("ec2-no-public-admin-ports"), rule_named("ec2-no-public-database-ports")
    https = res(r.SG_INGRESS_RULE, cidrIpv4="0.0.0.0/0", ipProtocol="tcp", fromPort=443, toPort=443)
    private = res(
        r.SG_INGRESS_RULE, cidrIpv4="10.0.0.0/8", ipProtocol="tcp", fromPort=22, toPort=22
    )
    everything = res(r.SG_INGRESS_RULE, cidrIpv6="::/0", ipProtocol="-1")
    rule_resource = res(
        r.SECURITY_GROUP_RULE,
        type="ingress",
        protocol="tcp",
        fromPort=3389,
        toPort=3389,
        cidrBlocks=["0.0.0.0/0"],
    )
    assert messages(admin, [https, private]) == messages(db, [https, private]) == []
    assert messages(admin, [everything]) == [
        "tap-test-use1-x allows ::/0 to port 22 (SSH), 3389 (RDP)"
    ]
    assert len(messages(db, [everything])) == 1
    assert messages(admin, [rule_resource]) == [
        "tap-test-use1-x allows 0.0.0.0/0 to port 3389 (RDP)"
    ]


def _method(name: str, verb: str, *resources: PolicyResource) -> PolicyResource:
    return res(
        r.API_METHOD,
        name,
        deps=tuple(x.urn for x in resources),
        httpMethod=verb,
        authorization="NONE",
        resourceId=UNKNOWN,
    )


def test_only_get_health_may_skip_authorization() -> None:
    rule = rule_named("apigateway-methods-authorized")
    get_health = _method("tap-test-use1-api-method-get-health", "GET", HEALTH)
    post_health = _method("tap-test-use1-api-method-post-health", "POST", HEALTH)
    nested = res(
        r.API_RESOURCE,
        "nested-health",
        deps=(RECORDS.urn,),
        pathPart="health",
        parentId="id-records",
    )
    nested_get = _method("tap-test-use1-api-method-get-records-health", "GET", nested)
    root_get = _method("tap-test-use1-api-method-get-health", "GET")  # named like it, on "/"
    assert messages(rule, [HEALTH, get_health]) == []
    assert messages(rule, [HEALTH, post_health]) == [
        "method tap-test-use1-api-method-post-health (POST /health) has no authorization; only "
        "GET /health may be public"
    ]
    assert "(GET /records/health)" in messages(rule, [RECORDS, nested, nested_get])[0]
    assert "(GET /)" in messages(rule, [root_get])[0]
    authorized = res(r.API_METHOD, httpMethod="GET", authorization="AWS_IAM")
    assert messages(rule, [authorized]) == []


def test_a_method_that_cannot_be_placed_falls_back_on_its_name() -> None:
    rule = rule_named("apigateway-methods-authorized")
    ambiguous = _method("tap-test-use1-api-method-get-health", "GET", HEALTH, RECORDS)
    assert messages(rule, [HEALTH, RECORDS, ambiguous]) == []
    other = _method("tap-test-use1-api-method-get-records", "GET", HEALTH, RECORDS)
    assert messages(rule, [HEALTH, RECORDS, other])


def test_resource_star_is_only_for_xray() -> None:
    rule = rule_named("iam-no-wildcard-resources")
    xray = {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": "*"}
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    assert messages(rule, [res(r.IAM_ROLE_POLICY, policy=policy(xray, deny))]) == []
    inline = [{"name": "p", "policy": policy({**xray, "Action": "logs:PutLogEvents"})}]
    assert messages(rule, [res(r.IAM_ROLE, inlinePolicies=inline)])


def test_a_kms_key_policy_wildcard_with_a_condition_is_fine() -> None:
    rule = rule_named("kms-key-policy-not-public")
    scoped = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "kms:Decrypt",
        "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
    }
    assert messages(rule, [res(r.KMS_KEY, policy=policy(scoped))]) == []
    assert messages(rule, [res(r.KMS_KEY)]) == []  # AWS's default key policy


def test_container_functions_need_no_runtime() -> None:
    rule = rule_named("lambda-supported-runtime")
    assert messages(rule, [res(r.LAMBDA_FUNCTION, packageType="Image")]) == []
    assert messages(rule, [res(r.LAMBDA_FUNCTION, runtime="python3.13")]) == []
    assert messages(rule, [res(r.LAMBDA_FUNCTION)])


def test_two_unknown_subnets_count_as_two() -> None:
    rule = rule_named("lambda-multi-az")
    fn = res(r.LAMBDA_FUNCTION, vpcConfig={"subnetIds": [UNKNOWN, UNKNOWN]})
    assert messages(rule, [fn]) == []


def test_flow_logs_link_by_dependency() -> None:
    rule = rule_named("vpc-flow-logs-enabled")
    vpc = res(r.VPC, "vpc")
    other = res(r.VPC, "other")
    flow = res(r.FLOW_LOG, "flow", deps=(vpc.urn,), vpcId="vpc-123", trafficType="ALL")
    assert messages(rule, [vpc, other, flow]) == ["VPC other has no flow log"]


def test_required_tags_are_configurable() -> None:
    rule = rule_named("required-tags")
    vpc = res(r.VPC, tags={"Name": "n", "Owner": ""})
    config = PolicyConfig(required_tags=("Name", "Owner"))
    assert [v.message for v in run_rule(rule, [vpc], config)] == [
        "tap-test-use1-x lacks the tags Owner"
    ]
    assert messages(rule, [res(r.VPC)]) == [
        "tap-test-use1-x has no tags; it needs Project, Environment, ManagedBy, Region, Name"
    ]
