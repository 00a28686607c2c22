"""The data path of the shipped stacks: each API function wired to its region's cluster, the
migration at deploy before the new code, no password anywhere, and a writer moved by
`tap:database.writerRegion` without replacing anything stateful."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tap.awsdata import is_stateful
from tap.cli import main
from tap.diff import EXIT_OK, diff_manifests
from tap.naming import region_code
from tap.plan import run_plan
from tests.conftest import PROJECT_DIR, Planned

FUNCTION = "aws:lambda/function:Function"
INVOCATION = "aws:lambda/invocation:Invocation"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
MOVED_WRITER = "us-west-2"


def name_of(planned: Planned, region: str, what: str) -> str:
    return f"tap-{planned.config.environment_suffix}-{region_code(region)}-{what}"


def function_of(planned: Planned, region: str, what: str = "api") -> dict[str, Any]:
    name = name_of(planned, region, what)
    (found,) = [f for f in planned.of_type(FUNCTION) if f["name"] == name]
    return found


def env_of(planned: Planned, region: str, what: str = "api") -> dict[str, str]:
    variables: dict[str, str] = function_of(planned, region, what)["inputs"]["environment"][
        "variables"
    ]
    return variables


def statements(planned: Planned, region: str, what: str) -> dict[str, dict[str, Any]]:
    policy = planned.named(name_of(planned, region, f"{what}-policy"))
    return {s["Sid"]: s for s in json.loads(policy["inputs"]["policy"])["Statement"]}


def cluster_in(planned: Planned, region: str) -> dict[str, Any]:
    (cluster,) = [c for c in planned.of_type(CLUSTER) if c["region"] == region]
    return cluster


# --- each function wired to its region's cluster -----------------------------------------------


def test_each_api_function_reaches_its_regions_cluster(planned: Planned) -> None:
    outputs = planned.manifest["outputs"]["regions"]
    writer = planned.config.writer_region
    for region in planned.config.data_regions:
        database = outputs[region]["database"]
        env = env_of(planned, region)
        expected_host = database["endpoint"] if region == writer else database["readerEndpoint"]
        assert env["TAP_DB_HOST"] == expected_host, region
        assert expected_host.startswith(name_of(planned, region, "aurora."))
        assert (env["TAP_DB_PORT"], env["TAP_DB_NAME"], env["TAP_DB_USER"]) == (
            "5432",
            planned.config.database.database_name,
            "tap_app",
        )
        assert env["TAP_REGION"] == region
        assert database["role"] == ("writer" if region == writer else "secondary")


def test_writes_outside_the_writer_are_forwarded_with_the_configured_consistency(
    planned: Planned,
) -> None:
    writer = planned.config.writer_region
    mode = planned.config.database.write_forwarding_consistency
    for region in planned.config.data_regions:
        forwarding = env_of(planned, region).get("TAP_DB_WRITE_FORWARDING")
        assert forwarding == (None if region == writer else mode), region
    # Every global member forwards once it is a secondary: the writer too, after a move.
    for cluster in planned.of_type(CLUSTER):
        forwards = cluster["inputs"].get("enableGlobalWriteForwarding")
        assert forwards is (True if planned.config.database.global_database else None)


def test_prod_forwards_from_both_secondaries(plans: dict[str, Planned]) -> None:
    prod = plans["prod"]
    assert {
        region
        for region in prod.config.regions
        if "TAP_DB_WRITE_FORWARDING" in env_of(prod, region)
    } == {"us-west-2", "eu-central-1"}


def test_each_api_role_connects_as_the_app_user_of_its_own_cluster_only(planned: Planned) -> None:
    account = "123456789012"  # the plan's mock account
    for region in planned.config.data_regions:
        resource_id = planned.manifest["outputs"]["regions"][region]["database"][
            "clusterResourceId"
        ]
        assert resource_id.startswith("cluster-")
        found = statements(planned, region, "api")
        assert found["ConnectAsAppUser"] == {
            "Sid": "ConnectAsAppUser",
            "Effect": "Allow",
            "Action": "rds-db:connect",
            "Resource": f"arn:aws:rds-db:{region}:{account}:dbuser:{resource_id}/tap_app",
        }
        assert not any("secretsmanager" in json.dumps(s) for s in found.values())


def test_the_functions_security_group_reaches_its_clusters_on_5432(planned: Planned) -> None:
    outputs = planned.manifest["outputs"]["regions"]
    for region in planned.config.data_regions:
        groups = outputs[region]["securityGroupIds"]
        for what in ("api", "db-migrate"):
            config = function_of(planned, region, what)["inputs"]["vpcConfig"]
            assert config["securityGroupIds"] == [groups["app"]]
            assert config["subnetIds"] == outputs[region]["subnetIds"]["private"]
        assert cluster_in(planned, region)["inputs"]["vpcSecurityGroupIds"] == [groups["database"]]
        to_database = [
            rule["inputs"]
            for rule in planned.of_type(EGRESS)
            if rule["region"] == region and rule["inputs"]["securityGroupId"] == groups["app"]
        ]
        assert {
            (rule["fromPort"], rule["toPort"], rule.get("referencedSecurityGroupId"))
            for rule in to_database
        } >= {(5432, 5432, groups["database"])}


def test_a_region_without_a_cluster_runs_no_function(planned: Planned) -> None:
    for region in planned.config.regions:
        if region in planned.config.data_regions:
            continue
        assert not [f for f in planned.of_type(FUNCTION) if f["region"] == region]
        assert planned.manifest["outputs"]["regions"][region]["database"] is None


def test_no_password_anywhere_in_the_plan(planned: Planned) -> None:
    text = json.dumps(planned.manifest)
    # The mocks' generated password is a fixed marker: it never appears in clear.
    assert "mock-password-" not in text
    for function in planned.of_type(FUNCTION):
        variables = function["inputs"]["environment"]["variables"]
        for key, value in variables.items():
            assert "PASSWORD" not in key and "DSN" not in key, (function["name"], key)
            assert value != "<secret>", (function["name"], key)
    for region_outputs in planned.manifest["outputs"]["regions"].values():
        database = region_outputs["database"]
        if database is not None:
            assert database["masterSecretArn"] == "<secret>"


# --- the migration at deploy -------------------------------------------------------------------


def test_one_invocation_in_the_writers_region_before_every_apis_new_code(
    planned: Planned,
) -> None:
    writer = planned.config.writer_region
    (invocation,) = planned.of_type(INVOCATION)
    assert invocation["region"] == writer
    assert invocation["name"] == name_of(planned, writer, "db-migrate-invocation")
    migrate = function_of(planned, writer, "db-migrate")
    assert migrate["urn"] in invocation["dependencies"]
    # The writer's instances exist before it logs in (a cluster without one takes no
    # connection), and so does a generated secret's value.
    for instance in planned.of_type(INSTANCE):
        if instance["region"] == writer:
            assert instance["urn"] in invocation["dependencies"], instance["name"]
    if planned.config.database.global_database:
        version = planned.named(
            name_of(planned, planned.config.primary_region, "aurora-master-version")
        )
        assert version["urn"] in invocation["dependencies"]
    for region in planned.config.data_regions:
        api = function_of(planned, region)
        assert invocation["urn"] in api["dependencies"], region


def test_every_region_with_a_cluster_has_a_migration_function_at_its_endpoint(
    planned: Planned,
) -> None:
    outputs = planned.manifest["outputs"]["regions"]
    for region in planned.config.data_regions:
        env = env_of(planned, region, "db-migrate")
        assert env["TAP_DB_HOST"] == outputs[region]["database"]["endpoint"]
        secret = statements(planned, region, "db-migrate")["ReadMasterSecret"]["Resource"]
        assert env["TAP_DB_ADMIN_SECRET_ARN"] == secret
        assert secret.startswith(f"arn:aws:secretsmanager:{region}:")
        assert "rds-db:connect" not in json.dumps(statements(planned, region, "db-migrate"))
    writer = planned.config.writer_region
    assert outputs[writer]["database"]["schemaVersion"] >= 1
    assert all(
        "schemaVersion" not in outputs[r]["database"]
        for r in planned.config.data_regions
        if r != writer
    )


def test_the_global_secret_is_read_from_its_copy_in_each_region(plans: dict[str, Planned]) -> None:
    prod = plans["prod"]
    (secret,) = prod.of_type("aws:secretsmanager/secret:Secret")
    replicated = {replica["region"] for replica in secret["inputs"]["replicas"]}
    assert replicated == set(prod.config.secondary_regions)
    for region in prod.config.regions:
        arn = env_of(prod, region, "db-migrate")["TAP_DB_ADMIN_SECRET_ARN"]
        assert arn.split(":")[3] == region
        assert arn.rsplit(":", 1)[-1].startswith(secret["inputs"]["name"])


# --- the writer moved --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Planned, Path]:
    """prod planned with tap:database.writerRegion us-west-2, as after `tap failover`."""
    project = tmp_path_factory.mktemp("moved")
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", project / "Pulumi.yaml")
    text = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    assert text.count("\n  tap:database:\n") == 1
    text = text.replace(
        "\n  tap:database:\n", f"\n  tap:database:\n    writerRegion: {MOVED_WRITER}\n"
    )
    (project / "Pulumi.prod.yaml").write_text(text)
    result = run_plan("prod", project)
    from tap.plan import load_stack_file  # noqa: PLC0415

    config = load_stack_file(project, "prod").parse().config
    assert config.writer_region == MOVED_WRITER
    return Planned("prod", config, result.manifest, result.warnings), project


def test_a_moved_writer_replaces_and_deletes_nothing_stateful(
    plans: dict[str, Planned], moved: tuple[Planned, Path]
) -> None:
    base = plans["prod"]
    head, _ = moved
    diff = diff_manifests(base.manifest, head.manifest, "default", "moved")
    assert [c for c in diff.changes if c.risky] == []
    assert [c.name for c in diff.changes if c.kind == "replace"] == []
    deleted = [c for c in diff.changes if c.kind == "delete"]
    assert not [c for c in deleted if is_stateful(c.type)]
    # Every stateful resource is untouched: same URN, same inputs.
    before = {r["urn"]: r for r in base.cloud_resources() if is_stateful(r["type"])}
    after = {r["urn"]: r for r in head.cloud_resources() if is_stateful(r["type"])}
    assert before.keys() == after.keys()
    for urn, resource in before.items():
        assert after[urn]["inputs"] == resource["inputs"], resource["name"]
        assert after[urn]["protect"] == resource["protect"]


def test_a_moved_writer_changes_what_the_functions_reach_and_where_migrations_run(
    plans: dict[str, Planned], moved: tuple[Planned, Path]
) -> None:
    base = plans["prod"]
    head, _ = moved
    diff = diff_manifests(base.manifest, head.manifest, "default", "moved")
    by_kind: dict[str, set[str]] = {}
    for change in diff.changes:
        by_kind.setdefault(change.kind, set()).add(change.name)
    assert {"tap-prod-use1-api", "tap-prod-usw2-api"} <= by_kind["change"]
    assert "tap-prod-euc1-api" not in by_kind["change"]  # still a secondary
    assert "tap-prod-use1-db-migrate-invocation" in by_kind["delete"]
    assert "tap-prod-usw2-db-migrate-invocation" in by_kind["add"]
    assert (
        env_of(head, MOVED_WRITER)["TAP_DB_HOST"]
        == (head.manifest["outputs"]["regions"][MOVED_WRITER]["database"]["endpoint"])
    )
    assert "TAP_DB_WRITE_FORWARDING" not in env_of(head, MOVED_WRITER)
    assert env_of(head, "us-east-1")["TAP_DB_WRITE_FORWARDING"] == "session"
    assert head.manifest["outputs"]["regions"]["us-east-1"]["database"]["role"] == "secondary"


def test_tap_diff_of_the_move_exits_0(
    plans: dict[str, Planned],
    moved: tuple[Planned, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = tmp_path / "base.json"
    head = tmp_path / "head.json"
    base.write_text(json.dumps(plans["prod"].manifest))
    head.write_text(json.dumps(moved[0].manifest))
    assert main(["diff", str(base), str(head)]) == EXIT_OK
    assert "no protected or stateful resource is deleted or replaced" in capsys.readouterr().out


def test_the_moved_plan_passes_policy_and_constraints(moved: tuple[Planned, Path]) -> None:
    head, _ = moved
    assert head.manifest["policy"] == []
    assert head.manifest["constraints"] == []
