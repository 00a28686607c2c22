"""Live checks of the hardening controls, with botocore-stubbed answers (tests/verify/canned.py):
WAF association and logging, code signing, vault locks, recent backups and their copy, and the
master secret's rotation. The moto-server runs are in tests/integration."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tap.config import StackConfig, parse
from tap.verify import verify
from tap.verify.outputs import VerifyError
from tests.verify.canned import (
    ACCOUNT,
    CODE_SIGNING_CONFIG,
    REGION,
    Answer,
    CannedSession,
    conforming,
    region_outputs,
)

SECONDARY = "us-west-2"
CLUSTER = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:tap-unit-use1-aurora"
ACL = {
    region: f"arn:aws:wafv2:{region}:{ACCOUNT}:regional/webacl/tap-unit-{code}-waf/0000"
    for region, code in ((REGION, "use1"), (SECONDARY, "usw2"))
}
VAULTS = {REGION: "tap-unit-use1-backup-vault", SECONDARY: "tap-unit-usw2-backup-vault"}
ROTATION_FUNCTION = "tap-unit-use1-secret-rotation"
NOW = datetime.now(UTC)
# The other checks' calls (replication, ...) are not what these tests are about.
OTHER_CHECKS = "AccessDenied"


def hardened_config() -> StackConfig:
    """A dev stack with every control on: WAF, backup, code signing, a rotated global database."""
    config = parse(
        {
            "environment": "dev",
            "environmentSuffix": "unit",
            "regions": [REGION, SECONDARY],
            "logRetentionDays": 30,
            "manageAccountPasswordPolicy": True,
            "waf": {"enabled": True},
            "backup": {"enabled": True},
            "database": {"global": True, "instanceClass": "db.r6g.large", "backupRetentionDays": 3},
        },
        "unit",
    ).config
    assert config.secret_rotation.enabled and config.database.global_database
    return config


def hardened_outputs() -> dict[str, Any]:
    regions = {}
    for region, code in ((REGION, "use1"), (SECONDARY, "usw2")):
        text = json.dumps(region_outputs()).replace("use1", code).replace(REGION, region)
        values = json.loads(text)
        values["api"]["webAclArn"] = ACL[region]
        values["api"]["codeSigningConfigArn"] = CODE_SIGNING_CONFIG.replace(REGION, region)
        if region == SECONDARY:
            values["database"]["role"] = "secondary"
        regions[region] = values
    return {
        "environment": "dev",
        "primaryRegion": REGION,
        "regions": regions,
        "backup": {"vaultNames": VAULTS, "planRegions": [REGION], "copyRegion": SECONDARY},
        "secretRotation": {
            "secretName": "tap-unit-use1-aurora-master",
            "functionName": ROTATION_FUNCTION,
        },
    }


def waf_answers() -> dict[str, Answer]:
    return {
        "GetWebACLForResource": lambda params: {
            "WebACL": {
                "Name": "acl",
                "Id": "0000",
                "ARN": ACL[params["ResourceArn"].split(":")[3]],
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": "acl",
                },
            }
        },
        "GetLoggingConfiguration": lambda params: {
            "LoggingConfiguration": {
                "ResourceArn": params["ResourceArn"],
                "LogDestinationConfigs": [
                    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:aws-waf-logs-tap-unit-use1-waf"
                ],
                "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
            }
        },
    }


def point(created: datetime, status: str = "COMPLETED") -> dict[str, Any]:
    return {
        "RecoveryPointArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster-snapshot:awsbackup:job-1",
        "BackupVaultName": "v",
        "ResourceArn": CLUSTER,
        "Status": status,
        "CreationDate": created,
    }


def backup_answers(
    *, created: datetime | None = None, status: str = "COMPLETED"
) -> dict[str, Answer]:
    when = created or NOW - timedelta(hours=5)
    return {
        "DescribeBackupVault": lambda params: {
            "BackupVaultName": params["BackupVaultName"],
            "Locked": True,
            "MinRetentionDays": 7,
            "MaxRetentionDays": 365,
        },
        "ListRecoveryPointsByBackupVault": {"RecoveryPoints": [point(when, status)]},
    }


def rotation_answers(**changes: Any) -> dict[str, Answer]:
    secret = {
        "ARN": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:tap-unit-use1-aurora-master-x",
        "Name": "tap-unit-use1-aurora-master",
        "RotationEnabled": True,
        "RotationLambdaARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{ROTATION_FUNCTION}",
        "RotationRules": {"AutomaticallyAfterDays": 30},
        "LastRotatedDate": NOW - timedelta(days=3),
    }
    secret.update(changes)
    return {"DescribeSecret": secret}


def code_signing_answers() -> dict[str, Answer]:
    return {
        "GetFunctionCodeSigningConfig": lambda params: {
            "CodeSigningConfigArn": CODE_SIGNING_CONFIG.replace(
                REGION, SECONDARY if "usw2" in params["FunctionName"] else REGION
            ),
            "FunctionName": params["FunctionName"],
        },
    }


def run(**changes: Answer) -> list[tuple[str, str, str, str]]:
    answers = {
        **conforming(),
        **waf_answers(),
        **backup_answers(),
        **rotation_answers(),
        **code_signing_answers(),
        **changes,
    }
    results = verify(
        hardened_outputs(),
        hardened_config(),
        session_factory=lambda: CannedSession(answers, default=OTHER_CHECKS),
    )
    hardening = {"APIGateway.4", "WAF.11", "TAP.14", "RDS.26", "TAP.15", "SecretsManager.1",
                 "SecretsManager.4"}  # fmt: skip
    return [(r.control, r.region, r.status, r.actual) for r in results if r.control in hardening]


def failing(results: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    return [r for r in results if r[2] != "pass"]


def test_a_conforming_deployment_passes_every_hardening_check() -> None:
    results = run()
    assert failing(results) == []
    assert sorted({(control, region) for control, region, *_ in results}) == sorted(
        {
            ("APIGateway.4", REGION), ("APIGateway.4", SECONDARY),
            ("WAF.11", REGION), ("WAF.11", SECONDARY),
            ("TAP.15", REGION), ("TAP.15", SECONDARY),
            ("TAP.14", REGION), ("TAP.14", SECONDARY),
            ("RDS.26", REGION), ("RDS.26", SECONDARY),  # the backup, and its copy
            ("SecretsManager.1", REGION), ("SecretsManager.4", REGION),
        }
    )  # fmt: skip


# --- WAF -----------------------------------------------------------------------------------------


def test_a_stage_without_the_web_acl_is_drift() -> None:
    assert failing(run(GetWebACLForResource={})) == [
        ("APIGateway.4", REGION, "drift", "no web ACL"),
        ("APIGateway.4", SECONDARY, "drift", "no web ACL"),
    ]


def test_logging_that_keeps_the_authorization_header_is_drift() -> None:
    logged = {
        "LoggingConfiguration": {
            "ResourceArn": ACL[REGION],
            "LogDestinationConfigs": ["arn:aws:s3:::some-bucket"],
            "RedactedFields": [],
        }
    }
    found = failing(run(GetLoggingConfiguration=logged))
    assert found[0] == ("WAF.11", REGION, "drift", "to arn:aws:s3:::some-bucket; redacts nothing")


def test_no_logging_configuration_is_drift() -> None:
    found = failing(run(GetLoggingConfiguration="WAFNonexistentItemException"))
    assert {(c, s) for c, _, s, _ in found} == {("WAF.11", "drift")}


# --- code signing --------------------------------------------------------------------------------


def test_a_function_without_its_code_signing_config_is_drift() -> None:
    found = failing(
        run(GetFunctionCodeSigningConfig={"CodeSigningConfigArn": "", "FunctionName": "f"})
    )
    assert {(c, s, a) for c, _, s, a in found} == {("TAP.15", "drift", "none")}


def test_a_config_that_warns_where_enforce_is_declared_is_drift() -> None:
    config = hardened_config().model_copy(
        update={
            "code_signing": hardened_config().code_signing.model_copy(
                update={"untrusted_artifact_on_deployment": "Enforce"}
            )
        }
    )
    answers = {**conforming(), **waf_answers(), **backup_answers(), **rotation_answers(),
               **code_signing_answers()}  # fmt: skip
    results = verify(
        hardened_outputs(),
        config,
        session_factory=lambda: CannedSession(answers, default=OTHER_CHECKS),
    )
    signing = [r for r in results if r.control == "TAP.15"]
    assert {r.status for r in signing} == {"drift"}
    assert signing[0].actual.endswith(": Warn untrusted code")


# --- AWS Backup ----------------------------------------------------------------------------------


def test_an_unlocked_vault_is_drift() -> None:
    found = failing(run(DescribeBackupVault={"BackupVaultName": "v", "Locked": False}))
    assert {(c, s, a) for c, _, s, a in found} == {("TAP.14", "drift", "not locked")}


def test_no_backup_in_the_last_day_and_no_copy_are_drift() -> None:
    found = failing(run(**backup_answers(created=NOW - timedelta(hours=40))))
    assert [(c, region, s) for c, region, s, _ in found] == [
        ("RDS.26", REGION, "drift"),
        ("RDS.26", SECONDARY, "drift"),
    ]
    assert found[0][3].startswith("no completed backup since ")
    assert found[1][3].startswith("no completed copy since ")


def test_a_failed_backup_does_not_count() -> None:
    found = failing(run(**backup_answers(status="FAILED")))
    assert {c for c, *_ in found} == {"RDS.26"}


def test_a_missing_vault_is_a_fail() -> None:
    found = failing(run(DescribeBackupVault="ResourceNotFoundException"))
    assert {(c, s) for c, _, s, _ in found} == {("TAP.14", "fail")}


# --- rotation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "control", "actual"),
    [
        ({"RotationEnabled": False}, "SecretsManager.1", "rotation off"),
        (
            {"RotationRules": {"AutomaticallyAfterDays": 90}},
            "SecretsManager.1",
            f"every 90 days by {ROTATION_FUNCTION}",
        ),
        (
            {"RotationLambdaARN": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:someone-elses"},
            "SecretsManager.1",
            "every 30 days by someone-elses",
        ),
        ({"LastRotatedDate": NOW - timedelta(days=45)}, "SecretsManager.4", "last rotated"),
        ({"LastRotatedDate": None}, "SecretsManager.4", "never rotated"),
    ],
)
def test_rotation_drift(changes: dict[str, Any], control: str, actual: str) -> None:
    found = failing(run(**rotation_answers(**changes)))
    assert [(c, s) for c, _, s, _ in found] == [(control, "drift")]
    assert found[0][3].startswith(actual)


def test_a_missing_secret_is_a_fail_of_both_rotation_checks() -> None:
    found = failing(run(DescribeSecret="ResourceNotFoundException"))
    assert {(c, s) for c, _, s, _ in found} == {
        ("SecretsManager.1", "fail"),
        ("SecretsManager.4", "fail"),
    }


# --- outputs -------------------------------------------------------------------------------------


def test_outputs_missing_a_controls_names_make_its_check_fail() -> None:
    outputs = hardened_outputs()
    del outputs["backup"], outputs["secretRotation"]
    outputs["regions"][REGION]["api"]["webAclArn"] = None
    answers = {**conforming(), **waf_answers(), **backup_answers(), **rotation_answers(),
               **code_signing_answers()}  # fmt: skip
    results = verify(
        outputs,
        hardened_config(),
        session_factory=lambda: CannedSession(answers, default=OTHER_CHECKS),
    )
    fails = {(r.control, r.region, r.actual) for r in results if r.status == "fail"}
    assert ("APIGateway.4", REGION, "no webAclArn in the stack's outputs") in fails
    assert ("TAP.14", REGION, "no backup in the stack's outputs") in fails
    assert ("SecretsManager.1", REGION, "no secretRotation in the stack's outputs") in fails


def test_mistyped_hardening_outputs_are_refused_by_key() -> None:
    outputs = hardened_outputs()
    outputs["backup"]["planRegions"] = "us-east-1"
    with pytest.raises(VerifyError, match=r"backup\.planRegions must be a list"):
        verify(outputs, hardened_config(), session_factory=lambda: CannedSession({}))
    outputs = hardened_outputs()
    outputs["regions"][REGION]["api"]["webAclArn"] = 7
    with pytest.raises(VerifyError, match=r"regions.us-east-1.api.webAclArn must be a string"):
        verify(outputs, hardened_config(), session_factory=lambda: CannedSession({}))
