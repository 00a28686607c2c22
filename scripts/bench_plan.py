"""Benchmark `tap plan` against a bare Python that only imports what the program uses.

The bound (README, "Development"): `tap plan --stack prod` takes under 2.5x the time of a process
that imports `pulumi` and loads the pulumi_aws submodules the program uses. pulumi_aws loads
its submodules lazily, so the baseline touches the classes the manifest lists to really load
them, exactly as the program does.

    scripts/uv run python scripts/bench_plan.py [--stack prod] [--runs 5] [--max-ratio 2.5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def used_aws_classes(stack: str) -> list[tuple[str, str]]:
    """(module, class) pairs of pulumi_aws from the plan manifest, e.g. ("ec2", "Vpc")."""
    result = subprocess.run(
        [sys.executable, "-m", "tap.cli", "plan", "--stack", stack, "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    manifest = json.loads(result.stdout)
    pairs = set()
    for resource in manifest["resources"]:
        package, _, rest = resource["type"].partition(":")
        if package != "aws" or "/" not in rest:
            continue
        module = rest.split("/")[0]
        pairs.add((module + "_" if module == "lambda" else module, rest.split(":")[-1]))
    return sorted(pairs)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="prod")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-ratio", type=float, default=2.5)
    args = parser.parse_args()

    classes = used_aws_classes(args.stack)
    modules = sorted({m for m, _ in classes})
    baseline_code = "import pulumi, pulumi_aws\n" + "".join(
        f"import pulumi_aws.{m}\npulumi_aws.{m}.{c}\n" for m, c in classes
    )
    baseline = [sys.executable, "-c", baseline_code]
    plan = [sys.executable, "-m", "tap.cli", "plan", "--stack", args.stack]

    timed(baseline)  # warm the file cache for both
    timed(plan)
    base_times, plan_times = [], []
    for _ in range(args.runs):
        base_times.append(timed(baseline))
        plan_times.append(timed(plan))
    base, planned = statistics.median(base_times), statistics.median(plan_times)
    ratio = planned / base
    print(f"pulumi_aws submodules used: {', '.join(modules)}")
    print(f"baseline (import pulumi + those submodules): {base:.3f} s (median of {args.runs})")
    print(f"tap plan --stack {args.stack}:{' ' * 18}{planned:.3f} s (median of {args.runs})")
    print(f"ratio: {ratio:.2f}x (bound {args.max_ratio}x)")
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
