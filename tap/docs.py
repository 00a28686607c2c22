"""Docs generated from the program, so they cannot drift from it (tests compare them).

- the configuration reference table (docs/configuration.md), from the config model;
- the architecture diagram (docs/architecture.md), from the prod plan manifest.

Generated text sits between `<!-- BEGIN GENERATED: <name> -->` and `<!-- END GENERATED -->`
markers; everything else in those files is written by hand. `tap docs` rewrites the marked
blocks; `tap docs --check` fails when one is stale.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tap.config import ENVIRONMENTS, StackConfig, parse

BEGIN = "<!-- BEGIN GENERATED: {name} -->"
END = "<!-- END GENERATED -->"


class DocsError(ValueError):
    """A doc that cannot be read, has lost its markers, or cannot be written: one line."""


# --- generated blocks in markdown files ---------------------------------------------------------


def replace_block(text: str, name: str, content: str) -> str:
    begin = BEGIN.format(name=name)
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise DocsError(f"no generated block {name!r}: add the {begin} / {END} markers")
    return pattern.sub(lambda _: f"{begin}\n{content.rstrip()}\n{END}", text, count=1)


@dataclass(frozen=True)
class GeneratedBlock:
    path: str  # relative to the project directory
    name: str
    render: Callable[[], str]


def stale_blocks(project_dir: Path, blocks: list[GeneratedBlock]) -> list[str]:
    return [
        f"{block.path} ({block.name})"
        for block in blocks
        if (text := _read(project_dir, block)) != _replaced(text, block)
    ]


def write_blocks(project_dir: Path, blocks: list[GeneratedBlock]) -> list[str]:
    changed = []
    for block in blocks:
        text = _read(project_dir, block)
        updated = _replaced(text, block)
        if updated != text:
            try:
                (project_dir / block.path).write_text(updated, encoding="utf-8")
            except OSError as error:
                raise DocsError(f"cannot write {block.path}: {error.strerror}") from None
            changed.append(block.path)
    return changed


def _read(project_dir: Path, block: GeneratedBlock) -> str:
    try:
        return (project_dir / block.path).read_text(encoding="utf-8")
    except OSError as error:
        raise DocsError(f"cannot read {block.path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise DocsError(f"cannot read {block.path}: it is not UTF-8 text") from None


def _replaced(text: str, block: GeneratedBlock) -> str:
    try:
        return replace_block(text, block.name, block.render())
    except DocsError as error:
        raise DocsError(f"{block.path}: {error}") from None


# --- the configuration reference ----------------------------------------------------------------


@dataclass(frozen=True)
class KeyDoc:
    key: str
    type: str
    defaults: tuple[str, ...]  # one per environment, in ENVIRONMENTS order
    rules: str


def config_reference_rows() -> list[KeyDoc]:
    """Every `tap:` key, walked from StackConfig; defaults read off a resolved empty config."""
    resolved = [parse({}, env).config for env in ENVIRONMENTS]
    return list(_walk(StackConfig, (), resolved))


def _walk(
    model: type[BaseModel], path: tuple[str, ...], resolved: list[StackConfig]
) -> Iterator[KeyDoc]:
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in getattr(model, "NOT_USER_KEYS", ()):
            continue
        nested = _nested_model(info.annotation)
        if nested is not None and get_origin(_unwrap(info.annotation)) in (dict, tuple):
            # A map keyed by region in the stack file: document `networks.<region>.<field>`.
            yield from _walk(nested, (*path, key, "<region>"), resolved)
            continue
        if nested is not None:
            yield from _walk(nested, (*path, key), resolved)
            continue
        attributes = (*path, name)
        yield KeyDoc(
            key="tap:" + ".".join((*path, key)),
            type=_type_name(info.annotation),
            defaults=tuple(_default_text(config, attributes) for config in resolved),
            rules=_rules(info),
        )


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    if get_origin(annotation) in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    candidates = [inner, *get_args(inner)]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _type_name(annotation: Any) -> str:
    inner = _unwrap(annotation)
    origin = get_origin(inner)
    if origin is Literal:
        return " \\| ".join(f"`{v}`" for v in get_args(inner))
    if origin is not None and hasattr(inner, "__metadata__"):  # Annotated[int, Field(...)]
        return _type_name(get_args(inner)[0])
    if origin in (list, tuple):
        return f"list of {_type_name(get_args(inner)[0])}"
    if origin is dict:
        return "map of strings"
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(inner, str(inner))


def _bounds(info: FieldInfo) -> str:
    """`>= 7, <= 30` from the field's constraints (pydantic keeps them in `metadata`)."""
    words = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<", "multiple_of": "step"}
    parts = []
    for item in info.metadata:
        for attribute, word in words.items():
            value = getattr(item, attribute, None)
            if value is not None:
                parts.append(f"{word} {value:g}" if isinstance(value, float) else f"{word} {value}")
    return ", ".join(parts)


