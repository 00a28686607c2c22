"""The hardening controls in the shipped stacks' plans: WAF, AWS Backup, code signing."""

from __future__ import annotations

from tap.naming import region_code
from tests.conftest import Planned

ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
STAGE = "aws:apigateway/stage:Stage"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
CLUSTER = "aws:rds/cluster:Cluster"
FUNCTION = "aws:lambda/function:Function"
CODE_SIGNING = "aws:lambda/codeSigningConfig:CodeSigningConfig"


def test_every_regional_stage_has_its_regions_web_acl_where_waf_is_on(planned: Planned) -> None:
    config = planned.config
    stages = planned.of_type(STAGE)
    associations = planned.of_type(ASSOCIATION)
    if not config.waf.enabled:
        assert not associations and not planned.of_type(ACL)
        return
    assert config.api.endpoint_type == "REGIONAL"
    acls = {acl["region"]: acl for acl in planned.of_type(ACL)}
    assert set(acls) == set(config.regions)
    assert len(associations) == len(stages) == len(config.regions)
    stage_regions = {association["region"] for association in associations}
    assert stage_regions == set(config.regions)
    by_urn = planned.by_urn()
    for association in associations:
        region = association["region"]
        assert association["inputs"]["resourceArn"].startswith(
            f"arn:aws:apigateway:{region}::/restapis/"
        )
        assert association["inputs"]["resourceArn"].endswith(f"/stages/{config.api.stage_name}")
        # The ACL of the stage's own region (a REGIONAL ACL cannot cross regions).
        assert by_urn[acls[region]["urn"]]["region"] == region
        assert acls[region]["urn"] in association["dependencies"]
        rate = next(
            r for r in acls[region]["inputs"]["rules"] if "rateBasedStatement" in r["statement"]
        )
        assert rate["statement"]["rateBasedStatement"]["limit"] == config.waf.rate_limit


def test_prod_has_waf_and_dev_and_private_staging_do_not(plans: dict[str, Planned]) -> None:
    assert len(plans["prod"].of_type(ASSOCIATION)) == 3
    assert not plans["dev"].of_type(ASSOCIATION)
    # The shipped staging API is PRIVATE: WAF is for public stages.
    assert plans["staging"].config.api.endpoint_type == "PRIVATE"
    assert not plans["staging"].of_type(ASSOCIATION)


def test_backup_covers_the_writer_with_a_copy_in_another_region(planned: Planned) -> None:
    config = planned.config
    if not config.backup.enabled:
        assert not planned.of_type(VAULT) and not planned.of_type(PLAN)
        return
    vaults = {vault["region"]: vault for vault in planned.of_type(VAULT)}
    assert set(vaults) == set(config.regions)
    assert {lock["region"] for lock in planned.of_type(LOCK)} == set(config.regions)
    (plan,) = planned.of_type(PLAN)
    (selection,) = planned.of_type(SELECTION)
    primary = config.writer_region
    assert plan["region"] == selection["region"] == primary
    (rule,) = plan["inputs"]["rules"]
    assert rule["lifecycle"]["deleteAfter"] == config.backup.retention_days
    (copy,) = rule["copyActions"]
    destination = config.backup.destination(primary, config.regions)
    assert destination is not None
    assert destination != primary
    assert copy["destinationVaultArn"].startswith(f"arn:aws:backup:{destination}:")
    assert copy["destinationVaultArn"].endswith(
        f"tap-{config.environment_suffix}-{region_code(destination)}-backup-vault"
    )
    assert copy["lifecycle"]["deleteAfter"] == config.backup.copy_retention_days
    writer = next(
        c
        for c in planned.of_type(CLUSTER)
        if c["region"] == primary and "replicationSourceIdentifier" not in c["inputs"]
    )
    (selected,) = selection["inputs"]["resources"]
    assert selected.endswith(f":cluster:{writer['inputs']['clusterIdentifier']}")
    assert selected.startswith(f"arn:aws:rds:{primary}:")
    for vault in vaults.values():
        assert vault["protect"] is config.is_prod


