"""Reports on the Pulumi engine's event log (`--event-log`) for the delivery workflows.

`pulumi preview --json` drops policy events and `pulumi refresh --expect-no-changes` cannot tell
drift from a failed login, so the workflows log every engine event and read them here:

- `preview`: the markdown a reviewer or an approver reads (changes with their properties,
  replacements of protected or stateful resources, policy violations mandatory and advisory,
  errors), and the change set the deploy job compares against (`--changes`).
- `compare`: whether a later change set is the one that was approved.
- `drift`: a nightly verdict that keeps errors (credentials, login, permissions) apart from
  drift, lists what drifted and which properties, and suppresses the known benign diffs.

The event log never holds secret values: the CLI writes it with secrets masked.
Exit codes: 0 done (compare: same), 1 compare: different, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2

# Steps that change nothing: the engine logs them for every resource it visits.
NO_CHANGE_OPS = frozenset({"same", "read", "refresh"})
# Steps that lose the old resource: loud when it is protected or holds data.
DESTRUCTIVE_OPS = frozenset({"delete", "replace", "create-replacement", "delete-replaced"})
ERROR_SEVERITIES = frozenset({"error"})
LOG_TAIL_LINES = 40

# Refresh diffs that are expected with how tap declares these resources, and why. The drift
# job lists them as suppressed instead of alerting; docs/runbook.md ("Drift") shows this table.
BENIGN_DRIFT: dict[str, dict[str, str]] = {
    "aws:ec2/routeTable:RouteTable": {
        "routes": "routes are separate aws.ec2.Route resources; refresh reads them into the table",
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        "ingress": "rules are separate aws.vpc.SecurityGroupIngressRule resources",
        "egress": "rules are separate aws.vpc.SecurityGroupEgressRule resources",
    },
    "aws:lambda/function:Function": {
        "lastModified": "AWS stamps it on every code or configuration update",
    },
}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|<\{%[a-z]+%\}>")
_PATH_HEAD = re.compile(r"^[^.\[]+")


class ReportError(Exception):
    """Bad input: one line, exit code 2."""


@dataclass(frozen=True, order=True)
class Change:
    """One step that changes a resource, with the properties that cause it."""

    urn: str
    op: str
    type: str = field(compare=False)
    properties: tuple[str, ...] = ()
    replace_properties: tuple[str, ...] = ()
    protected: bool = field(default=False, compare=False)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def key(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "urn": self.urn,
            "properties": list(self.properties),
            "replaceProperties": list(self.replace_properties),
        }


@dataclass(frozen=True)
class Violation:
    enforcement: str
    policy: str
    pack: str
    urn: str
    message: str


@dataclass
class Digest:
    """What one engine run did or would do."""

    changes: list[Change] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement != "mandatory"]


# --- reading the event log ---------------------------------------------------------------------


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a `--event-log` file (JSON lines). A missing file is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(
            f"event log {path} does not exist: the Pulumi command did not run"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"cannot read event log {path}: {exc}") from None
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            # The CLI appends while it runs; a killed run leaves half a line at the end.
            if number == len(text.splitlines()):
                break
            raise ReportError(f"{path}:{number} is not a JSON event") from None
        if not isinstance(event, dict):
            raise ReportError(f"{path}:{number} is not a JSON object")
        events.append(event)
    return events


def _properties(metadata: dict[str, Any]) -> tuple[str, ...]:
    detailed = metadata.get("detailedDiff") or {}
    return tuple(sorted(set(detailed) | set(metadata.get("diffs") or [])))


def _change(metadata: dict[str, Any]) -> Change:
    old = metadata.get("old") or {}
    return Change(
        urn=str(metadata.get("urn", "")),
        op=str(metadata.get("op", "")),
        type=str(metadata.get("type", "")),
        properties=_properties(metadata),
        replace_properties=tuple(sorted(metadata.get("keys") or [])),
        protected=bool(old.get("protect")),
    )


def digest(events: Iterable[dict[str, Any]]) -> Digest:
    """The changes, policy violations, errors and counts in an event stream.

    A preview or an update logs one `resourcePreEvent` per step. A refresh logs a `refresh`
    step first and reports what it found in the `resOutputsEvent` that follows."""
    result = Digest()
    refreshed: set[str] = set()
    for event in events:
        if pre := event.get("resourcePreEvent"):
            metadata = pre.get("metadata") or {}
            if metadata.get("op") == "refresh":
                refreshed.add(str(metadata.get("urn")))
            elif metadata.get("op") not in NO_CHANGE_OPS:
                result.changes.append(_change(metadata))
        elif outputs := event.get("resOutputsEvent"):
            metadata = outputs.get("metadata") or {}
            if metadata.get("urn") in refreshed and metadata.get("op") in {"update", "delete"}:
                result.changes.append(_change(metadata))
        elif policy := event.get("policyEvent"):
            result.violations.append(
                Violation(
                    enforcement=str(policy.get("enforcementLevel", "advisory")),
                    policy=str(policy.get("policyName", "")),
                    pack=str(policy.get("policyPackName", "")),
                    urn=str(policy.get("resourceUrn", "")),
                    message=_plain(str(policy.get("message", ""))),
                )
            )
        elif (diagnostic := event.get("diagnosticEvent")) and diagnostic.get(
            "severity"
        ) in ERROR_SEVERITIES:
            result.errors.append(
                _plain(str(diagnostic.get("prefix", "")) + str(diagnostic.get("message", "")))
            )
        elif summary := event.get("summaryEvent"):
            counts = summary.get("resourceChanges") or {}
            result.counts = {str(op): int(n) for op, n in counts.items()}
    result.changes = sorted(set(result.changes))
    return result


# --- markdown ------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return _ANSI.sub("", text).strip()


def cell(text: str) -> str:
    """Text safe inside a markdown table cell (no HTML, no column breaks, no line breaks)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def code_block(text: str) -> str:
    """A fenced block that the text itself cannot close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def log_tail(path: Path | None, lines: int = LOG_TAIL_LINES) -> str:
    if path is None or not path.is_file():
        return ""
    text = _plain(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(text.splitlines()[-lines:])


def is_stateful(type_token: str) -> bool:
    """AWS's list of types that hold data, as tap reads it (clusters, buckets, keys, ...)."""
    from tap.awsdata import is_stateful as stateful  # noqa: PLC0415 - cfn-lint data, on demand

    return bool(stateful(type_token))


