"""The check inside `tap plan`: the shipped stacks pass it, and a violation fails the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tap.cli import main
from tests.conftest import PROJECT_DIR, Planned


def test_the_shipped_stacks_break_no_aws_constraint(planned: Planned) -> None:
    assert planned.manifest["constraints"] == []


def test_constraints_is_the_manifests_last_field(planned: Planned) -> None:
    assert list(planned.manifest)[-2:] == ["policy", "constraints"]


def project_with(tmp_path: Path, old: str, new: str) -> Path:
    """The shipped dev stack with one edit, in a project directory of its own."""
    text = (PROJECT_DIR / "Pulumi.dev.yaml").read_text()
    assert old in text
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.dev.yaml").write_text(text.replace(old, new))
    return tmp_path


# IAM roles and SQS queues take only letters, digits, spaces and _.:/=+-@ in tag values
# (their CloudFormation Tag schemas); config accepts any 256 characters, and EC2 does too.
AMPERSAND_OWNER = ("Owner: platform-team", "Owner: platform & data")


def test_a_constraint_violation_fails_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_with(tmp_path, *AMPERSAND_OWNER))
    assert main(["plan", "--stack", "dev", "--format", "json"]) == 2
    captured = capsys.readouterr()
    found = json.loads(captured.out)["constraints"]
    assert found
    assert {v["type"] for v in found} == {"aws:iam/role:Role", "aws:sqs/queue:Queue"}
    assert {v["property"] for v in found} == {"tags.Owner"}
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
    assert first["value"] == "platform & data"
    assert first["source"].endswith("#/definitions/Tag/properties/Value/pattern")
    assert captured.err == (
        f"tap: error: {len(found)} AWS constraint violation(s) in stack dev; "
        "see the manifest's `constraints` field or the text output\n"
    )


def test_the_text_plan_lists_constraint_violations_after_the_policy_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_with(tmp_path, *AMPERSAND_OWNER))
    assert main(["plan", "--stack", "dev"]) == 2
    out = capsys.readouterr().out
    verdicts = out.split("\nPolicy: no violations\n", 1)[1]
    header, *lines = verdicts.split("\n\nSummary: ")[0].strip().splitlines()
    assert header.startswith("AWS constraints (")
    assert header == "AWS constraints (8):"
    assert lines[0] == (
        "  tap-dev-gbl-apigateway-cloudwatch-role: tags.Owner='platform & data': does not match "
        "the pattern ^[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*$"
    )
    assert lines[1].startswith("      rule: pattern ")
    assert lines[1].endswith("AWS::IAM::Role#/definitions/Tag/properties/Value/pattern")
    assert len(lines) == 16


def test_the_text_plan_says_when_there_is_no_violation(
    plans: dict[str, Planned], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(PROJECT_DIR)
    assert main(["plan", "--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "\nPolicy: no violations\nAWS constraints: no violations\n" in out
