"""The local pin check: a pinned SHA must be the commit of the tag in its comment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import check_action_pins as pins


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def test_a_pin_must_be_its_tags_commit(tmp_path: Path) -> None:
    repo = tmp_path / "mirror" / "acme+act" / "repo"
    repo.mkdir(parents=True)
    git("init", "-q", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", "one", cwd=repo)
    tagged = git("rev-parse", "HEAD", cwd=repo)
    git("tag", "-a", "v1.2.3", "-m", "release", cwd=repo)
    git("commit", "-q", "--allow-empty", "-m", "two", cwd=repo)
    later = git("rev-parse", "HEAD", cwd=repo)

    workflows = tmp_path / "workflows"
    workflows.mkdir()
    step = "      - uses: acme/act@{} # v1.2.3\n"
    (workflows / "a.yml").write_text(step.format(tagged))
    args = ["--mirror", str(tmp_path / "mirror"), "--workflows", str(workflows)]
    assert pins.main(args) == 0
    (workflows / "b.yml").write_text(step.format(later))
    assert pins.main(args) == 1
    (workflows / "b.yml").write_text(step.format(tagged).replace("v1.2.3", "v9.9.9"))
    assert pins.main(args) == 2
