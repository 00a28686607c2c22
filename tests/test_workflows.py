"""Structural facts of the delivery workflows, which no linter knows about."""

from __future__ import annotations

import re
from functools import cache
from importlib import metadata
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, STACKS

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})$")


@cache
def workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the `on:` key as True.
    if True in document:
        document["on"] = document.pop(True)
    return dict(document)


def steps(name: str) -> list[dict[str, Any]]:
    return [step for job in workflow(name)["jobs"].values() for step in job.get("steps", [])]


def all_workflows() -> list[str]:
    return sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_expected_workflows_exist() -> None:
    assert {
        "ci.yml",
        "preview.yml",
        "deploy.yml",
        "deploy-stack.yml",
        "rollback.yml",
        "drift.yml",
    } <= set(all_workflows())


@pytest.mark.parametrize("name", ["preview.yml", "drift.yml"])
def test_matrices_cover_every_stack_file(name: str) -> None:
    (job,) = workflow(name)["jobs"].values()
    assert sorted(job["strategy"]["matrix"]["stack"]) == sorted(STACKS)


def test_deploy_chain_covers_every_stack_in_order() -> None:
    jobs = workflow("deploy.yml")["jobs"]
    assert [job["with"]["stack"] for job in jobs.values()] == ["dev", "staging", "prod"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert all(job["uses"] == "./.github/workflows/deploy-stack.yml" for job in jobs.values())


def test_rollback_offers_every_stack_and_an_earlier_commit() -> None:
    inputs = workflow("rollback.yml")["on"]["workflow_dispatch"]["inputs"]
    assert sorted(inputs["stack"]["options"]) == sorted(STACKS)
    assert inputs["ref"]["required"] is True
    (job,) = workflow("rollback.yml")["jobs"].values()
    assert job["with"]["ref"] == "${{ inputs.ref }}"


def test_each_stack_deploys_in_its_github_environment() -> None:
    (job,) = workflow("deploy-stack.yml")["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"


@pytest.mark.parametrize("name", ["preview.yml", "deploy-stack.yml", "drift.yml"])
def test_aws_access_is_oidc_only(name: str) -> None:
    assert workflow(name)["permissions"]["id-token"] == "write"
    credentials = [
        s
        for s in steps(name)
        if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")
    ]
    assert credentials
    for step in credentials:
        assert "role-to-assume" in step["with"]
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"])
    text = (WORKFLOWS / name).read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text


@pytest.mark.parametrize("name", all_workflows())
def test_permissions_are_minimal(name: str) -> None:
    permissions = workflow(name).get("permissions")
    assert isinstance(permissions, dict), f"{name} must declare its permissions"
    assert permissions.get("contents") == "read"
    assert set(permissions.values()) <= {"read", "write"}
    assert not {k for k, v in permissions.items() if v == "write"} - {"id-token", "pull-requests"}


@pytest.mark.parametrize("name", ["preview.yml", "deploy-stack.yml"])
def test_the_policy_pack_runs_with_every_preview_and_deploy(name: str) -> None:
    pulumi = [s for s in steps(name) if s.get("uses", "").startswith("pulumi/actions")]
    assert pulumi
    for step in pulumi:
        assert step["with"]["policyPacks"] == "tap/policy"
        assert step["with"]["policyPackConfigs"] == "policy-config.json"
    assert (PROJECT_DIR / "tap" / "policy" / "PulumiPolicy.yaml").is_file()


def test_the_preview_comment_is_edited_not_duplicated() -> None:
    (step,) = [s for s in steps("preview.yml") if s.get("uses", "").startswith("pulumi/actions")]
    assert step["with"]["command"] == "preview"
    assert step["with"]["comment-on-pr"] is True
    assert step["with"]["edit-pr-comment"] is True
    assert (
        "${{ github.event.pull_request.number }}" in workflow("preview.yml")["concurrency"]["group"]
    )


def test_deploys_verify_and_notify() -> None:
    runs = [s.get("run", "") for s in steps("deploy-stack.yml")]
    assert any("tap verify" in run for run in runs)
    slack = [s for s in steps("deploy-stack.yml") if s.get("uses", "").startswith("slackapi/")]
    assert slack and slack[0]["if"] == "always()"


def test_drift_refreshes_without_changing_and_reports() -> None:
    runs = " ".join(s.get("run", "") for s in steps("drift.yml"))
    assert "pulumi refresh --preview-only --expect-no-changes" in runs
    assert "tap verify" in runs
    assert workflow("drift.yml")["on"]["schedule"]


@pytest.mark.parametrize("name", all_workflows())
def test_actions_are_pinned(name: str) -> None:
    for step in steps(name):
        if "uses" in step and not step["uses"].startswith("./"):
            assert PINNED.match(step["uses"]), step["uses"]


def test_the_pulumi_cli_version_is_pinned_in_one_place() -> None:
    version = (PROJECT_DIR / ".pulumi.version").read_text().strip()
    # The CLI and the locked SDK move together.
    assert version == metadata.version("pulumi")
    for name in all_workflows():
        for step in steps(name):
            if step.get("uses", "").startswith("pulumi/actions"):
                assert step["with"]["pulumi-version-file"] == ".pulumi.version"
                assert "pulumi-version" not in step["with"]


def test_ci_runs_the_same_checks_as_ci_run() -> None:
    ci_run = (PROJECT_DIR / ".ci" / "run").read_text()
    for tool in ("ruff check", "mypy", "actionlint", "check-jsonschema", "pytest"):
        assert tool in ci_run
        assert tool in (WORKFLOWS / "ci.yml").read_text()
