"""The API function's zip, built reproducibly: the same sources give the same bytes.

What the zip holds (`zip_entries`):

- `tap/__init__.py` and `tap/functions/__init__.py`, empty: the handler's import path
  (`tap.functions.api.handler.handler`) without the rest of the `tap` package;
- `tap/functions/api/` files matching SOURCE_PATTERNS: the code, the migrations, the RDS CA
  bundle;
- the PostgreSQL driver (DRIVER) and every distribution it needs, at the versions uv.lock pins,
  each as its wheel installed it (the files its RECORD lists, checked against RECORD's hashes),
  with its metadata and licences (scramp reads its own version from its metadata at import).

Reproducible: entries sorted by name, timestamps fixed at 1980-01-01, mode 0644, no directory
entries, stored rather than deflated (zlib and zlib-ng deflate the same input to different
bytes, so a compressed zip would differ between machines). Every bundled distribution must be a
pure-Python wheel (`py3-none-any`), so the zip is the same for arm64 and x86_64 and can be built
on any machine; its Requires-Python must admit the function's runtime.

Offline: the driver's files come from the project's environment, which `uv sync` builds from
uv.lock; the versions are checked against uv.lock and nothing is downloaded. `tap plan` and CI
build the zip the same way.

The container image (`tap/functions/api/Dockerfile`) installs the same distributions from
`tap/functions/api/requirements.txt`, generated from uv.lock by `requirements_txt()` (pinned,
with the wheels' hashes) and kept current by a test.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Final

PROJECT_DIR: Final = Path(__file__).resolve().parent.parent
UV_LOCK: Final = PROJECT_DIR / "uv.lock"
BUILD_DIR: Final = PROJECT_DIR / ".build" / "lambda"

API_SOURCE_DIR: Final = Path(__file__).resolve().parent / "functions" / "api"
PACKAGE_PATH: Final = "tap/functions/api"
# Empty modules that make PACKAGE_PATH importable without the rest of `tap`.
PACKAGE_STUBS: Final = ("tap/__init__.py", "tap/functions/__init__.py")
SOURCE_PATTERNS: Final = ("*.py", "migrations/*.sql", "certs/*.pem")
HANDLER_FILE: Final = "handler.py"
# Lambda handler strings: the API, and the migration function (the same zip).
API_HANDLER: Final = "tap.functions.api.handler.handler"
MIGRATION_HANDLER: Final = "tap.functions.api.migrate.handler"
REQUIREMENTS_FILE: Final = API_SOURCE_DIR / "requirements.txt"

DRIVER: Final = "pg8000"
# Installer bookkeeping, not part of a wheel's content: it differs between installers.
_INSTALLER_FILES: Final = frozenset(
    {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json", "uv_cache.json"}
)
_PURE_TAG: Final = "py3-none-any"
ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
FILE_MODE: Final = 0o100644  # a regular file, rw-r--r--
# A bound on the zip, far below Lambda's 50 MB for a direct upload: a jump means something
# unintended was bundled.
MAX_ZIP_BYTES: Final = 4 * 1024 * 1024


class PackagingError(ValueError):
    """The zip cannot be built as locked; the message says what to run."""


@dataclass(frozen=True)
class LockedDistribution:
    name: str
    version: str
    wheel_url: str
    wheel_sha256: str
    dependencies: tuple[str, ...]


# --- uv.lock -----------------------------------------------------------------------------------


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked_packages(lock_text: str) -> dict[str, dict[str, object]]:
    """uv.lock's [[package]] tables by normalised name, parsed lazily: TOML-parsing the whole
    lock costs about 50 ms, and the plan only needs the driver's few entries."""
    blocks: dict[str, str] = {}
    for block in lock_text.split("\n[[package]]\n")[1:]:
        found = re.match(r'name = "([^"]+)"', block)
        if found:
            blocks[_normalize(found.group(1))] = block
    return {name: {"text": text} for name, text in blocks.items()}


