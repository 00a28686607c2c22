"""The check inside `tap plan`: the shipped stacks pass it, and a violation fails the plan."""

from __future__ import annotations

import json

import pytest

from tap.cli import main
from tests.conftest import PROJECT_DIR, Planned


def test_the_shipped_stacks_break_no_aws_constraint(planned: Planned) -> None:
    assert planned.manifest["constraints"] == []


def test_constraints_is_the_manifests_last_field(planned: Planned) -> None:
    assert list(planned.manifest)[-2:] == ["policy", "constraints"]


@pytest.fixture
def small_migration_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """A defect config cannot see: code that gives the migration function 64 MB (Lambda's
    CloudFormation schema, like the API, takes 128-32,768 MB). Only the plan's check catches it."""
    monkeypatch.setattr("tap.components.function.MIGRATION_MEMORY_MB", 64)
    monkeypatch.chdir(PROJECT_DIR)


@pytest.mark.usefixtures("small_migration_memory")
def test_a_constraint_violation_fails_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "dev", "--format", "json"]) == 2
    captured = capsys.readouterr()
    found = json.loads(captured.out)["constraints"]
    assert {v["type"] for v in found} == {"aws:lambda/function:Function"}
    assert {v["property"] for v in found} == {"memorySize"}
    assert len(found) == 1  # one migration function: the writer's region
    first = found[0]
    assert list(first) == [
        "urn",
        "resource",
        "type",
        "property",
        "value",
        "rule",
        "source",
        "message",
    ]
    assert first["resource"] == "tap-dev-use1-db-migrate"
    assert first["value"] == 64
    assert first["source"].endswith("#/properties/MemorySize/minimum")
    assert captured.err == (
        f"tap: error: {len(found)} AWS constraint violation(s) in stack dev; "
        "see the manifest's `constraints` field or the text output\n"
    )


@pytest.mark.usefixtures("small_migration_memory")
def test_the_text_plan_lists_constraint_violations_after_the_policy_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--stack", "dev"]) == 2
    out = capsys.readouterr().out
    verdicts = out.split("\nPolicy: no violations\n", 1)[1]
    header, *lines = verdicts.split("\n\nSummary: ")[0].strip().splitlines()
    assert header == "AWS constraints (1):"
    assert lines[0].startswith("  tap-dev-use1-db-migrate: memorySize=64: ")
    assert lines[1].startswith("      rule: minimum ")
    assert lines[1].endswith("AWS::Lambda::Function#/properties/MemorySize/minimum")
    assert len(lines) == 2


def test_the_text_plan_says_when_there_is_no_violation(
    plans: dict[str, Planned], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PROJECT_DIR)
    assert main(["plan", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "\nPolicy: no violations\nAWS constraints: no violations\n" in out
