"""The generated docs match the code, and the generators cover everything they should."""

from __future__ import annotations

import os
import shutil
import subprocess
from types import UnionType
from typing import Union, get_origin

import pytest
from pydantic import BaseModel

from tap.config import StackConfig
from tap.docs import (
    config_reference_rows,
    render_config_reference,
    render_dot,
    render_mermaid,
    replace_block,
)
from tests.conftest import PROJECT_DIR, Planned


def _block(text: str, name: str) -> str:
    after_begin = text.split(f"<!-- BEGIN GENERATED: {name} -->\n", 1)[1]
    return after_begin.split("<!-- END GENERATED -->", maxsplit=1)[0]


def test_the_config_reference_is_current() -> None:
    text = (PROJECT_DIR / "docs" / "configuration.md").read_text()
    assert _block(text, "config-reference").strip() == render_config_reference().strip(), (
        "docs/configuration.md is stale: run `tap docs`"
    )


def test_the_architecture_diagram_is_current(plans: dict[str, Planned]) -> None:
    text = (PROJECT_DIR / "docs" / "architecture.md").read_text()
    expected = "```mermaid\n" + render_mermaid(plans["prod"].manifest) + "\n```"
    assert _block(text, "architecture-diagram").strip() == expected, (
        "docs/architecture.md is stale: run `tap docs`"
    )


def _leaf_keys(model: type[BaseModel], prefix: str) -> set[str]:
    keys = set()
    for name, info in model.model_fields.items():
        if (info.alias or name) in getattr(model, "NOT_USER_KEYS", ()):
            continue
        key = f"{prefix}{info.alias or name}"
        nested = [
            a
            for a in getattr(info.annotation, "__args__", ())
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        optional = get_origin(info.annotation) in (Union, UnionType)
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            keys |= _leaf_keys(info.annotation, key + ".")
        elif nested and optional:  # an optional section (`dns: DnsConfig | None`)
            keys |= _leaf_keys(nested[0], key + ".")
        elif nested:
            keys |= _leaf_keys(nested[0], key + ".<region>.")
        else:
            keys.add(key)
    return keys


def test_every_key_is_documented_with_rules() -> None:
    rows = config_reference_rows()
    assert {row.key.removeprefix("tap:") for row in rows} == _leaf_keys(StackConfig, "")
    for row in rows:
        assert row.rules, f"{row.key} has no docstring in tap/config.py"
        assert len(row.defaults) == 3


def test_defaults_come_from_the_environment() -> None:
    rows = {row.key: row for row in config_reference_rows()}
    assert rows["tap:database.instanceCount"].defaults == ("1", "1", "2")
    assert rows["tap:networks.<region>.natStrategy"].defaults == ("`single`", "`single`", "`perAz`")
    assert rows["tap:kmsDeletionWindowDays"].rules.endswith("(>= 7, <= 30)")


def test_replace_block_needs_its_markers() -> None:
    with pytest.raises(ValueError, match="no generated block 'x'"):
        replace_block("# nothing here\n", "x", "content")
    text = "a\n<!-- BEGIN GENERATED: x -->\nold\n<!-- END GENERATED -->\nb\n"
    assert replace_block(text, "x", "new") == (
        "a\n<!-- BEGIN GENERATED: x -->\nnew\n<!-- END GENERATED -->\nb\n"
    )


def test_the_diagram_groups_every_component_by_region(plans: dict[str, Planned]) -> None:
    manifest = plans["prod"].manifest
    mermaid = render_mermaid(manifest)
    for region in plans["prod"].config.regions:
        assert f'["{region}"]' in mermaid
    components = [r for r in manifest["resources"] if r["type"].startswith("tap:")]
    for component in components:
        assert component["name"] in mermaid


def test_the_dot_graph_renders(plans: dict[str, Planned]) -> None:
    dot_source = render_dot(plans["dev"].manifest)
    assert dot_source.count("{") == dot_source.count("}")
    dot = shutil.which("dot")
    if dot is None:
        if os.environ.get("CI"):  # .ci/run installs Graphviz: a skip there would hide a failure
            pytest.fail("Graphviz's dot is not installed; .ci/run installs it")
        pytest.skip("Graphviz is not installed")
    svg = subprocess.run(
        [dot, "-Tsvg"], input=dot_source, capture_output=True, text=True, check=True
    )
    assert "<svg" in svg.stdout


def test_the_security_mapping_is_current_and_covers_every_rule(plans: dict[str, Planned]) -> None:
    from tap.docs import render_security_mapping  # noqa: PLC0415
    from tap.policy.rules import RULES  # noqa: PLC0415

    expected = render_security_mapping(plans["prod"].manifest)
    text = (PROJECT_DIR / "docs" / "security.md").read_text()
    assert _block(text, "control-mapping").strip() == expected, "docs/security.md is stale"
    rows = expected.splitlines()[2:]
    assert len(rows) == len(RULES)
    for rule in RULES:
        assert f"`{rule.name}`" in expected


def test_the_readme_links_every_doc() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    for doc in sorted((PROJECT_DIR / "docs").glob("*.md")):
        assert f"docs/{doc.name}" in readme, f"README does not link docs/{doc.name}"
