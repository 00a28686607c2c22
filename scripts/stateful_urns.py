"""Print or write a stack's list of stateful URNs (tests/data/<stack>-stateful-urns.txt).

The list holds what `tap diff` calls risky to delete or replace: cloud resources that are
protected or of a stateful type. tests/test_stateful_urns.py fails when one of them leaves the
plan without an alias carrying its URN, or when the plan has one the list lacks. Regenerate it
on purpose: after a deliberate delete, after an alias has moved a resource, or for a new one.

    scripts/uv run python scripts/stateful_urns.py --write            # prod
    scripts/uv run python scripts/stateful_urns.py --stack staging    # print only
"""

from __future__ import annotations

import argparse
import sys

from tap.diff import render_stateful_list, stateful_urns
from tap.plan import PlanError, find_project_dir, run_plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--write", action="store_true", help="write the list instead of printing")
    args = parser.parse_args()
    project_dir = find_project_dir()
    try:
        manifest = run_plan(args.stack, project_dir).manifest
    except PlanError as error:
        print(f"stateful_urns: {error}", file=sys.stderr)
        return 2
    text = render_stateful_list(args.stack, stateful_urns(manifest))
    if args.write:
        path = project_dir / "tests" / "data" / f"{args.stack}-stateful-urns.txt"
        path.write_text(text)
        print(f"wrote {path.relative_to(project_dir)}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
