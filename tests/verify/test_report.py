"""The report: one aligned line per check or JSON, the summary line, and the exit code."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tap.verify import CONTROLS, CheckResult, Status, exit_code, render_text
from tests.verify.canned import (
    ACCOUNT,
    REGION,
    CannedSession,
    conforming,
    run,
    stack_outputs,
    write_outputs,
)


def result(status: Status, control: str = "S3.14", resource: str = "bucket") -> CheckResult:
    return CheckResult(
        control, CONTROLS[control].check, REGION, resource, status, "Enabled", "Suspended"
    )


def test_text_report_has_one_aligned_line_per_check_and_a_summary() -> None:
    out = io.StringIO()
    results = [
        result("pass", "KMS.4", "key"),
        result("drift"),
        CheckResult("IAM.7", "password-policy", "global", "policy", "fail", "x", "y"),
        CheckResult("KMS.4", "key-rotation", REGION, "key", "unknown", "enabled", "not read"),
    ]

    render_text(results, out)

    assert out.getvalue().splitlines() == [
        "PASS     KMS.4  us-east-1  key-rotation     key     expected=Enabled actual=Suspended",
        "DRIFT    S3.14  us-east-1  versioning       bucket  expected=Enabled actual=Suspended",
        "FAIL     IAM.7  global     password-policy  policy  expected=x actual=y",
        "UNKNOWN  KMS.4  us-east-1  key-rotation     key     expected=enabled actual=not read",
        "Summary: 4 checks in us-east-1: 1 pass, 1 drift, 1 fail, 1 unknown; the stack does not "
        "conform",
    ]


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        (["pass"], 0),
        (["pass", "pass"], 0),
        (["pass", "drift"], 1),
        (["fail", "pass"], 1),
        (["pass", "unknown"], 3),
        (["unknown", "drift"], 1),
        (["fail", "unknown"], 1),
        ([], 0),
    ],
)
def test_exit_code(statuses: list[Status], code: int) -> None:
    assert exit_code([result(s) for s in statuses]) == code


def test_json_report_and_exit_code_of_a_drifted_stack(project: Path) -> None:
    answers = {**conforming(), "GetBucketVersioning": {"Status": "Suspended"}}

    code, stdout, stderr = run(
        project,
        write_outputs(project, stack_outputs()),
        output_format="json",
        session=CannedSession(answers),
    )

    report = json.loads(stdout)
    assert (code, stderr) == (1, "")
    assert [r for r in report if r["status"] != "pass"] == [
        {
            "control": "S3.14",
            "check": "versioning",
            "region": REGION,
            "resource": bucket,
            "status": "drift",
            "expected": "Enabled",
            "actual": "Suspended",
        }
        for bucket in (f"tap-unit-use1-data-{ACCOUNT}", f"tap-unit-use1-data-logs-{ACCOUNT}")
    ]
    assert set(report[0]) == {
        "control", "check", "region", "resource", "status", "expected", "actual"
    }  # fmt: skip


def test_text_report_of_a_conforming_stack_exits_0(project: Path) -> None:
    code, stdout, stderr = run(
        project, write_outputs(project, stack_outputs()), session=CannedSession(conforming())
    )

    lines = stdout.splitlines()
    assert (code, stderr) == (0, "")
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert lines[-1] == (
        "Summary: 30 checks in us-east-1: 30 pass, 0 drift, 0 fail, 0 unknown; the stack conforms"
    )