def _counts_line(digest_: Digest) -> str:
    counts = digest_.counts or dict(Counter(c.op for c in digest_.changes))
    shown = [f"{n} to {op}" for op, n in sorted(counts.items()) if op != "same" and n]
    return ", ".join(shown) or "no changes"


def _violations_table(violations: Sequence[Violation]) -> list[str]:
    rows = ["| enforcement | policy | resource | message |", "| --- | --- | --- | --- |"]
    for v in violations:
        resource = v.urn.rsplit("::", 1)[-1] if v.urn else "(stack)"
        rows.append(
            f"| {cell(v.enforcement)} | {cell(v.policy)} | `{cell(resource)}` | {cell(v.message)} |"
        )
    return rows


def _changes_table(changes: Sequence[Change]) -> list[str]:
    rows = ["| op | resource | type | properties |", "| --- | --- | --- | --- |"]
    for c in changes:
        props = ", ".join(
            f"`{cell(p)}`{' (replaces)' if p in c.replace_properties else ''}" for p in c.properties
        )
        rows.append(f"| {c.op} | `{cell(c.name)}` | `{cell(c.type)}` | {props or '-'} |")
    return rows


def destructive(changes: Iterable[Change]) -> list[Change]:
    """Deletes and replacements of protected or stateful resources: the ones to stop for."""
    return [c for c in changes if c.op in DESTRUCTIVE_OPS and (c.protected or is_stateful(c.type))]