def _rules(info: FieldInfo) -> str:
    text = " ".join((info.description or "").split())
    bounds = _bounds(info)
    return f"{text} ({bounds})" if bounds else text


def _default_text(config: StackConfig, attributes: tuple[str, ...]) -> str:
    if attributes[0] == "networks":
        return _network_defaults(config, attributes[-1])
    value: Any = config
    for attribute in attributes:
        value = getattr(value, attribute, None)
    if attributes == ("environment_suffix",):
        return "stack name"
    return _format(value)


def _network_defaults(config: StackConfig, field: str) -> str:
    values = [_format(getattr(network, field)) for network in config.networks]
    return values[0] if len(set(values)) == 1 else ", ".join(values)


def _format(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if isinstance(value, tuple | list):
        return ", ".join(_format(v).strip("`") for v in value) if value else "`[]`"
    if isinstance(value, dict):
        return "`{}`" if not value else ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"`{value}`" if isinstance(value, str) else str(value)


def render_config_reference() -> str:
    header = ["Key", "Type", *ENVIRONMENTS, "Rules"]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for row in config_reference_rows():
        cells = [f"`{row.key}`", row.type, *row.defaults, row.rules]
        lines.append(
            "| "
            + " | ".join(cell.replace("|", "\\|") if cell is row.rules else cell for cell in cells)
            + " |"
        )
    return "\n".join(lines)


# --- the architecture diagram -------------------------------------------------------------------


def render_mermaid(manifest: Mapping[str, Any]) -> str:
    """A flowchart of the stack: a subgraph per region, a node per component with what it holds.

    Components are grouped under the region they serve; each node lists its own cloud
    resources by type and count, so the diagram stays readable at 400+ resources.
    """
    resources: list[dict[str, Any]] = list(manifest["resources"])
    by_urn = {r["urn"]: r for r in resources}
    homes = _home_regions(resources, by_urn)
    components = [r for r in resources if not r["custom"] and r["type"].startswith("tap:")]
    holds: dict[str, Counter[str]] = defaultdict(Counter)
    for resource in resources:
        if resource["custom"] and resource["parent"] in by_urn:
            holds[resource["parent"]][_short_type(resource["type"])] += 1

    ids = {c["urn"]: f"c{index}" for index, c in enumerate(components)}
    lines = ["flowchart LR"]
    sections: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for component in components:
        sections[homes[component["urn"]]].append(component)
    for section in sorted(sections, key=lambda s: (s is None, s or "")):
        label = section or "global (primary region's provider)"
        lines.append(f'  subgraph {_slug(label)}["{label}"]')
        for component in sections[section]:
            lines.append(f'    {ids[component["urn"]]}["{_node_label(component, holds)}"]')
        lines.append("  end")
    for component in components:
        parent = component["parent"]
        if parent in ids:
            lines.append(f"  {ids[parent]} --> {ids[component['urn']]}")
    return "\n".join(lines)


def _home_regions(
    resources: list[dict[str, Any]], by_urn: dict[str, dict[str, Any]]
) -> dict[str, str | None]:
    homes: dict[str, str | None] = {}

    def home(resource: dict[str, Any]) -> str | None:
        urn = resource["urn"]
        if urn not in homes:
            parent = by_urn.get(resource["parent"] or "")
            homes[urn] = (home(parent) if parent else None) or resource["region"]
        return homes[urn]

    for resource in resources:
        home(resource)
    return homes


def _short_type(type_token: str) -> str:
    """`aws:ec2/subnet:Subnet` -> `Subnet`."""
    return type_token.rsplit(":", 1)[-1]


def _node_label(component: dict[str, Any], holds: dict[str, Counter[str]]) -> str:
    title = f"{_short_type(component['type'])}<br/>{component['name']}"
    contents = holds.get(component["urn"])
    if not contents:
        return title
    listed = ", ".join(
        f"{count}x {kind}" if count > 1 else kind for kind, count in sorted(contents.items())
    )
    return f"{title}<br/><small>{listed}</small>"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def render_dot(manifest: Mapping[str, Any]) -> str:
    """The same graph as render_mermaid, for Graphviz (`dot -Tsvg`)."""
    mermaid = render_mermaid(manifest).splitlines()[1:]
    lines = ["digraph tap {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for line in mermaid:
        text = line.strip()
        if text.startswith("subgraph "):
            name, label = re.match(r'subgraph (\w+)\["(.*)"\]', text).groups()  # type: ignore[union-attr]
            lines.append(f'  subgraph cluster_{name} {{ label="{label}";')
        elif text == "end":
            lines.append("  }")
        elif "-->" in text:
            source, target = (part.strip() for part in text.split("-->"))
            lines.append(f"  {source} -> {target};")
        else:
            node, label = re.match(r'(\w+)\["(.*)"\]', text).groups()  # type: ignore[union-attr]
            plain = re.sub(r"<[^>]+>", "\\\\n", label.replace("<br/>", "\\n"))
            lines.append(f'    {node} [label="{plain}"];')
    lines.append("}")
    return "\n".join(lines)


def generated_blocks(project_dir: Path) -> list[GeneratedBlock]:
    """Every generated block in docs/, with how to render it."""
    from tap.plan import run_plan  # noqa: PLC0415 - the diagram needs the full program

    manifests: dict[str, Mapping[str, Any]] = {}

    def prod_manifest() -> Mapping[str, Any]:
        if "prod" not in manifests:
            manifests["prod"] = run_plan("prod", project_dir).manifest
        return manifests["prod"]

    def architecture() -> str:
        return "```mermaid\n" + render_mermaid(prod_manifest()) + "\n```"

    return [
        GeneratedBlock("docs/configuration.md", "config-reference", render_config_reference),
        GeneratedBlock("docs/architecture.md", "architecture-diagram", architecture),
        GeneratedBlock(
            "docs/security.md", "control-mapping", lambda: render_security_mapping(prod_manifest())
        ),
    ]


# --- the security control mapping ---------------------------------------------------------------

# Where the stack rules' subject is built (resource rules find theirs from the manifest).
STACK_RULE_HOMES = {
    "s3-": ("tap:storage:SecureBucket",),
    "rds-": ("tap:database:AuroraPostgres", "tap:database:MasterCredentials"),
    "vpc-": ("tap:network:Network",),
    "apigateway-": ("tap:api:RegionalApi",),
    "iam-password-policy": ("tap:security:AccountPasswordPolicy",),
}


def component_module(type_token: str) -> str:
    """`tap:storage:SecureBucket` -> `tap/components/storage.py` (the stack's own -> stack.py)."""
    module = type_token.split(":")[1]
    return "tap/stack.py" if module == "stack" else f"tap/components/{module}.py"


def implementing_components(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    """Resource type -> the component types that create resources of that type."""
    by_urn = {r["urn"]: r for r in manifest["resources"]}
    owners: dict[str, set[str]] = defaultdict(set)
    for resource in manifest["resources"]:
        parent = by_urn.get(resource["parent"] or "")
        if resource["custom"] and parent is not None and parent["type"].startswith("tap:"):
            owners[resource["type"]].add(parent["type"])
    return owners


def render_security_mapping(manifest: Mapping[str, Any]) -> str:
    from tap.policy.rules import RULES  # noqa: PLC0415
    from tap.verify import CONTROLS  # noqa: PLC0415

    owners = implementing_components(manifest)
    header = ["Control", "Policy rule", "Enforcement", "Implemented by", "tap verify", "Checks"]
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" for _ in header) + " |",
    ]
    for rule in sorted(RULES, key=lambda r: (_control_sort_key(r.control), r.name)):
        if types := rule.resource_types or rule.subjects:
            components = set().union(*(owners.get(t, set()) for t in types))
        else:
            components = next(
                (
                    set(homes)
                    for prefix, homes in STACK_RULE_HOMES.items()
                    if rule.name.startswith(prefix)
                ),
                set(),
            )
        implemented = (
            "<br/>".join(f"`{_short_type(c)}` ({component_module(c)})" for c in sorted(components))
            or "not used by the shipped stacks"
        )
        check = CONTROLS.get(rule.control)
        verified = f"`{check.check}`" if check else ""
        description = " ".join(rule.description.split()).replace("|", "\\|")
        lines.append(
            f"| {rule.control} | `{rule.name}` | {rule.enforcement} | {implemented} | "
            f"{verified} | {description} |"
        )
    return "\n".join(lines)


def _control_sort_key(control: str) -> tuple[str, int]:
    family, _, number = control.rpartition(".")
    return (family or control, int(number) if number.isdigit() else 0)
