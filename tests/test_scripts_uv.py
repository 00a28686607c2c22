"""scripts/uv: when it syncs (with bytecode), when it runs a tool straight from the environment
and when it leaves the run to uv. A fake uv on PATH records what it is asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR

FAKE_UV = """#!/usr/bin/env bash
# Records its arguments; `sync` builds an environment with one tool, as uv would.
echo "uv $* compile=${UV_COMPILE_BYTECODE:-}" >> "$FAKE_UV_LOG"
if [ "$1" = sync ]; then
  venv="${UV_PROJECT_ENVIRONMENT:-$PWD/.venv}"
  mkdir -p "$venv/bin" "$venv/lib/python3.12/site-packages"
  printf '#!/bin/sh\\n' > "$venv/bin/python"
  printf '#!/bin/sh\\necho "tool VIRTUAL_ENV=$VIRTUAL_ENV args=$*"\\n' > "$venv/bin/tool"
  chmod +x "$venv/bin/python" "$venv/bin/tool"
fi
"""


class Project:
    def __init__(self, tmp_path: Path) -> None:
        root = self.root = tmp_path / "project"
        root.mkdir()
        self.log = tmp_path / "uv.log"
        (root / "scripts").mkdir()
        shutil.copy(PROJECT_DIR / "scripts" / "uv", root / "scripts" / "uv")
        (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
        (root / "uv.lock").write_text("version = 1\n")
        bin_dir = tmp_path / "fake-bin"
        bin_dir.mkdir()
        (bin_dir / "uv").write_text(FAKE_UV)
        (bin_dir / "uv").chmod(0o755)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("UV")}
        self.env.update(PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_UV_LOG=str(self.log))
        self.env.pop("VIRTUAL_ENV", None)

    def run(
        self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> tuple[str, list[str]]:
        """stdout, and what uv was asked this time."""
        before = self.calls()
        result = subprocess.run(
            [str(self.root / "scripts" / "uv"), *args],
            cwd=cwd or self.root,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout, self.calls()[len(before) :]

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def touch_later(self, path: Path) -> None:
        """Make `path` newer than the stamp, whatever the file system's time resolution."""
        later = time.time() + 10
        os.utime(path, (later, later))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path)
    project.run("sync", "--quiet")
    return project


def test_sync_compiles_bytecode_and_a_plain_run_then_skips_uv(project: Project) -> None:
    assert project.calls() == ["uv sync --quiet compile=1"]
    out, calls = project.run("run", "tool", "a", "b c")
    assert calls == []
    assert out == f"tool VIRTUAL_ENV={project.root / '.venv'} args=a b c\n"


def test_a_fresh_environment_is_synced_before_the_run(tmp_path: Path) -> None:
    project = Project(tmp_path)
    out, calls = project.run("run", "tool")
    # inexact, like uv run's own sync; then uv runs the command itself.
    assert calls == ["uv sync --quiet --inexact compile=1", "uv run tool compile="]
    out, calls = project.run("run", "tool")
    assert calls == []
    assert out.startswith("tool ")


@pytest.mark.parametrize("changed", ["uv.lock", "pyproject.toml", "site-packages"])
def test_a_change_since_the_sync_syncs_again(project: Project, changed: str) -> None:
    path = (
        project.root / ".venv" / "lib" / "python3.12" / "site-packages"
        if changed == "site-packages"
        else project.root / changed
    )
    project.touch_later(path)
    _, calls = project.run("run", "tool")
    assert calls == ["uv sync --quiet --inexact compile=1", "uv run tool compile="]


def test_the_run_keeps_the_lock_discipline_asked_for(project: Project) -> None:
    project.touch_later(project.root / "uv.lock")
    _, calls = project.run("run", "--locked", "tool")
    assert calls == [
        "uv sync --quiet --inexact --locked compile=1",
        "uv run --locked tool compile=",
    ]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("run", "--locked", "tool"), {}),  # uv options: uv checks what they ask
        (("run", "--with", "x", "tool"), {}),
        (("run", "true"), {}),  # not a tool of the environment
        (("run", "tool"), {"UV_PYTHON": "3.13"}),  # a setting that changes uv run
    ],
)
def test_anything_but_a_plain_run_of_a_tool_goes_through_uv(
    project: Project, args: tuple[str, ...], env: dict[str, str]
) -> None:
    _, calls = project.run(*args, env=env)
    assert calls == [f"uv {' '.join(args)} compile="]


def test_a_run_from_outside_the_project_goes_through_uv(project: Project, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, calls = project.run("run", "tool", cwd=elsewhere)
    assert calls == ["uv run tool compile="]


def test_a_sync_with_other_options_leaves_the_next_run_to_sync(project: Project) -> None:
    project.run("sync", "--no-dev")
    _, calls = project.run("run", "tool")
    assert calls == ["uv sync --quiet --inexact compile=1", "uv run tool compile="]