def preview_markdown(
    stack: str,
    digest_: Digest | None,
    *,
    exit_code: int,
    title: str,
    failed_step: str | None = None,
    log: Path | None = None,
    commit: str | None = None,
    state: str | None = None,
) -> str:
    ok = exit_code == 0 and failed_step is None
    icon = "✅" if ok else "❌"
    lines = [f"### {icon} {title} of `{stack}`"]
    facts = []
    if commit:
        facts.append(f"commit `{commit}`")
    if state:
        facts.append(f"state `{state[:16]}`")
    if run := _run_url():
        facts.append(f"[run]({run})")
    if facts:
        lines += ["", " · ".join(facts)]
    if failed_step:
        lines += ["", f"**Did not run:** the step *{cell(failed_step)}* failed; see the run log."]
    if digest_ is not None:
        lines += ["", f"**{_counts_line(digest_)}**"]
        if loud := destructive(digest_.changes):
            lines += ["", "> [!CAUTION]", "> Deletes or replaces protected or stateful resources:"]
            lines += [f"> - {c.op} `{cell(c.name)}` (`{cell(c.type)}`)" for c in loud]
        for label, group in (("Mandatory", digest_.mandatory), ("Advisory", digest_.advisory)):
            if group:
                lines += ["", f"**{label} policy violations ({len(group)})**", ""]
                lines += _violations_table(group)
        if digest_.changes:
            lines += ["", "<details><summary>Changes</summary>", ""]
            lines += [*_changes_table(digest_.changes), "", "</details>"]
        if digest_.errors:
            lines += ["", "**Errors**", "", code_block("\n".join(digest_.errors))]
    if not ok and (tail := log_tail(log)):
        lines += ["", "<details><summary>End of the log</summary>", "", code_block(tail)]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _run_url() -> str | None:
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


# --- change sets ---------------------------------------------------------------------------------


def change_set(
    stack: str, digest_: Digest, commit: str | None, state: str | None
) -> dict[str, Any]:
    return {
        "stack": stack,
        "commit": commit,
        "state": state,
        "changes": [c.key() for c in digest_.changes],
    }


