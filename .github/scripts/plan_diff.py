"""The offline plan diff of a pull request: `tap diff` of base against head for every stack.

The plan-diff workflow plans both checkouts with `tap plan --stack S --format json` (no cloud
credentials) into two directories, `<stack>.json` each, or `<stack>.error` with the plan's
error output when it failed. This script runs `tap diff BASE HEAD --format markdown` per
stack, writes one PR comment for all of them, and decides the check:

- 0: no stack deletes or replaces a protected or stateful resource, or the pull request
  carries the override label (`OVERRIDE_LABEL`, docs/runbook.md "Pull requests");
- 3: a stack would (tap diff's exit 3) and there is no override;
- 2: a plan or a diff failed, so nothing can be said.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pulumi_report import code_block

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_RISKY = 3

OVERRIDE_LABEL = "allow-stateful-replacement"
DIFF_COMMAND = ("tap", "diff")
ERROR_TAIL_LINES = 30


@dataclass(frozen=True)
class StackDiff:
    stack: str
    code: int  # tap diff's exit code, or EXIT_BAD_INPUT for a failed plan
    markdown: str


def diff_stack(stack: str, base: Path, head: Path, command: Sequence[str]) -> StackDiff:
    base_manifest, head_manifest = base / f"{stack}.json", head / f"{stack}.json"
    for side, directory in (("base", base), ("head", head)):
        error = directory / f"{stack}.error"
        if error.is_file():
            return StackDiff(stack, EXIT_BAD_INPUT, _failed(f"`tap plan` of the {side}", error))
    if not base_manifest.is_file() and head_manifest.is_file():
        return StackDiff(stack, EXIT_OK, "New stack in this pull request: nothing to compare.\n")
    if not head_manifest.is_file():
        if base_manifest.is_file():
            return StackDiff(
                stack,
                EXIT_RISKY,
                "The pull request removes this stack's file: every resource of the stack would "
                "be left behind or destroyed.\n",
            )
        return StackDiff(stack, EXIT_BAD_INPUT, "No plan of this stack on either side.\n")
    run = subprocess.run(
        [*command, str(base_manifest), str(head_manifest), "--format", "markdown"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode in (EXIT_OK, EXIT_RISKY):
        return StackDiff(stack, run.returncode, run.stdout)
    detail = (run.stderr or run.stdout).strip()
    return StackDiff(
        stack, EXIT_BAD_INPUT, f"`tap diff` exited {run.returncode}:\n\n{code_block(detail)}\n"
    )


def _failed(what: str, error_file: Path) -> str:
    text = error_file.read_text(encoding="utf-8", errors="replace").strip()
    tail = "\n".join(text.splitlines()[-ERROR_TAIL_LINES:])
    return f"{what} failed:\n\n{code_block(tail)}\n"


def planned_stacks(*directories: Path) -> list[str]:
    """Every stack with a manifest or a failed plan in any of the directories."""
    return sorted(
        {p.stem for d in directories for p in d.iterdir() if p.suffix in (".json", ".error")}
    )


def verdict(diffs: Sequence[StackDiff], override: bool) -> int:
    if any(d.code not in (EXIT_OK, EXIT_RISKY) for d in diffs):
        return EXIT_BAD_INPUT
    if any(d.code == EXIT_RISKY for d in diffs) and not override:
        return EXIT_RISKY
    return EXIT_OK


def comment(diffs: Sequence[StackDiff], override: bool, base_sha: str, head_sha: str) -> str:
    code = verdict(diffs, override)
    risky = [d.stack for d in diffs if d.code == EXIT_RISKY]
    failed = [d.stack for d in diffs if d.code not in (EXIT_OK, EXIT_RISKY)]
    lines = [
        f"## Offline plan diff: `{base_sha[:12]}` → `{head_sha[:12]}`",
        "",
        "`tap plan` of the base and of this pull request under Pulumi's mock engine (no cloud "
        "access), compared with `tap diff`.",
        "",
    ]
    if failed:
        lines += [
            "> [!WARNING]",
            f"> No verdict for {', '.join(failed)}: a plan or the diff failed (details below).",
        ]
    if risky and override:
        lines += [
            "> [!CAUTION]",
            f"> {', '.join(risky)}: deletes or replaces protected or stateful resources. "
            f"Allowed by the `{OVERRIDE_LABEL}` label: the prod approver must expect it.",
        ]
    elif risky:
        lines += [
            "> [!CAUTION]",
            f"> {', '.join(risky)}: deletes or replaces protected or stateful resources. "
            "Keep the resource (an alias for a rename), or, if it is meant, a maintainer adds "
            f'the `{OVERRIDE_LABEL}` label (docs/runbook.md, "Pull requests").',
        ]
    elif code == EXIT_OK:
        lines += ["No protected or stateful resource is deleted or replaced."]
    for d in diffs:
        lines += ["", f"### `{d.stack}`", "", d.markdown.strip()]
    return "\n".join(lines) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=Path, required=True, help="the base's manifests")
    parser.add_argument("--head", type=Path, required=True, help="the head's manifests")
    parser.add_argument("--stacks", nargs="+", help="default: every stack planned on either side")
    parser.add_argument("--labels-json", default="[]", help="the pull request's label names")
    parser.add_argument("--base-sha", default="")
    parser.add_argument("--head-sha", default="")
    parser.add_argument("--comment", type=Path, required=True, help="write the comment here")
    parser.add_argument(
        "--diff-command", default=shlex.join(DIFF_COMMAND), help="the diff command to run"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        labels = json.loads(args.labels_json)
    except json.JSONDecodeError:
        print("error: --labels-json is not JSON", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not isinstance(labels, list):
        print("error: --labels-json must be a JSON list of label names", file=sys.stderr)
        return EXIT_BAD_INPUT
    override = OVERRIDE_LABEL in labels
    command = shlex.split(args.diff_command)
    stacks = args.stacks or planned_stacks(args.base, args.head)
    if not stacks:
        print("error: no plan of any stack on either side", file=sys.stderr)
        return EXIT_BAD_INPUT
    diffs = [diff_stack(stack, args.base, args.head, command) for stack in stacks]
    args.comment.parent.mkdir(parents=True, exist_ok=True)
    args.comment.write_text(
        comment(diffs, override, args.base_sha, args.head_sha), encoding="utf-8"
    )
    code = verdict(diffs, override)
    for d in diffs:
        print(f"{d.stack}: tap diff exit {d.code}")
    if code == EXIT_RISKY:
        print(
            f"error: a protected or stateful resource would be deleted or replaced; "
            f"see the PR comment, or add the {OVERRIDE_LABEL} label if it is meant",
            file=sys.stderr,
        )
    elif code == EXIT_BAD_INPUT:
        print("error: a plan or a diff failed; see the PR comment", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
