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
def short_dlq_key_reuse(monkeypatch: pytest.MonkeyPatch) -> None:
    """A defect config cannot see: code that asks SQS for a 30 s data key reuse period (its
    CloudFormation schema, like the API, takes 60-86,400 s). Only the plan's check catches it."""
    monkeypatch.setattr("tap.components.function.DLQ_DATA_KEY_REUSE_SECONDS", 30)
    monkeypatch.chdir(PROJECT_DIR)


@pytest.mark.usefixtures("short_dlq_key_reuse")
def test_a_constraint_violation_fails_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--stack", "dev", "--format", "json"]) == 2
    captured = capsys.readouterr()
    found = json.loads(captured.out)["constraints"]
    assert {v["type"] for v in found} == {"aws:sqs/queue:Queue"}
    assert {v["property"] for v in found} == {"kmsDataKeyReusePeriodSeconds"}
    assert len(found) == 2  # dev's two API regions
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
    assert first["value"] == 30
    assert first["source"].endswith("#/properties/KmsDataKeyReusePeriodSeconds/minimum")
    assert captured.err == (
        f"tap: error: {len(found)} AWS constraint violation(s) in stack dev; "
        "see the manifest's `constraints` field or the text output\n"
    )


@pytest.mark.usefixtures("short_dlq_key_reuse")
def test_the_text_plan_lists_constraint_violations_after_the_policy_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", "--stack", "dev"]) == 2
    out = capsys.readouterr().out
    verdicts = out.split("\nPolicy: no violations\n", 1)[1]
    header, *lines = verdicts.split("\n\nSummary: ")[0].strip().splitlines()
    assert header == "AWS constraints (2):"
    assert lines[0].startswith("  tap-dev-use1-api-dlq: kmsDataKeyReusePeriodSeconds=30: ")
    assert lines[1].startswith("      rule: minimum ")
    assert lines[1].endswith("AWS::SQS::Queue#/properties/KmsDataKeyReusePeriodSeconds/minimum")
    assert len(lines) == 4


def test_the_text_plan_says_when_there_is_no_violation(
    plans: dict[str, Planned], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PROJECT_DIR)
    assert main(["plan", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "\nPolicy: no violations\nAWS constraints: no violations\n" in out