def read_change_set(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"change set {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"cannot read change set {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
        raise ReportError(f"{path} is not a change set (no list of changes)")
    return data


def compare(approved: dict[str, Any], actual: dict[str, Any], *, subset: bool) -> list[str]:
    """Differences between two change sets; none means `actual` is what was approved.

    With `subset`, `actual` may do less than approved (an update that finds a value it
    previewed as unknown unchanged skips the step) but nothing else."""
    problems = []
    for field_name in ("stack", "commit"):
        was, now = approved.get(field_name), actual.get(field_name)
        if was != now:
            problems.append(f"{field_name}: approved {was!r}, now {now!r}")

    def keyed(changes: list[Any]) -> dict[tuple[str, str], Any]:
        return {(c["op"], c["urn"]): c for c in changes}

    before, after = keyed(approved["changes"]), keyed(actual["changes"])
    for key in sorted(after.keys() - before.keys()):
        problems.append(f"not approved: {key[0]} {key[1]}")
    if not subset:
        for key in sorted(before.keys() - after.keys()):
            problems.append(f"approved but no longer planned: {key[0]} {key[1]}")
    for key in sorted(before.keys() & after.keys()):
        old, new = set(before[key]["properties"]), set(after[key]["properties"])
        extra = new - old
        if extra or (not subset and old != new):
            changed = ", ".join(sorted(extra or old ^ new))
            problems.append(f"{key[0]} {key[1]}: properties differ ({changed})")
    return problems


# --- drift ---------------------------------------------------------------------------------------


def property_head(path: str) -> str:
    """The top-level property of a detailed-diff path (`routes[0].cidrBlock` -> `routes`)."""
    match = _PATH_HEAD.match(path)
    return match.group(0) if match else path


def split_benign(changes: Iterable[Change]) -> tuple[list[Change], list[Change]]:
    """(drift, suppressed): a change whose every property is a known benign diff is
    suppressed; otherwise only its benign properties are dropped."""
    drift, suppressed = [], []
    for change in changes:
        benign = BENIGN_DRIFT.get(change.type, {})
        kept = tuple(p for p in change.properties if property_head(p) not in benign)
        if change.op == "update" and change.properties and not kept:
            suppressed.append(change)
        elif kept != change.properties:
            drift.append(
                Change(change.urn, change.op, change.type, kept, change.replace_properties)
            )
        else:
            drift.append(change)
    return drift, suppressed


@dataclass
class DriftVerdict:
    status: str  # clean | drift | error
    markdown: str
    slack: str


def drift_verdict(
    stack: str,
    *,
    failed_step: str | None,
    refresh_exit: int | None,
    events: Path | None,
    refresh_log: Path | None,
    verify_exit: int | None,
    verify_json: Path | None,
    verify_log: Path | None,
) -> DriftVerdict:
    """Error (the check could not run), drift (it ran and found differences) or clean."""
    lines = []
    errors: list[str] = []
    if failed_step:
        errors.append(f"the step '{failed_step}' failed")
    refresh: Digest | None = None
    if refresh_exit is not None and failed_step is None:
        if refresh_exit != 0:
            errors.append(f"pulumi refresh --preview-only exited {refresh_exit}")
        if events is not None and events.is_file():
            refresh = digest(read_events(events))
            errors += refresh.errors
    if verify_exit not in (None, 0, 1):
        errors.append(f"tap verify exited {verify_exit}")

    drifted, suppressed = split_benign(refresh.changes if refresh else [])
    findings = _verify_findings(verify_json) if verify_exit == 1 else []
    if verify_exit == 1 and not findings:
        errors.append("tap verify reported findings but its JSON report is missing")

    if errors:
        status = "error"
        detail = "\n".join(dict.fromkeys(errors))
        tail = "\n".join(filter(None, (log_tail(refresh_log, 20), log_tail(verify_log, 20))))
        lines += [
            f"### ❌ Drift check of `{stack}` failed (an error, not drift)",
            "",
            code_block(detail),
        ]
        if tail:
            lines += ["", "<details><summary>End of the log</summary>", "", code_block(tail)]
            lines += ["", "</details>"]
        slack = f"tap {stack}: drift check FAILED (error, not drift): {_first_line(detail)}"
    elif drifted or findings:
        status = "drift"
        lines += [f"### ⚠️ Drift in `{stack}`", ""]
        if drifted:
            lines += ["**Refresh: resources that differ from the state**", ""]
            lines += _changes_table(drifted)
        if findings:
            lines += ["", "**tap verify: failing or drifting controls**", ""]
            lines += ["| status | control | region | resource | expected | actual |"]
            lines += ["| --- | --- | --- | --- | --- | --- |"]
            lines += [
                "| "
                + " | ".join(
                    cell(str(f.get(k, "")))
                    for k in ("status", "control", "region", "resource", "expected", "actual")
                )
                + " |"
                for f in findings
            ]
        names = [f"{c.name} ({', '.join(c.properties) or c.op})" for c in drifted]
        names += [f"{f.get('control')} {f.get('resource')}" for f in findings]
        slack = f"tap {stack}: drift detected in {len(names)} place(s): " + "; ".join(names[:10])
    else:
        status = "clean"
        lines += [f"### ✅ No drift in `{stack}`"]
        slack = f"tap {stack}: no drift"
    if suppressed:
        lines += ["", f"<details><summary>Known benign diffs ({len(suppressed)})</summary>", ""]
        lines += [
            f"- `{cell(c.name)}` {', '.join(f'`{p}`' for p in c.properties)}: "
            + "; ".join(sorted({BENIGN_DRIFT[c.type][property_head(p)] for p in c.properties}))
            for c in suppressed
        ]
        lines += ["", "</details>"]
    if run := _run_url():
        lines += ["", f"[run]({run})"]
        slack += f" ({run})"
    return DriftVerdict(status, "\n".join(lines) + "\n", slack)


def _verify_findings(path: Path | None) -> list[dict[str, Any]]:
    if path is None or not path.is_file():
        return []
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return []
    if not isinstance(results, list):
        return []
    return [r for r in results if isinstance(r, dict) and r.get("status") != "pass"]


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# --- the command ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser("preview", help="markdown and change set of a preview")
    preview.add_argument("--stack", required=True)
    preview.add_argument("--events", type=Path, help="the --event-log file")
    preview.add_argument("--exit-code", type=int, default=0, help="the Pulumi command's status")
    preview.add_argument("--failed-step", help="a setup step that failed before the preview")
    preview.add_argument("--log", type=Path, help="the command's output, for its tail")
    preview.add_argument("--title", default="`pulumi preview`")
    preview.add_argument("--commit")
    preview.add_argument("--state", help="the fingerprint of the stack's state")
    preview.add_argument("--markdown", type=Path, required=True)
    preview.add_argument("--changes", type=Path, help="write the change set here")

    comparison = commands.add_parser("compare", help="is a change set the approved one")
    comparison.add_argument("--approved", type=Path, required=True)
    comparison.add_argument("--actual", type=Path, required=True)
    comparison.add_argument(
        "--subset", action="store_true", help="allow fewer changes than approved (an update)"
    )

    drift = commands.add_parser("drift", help="drift, error or clean, for the drift job")
    drift.add_argument("--stack", required=True)
    drift.add_argument("--failed-step")
    drift.add_argument("--refresh-exit", type=int)
    drift.add_argument("--events", type=Path)
    drift.add_argument("--refresh-log", type=Path)
    drift.add_argument("--verify-exit", type=int)
    drift.add_argument("--verify-json", type=Path)
    drift.add_argument("--verify-log", type=Path)
    drift.add_argument("--markdown", type=Path, required=True)
    drift.add_argument("--slack", type=Path, required=True, help="the Slack payload (JSON)")
    drift.add_argument("--github-output", type=Path, help="append status=... here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _preview(args: argparse.Namespace) -> int:
    result: Digest | None = None
    if args.events is not None and args.failed_step is None:
        if args.events.is_file():
            result = digest(read_events(args.events))
        elif args.exit_code == 0:
            raise ReportError(f"event log {args.events} does not exist")
    markdown = preview_markdown(
        args.stack,
        result,
        exit_code=args.exit_code,
        title=args.title,
        failed_step=args.failed_step,
        log=args.log,
        commit=args.commit,
        state=args.state,
    )
    args.markdown.write_text(markdown, encoding="utf-8")
    if args.changes is not None:
        if result is None:
            raise ReportError("no change set without a completed preview")
        payload = change_set(args.stack, result, args.commit, args.state)
        args.changes.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK


def _compare(args: argparse.Namespace) -> int:
    problems = compare(
        read_change_set(args.approved), read_change_set(args.actual), subset=args.subset
    )
    for problem in problems:
        print(problem)
    return EXIT_DIFFERENT if problems else EXIT_OK


def _drift(args: argparse.Namespace) -> int:
    verdict = drift_verdict(
        args.stack,
        failed_step=args.failed_step,
        refresh_exit=args.refresh_exit,
        events=args.events,
        refresh_log=args.refresh_log,
        verify_exit=args.verify_exit,
        verify_json=args.verify_json,
        verify_log=args.verify_log,
    )
    args.markdown.write_text(verdict.markdown, encoding="utf-8")
    args.slack.write_text(json.dumps({"text": verdict.slack}) + "\n", encoding="utf-8")
    if args.github_output is not None:
        with args.github_output.open("a", encoding="utf-8") as out:
            out.write(f"status={verdict.status}\n")
    print(verdict.status)
    return EXIT_OK


_COMMANDS = {"preview": _preview, "compare": _compare, "drift": _drift}

if __name__ == "__main__":
    sys.exit(main())
