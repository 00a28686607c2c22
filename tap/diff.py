"""`tap diff BASE.json HEAD.json`: what a change to the program would do to a stack (pure).

Compares two plan manifests of the same stack (`tap plan --format json`, before and after a
change) the way the engine would match the head program's resources to the base's state:

- by URN, then by the head resources' `aliases` (a base URN carried by an alias is a rename:
  the resource is kept);
- a base URN with neither is deleted. When a head resource with the same name appeared, it
  replaces the base one, because its type changed or its parent moved (which changes the URN);
- a stateful resource whose input AWS cannot change in place (the CloudFormation schema's
  `createOnlyProperties`, `tap.constraints.mappings.create_only_property`) is replaced too.

Risk: deleting or replacing a protected resource (`protect: true`) or one of a stateful type
(`tap.awsdata.is_stateful`: clusters, instances, buckets, keys, secrets, log groups) loses data
or fails the update: exit 3. Anything else is shown but exits 0. Secrets stay masked: the
manifest holds `<secret>`, and a change from or to a secret shows no value.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tap.awsdata import AwsDataError, is_stateful
from tap.constraints.mappings import create_only_property
from tap.markers import SECRET

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_RISKY = 3
# The first line of the markdown output: the PR workflow finds its comment by it.
MARKDOWN_MARKER = "<!-- tap-diff -->"
_SHOWN_VALUE_LENGTH = 80

Kind = Literal["delete", "replace", "rename", "change", "add"]
Risk = Literal["protected", "stateful", ""]


class DiffInputError(Exception):
    """A file that is not a readable plan manifest, or two manifests that do not compare."""


@dataclass(frozen=True)
class InputChange:
    path: str
    before: str  # shown (JSON, shortened); "" for a secret
    after: str
    secret: bool = False

    def __str__(self) -> str:
        if self.secret:
            return f"{self.path}: secret changed"
        return f"{self.path}: {self.before} -> {self.after}"


@dataclass
class ResourceChange:
    kind: Kind
    type: str
    name: str
    base_urn: str | None
    head_urn: str | None
    reasons: list[str] = field(default_factory=list)
    inputs: list[InputChange] = field(default_factory=list)
    risk: Risk = ""

    @property
    def risky(self) -> bool:
        return self.kind in ("delete", "replace") and self.risk != ""

    @property
    def risk_label(self) -> str:
        """ "protected, stateful" for a protected resource of a stateful type."""
        if self.risk == "protected" and is_stateful(self.type):
            return "protected, stateful"
        return self.risk


@dataclass
class StackDiff:
    project: str
    stack: str
    changes: list[ResourceChange]

    def of_kind(self, kind: Kind) -> list[ResourceChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def risky(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.risky]

    @property
    def exit_code(self) -> int:
        return EXIT_RISKY if self.risky else EXIT_OK


# --- reading manifests -------------------------------------------------------------------------


def load_manifest(path: str | Path) -> dict[str, Any]:
    """A manifest from a file, checked for the fields tap diff reads."""
    label = str(path)
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise DiffInputError(f"cannot read {label}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise DiffInputError(
            f"{label} is not JSON ({error}); pass `tap plan --format json`"
        ) from None
    check_manifest(document, label)
    return document  # type: ignore[no-any-return]


def check_manifest(document: Any, label: str) -> None:
    hint = "not a tap plan manifest (`tap plan --format json`)"
    if not isinstance(document, dict):
        raise DiffInputError(f"{label}: {hint}")
    for key in ("project", "stack"):
        if not isinstance(document.get(key), str):
            raise DiffInputError(f"{label}: no `{key}`: {hint}")
    resources = document.get("resources")
    if not isinstance(resources, list):
        raise DiffInputError(f"{label}: no `resources` list: {hint}")
    seen: set[str] = set()
    for index, resource in enumerate(resources):
        where = f"{label}: resources[{index}]"
        if not isinstance(resource, dict):
            raise DiffInputError(f"{where} is not an object: {hint}")
        for key, kinds in _RESOURCE_FIELDS.items():
            if key not in resource and key in _OPTIONAL_FIELDS:
                continue
            if not isinstance(resource.get(key), kinds):
                raise DiffInputError(f"{where} has no valid `{key}`: {hint}")
        aliases = resource.get("aliases", [])
        if not all(isinstance(alias, str) for alias in aliases):
            raise DiffInputError(f"{where} has no valid `aliases`: {hint}")
        if resource["urn"] in seen:
            raise DiffInputError(f"{label}: URN {resource['urn']} is listed twice")
        seen.add(resource["urn"])


_RESOURCE_FIELDS: dict[str, Any] = {
    "urn": str,
    "type": str,
    "name": str,
    "parent": (str, type(None)),
    "custom": bool,
    "protect": bool,
    "retainOnDelete": bool,
    "region": (str, type(None)),
    "inputs": dict,
    "aliases": list,
}
# Manifests written before a field was added to the contract lack it.
_OPTIONAL_FIELDS = frozenset({"aliases", "retainOnDelete", "region"})


# --- comparing ---------------------------------------------------------------------------------


def diff_manifests(
    base: dict[str, Any], head: dict[str, Any], base_label: str = "BASE", head_label: str = "HEAD"
) -> StackDiff:
    if (base["project"], base["stack"]) != (head["project"], head["stack"]):
        raise DiffInputError(
            f"{base_label} is stack {base['stack']} of project {base['project']}, {head_label} "
            f"is stack {head['stack']} of project {head['project']}: compare two plans of the "
            "same stack"
        )
    base_by_urn = {r["urn"]: r for r in base["resources"]}
    head_by_urn = {r["urn"]: r for r in head["resources"]}
    changes: list[ResourceChange] = []
    matched_base: set[str] = set()
    added: list[dict[str, Any]] = []
    for resource in head["resources"]:
        old = base_by_urn.get(resource["urn"])
        if old is None:
            old = next(
                (
                    base_by_urn[alias]
                    for alias in resource.get("aliases", [])
                    if alias in base_by_urn
                    and alias not in head_by_urn
                    and alias not in matched_base
                ),
                None,
            )
        if old is None:
            added.append(resource)
            continue
        matched_base.add(old["urn"])
        change = _compare(old, resource)
        if change is not None:
            changes.append(change)

    gone = [r for r in base["resources"] if r["urn"] not in matched_base]
    added_by_name: dict[str, list[dict[str, Any]]] = {}
    for resource in added:
        added_by_name.setdefault(resource["name"], []).append(resource)
    for old in gone:
        candidates = [r for r in added_by_name.get(old["name"], []) if r["custom"] == old["custom"]]
        # Prefer the same type (only the parent moved) over a type change.
        candidates.sort(key=lambda r: r["type"] != old["type"])
        if candidates:
            new = candidates[0]
            added_by_name[old["name"]].remove(new)
            changes.append(_replacement(old, new))
        else:
            gone_reason = "gone: no resource of HEAD has this URN, or an alias to it"
            changes.append(
                ResourceChange("delete", old["type"], old["name"], old["urn"], None, [gone_reason])
            )
            changes[-1].risk = _risk(old)
    for resources in added_by_name.values():
        for new in resources:
            changes.append(ResourceChange("add", new["type"], new["name"], None, new["urn"]))
    changes.sort(key=_order)
    return StackDiff(head["project"], head["stack"], changes)


_KIND_ORDER: dict[str, int] = {"replace": 0, "delete": 1, "rename": 2, "change": 3, "add": 4}
_RISK_ORDER: dict[str, int] = {"protected": 0, "stateful": 1, "": 2}


def _order(change: ResourceChange) -> tuple[int, int, int, str]:
    return (
        0 if change.risky else 1,
        _RISK_ORDER[change.risk],
        _KIND_ORDER[change.kind],
        change.head_urn or change.base_urn or "",
    )


def stateful_urns(manifest: dict[str, Any]) -> list[str]:
    """The URNs whose deletion or replacement `tap diff` calls risky: cloud resources that are
    protected or of a stateful type."""
    return sorted(r["urn"] for r in manifest["resources"] if r["custom"] and _risk(r))


_STATEFUL_LIST_HEADER = """\
# {stack}'s stateful URNs: cloud resources that are protected or of a stateful type, whose
# deletion or replacement loses data. tests/test_stateful_urns.py fails when one disappears from
# the plan without an alias carrying it. Generated; after a deliberate change, regenerate with:
#   scripts/uv run python scripts/stateful_urns.py --stack {stack} --write
"""


def render_stateful_list(stack: str, urns: list[str]) -> str:
    return _STATEFUL_LIST_HEADER.format(stack=stack) + "".join(f"{urn}\n" for urn in urns)


def read_stateful_list(text: str) -> list[str]:
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _risk(resource: dict[str, Any]) -> Risk:
    if resource["protect"]:
        return "protected"
    if is_stateful(resource["type"]):
        return "stateful"
    return ""


def _compare(old: dict[str, Any], new: dict[str, Any]) -> ResourceChange | None:
    """The same resource (by URN or alias): changed inputs, and whether AWS must replace it."""
    inputs = diff_inputs(old["inputs"], new["inputs"])
    reasons = []
    for key, label in (("protect", "protect"), ("retainOnDelete", "retainOnDelete")):
        if old.get(key, False) != new.get(key, False):
            reasons.append(f"{label}: {_show(old.get(key, False))} -> {_show(new.get(key, False))}")
    if old["parent"] != new["parent"]:
        reasons.append(f"parent: {old['parent']} -> {new['parent']} (same URN: kept)")
    renamed = old["urn"] != new["urn"]
    forced = _forced_replacements(new, inputs)
    if not (inputs or reasons or renamed):
        return None
    if forced:
        kind: Kind = "replace"
    elif renamed:
        kind = "rename"
    else:
        kind = "change"
    if renamed:
        reasons.insert(0, f"renamed through an alias: {old['urn']} -> {new['urn']}")
    change = ResourceChange(
        kind, new["type"], new["name"], old["urn"], new["urn"], forced + reasons, inputs
    )
    if kind == "replace":
        change.risk = _risk(old)
    return change


def _replacement(old: dict[str, Any], new: dict[str, Any]) -> ResourceChange:
    reasons = []
    if old["type"] != new["type"]:
        reasons.append(f"type changed: {old['type']} -> {new['type']}")
    if old["parent"] != new["parent"]:
        reasons.append(f"parent moved: {old['parent']} -> {new['parent']}")
    reasons.append(f"URN changed without an alias: {old['urn']} -> {new['urn']}")
    return ResourceChange(
        "replace",
        new["type"],
        new["name"],
        old["urn"],
        new["urn"],
        reasons,
        diff_inputs(old["inputs"], new["inputs"]),
        _risk(old),
    )


def _forced_replacements(resource: dict[str, Any], inputs: list[InputChange]) -> list[str]:
    """Changed inputs AWS cannot update in place, judged for stateful types only."""
    if not is_stateful(resource["type"]):
        return []
    region = resource.get("region") or "us-east-1"
    reasons = []
    for top in dict.fromkeys(_top_level(change.path) for change in inputs):
        try:
            prop = create_only_property(resource["type"], top, region)
        except AwsDataError:
            prop = None
        if prop is not None:
            reasons.append(
                f"input {top} forces replacement (createOnlyProperties {prop} of the "
                "CloudFormation schema)"
            )
    return reasons


def _top_level(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def diff_inputs(before: dict[str, Any], after: dict[str, Any]) -> list[InputChange]:
    """Changed leaf paths, with values shown masked (a secret is never shown)."""
    old, new = dict(_leaves(before)), dict(_leaves(after))
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if path in old and path in new and old[path] == new[path]:
            continue
        a, b = old.get(path, _ABSENT), new.get(path, _ABSENT)
        if SECRET in (a, b):
            changes.append(InputChange(path, "", "", secret=True))
        else:
            changes.append(InputChange(path, _show(a), _show(b)))
    return changes


_ABSENT = object()
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            step = f".{key}" if _PLAIN_KEY.fullmatch(key) else f"[{json.dumps(key)}]"
            yield from _leaves(item, f"{path}{step}" if path else step.lstrip("."))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _show(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True)
    if len(text) > _SHOWN_VALUE_LENGTH:
        text = text[: _SHOWN_VALUE_LENGTH - 3] + "..."
    return text


# --- output ------------------------------------------------------------------------------------

_HEADINGS: dict[Kind, str] = {
    "replace": "replaced",
    "delete": "deleted",
    "rename": "renamed (kept through an alias)",
    "change": "changed",
    "add": "added",
}


def counts(diff: StackDiff) -> str:
    parts = [f"{len(diff.of_kind(kind))} {_HEADINGS[kind].split()[0]}" for kind in _HEADINGS]
    return ", ".join(parts)


def verdict(diff: StackDiff) -> str:
    risky = diff.risky
    if not risky:
        return "no protected or stateful resource is deleted or replaced"
    noun = "resource" if len(risky) == 1 else "resources"
    return f"{len(risky)} protected or stateful {noun} would be deleted or replaced"


def render_text(diff: StackDiff) -> str:
    lines = [
        f"tap diff: stack {diff.stack} (project {diff.project}): {counts(diff)}",
        ("RISK: " if diff.risky else "") + verdict(diff),
    ]
    for change in diff.changes:
        if change.kind == "add":
            continue
        mark = "!" if change.risky else {"replace": "-", "delete": "-"}.get(change.kind, "~")
        risk = f"  [{change.risk_label}]" if change.risk else ""
        lines.append(f"\n{mark} {change.kind:<8} {change.type}  {change.name}{risk}")
        lines.extend(f"    {reason}" for reason in change.reasons)
        lines.extend(f"    {c}" for c in change.inputs)
    added = diff.of_kind("add")
    if added:
        lines.append(f"\nadded ({len(added)}):")
        lines.extend(f"+ {c.type}  {c.name}" for c in added)
    return "\n".join(lines) + "\n"


def render_markdown(diff: StackDiff) -> str:
    icon = "🛑" if diff.risky else "✅"
    lines = [
        MARKDOWN_MARKER,
        f"#### {icon} tap diff `{diff.stack}`: {verdict(diff)}",
        "",
        "| replaced | deleted | renamed | changed | added |",
        "|---:|---:|---:|---:|---:|",
        "| " + " | ".join(str(len(diff.of_kind(kind))) for kind in _HEADINGS) + " |",
    ]
    removals = [c for c in diff.changes if c.kind in ("replace", "delete", "rename")]
    if removals:
        lines += ["", "| risk | change | resource | type | why |", "|---|---|---|---|---|"]
        for change in removals:
            icon = {"protected": "🛑 ", "stateful": "⚠️ "}.get(change.risk, "")
            risk = f"{icon}{change.risk_label}"
            why = change.reasons[0] if change.reasons else ""
            lines.append(
                f"| {risk} | {change.kind} | {_code(change.name)} | {_code(change.type)} "
                f"| {_cell(why)} |"
            )
    detailed = [c for c in diff.changes if c.kind != "add" and (c.inputs or c.reasons)]
    if detailed:
        lines += ["", f"<details><summary>Details ({len(detailed)})</summary>", ""]
        for change in detailed:
            lines.append(f"- **{change.kind}** {_code(change.type)} {_code(change.name)}")
            lines.extend(f"  - {_cell(reason)}" for reason in change.reasons)
            for c in change.inputs:
                shown = "secret changed" if c.secret else f"{_code(c.before)} → {_code(c.after)}"
                lines.append(f"  - {_code(c.path)}: {shown}")
        lines += ["", "</details>"]
    added = diff.of_kind("add")
    if added:
        lines += ["", f"<details><summary>Added ({len(added)})</summary>", ""]
        lines.extend(f"- {_code(c.type)} {_code(c.name)}" for c in added)
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _code(text: str) -> str:
    """Inline code that survives any content (backticks, pipes, HTML) inside a table."""
    return f"<code>{html.escape(text).replace('|', '&#124;')}</code>"


def _cell(text: str) -> str:
    return html.escape(text).replace("|", "&#124;")
