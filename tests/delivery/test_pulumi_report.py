"""The event-log reports: what a reviewer, an approver and the drift job are shown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi_report as report
import pytest

STACK = "urn:pulumi:prod::tap::pulumi:pulumi:Stack::tap-prod"
BUCKET = "urn:pulumi:prod::tap::tap:storage:Storage$aws:s3/bucket:Bucket::tap-prod-use1-data"
CLUSTER = "urn:pulumi:prod::tap::tap:database:Database$aws:rds/cluster:Cluster::tap-prod-use1-db"
TABLE = "urn:pulumi:prod::tap::tap:network:Network$aws:ec2/routeTable:RouteTable::tap-prod-rt"
GROUP = "urn:pulumi:prod::tap::tap:security:Security$aws:ec2/securityGroup:SecurityGroup::sg-app"
FUNCTION = "urn:pulumi:prod::tap::tap:function:Function$aws:lambda/function:Function::fn"


def step(
    op: str,
    urn: str,
    *,
    diffs: list[str] | None = None,
    detailed: dict[str, Any] | None = None,
    keys: list[str] | None = None,
    protect: bool = False,
    event: str = "resourcePreEvent",
) -> dict[str, Any]:
    type_token = urn.split("::")[-2].rsplit("$", maxsplit=1)[-1]
    return {
        event: {
            "metadata": {
                "op": op,
                "urn": urn,
                "type": type_token,
                "old": {"protect": protect} if protect else None,
                "diffs": diffs or [],
                "detailedDiff": detailed,
                "keys": keys or [],
                "provider": "",
            }
        }
    }


def policy(level: str, name: str, message: str, urn: str = BUCKET) -> dict[str, Any]:
    return {
        "policyEvent": {
            "resourceUrn": urn,
            "message": message,
            "color": "never",
            "policyName": name,
            "policyPackName": "tap",
            "policyPackVersion": "1",
            "policyPackVersionTag": "1",
            "enforcementLevel": level,
        }
    }


def write_log(path: Path, events: list[dict[str, Any]], tail: str = "") -> Path:
    lines = [json.dumps({"sequence": i, "timestamp": 0, **e}) for i, e in enumerate(events)]
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


PREVIEW = [
    {"preludeEvent": {"config": {}}},
    step("same", STACK),
    step("update", BUCKET, diffs=["tags"], detailed={"tags.Owner": {"diffKind": "update"}}),
    step("replace", CLUSTER, keys=["engineVersion"], diffs=["engineVersion"], protect=True),
    step("create", FUNCTION),
    policy("mandatory", "s3-versioning", "bucket | must <b>version</b>"),
    policy("advisory", "tags-owner", "Owner tag missing"),
    {"diagnosticEvent": {"message": "\x1b[31mboom\x1b[0m", "color": "raw", "severity": "error"}},
    {"diagnosticEvent": {"message": "just info", "color": "raw", "severity": "info"}},
    {"summaryEvent": {"resourceChanges": {"same": 1, "update": 1, "replace": 1, "create": 1}}},
]


def test_digest_keeps_changes_policy_errors_and_counts(tmp_path: Path) -> None:
    digest = report.digest(report.read_events(write_log(tmp_path / "e.jsonl", PREVIEW)))
    # Sorted by URN; the unchanged stack is left out.
    assert [(c.op, c.urn) for c in digest.changes] == [
        ("replace", CLUSTER),
        ("create", FUNCTION),
        ("update", BUCKET),
    ]
    by_urn = {c.urn: c for c in digest.changes}
    assert by_urn[BUCKET].properties == ("tags", "tags.Owner")
    assert by_urn[CLUSTER].replace_properties == ("engineVersion",)
    assert by_urn[CLUSTER].protected and not by_urn[BUCKET].protected
    assert [v.policy for v in digest.mandatory] == ["s3-versioning"]
    assert [v.policy for v in digest.advisory] == ["tags-owner"]
    assert digest.errors == ["boom"]
    assert digest.counts == {"same": 1, "update": 1, "replace": 1, "create": 1}


def test_preview_markdown_shows_what_an_approver_must_see(tmp_path: Path) -> None:
    digest = report.digest(PREVIEW)
    text = report.preview_markdown(
        "prod", digest, exit_code=1, title="preview", log=None, commit="abc123", state="f" * 64
    )
    assert text.startswith("### ❌ preview of `prod`")
    assert "commit `abc123`" in text and "state `ffffffffffffffff`" in text
    assert "**Mandatory policy violations (1)**" in text
    assert "**Advisory policy violations (1)**" in text
    # A message cannot break the table or inject HTML.
    assert "bucket \\| must &lt;b&gt;version&lt;/b&gt;" in text
    assert "> - replace `tap-prod-use1-db` (`aws:rds/cluster:Cluster`)" in text
    assert "`engineVersion` (replaces)" in text
    assert "**Errors**" in text and "boom" in text


def test_preview_markdown_of_a_clean_preview_has_no_alarm() -> None:
    digest = report.digest([step("same", STACK), {"summaryEvent": {"resourceChanges": {}}}])
    text = report.preview_markdown("dev", digest, exit_code=0, title="preview")
    assert text.startswith("### ✅ preview of `dev`")
    assert "**no changes**" in text
    assert "CAUTION" not in text and "policy violations" not in text


def test_a_failed_setup_step_is_reported_with_the_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("\n".join(f"line {i}" for i in range(100)) + "\n```\nerror: AccessDenied\n")
    text = report.preview_markdown(
        "dev", None, exit_code=1, title="preview", failed_step="assume role", log=log
    )
    assert "**Did not run:** the step *assume role* failed" in text
    assert "error: AccessDenied" in text and "line 99" in text and "line 10\n" not in text
    # The log's own fence does not close the block.
    assert "````text" in text


def test_the_stateful_check_uses_awsdata() -> None:
    changes = [
        report.Change(BUCKET, "delete", "aws:s3/bucket:Bucket"),
        report.Change(TABLE, "replace", "aws:ec2/routeTable:RouteTable"),
        report.Change(TABLE, "delete", "aws:ec2/routeTable:RouteTable", protected=True),
        report.Change(CLUSTER, "update", "aws:rds/cluster:Cluster"),
    ]
    loud = report.destructive(changes)
    assert [(c.urn, c.op) for c in loud] == [(BUCKET, "delete"), (TABLE, "delete")]


def test_a_half_written_last_line_is_ignored_but_not_a_broken_middle(tmp_path: Path) -> None:
    path = write_log(tmp_path / "e.jsonl", PREVIEW, tail='{"resourcePreEv')
    assert len(report.read_events(path)) == len(PREVIEW)
    path.write_text('{"a": 1}\nnot json\n{"b": 2}\n')
    with pytest.raises(report.ReportError, match=r"e\.jsonl:2 is not a JSON event"):
        report.read_events(path)


def change_set(*changes: tuple[str, str, list[str]], commit: str = "c1") -> dict[str, Any]:
    return {
        "stack": "prod",
        "commit": commit,
        "changes": [
            {"op": op, "urn": urn, "properties": props, "replaceProperties": []}
            for op, urn, props in changes
        ],
    }


def test_compare_accepts_only_the_approved_change_set() -> None:
    approved = change_set(("update", BUCKET, ["tags"]), ("create", FUNCTION, []))
    assert report.compare(approved, approved, subset=False) == []
    assert report.compare(
        approved,
        change_set(("update", BUCKET, ["tags"]), ("create", FUNCTION, []), commit="c2"),
        subset=False,
    ) == ["commit: approved 'c1', now 'c2'"]
    more = change_set(
        ("update", BUCKET, ["tags"]), ("create", FUNCTION, []), ("delete", CLUSTER, [])
    )
    assert report.compare(approved, more, subset=True) == [f"not approved: delete {CLUSTER}"]
    fewer = change_set(("update", BUCKET, ["tags"]))
    assert report.compare(approved, fewer, subset=True) == []
    assert report.compare(approved, fewer, subset=False) == [
        f"approved but no longer planned: create {FUNCTION}"
    ]
    other_props = change_set(("update", BUCKET, ["tags", "versioning"]), ("create", FUNCTION, []))
    assert report.compare(approved, other_props, subset=True) == [
        f"update {BUCKET}: properties differ (versioning)"
    ]


def test_compare_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = write_log(tmp_path / "e.jsonl", PREVIEW)
    approved, actual = tmp_path / "approved.json", tmp_path / "actual.json"
    common = ["--stack", "prod", "--events", str(events), "--commit", "c1", "--state", "s"]
    assert (
        report.main(
            ["preview", *common, "--markdown", str(tmp_path / "a.md"), "--changes", str(approved)]
        )
        == 0
    )
    assert (
        report.main(
            ["preview", *common, "--markdown", str(tmp_path / "b.md"), "--changes", str(actual)]
        )
        == 0
    )
    assert report.main(["compare", "--approved", str(approved), "--actual", str(actual)]) == 0
    write_log(events, [*PREVIEW, step("delete", TABLE)])
    assert (
        report.main(
            ["preview", *common, "--markdown", str(tmp_path / "c.md"), "--changes", str(actual)]
        )
        == 0
    )
    assert report.main(["compare", "--approved", str(approved), "--actual", str(actual)]) == 1
    assert f"not approved: delete {TABLE}" in capsys.readouterr().out
    assert (
        report.main(["compare", "--approved", str(tmp_path / "none.json"), "--actual", str(actual)])
        == 2
    )


def test_preview_command_refuses_a_missing_event_log_after_success(tmp_path: Path) -> None:
    args = ["preview", "--stack", "dev", "--events", str(tmp_path / "missing.jsonl")]
    assert report.main([*args, "--markdown", str(tmp_path / "r.md")]) == 2
    # After a failure the report still says what happened.
    assert report.main([*args, "--exit-code", "255", "--markdown", str(tmp_path / "r.md")]) == 0
    assert (tmp_path / "r.md").read_text().startswith("### ❌")


# --- drift -----------------------------------------------------------------------------------


def refresh_log(tmp_path: Path, *changes: dict[str, Any]) -> Path:
    events: list[dict[str, Any]] = []
    for change in changes:
        metadata = next(iter(change.values()))["metadata"]
        events.append(step("refresh", metadata["urn"]))
        events.append(change)
    return write_log(tmp_path / "refresh.jsonl", events)


def outputs(op: str, urn: str, props: list[str]) -> dict[str, Any]:
    return step(
        op, urn, detailed={p: {"diffKind": "update"} for p in props}, event="resOutputsEvent"
    )


def drift(tmp_path: Path, **kwargs: Any) -> report.DriftVerdict:
    values: dict[str, Any] = {
        "failed_step": None,
        "refresh_exit": 0,
        "events": None,
        "refresh_log": None,
        "verify_exit": 0,
        "verify_json": None,
        "verify_log": None,
    }
    values.update(kwargs)
    return report.drift_verdict("prod", **values)


def test_known_benign_diffs_are_suppressed_and_listed(tmp_path: Path) -> None:
    events = refresh_log(
        tmp_path,
        outputs("update", TABLE, ["routes[0].cidrBlock", "routes[1]"]),
        outputs("update", GROUP, ["ingress[0]"]),
        outputs("update", FUNCTION, ["lastModified"]),
        outputs("same", BUCKET, []),
    )
    verdict = drift(tmp_path, events=events)
    assert verdict.status == "clean"
    assert "Known benign diffs (3)" in verdict.markdown
    assert "separate aws.ec2.Route resources" in verdict.markdown


def test_drift_names_resources_and_properties(tmp_path: Path) -> None:
    events = refresh_log(
        tmp_path,
        outputs("update", GROUP, ["ingress[0]", "tags.Owner"]),
        outputs("delete", BUCKET, []),
    )
    verdict = drift(tmp_path, events=events)
    assert verdict.status == "drift"
    assert "| update | `sg-app` | `aws:ec2/securityGroup:SecurityGroup` | `tags.Owner` |" in (
        verdict.markdown
    )
    assert "| delete | `tap-prod-use1-data` |" in verdict.markdown
    assert "sg-app (tags.Owner)" in verdict.slack and "tap-prod-use1-data (delete)" in verdict.slack


def test_a_login_or_permission_error_is_an_error_not_drift(tmp_path: Path) -> None:
    verdict = drift(tmp_path, failed_step="pulumi login", refresh_exit=None, verify_exit=None)
    assert verdict.status == "error"
    assert "failed (an error, not drift)" in verdict.markdown
    assert "the step 'pulumi login' failed" in verdict.slack

    log = tmp_path / "refresh.log"
    log.write_text("error: AccessDenied: not authorized to perform: rds:DescribeDBClusters\n")
    events = write_log(
        tmp_path / "e.jsonl",
        [
            {
                "diagnosticEvent": {
                    "message": "AccessDenied: rds:DescribeDBClusters",
                    "severity": "error",
                }
            }
        ],
    )
    verdict = drift(tmp_path, refresh_exit=255, events=events, refresh_log=log)
    assert verdict.status == "error"
    assert "pulumi refresh --preview-only exited 255" in verdict.markdown
    assert "AccessDenied: rds:DescribeDBClusters" in verdict.markdown
    assert "drift detected" not in verdict.slack


def test_verify_findings_are_drift_and_its_errors_are_errors(tmp_path: Path) -> None:
    findings = tmp_path / "verify.json"
    findings.write_text(
        json.dumps(
            [
                {
                    "control": "S3.5",
                    "check": "tls",
                    "region": "us-east-1",
                    "resource": "tap-prod-data",
                    "status": "drift",
                    "expected": "deny",
                    "actual": "none",
                },
                {
                    "control": "KMS.4",
                    "check": "rotation",
                    "region": "us-east-1",
                    "resource": "key",
                    "status": "pass",
                    "expected": "on",
                    "actual": "on",
                },
            ]
        )
    )
    verdict = drift(tmp_path, verify_exit=1, verify_json=findings)
    assert verdict.status == "drift"
    assert "S3.5" in verdict.markdown and "KMS.4" not in verdict.markdown
    assert drift(tmp_path, verify_exit=2).status == "error"
    assert drift(tmp_path, verify_exit=1, verify_json=tmp_path / "missing.json").status == "error"


def test_drift_command_writes_status_and_a_valid_slack_payload(tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    slack = tmp_path / "slack.json"
    code = report.main(
        [
            "drift",
            "--stack",
            "prod",
            "--failed-step",
            'assume "the" role\nnow',
            "--markdown",
            str(tmp_path / "d.md"),
            "--slack",
            str(slack),
            "--github-output",
            str(output),
        ]
    )
    assert code == 0
    assert output.read_text() == "status=error\n"
    assert "assume" in json.loads(slack.read_text())["text"]


def test_the_runbook_documents_every_suppressed_diff() -> None:
    from tests.conftest import PROJECT_DIR  # noqa: PLC0415

    runbook = (PROJECT_DIR / "docs" / "runbook.md").read_text()
    for type_token, properties in report.BENIGN_DRIFT.items():
        for prop in properties:
            assert f"| `{type_token}` | `{prop}` |" in runbook
