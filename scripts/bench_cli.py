"""Benchmark `scripts/uv run tap --help` against the environment's own `tap --help`.

The bound (README, "Development"): going through scripts/uv (uv's check that the environment
matches uv.lock, then the command) costs at most 1.5x running the installed console script.
Runs alternate between the two, so load on the machine weighs on both alike; the ratio is of
the medians.

    python3 scripts/bench_cli.py [--runs 20] [--max-ratio 1.5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    args = parser.parse_args()

    wrapped = [str(ROOT / "scripts" / "uv"), "run", "tap", "--help"]
    direct = [str(ROOT / ".venv" / "bin" / "tap"), "--help"]
    timed(wrapped)  # the first run may sync the environment: not what is measured
    times: dict[str, list[float]] = {"wrapped": [], "direct": []}
    for _ in range(args.runs):
        times["wrapped"].append(timed(wrapped))
        times["direct"].append(timed(direct))
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["wrapped"] / median["direct"]
    print(
        f"scripts/uv run tap --help: median {median['wrapped'] * 1000:.0f} ms; "
        f".venv/bin/tap --help: median {median['direct'] * 1000:.0f} ms "
        f"({args.runs} runs each); ratio {ratio:.2f} (bound {args.max_ratio})"
    )
    return 0 if ratio <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