def test_prod_backs_up_and_the_others_do_not_by_default(plans: dict[str, Planned]) -> None:
    assert len(plans["prod"].of_type(PLAN)) == 1
    assert not plans["staging"].of_type(PLAN) and not plans["dev"].of_type(PLAN)


def test_every_function_runs_signed_code_under_its_regions_config(planned: Planned) -> None:
    config = planned.config
    configs = {c["region"]: c for c in planned.of_type(CODE_SIGNING)}
    functions = planned.of_type(FUNCTION)
    if not config.code_signing.enabled:
        assert not configs
        return
    # Where functions run: the regions with a cluster.
    assert set(configs) == set(config.data_regions)
    expected = config.code_signing.untrusted_artifact_on_deployment
    for signing in configs.values():
        assert signing["inputs"]["policies"] == {"untrustedArtifactOnDeployment": expected}
    for function in functions:
        arn = function["inputs"]["codeSigningConfigArn"]
        assert arn.startswith(f"arn:aws:lambda:{function['region']}:")
        assert function["inputs"]["s3Key"].startswith("signed/")


def test_prod_enforces_signatures_and_the_others_warn(plans: dict[str, Planned]) -> None:
    actions = {
        stack: {
            c["inputs"]["policies"]["untrustedArtifactOnDeployment"]
            for c in planned.of_type(CODE_SIGNING)
        }
        for stack, planned in plans.items()
    }
    assert {stack: actions[stack] for stack in ("prod", "staging", "dev")} == {
        "prod": {"Enforce"},
        "staging": {"Warn"},
        "dev": {"Warn"},
    }
    for stack, planned in plans.items():
        assert actions[stack] == {"Enforce" if planned.config.is_prod else "Warn"}, stack


def test_the_waf_alarm_and_dashboard_follow_the_web_acl(planned: Planned) -> None:
    alarms = [
        a
        for a in planned.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a["inputs"]["namespace"] == "AWS/WAFV2"
    ]
    if not planned.config.waf.enabled:
        assert not alarms
        return
    assert {a["region"] for a in alarms} == set(planned.config.regions)
    for alarm in alarms:
        assert (
            alarm["inputs"]["threshold"]
            == planned.config.monitoring.thresholds.waf_blocked_requests
        )
        assert alarm["inputs"]["dimensions"]["Region"] == alarm["region"]


def test_the_global_databases_master_secret_rotates_on_schedule(planned: Planned) -> None:
    config = planned.config
    rotations = planned.of_type("aws:secretsmanager/secretRotation:SecretRotation")
    if not (config.database.global_database and config.secret_rotation.enabled):
        assert not rotations
        return
    (rotation,) = rotations
    (secret,) = planned.of_type("aws:secretsmanager/secret:Secret")
    assert rotation["region"] == secret["region"] == config.primary_region
    assert secret["urn"] in rotation["dependencies"]
    assert rotation["inputs"]["rotationRules"] == {
        "automaticallyAfterDays": config.secret_rotation.days
    }
    function = next(f for f in planned.of_type(FUNCTION) if f["name"].endswith("-secret-rotation"))
    assert function["region"] == config.primary_region
    private = planned.manifest["outputs"]["regions"][config.primary_region]["subnetIds"]["private"]
    assert function["inputs"]["vpcConfig"]["subnetIds"] == private
    assert function["inputs"]["tracingConfig"] == {"mode": "Active"}
    writer = next(
        c
        for c in planned.of_type(CLUSTER)
        if c["region"] == config.primary_region and "masterUsername" in c["inputs"]
    )
    assert function["inputs"]["environment"]["variables"]["TAP_DB_HOST"].startswith(
        writer["inputs"]["clusterIdentifier"]
    )
    if config.code_signing.enabled:
        assert function["inputs"]["codeSigningConfigArn"]


def test_only_prod_has_a_rotation_schedule_of_its_own(plans: dict[str, Planned]) -> None:
    kinds = "aws:secretsmanager/secretRotation:SecretRotation"
    assert len(plans["prod"].of_type(kinds)) == 1
    # dev and staging run regional clusters, whose RDS-managed secret RDS rotates itself.
    assert not plans["dev"].of_type(kinds) and not plans["staging"].of_type(kinds)
