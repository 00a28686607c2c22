"""The container image (`dockerImageUri`) builds the same code as the zip. No Docker engine runs
here, so these tests read the Dockerfile: its base, what it copies, what it installs."""

from __future__ import annotations

import re
import shlex

from tap.components.function import FunctionPlacement
from tap.packaging import (
    API_HANDLER,
    API_SOURCE_DIR,
    MIGRATION_HANDLER,
    PACKAGE_PATH,
    PACKAGE_STUBS,
    REQUIREMENTS_FILE,
    SOURCE_PATTERNS,
    locked_distributions,
)
from tests.conftest import PROJECT_DIR

DOCKERFILE = API_SOURCE_DIR / "Dockerfile"
IGNORE_FILE = API_SOURCE_DIR / "Dockerfile.dockerignore"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def of(keyword: str) -> list[str]:
    return [rest for word, rest in instructions() if word == keyword]


def test_the_base_is_the_lambda_python_image_of_the_runtime_pinned_by_digest() -> None:
    (base,) = of("FROM")
    runtime = FunctionPlacement.__dataclass_fields__["runtime"].default
    assert isinstance(runtime, str)
    version = runtime.removeprefix("python")
    assert re.fullmatch(
        rf"public\.ecr\.aws/lambda/python:{re.escape(version)}@sha256:[0-9a-f]{{64}}", base
    ), base


def test_it_copies_the_same_files_as_the_zip() -> None:
    task_root = "${LAMBDA_TASK_ROOT}"
    copies = [shlex.split(rest) for rest in of("COPY")]
    sources = {
        src.removeprefix(f"{PACKAGE_PATH}/"): dest
        for src, dest in copies
        if src.startswith(PACKAGE_PATH) and not src.endswith("requirements.txt")
    }
    assert set(sources) == set(SOURCE_PATTERNS)
    for pattern, dest in sources.items():
        directory = pattern.rpartition("/")[0]
        expected = f"{task_root}/{PACKAGE_PATH}/" + (f"{directory}/" if directory else "")
        assert dest == expected, pattern
    # The empty package modules the zip adds are created too.
    (stubs,) = [rest for rest in of("RUN") if "touch()" in rest]
    for stub in PACKAGE_STUBS:
        assert f"'{stub}'" in stubs


def test_the_build_context_sends_exactly_what_is_copied() -> None:
    rules = [
        line.strip()
        for line in IGNORE_FILE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "*"
    allowed = {rule.removeprefix("!") for rule in rules[1:]}
    relative_requirements = REQUIREMENTS_FILE.relative_to(PROJECT_DIR).as_posix()
    assert allowed == {f"{PACKAGE_PATH}/{p}" for p in SOURCE_PATTERNS} | {relative_requirements}


def test_it_installs_the_locked_driver_and_nothing_else() -> None:
    relative = REQUIREMENTS_FILE.relative_to(PROJECT_DIR).as_posix()
    assert [relative, "/tmp/requirements.txt"] in [shlex.split(rest) for rest in of("COPY")]
    (install,) = [rest for rest in of("RUN") if "pip install" in rest]
    words = shlex.split(install)
    for flag in ("--no-deps", "--only-binary=:all:", "--require-hashes", "--no-cache-dir"):
        assert flag in words, flag
    assert words[words.index("--target") + 1] == "${LAMBDA_TASK_ROOT}"
    assert words[words.index("-r") + 1] == "/tmp/requirements.txt"
    pinned = {
        line.split()[0] for line in REQUIREMENTS_FILE.read_text().splitlines() if line[:1].isalpha()
    }
    assert pinned == {f"{d.name}=={d.version}" for d in locked_distributions()}


def test_the_command_is_the_api_handler() -> None:
    (command,) = of("CMD")
    assert command == f'["{API_HANDLER}"]'
    assert MIGRATION_HANDLER in DOCKERFILE.read_text()  # the documented override
