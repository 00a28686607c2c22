"""`tap verify` against moto: a conforming two-region deployment passes; each tamper is found.

One moto server and one deployment for the module (tests/integration/conftest.py). Each tamper
test undoes its change afterwards; since every test asserts its exact findings, an undo that
missed would fail the next test rather than go unnoticed.

What moto cannot emulate is covered with botocore's Stubber: moto ignores a change of a Lambda
function's TracingConfig (update_function_configuration keeps Active), so Lambda.7 drift is
served by a stubbed Lambda client while everything else still comes from moto.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest
from botocore.stub import Stubber  # type: ignore[import-untyped]

from tap.verify import run_verify
from tests.integration.moto_stack import (
    DNS_DOMAIN,
    PRIMARY,
    RETENTION_DAYS,
    SECONDARY,
    SESSION,
    Deployment,
    create_custom_domain,
    findings,
    latency_record,
    put_alarm,
)

# --- a conforming deployment passes ----------------------------------------------------------


@pytest.mark.parametrize("stack", ["itest", "itestprod"])
def test_a_conforming_deployment_passes_every_check(deployment: Deployment, stack: str) -> None:
    code, results, _ = deployment.verify(stack)

    assert findings(results) == []
    assert code == 0
    controls = {r.control for r in results}
    expected = {
        "S3.8", "S3.5", "S3.17", "S3.14", "S3.7", "KMS.4", "RDS.27", "RDS.4", "RDS.50", "RDS.37",
        "Lambda.3", "Lambda.7", "APIGateway.1", "APIGateway.3", "APIGateway.9", "CloudWatch.16",
        "TAP.2", "CloudWatch.15", "IAM.7", "TAP.15",
    }  # fmt: skip
    # Deletion protection, WAF and AWS Backup are declared (and so checked) in prod only.
    prod_only = {"RDS.7", "APIGateway.4", "WAF.11", "TAP.14", "RDS.26"}
    assert controls == (expected | prod_only if stack == "itestprod" else expected)
    assert {r.region for r in results} == {PRIMARY, SECONDARY, "global"}
    # 2 regions x (key, 2 buckets x 3 + S3.17, function 2, stage 3, 4 log groups x 2, 2 alarms,
    # code signing) + replication + the cluster's 4 (5 in prod) and its log group's 2 + the
    # password policy; in prod also 2 regions x (WAF association and logging, the vault's lock)
    # + the backup and its copy.
    cluster = (5 if stack == "itestprod" else 4) + 2
    prod_extra = 2 * (2 + 1) + 2 if stack == "itestprod" else 0
    assert len(results) == 2 * (1 + 7 + 2 + 3 + 8 + 2 + 1) + 1 + cluster + 1 + prod_extra


def test_the_text_report_shows_every_check_and_the_verdict(deployment: Deployment) -> None:
    path = deployment.project_dir / "outputs.json"
    path.write_text(json.dumps(deployment.outputs))
    stdout, stderr = io.StringIO(), io.StringIO()

    code = run_verify(
        "itest",
        str(path),
        deployment.endpoint,
        [SECONDARY],
        "text",
        stdout,
        stderr,
        project_dir=deployment.project_dir,
        session_factory=lambda: SESSION,
    )

    lines = stdout.getvalue().splitlines()
    assert (code, stderr.getvalue()) == (0, "")
    assert all(line.startswith("PASS  ") for line in lines[:-1])
    assert all(f"  {SECONDARY}  " in line for line in lines[:-2])  # the last check is IAM.7
    assert lines[-1] == (
        f"Summary: {len(lines) - 1} checks in {SECONDARY}: {len(lines) - 1} pass, 0 drift, "
        "0 fail, 0 unknown; the stack conforms"
    )


# --- each tamper is reported as drift with its control id, then undone ------------------------
# Every tamper registers its own undo. The tests assert the exact findings, so an undo that
# missed would show up as an extra finding in a later test.

Findings = list[tuple[str, str, str]]


def suspend_versioning(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    undo.callback(
        s3.put_bucket_versioning, Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    return [("S3.14", "drift", bucket)]


def delete_public_access_block(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(SECONDARY)["storage"]["bucketName"]
    s3 = d.client("s3", SECONDARY)
    saved = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    s3.delete_public_access_block(Bucket=bucket)
    undo.callback(s3.put_public_access_block, Bucket=bucket, PublicAccessBlockConfiguration=saved)
    return [("S3.8", "drift", bucket)]


def drop_tls_only_policy(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["logBucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    undo.callback(s3.put_bucket_policy, Bucket=bucket, Policy=saved)
    return [("S3.5", "drift", bucket)]


def encrypt_with_another_key(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    other_key = d.region(SECONDARY)["kmsKeyArn"]
    rule = {
        "ApplyServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": other_key,
        }
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    undo.callback(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=saved)
    return [("S3.17", "drift", bucket)]


def delete_replication(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    s3.delete_bucket_replication(Bucket=bucket)
    undo.callback(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=saved)
    return [("S3.7", "drift", bucket)]


def replicate_to_another_bucket(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    elsewhere = copy.deepcopy(saved)
    stranger = f"arn:aws:s3:::{d.region(SECONDARY)['storage']['logBucketName']}"
    elsewhere["Rules"][0]["Destination"]["Bucket"] = stranger
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=elsewhere)
    undo.callback(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=saved)
    return [("S3.7", "drift", bucket)]


def disable_replication_rule(d: Deployment, undo: ExitStack) -> Findings:
    bucket = d.region(PRIMARY)["storage"]["bucketName"]
    s3 = d.client("s3")
    saved = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    disabled = copy.deepcopy(saved)
    disabled["Rules"][0]["Status"] = "Disabled"
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=disabled)
    undo.callback(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=saved)
    return [("S3.7", "drift", bucket)]


def disable_key_rotation(d: Deployment, undo: ExitStack) -> Findings:
    key = d.region(SECONDARY)["kmsKeyArn"]
    kms = d.client("kms", SECONDARY)
    kms.disable_key_rotation(KeyId=key)
    undo.callback(kms.enable_key_rotation, KeyId=key)
    return [("KMS.4", "drift", key)]


def delete_retention_policy(d: Deployment, undo: ExitStack) -> Findings:
    group = d.region(PRIMARY)["api"]["logGroupNames"][0]
    logs = d.client("logs")
    logs.delete_retention_policy(logGroupName=group)
    undo.callback(logs.put_retention_policy, logGroupName=group, retentionInDays=RETENTION_DAYS)
    return [("CloudWatch.16", "drift", group)]


def shorten_retention(d: Deployment, undo: ExitStack) -> Findings:
    group = d.region(SECONDARY)["flowLogGroupName"]
    logs = d.client("logs", SECONDARY)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    undo.callback(logs.put_retention_policy, logGroupName=group, retentionInDays=RETENTION_DAYS)
    return [("CloudWatch.16", "drift", group)]


def lower_backup_retention(d: Deployment, undo: ExitStack) -> Findings:
    cluster = d.region(PRIMARY)["database"]["clusterIdentifier"]
    rds = d.client("rds")
    rds.modify_db_cluster(DBClusterIdentifier=cluster, BackupRetentionPeriod=1)
    undo.callback(rds.modify_db_cluster, DBClusterIdentifier=cluster, BackupRetentionPeriod=7)
    return [("RDS.50", "drift", cluster)]


def remove_alarm_actions(d: Deployment, undo: ExitStack) -> Findings:
    api = d.region(SECONDARY)["api"]
    alarm = api["alarmNames"][1]
    cloudwatch = d.client("cloudwatch", SECONDARY)
    put_alarm(cloudwatch, alarm, [])
    undo.callback(put_alarm, cloudwatch, alarm, [api["alarmTopicArn"]])
    return [("CloudWatch.15", "drift", alarm)]


def turn_off_stage_tracing(d: Deployment, undo: ExitStack) -> Findings:
    api_id = d.region(PRIMARY)["api"]["restApiId"]
    apigateway = d.client("apigateway")

    def tracing(value: str) -> None:
        apigateway.update_stage(
            restApiId=api_id,
            stageName="v1",
            patchOperations=[{"op": "replace", "path": "/tracingEnabled", "value": value}],
        )

    tracing("false")
    undo.callback(tracing, "true")
    return [("APIGateway.3", "drift", f"{api_id}/v1")]


def take_function_out_of_the_vpc(d: Deployment, undo: ExitStack) -> Findings:
    function = d.region(SECONDARY)["api"]["functionName"]
    lambda_ = d.client("lambda", SECONDARY)
    saved = lambda_.get_function_configuration(FunctionName=function)["VpcConfig"]
    lambda_.update_function_configuration(
        FunctionName=function, VpcConfig={"SubnetIds": [], "SecurityGroupIds": []}
    )
    undo.callback(
        lambda_.update_function_configuration,
        FunctionName=function,
        VpcConfig={k: saved[k] for k in ("SubnetIds", "SecurityGroupIds")},
    )
    return [("Lambda.3", "drift", function)]


def delete_password_policy(d: Deployment, undo: ExitStack) -> Findings:
    iam = d.client("iam")
    saved = iam.get_account_password_policy()["PasswordPolicy"]
    iam.delete_account_password_policy()
    undo.callback(iam.update_account_password_policy, **without(saved, "ExpirePasswords"))
    return [("IAM.7", "drift", "account password policy")]


def without(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if k not in keys}


@pytest.mark.parametrize(
    "tamper",
    [
        suspend_versioning,
        delete_public_access_block,
        drop_tls_only_policy,
        encrypt_with_another_key,
        delete_replication,
        replicate_to_another_bucket,
        disable_replication_rule,
        disable_key_rotation,
        delete_retention_policy,
        shorten_retention,
        lower_backup_retention,
        remove_alarm_actions,
        turn_off_stage_tracing,
        take_function_out_of_the_vpc,
        delete_password_policy,
    ],
)
def test_a_tamper_is_reported_as_drift_of_its_control(
    deployment: Deployment, undo: ExitStack, tamper: Callable[[Deployment, ExitStack], Findings]
) -> None:
    expected = tamper(deployment, undo)

    code, results, _ = deployment.verify()

    assert findings(results) == expected
    assert code == 1


def test_removed_deletion_protection_is_drift_in_prod(
    deployment: Deployment, undo: ExitStack
) -> None:
    cluster = deployment.region(PRIMARY)["database"]["clusterIdentifier"]
    rds = deployment.client("rds")
    rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=False)
    undo.callback(rds.modify_db_cluster, DBClusterIdentifier=cluster, DeletionProtection=True)

    prod_code, prod_results, _ = deployment.verify("itestprod")
    dev_code, dev_results, _ = deployment.verify("itest")

    assert findings(prod_results) == [("RDS.7", "drift", cluster)]
    assert prod_code == 1
    # dev declares no deletion protection, so its absence is no finding there.
    assert (findings(dev_results), dev_code) == ([], 0)


def test_a_missing_resource_is_a_fail_not_a_crash(deployment: Deployment) -> None:
    outputs = copy.deepcopy(deployment.outputs)
    outputs["regions"][PRIMARY]["api"]["functionName"] = "tap-itest-use1-gone"
    outputs["regions"][SECONDARY]["database"] = {"role": "secondary", "clusterIdentifier": "gone"}

    code, results, _ = deployment.verify(outputs=outputs)

    assert findings(results) == [
        ("Lambda.3", "fail", "tap-itest-use1-gone"),
        ("Lambda.7", "fail", "tap-itest-use1-gone"),
        ("TAP.15", "fail", "tap-itest-use1-gone"),
        *[(c, "fail", "gone") for c in ("RDS.27", "RDS.4", "RDS.50", "RDS.37")],
        # The group the missing cluster would export to.
        *[(c, "fail", "/aws/rds/cluster/gone/postgresql") for c in ("CloudWatch.16", "TAP.2")],
    ]
    assert {r.actual for r in results if r.status == "fail"} == {
        "not found (ResourceNotFoundException)",
        "not found (DBClusterNotFoundFault)",
    }
    assert code == 1


# --- the global entry point (tap:dns) ----------------------------------------------------------


def test_the_entry_point_is_checked_only_with_tap_dns(deployment: Deployment) -> None:
    code, results, _ = deployment.verify("itestdns")
    _, without, _ = deployment.verify("itest")

    assert (findings(results), code) == ([], 0)
    entry = [r for r in results if r.control in ("TAP.7", "TAP.8", "TAP.9")]
    # Per region: two custom domains, the health check, the routed record.
    assert len(entry) == 2 * 4
    assert len(results) == len(without) + len(entry)
    assert {(r.control, r.region, r.resource) for r in entry if r.control != "TAP.8"} == {
        (control, region, resource)
        for region in (PRIMARY, SECONDARY)
        for control, resource in (
            ("TAP.7", DNS_DOMAIN),
            ("TAP.7", f"{region}.{DNS_DOMAIN}"),
            ("TAP.9", f"{DNS_DOMAIN} ({region})"),
        )
    }
    (check,) = [r for r in entry if r.control == "TAP.8" and r.region == SECONDARY]
    assert check.actual == f"HTTPS {SECONDARY}.{DNS_DOMAIN}:443/health SNI"


def weaken_custom_domain_tls(d: Deployment, undo: ExitStack) -> Findings:
    # moto has no update_domain_name: the tamper re-creates the domain with TLS_1_0.
    api = d.client("apigateway", SECONDARY)

    def recreate(policy: str) -> None:
        api.delete_domain_name(domainName=DNS_DOMAIN)
        create_custom_domain(api, SECONDARY, DNS_DOMAIN, policy)

    recreate("TLS_1_0")
    undo.callback(recreate, "TLS_1_2")
    return [("TAP.7", "drift", DNS_DOMAIN)]


def point_the_health_check_elsewhere(d: Deployment, undo: ExitStack) -> Findings:
    check_id = d.outputs["entryPoint"]["healthCheckIds"][PRIMARY]
    route53 = d.client("route53")
    route53.update_health_check(HealthCheckId=check_id, ResourcePath="/")
    undo.callback(route53.update_health_check, HealthCheckId=check_id, ResourcePath="/health")
    return [("TAP.8", "drift", check_id)]


def drop_the_records_health_check(d: Deployment, undo: ExitStack) -> Findings:
    route53 = d.client("route53")
    zone_id = d.outputs["entryPoint"]["zoneId"]
    domain = d.client("apigateway", SECONDARY).get_domain_name(domainName=DNS_DOMAIN)
    check_id = d.outputs["entryPoint"]["healthCheckIds"][SECONDARY]

    def upsert(health_check: str | None) -> None:
        change = latency_record(SECONDARY, domain, health_check, action="UPSERT")
        route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [change]})

    upsert(None)
    undo.callback(upsert, check_id)
    return [("TAP.9", "drift", f"{DNS_DOMAIN} ({SECONDARY})")]


@pytest.mark.parametrize(
    "tamper",
    [weaken_custom_domain_tls, point_the_health_check_elsewhere, drop_the_records_health_check],
)
def test_an_entry_point_tamper_is_drift_of_its_control(
    deployment: Deployment, undo: ExitStack, tamper: Callable[[Deployment, ExitStack], Findings]
) -> None:
    expected = tamper(deployment, undo)

    code, results, _ = deployment.verify("itestdns")

    assert findings(results) == expected
    assert code == 1


def test_a_missing_health_check_is_a_fail(deployment: Deployment) -> None:
    outputs = copy.deepcopy(deployment.outputs)
    outputs["entryPoint"]["healthCheckIds"][PRIMARY] = "00000000-0000-0000-0000-000000000000"

    code, results, _ = deployment.verify("itestdns", outputs=outputs)

    gone = "00000000-0000-0000-0000-000000000000"
    assert findings(results) == [
        ("TAP.8", "fail", gone),
        ("TAP.9", "drift", f"{DNS_DOMAIN} ({PRIMARY})"),
    ]
    assert code == 1


def test_outputs_without_the_entry_point_are_refused_with_tap_dns(deployment: Deployment) -> None:
    outputs = {k: v for k, v in deployment.outputs.items() if k != "entryPoint"}

    run = deployment.run("itestdns", outputs=outputs)

    assert run.code == 2
    assert "missing key entryPoint: the stack file sets tap:dns" in run.stderr
    assert run.stderr.count("\n") == 1


# --- what moto cannot emulate: botocore's Stubber ---------------------------------------------


class LambdaTracingOff:
    """A session whose Lambda clients answer from a Stubber (tracing PassThrough), the rest moto.

    moto keeps TracingConfig Active through update_function_configuration, so the drift cannot
    be made there.
    """

    def __init__(self, deployment: Deployment) -> None:
        self._deployment = deployment
        self._session = SESSION
        self.stubbers: list[Stubber] = []

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self._session.client(service, **kwargs)
        if service != "lambda":
            return client
        region = kwargs["region_name"]
        outputs = self._deployment.region(region)
        stubber = Stubber(client)
        stubber.add_response(
            "get_function_configuration",
            {
                "FunctionName": outputs["api"]["functionName"],
                "VpcConfig": {
                    "SubnetIds": outputs["subnetIds"]["private"],
                    "SecurityGroupIds": [outputs["securityGroupIds"]["app"]],
                },
                "TracingConfig": {"Mode": "PassThrough" if region == SECONDARY else "Active"},
            },
            {"FunctionName": outputs["api"]["functionName"]},
        )
        # The code signing check reads next: the function's config, then its policy.
        signing_arn = outputs["api"]["codeSigningConfigArn"]
        stubber.add_response(
            "get_function_code_signing_config",
            {"CodeSigningConfigArn": signing_arn, "FunctionName": outputs["api"]["functionName"]},
            {"FunctionName": outputs["api"]["functionName"]},
        )
        stubber.add_response(
            "get_code_signing_config",
            {
                "CodeSigningConfig": {
                    "CodeSigningConfigId": signing_arn.rsplit(":", 1)[-1],
                    "CodeSigningConfigArn": signing_arn,
                    "AllowedPublishers": {"SigningProfileVersionArns": ["arn:aws:signer:x"]},
                    "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": "Enforce"},
                    "LastModified": "2026-11-30T00:00:00Z",
                }
            },
            {"CodeSigningConfigArn": signing_arn},
        )
        stubber.activate()
        self.stubbers.append(stubber)
        return client


def test_lambda_tracing_turned_off_is_drift(deployment: Deployment) -> None:
    session = LambdaTracingOff(deployment)

    code, results, _ = deployment.verify(session_factory=lambda: session)

    function = deployment.region(SECONDARY)["api"]["functionName"]
    assert findings(results) == [("Lambda.7", "drift", function)]
    assert code == 1
    assert len(session.stubbers) == 2
    for stubber in session.stubbers:
        stubber.assert_no_pending_responses()


# --- the hardening controls on the moto server (prod: WAF and AWS Backup are on) -----------------


def test_a_stage_taken_off_its_web_acl_is_drift_in_prod(
    deployment: Deployment, undo: ExitStack
) -> None:
    outputs = deployment.region(SECONDARY)
    api, acl = outputs["api"], outputs["api"]["webAclArn"]
    stage = f"arn:aws:apigateway:{SECONDARY}::/restapis/{api['restApiId']}/stages/v1"
    wafv2 = deployment.client("wafv2", SECONDARY)
    wafv2.disassociate_web_acl(ResourceArn=stage)
    undo.callback(wafv2.associate_web_acl, WebACLArn=acl, ResourceArn=stage)

    code, results, _ = deployment.verify("itestprod")

    assert findings(results) == [("APIGateway.4", "drift", stage)]
    assert [r.actual for r in results if r.status == "drift"] == ["no web ACL"]
    assert code == 1
    # dev declares no WAF, so it checks none.
    dev_code, dev_results, _ = deployment.verify("itest")
    assert (findings(dev_results), dev_code) == ([], 0)


def test_web_acl_logging_removed_is_drift_in_prod(deployment: Deployment, undo: ExitStack) -> None:
    acl = deployment.region(PRIMARY)["api"]["webAclArn"]
    wafv2 = deployment.client("wafv2", PRIMARY)
    saved = wafv2.get_logging_configuration(ResourceArn=acl)["LoggingConfiguration"]
    wafv2.delete_logging_configuration(ResourceArn=acl)
    undo.callback(
        wafv2.put_logging_configuration,
        LoggingConfiguration=without(saved, "ManagedByFirewallManager"),
    )

    code, results, _ = deployment.verify("itestprod")

    assert findings(results) == [("WAF.11", "drift", acl)]
    assert code == 1


def test_a_vault_lock_removed_is_drift_in_prod(deployment: Deployment, undo: ExitStack) -> None:
    vault = deployment.outputs["backup"]["vaultNames"][SECONDARY]
    backup = deployment.client("backup", SECONDARY)
    backup.delete_backup_vault_lock_configuration(BackupVaultName=vault)
    undo.callback(
        backup.put_backup_vault_lock_configuration,
        BackupVaultName=vault,
        MinRetentionDays=7,
        MaxRetentionDays=365,
    )

    code, results, _ = deployment.verify("itestprod")

    assert findings(results) == [("TAP.14", "drift", vault)]
    assert code == 1