def locked_distributions(
    lock_path: Path = UV_LOCK, root: str = DRIVER
) -> tuple[LockedDistribution, ...]:
    """`root` and everything it depends on, as uv.lock pins them, sorted by name."""
    if not lock_path.is_file():
        raise PackagingError(f"{lock_path} is missing: run `scripts/uv lock`")
    packages = _locked_packages(lock_path.read_text(encoding="utf-8"))
    found: dict[str, LockedDistribution] = {}
    pending = [_normalize(root)]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        if name not in packages:
            raise PackagingError(f"{name} is not in {lock_path.name}: run `scripts/uv lock`")
        table = tomllib.loads("[[package]]\n" + str(packages[name]["text"]))["package"][0]
        dependencies = tuple(_normalize(d["name"]) for d in table.get("dependencies", []))
        if any("marker" in d for d in table.get("dependencies", [])):
            raise PackagingError(
                f"{name} has platform-dependent dependencies in {lock_path.name}; the zip "
                "bundles only unconditional ones"
            )
        wheels = [w for w in table.get("wheels", []) if _pure(Path(w["url"]).name)]
        if len(wheels) != 1:
            raise PackagingError(
                f"{name} {table['version']} has no pure-Python wheel in {lock_path.name}; the "
                "zip bundles only py3-none-any wheels, which run on arm64 and x86_64 alike"
            )
        algorithm, _, digest = wheels[0]["hash"].partition(":")
        if algorithm != "sha256":
            raise PackagingError(f"{name}'s wheel hash in {lock_path.name} is not sha256")
        found[name] = LockedDistribution(
            name=name,
            version=table["version"],
            wheel_url=wheels[0]["url"],
            wheel_sha256=digest,
            dependencies=dependencies,
        )
        pending.extend(dependencies)
    return tuple(sorted(found.values(), key=lambda d: d.name))


def _pure(wheel_file: str) -> bool:
    # name-version(-build)?-python-abi-platform.whl; python may be a dotted set (py2.py3).
    parts = wheel_file.removesuffix(".whl").split("-")
    return len(parts) >= 5 and "py3" in parts[-3].split(".") and parts[-2:] == ["none", "any"]


def requirements_txt(lock_path: Path = UV_LOCK) -> str:
    """pip's requirements for the container image: the bundled distributions, pinned, hashed."""
    lines = [
        "# Generated from uv.lock by tap.packaging.requirements_txt(); do not edit.",
        "# The PostgreSQL driver bundled into the API function, for its container image.",
    ]
    for dist in locked_distributions(lock_path):
        lines.append(f"{dist.name}=={dist.version} --hash=sha256:{dist.wheel_sha256}")
    return "\n".join(lines) + "\n"


# --- the environment's copy of each distribution -----------------------------------------------


_CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)(\.\*)?\s*")


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def python_admits(requires: str, python: str) -> bool:
    """Whether a Requires-Python specifier (PEP 440 clauses, comma-separated) admits `python`
    (e.g. "3.12"). Covers the forms wheels use; `packaging.specifiers` would cost the plan
    about 100 ms of regex compilation."""
    version = _release(python)
    for clause in requires.split(","):
        found = _CLAUSE.fullmatch(clause)
        if found is None:
            raise PackagingError(f"cannot read the Requires-Python clause {clause.strip()!r}")
        operator, bound, wildcard = found.group(1), _release(found.group(2)), found.group(3)
        padded = version + (0,) * max(0, len(bound) - len(version))
        if wildcard:
            matches = padded[: len(bound)] == bound
            if (operator == "==") != matches or operator not in ("==", "!="):
                return False
            continue
        bound_padded = bound + (0,) * max(0, len(padded) - len(bound))
        admitted = {
            "==": padded == bound_padded,
            "!=": padded != bound_padded,
            ">=": padded >= bound_padded,
            ">": padded > bound_padded,
            "<=": padded <= bound_padded,
            "<": padded < bound_padded,
            "~=": padded >= bound_padded and padded[: len(bound) - 1] == bound[:-1],
        }[operator]
        if not admitted:
            return False
    return True


