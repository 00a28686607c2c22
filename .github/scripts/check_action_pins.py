"""Check that each pinned action SHA is the commit its version comment names.

The workflow test checks the form (`owner/repo@<40 hex> # vX.Y.Z`); only the action's own
repository can say that the SHA is that tag's commit. This needs GitHub, so it is not part of
CI: run it when you change a pin (Dependabot's pull requests change both together).

    python .github/scripts/check_action_pins.py                 # asks github.com (git ls-remote)
    python .github/scripts/check_action_pins.py --mirror DIR    # local clones: DIR/owner+repo/repo

Exit codes: 0 every pin matches its tag, 1 a pin does not, 2 a tag could not be resolved.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

PINNED = re.compile(r"uses: ([\w.-]+/[\w.-]+)(?:/[\w./-]+)?@([0-9a-f]{40}) # (v[\w.-]+)")
WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"

Resolver = Callable[[str, str], str | None]


def pins(workflows: Path) -> dict[tuple[str, str], set[str]]:
    """(action repository, tag) -> the SHAs the workflows pin for it."""
    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted(workflows.glob("*.yml")):
        for repo, sha, tag in PINNED.findall(path.read_text(encoding="utf-8")):
            found.setdefault((repo, tag), set()).add(sha)
    return found


def remote_resolver(repo: str, tag: str) -> str | None:
    """The commit of a tag on GitHub (the peeled `^{}` line for an annotated tag)."""
    url = f"https://github.com/{repo}.git"
    run = subprocess.run(
        ["git", "ls-remote", "--tags", url, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        return None
    refs: dict[str, str] = {}
    for line in run.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref] = sha
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def mirror_resolver(root: Path) -> Resolver:
    def resolve(repo: str, tag: str) -> str | None:
        git_dir = root / repo.replace("/", "+") / "repo"
        run = subprocess.run(
            ["git", "-C", str(git_dir), "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return run.stdout.strip() if run.returncode == 0 else None

    return resolve


def check(found: dict[tuple[str, str], set[str]], resolve: Resolver) -> int:
    code = 0
    for (repo, tag), shas in sorted(found.items()):
        commit = resolve(repo, tag)
        if commit is None:
            print(f"?  {repo} {tag}: cannot resolve the tag")
            code = max(code, 2)
        elif shas != {commit}:
            print(f"✗  {repo} {tag} is {commit}, pinned {', '.join(sorted(shas))}")
            code = max(code, 1)
        else:
            print(f"✓  {repo} {tag} {commit}")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirror", type=Path, help="local clones, DIR/owner+repo/repo")
    parser.add_argument("--workflows", type=Path, default=WORKFLOWS)
    args = parser.parse_args(argv)
    found = pins(args.workflows)
    if not found:
        print(f"no pinned actions in {args.workflows}")
        return 2
    return check(found, mirror_resolver(args.mirror) if args.mirror else remote_resolver)


if __name__ == "__main__":
    sys.exit(main())
