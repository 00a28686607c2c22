"""The runtime dependencies cover every third-party import of the `tap` command.

An install without the dev group (`pip install .`, `uv sync --no-dev`) must still run every
documented command, so whatever `tap/` imports (at module level or inside a function, as the
AWS commands do with boto3) must be in `[project].dependencies`, not only in a dev group.
`tap/functions/` is left out: it is the Lambda's own source, which runs on Lambda's runtime.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import PROJECT_DIR

PACKAGE = PROJECT_DIR / "tap"
LAMBDA_SOURCES = PACKAGE / "functions"


def imported_top_level_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def third_party_imports() -> dict[str, list[str]]:
    """Top-level module -> the files of `tap/` that import it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.is_relative_to(LAMBDA_SOURCES):
            continue
        for module in imported_top_level_modules(path):
            if module in sys.stdlib_module_names or module in {"tap", "__future__"}:
                continue
            found.setdefault(module, []).append(str(path.relative_to(PROJECT_DIR)))
    return found


def declared(section: str) -> set[str]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))
    if section == "runtime":
        requirements = project["project"]["dependencies"]
    else:
        requirements = project["dependency-groups"][section]
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_every_third_party_import_of_tap_is_a_runtime_dependency() -> None:
    runtime = declared("runtime")
    distributions = packages_distributions()
    missing = {
        module: files
        for module, files in third_party_imports().items()
        if not {canonicalize_name(d) for d in distributions.get(module, [module])} & runtime
    }

    assert missing == {}, f"imported by tap/ but not in [project].dependencies: {missing}"


def test_the_aws_commands_dependencies_are_runtime_dependencies() -> None:
    """`tap verify` and `tap bootstrap-backend` talk to AWS through boto3 and botocore."""
    imports = third_party_imports()

    assert {"boto3", "botocore"} <= set(imports)
    assert {"boto3", "botocore"} <= declared("runtime")
    assert not {"boto3", "botocore"} & declared("dev")