def _record_digest(content: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def distribution_files(dist: LockedDistribution, runtime: str) -> list[tuple[str, bytes]]:
    """The files `dist` installed, as zip entries, checked against its RECORD and uv.lock."""
    try:
        installed = metadata.distribution(dist.name)
    except metadata.PackageNotFoundError:
        raise PackagingError(
            f"{dist.name} is not installed in this environment: run `scripts/uv sync`"
        ) from None
    if installed.version != dist.version:
        raise PackagingError(
            f"{dist.name} {installed.version} is installed but uv.lock pins {dist.version}: "
            "run `scripts/uv sync`"
        )
    wheel_meta = installed.read_text("WHEEL") or ""
    tags = {
        line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")
    }
    if _PURE_TAG not in tags:
        raise PackagingError(f"{dist.name} is not a pure-Python wheel (tags: {sorted(tags)})")
    requires = installed.metadata["Requires-Python"]
    python = runtime.removeprefix("python")
    if requires and not python_admits(requires, python):
        raise PackagingError(f"{dist.name} {dist.version} requires Python {requires}, not {python}")
    entries = []
    for file in installed.files or []:
        relative = file.as_posix()
        parts = relative.split("/")
        if parts[0] == ".." or "__pycache__" in parts or relative.endswith(".pyc"):
            continue
        if parts[0].endswith(".dist-info") and parts[-1] in _INSTALLER_FILES:
            continue
        content = Path(str(file.locate())).read_bytes()
        if file.hash is None or file.hash.mode != "sha256":
            raise PackagingError(f"{relative} of {dist.name} has no sha256 in its RECORD")
        if _record_digest(content) != file.hash.value:
            raise PackagingError(
                f"{relative} of {dist.name} differs from what its wheel installed: run "
                f"`scripts/uv sync --reinstall-package {dist.name}`"
            )
        entries.append((relative, content))
    return entries


# --- the zip -----------------------------------------------------------------------------------


def source_files(source_dir: Path) -> list[Path]:
    """The files of `source_dir` that ship, relative to it, sorted (POSIX order).

    A Python file outside SOURCE_PATTERNS (a new subpackage, say) is an error rather than
    silently left out: the patterns, and the Dockerfile's COPY lines, must name it first.
    """
    files = {
        path.relative_to(source_dir)
        for pattern in SOURCE_PATTERNS
        for path in source_dir.glob(pattern)
        if path.is_file()
    }
    for path in source_dir.rglob("*.py"):
        relative = path.relative_to(source_dir)
        if "__pycache__" not in relative.parts and relative not in files:
            raise PackagingError(
                f"{relative.as_posix()} in {source_dir} would not ship: add its directory to "
                "tap.packaging.SOURCE_PATTERNS and to the COPY lines of the Dockerfile"
            )
    return sorted(files, key=lambda p: p.as_posix())


def zip_entries(
    source_dir: Path, runtime: str, lock_path: Path = UV_LOCK
) -> list[tuple[str, bytes]]:
    """Every (name, content) of the zip, sorted by name."""
    if not source_dir.is_dir():
        raise PackagingError(f"function source_dir {source_dir} is not a directory")
    files = source_files(source_dir)
    if Path(HANDLER_FILE) not in files:
        raise PackagingError(
            f"function source_dir {source_dir} has no {HANDLER_FILE} (the handler is {API_HANDLER})"
        )
    entries: dict[str, bytes] = dict.fromkeys(PACKAGE_STUBS, b"")
    for relative in files:
        entries[f"{PACKAGE_PATH}/{relative.as_posix()}"] = (source_dir / relative).read_bytes()
    for dist in locked_distributions(lock_path):
        for name, content in distribution_files(dist, runtime):
            if name in entries:
                raise PackagingError(f"{name} is shipped twice ({dist.name} and another)")
            entries[name] = content
    return sorted(entries.items())


def build_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip of `entries` whose bytes depend on nothing but their names and contents."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # Unix, so external_attr holds the mode on every OS
            info.external_attr = FILE_MODE << 16
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, content)
    return buffer.getvalue()


@cache
def function_zip(
    source_dir: Path = API_SOURCE_DIR,
    runtime: str = "python3.12",
    architecture: str = "arm64",
    out_dir: Path = BUILD_DIR,
) -> Path:
    """Build the zip into `out_dir`, named by its content's hash, and return its path.

    The bytes do not depend on `architecture` (only pure-Python wheels are bundled); it is a
    parameter so a caller states what it deploys to. The name carries the hash, so a plan shows
    a code change as a new path, and concurrent builds never write over a zip another reads.
    """
    content = build_zip(zip_entries(source_dir, runtime))
    if len(content) > MAX_ZIP_BYTES:
        raise PackagingError(
            f"the {architecture} zip is {len(content)} bytes, over the {MAX_ZIP_BYTES} bound"
        )
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = out_dir / f"{source_dir.name}-{digest}.zip"
    if not path.is_file():
        out_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_bytes(content)
        partial.replace(path)  # atomic: a reader sees no zip or the whole zip
    return path


def main() -> int:
    """`python -m tap.packaging`: build the API zip and print its path; or
    `python -m tap.packaging requirements` to rewrite tap/functions/api/requirements.txt."""
    import sys  # noqa: PLC0415

    if sys.argv[1:] == ["requirements"]:
        REQUIREMENTS_FILE.write_text(requirements_txt())
        print(f"updated {REQUIREMENTS_FILE.relative_to(PROJECT_DIR)}")
        return 0
    try:
        print(function_zip())
    except PackagingError as error:
        print(f"tap.packaging: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
