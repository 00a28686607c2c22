"""The PR check around `tap diff`: one comment for every stack, exit 3 unless overridden."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import plan_diff
import pytest

# Stands in for `tap diff BASE HEAD --format markdown`: the head manifest says what to answer.
FAKE_DIFF = """
import json, sys
head = json.load(open(sys.argv[2]))
print(f"#### tap diff {head['stack']}: {head['say']}")
sys.exit(head["exit"])
"""


@pytest.fixture
def fake_diff(tmp_path: Path) -> str:
    script = tmp_path / "fake_diff.py"
    script.write_text(FAKE_DIFF)
    return shlex.join([sys.executable, str(script)])


def manifests(tmp_path: Path, **heads: tuple[int, str]) -> tuple[Path, Path]:
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir(exist_ok=True)
    head.mkdir(exist_ok=True)
    for stack, (code, say) in heads.items():
        (base / f"{stack}.json").write_text(json.dumps({"stack": stack}))
        (head / f"{stack}.json").write_text(json.dumps({"stack": stack, "exit": code, "say": say}))
    return base, head


def run(
    tmp_path: Path, fake_diff: str, base: Path, head: Path, *stacks: str, labels: str = "[]"
) -> tuple[int, str]:
    comment = tmp_path / "out" / "comment.md"
    code = plan_diff.main(
        [
            "--base", str(base), "--head", str(head), "--stacks", *stacks,
            "--labels-json", labels, "--base-sha", "1" * 40, "--head-sha", "2" * 40,
            "--comment", str(comment), "--diff-command", fake_diff,
        ]
    )  # fmt: skip
    return code, comment.read_text()


def test_every_stack_goes_into_one_comment(tmp_path: Path, fake_diff: str) -> None:
    base, head = manifests(tmp_path, dev=(0, "no change"), prod=(0, "2 changed"))
    code, comment = run(tmp_path, fake_diff, base, head, "dev", "prod")
    assert code == 0
    assert comment.startswith("## Offline plan diff: `111111111111` → `222222222222`")
    assert "No protected or stateful resource is deleted or replaced." in comment
    assert comment.index("### `dev`") < comment.index("tap diff dev: no change")
    assert comment.index("### `prod`") < comment.index("tap diff prod: 2 changed")


def test_a_risky_change_fails_the_check_unless_the_label_is_there(
    tmp_path: Path, fake_diff: str
) -> None:
    base, head = manifests(tmp_path, dev=(0, "ok"), prod=(3, "replaces the cluster"))
    code, comment = run(tmp_path, fake_diff, base, head, "dev", "prod")
    assert code == 3
    assert "prod: deletes or replaces protected or stateful resources" in comment
    assert f"adds the `{plan_diff.OVERRIDE_LABEL}` label" in comment

    labels = json.dumps(["docs", plan_diff.OVERRIDE_LABEL])
    code, comment = run(tmp_path, fake_diff, base, head, "dev", "prod", labels=labels)
    assert code == 0
    assert f"Allowed by the `{plan_diff.OVERRIDE_LABEL}` label" in comment


def test_a_failed_plan_or_diff_gives_no_verdict(tmp_path: Path, fake_diff: str) -> None:
    base, head = manifests(tmp_path, dev=(2, "bad input"), prod=(3, "risky"))
    (base / "staging.error").write_text("invalid configuration: tap:regions[0]\n")
    (head / "staging.json").write_text("{}")
    labels = json.dumps([plan_diff.OVERRIDE_LABEL])
    code, comment = run(tmp_path, fake_diff, base, head, "dev", "staging", "prod", labels=labels)
    assert code == 2
    assert "No verdict for dev, staging" in comment
    assert "`tap diff` exited 2" in comment
    assert "`tap plan` of the base failed" in comment and "tap:regions[0]" in comment


def test_new_and_removed_stacks(tmp_path: Path, fake_diff: str) -> None:
    base, head = manifests(tmp_path)
    (head / "qa.json").write_text("{}")
    (base / "old.json").write_text("{}")
    code, comment = run(tmp_path, fake_diff, base, head, "qa")
    assert code == 0 and "New stack in this pull request" in comment
    code, comment = run(tmp_path, fake_diff, base, head, "old")
    assert code == 3 and "removes this stack's file" in comment


def test_the_stacks_default_to_those_planned_on_either_side(tmp_path: Path, fake_diff: str) -> None:
    base, head = manifests(tmp_path, dev=(0, "ok"), prod=(0, "ok"))
    (head / "qa.json").write_text("{}")
    (base / "staging.error").write_text("boom")
    (base / "notes.txt").write_text("not a plan")
    assert plan_diff.planned_stacks(base, head) == ["dev", "prod", "qa", "staging"]
    comment = tmp_path / "c.md"
    args = ["--base", str(base), "--head", str(head), "--comment", str(comment)]
    assert plan_diff.main([*args, "--diff-command", fake_diff]) == 2
    assert [line for line in comment.read_text().splitlines() if line.startswith("### ")] == [
        "### `dev`",
        "### `prod`",
        "### `qa`",
        "### `staging`",
    ]


def test_bad_labels_are_bad_input(tmp_path: Path, fake_diff: str) -> None:
    base, head = manifests(tmp_path, dev=(0, "ok"))
    assert plan_diff.main(
        ["--base", str(base), "--head", str(head), "--stacks", "dev", "--labels-json", "{}",
         "--comment", str(tmp_path / "c.md"), "--diff-command", fake_diff]
    ) == 2  # fmt: skip


def test_the_real_tap_diff_on_real_manifests(tmp_path: Path, plans: dict[str, Any]) -> None:
    """The check with tap's own `tap diff` on the shipped dev plan: unchanged, then with the
    data bucket's URN changed (no alias), which must fail the check and name the bucket."""
    base, head = tmp_path / "base", tmp_path / "head"
    base.mkdir()
    head.mkdir()
    manifest = plans["dev"].manifest
    (base / "dev.json").write_text(json.dumps(manifest))
    (head / "dev.json").write_text(json.dumps(manifest))
    tap_diff = shlex.join(
        [str(Path(sys.executable).with_name("tap")), "diff", "--format", "markdown"]
    )
    code, comment = run(tmp_path, tap_diff, base, head, "dev")
    assert code == 0, comment

    renamed = json.loads(json.dumps(manifest))
    bucket = next(
        r
        for r in renamed["resources"]
        if r["type"] == "aws:s3/bucket:Bucket" and r["name"] == "tap-dev-use1-data"
    )
    bucket["urn"] = bucket["urn"].replace("::tap-dev-use1-data", "::tap-dev-use1-records")
    bucket["aliases"] = []
    (head / "dev.json").write_text(json.dumps(renamed))
    code, comment = run(tmp_path, tap_diff, base, head, "dev")
    assert code == 3, comment
    assert "tap-dev-use1-data" in comment
