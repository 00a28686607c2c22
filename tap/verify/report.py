"""The report of `tap verify`: one line per check (or JSON), a summary, and the exit code."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import TextIO

from tap.exitcodes import EXIT_AWS_UNAVAILABLE, EXIT_FINDINGS, EXIT_OK
from tap.verify.model import GLOBAL, STATUSES, CheckResult


def exit_code(results: Iterable[CheckResult]) -> int:
    """1 on any drift or fail (a finding stands whatever else could not be read), else 3 when
    some check could not be read, else 0."""
    statuses = {r.status for r in results}
    if statuses & {"drift", "fail"}:
        return EXIT_FINDINGS
    if "unknown" in statuses:
        return EXIT_AWS_UNAVAILABLE
    return EXIT_OK


def render_text(results: Sequence[CheckResult], out: TextIO) -> None:
    """One aligned line per check, then a summary line."""
    columns = [
        [r.status.upper() for r in results],
        [r.control for r in results],
        [r.region for r in results],
        [r.check for r in results],
        [r.resource for r in results],
    ]
    widths = [max((len(v) for v in column), default=0) for column in columns]
    for index, result in enumerate(results):
        cells = [column[index].ljust(width) for column, width in zip(columns, widths, strict=True)]
        out.write(f"{'  '.join(cells)}  expected={result.expected} actual={result.actual}\n")
    out.write(summary_line(results) + "\n")


def summary_line(results: Sequence[CheckResult]) -> str:
    counts = {s: sum(1 for r in results if r.status == s) for s in STATUSES}
    regions = sorted({r.region for r in results} - {GLOBAL})
    code = exit_code(results)
    if code == EXIT_OK:
        verdict = "the stack conforms"
    elif code == EXIT_FINDINGS:
        verdict = "the stack does not conform"
    else:
        verdict = "the stack could not be verified: some checks could not be read"
    return (
        f"Summary: {len(results)} checks in {', '.join(regions) or 'no region'}: "
        f"{counts['pass']} pass, {counts['drift']} drift, {counts['fail']} fail, "
        f"{counts['unknown']} unknown; {verdict}"
    )


def render_json(results: Sequence[CheckResult], out: TextIO) -> None:
    json.dump([asdict(r) for r in results], out, indent=2)
    out.write("\n")
