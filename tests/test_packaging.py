"""The function zip: contents, size, byte-identical rebuilds, the locked driver, and the zip
alone (nothing else on sys.path) serving requests from the real PostgreSQL server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tap import packaging
from tap.packaging import (
    API_SOURCE_DIR,
    MAX_ZIP_BYTES,
    PACKAGE_PATH,
    PACKAGE_STUBS,
    LockedDistribution,
    PackagingError,
    build_zip,
    distribution_files,
    function_zip,
    locked_distributions,
    python_admits,
    requirements_txt,
    zip_entries,
)
from tests.conftest import PROJECT_DIR
from tests.postgres import PostgresServer

RUNTIME = "python3.12"


@pytest.fixture(scope="module")
def built() -> Path:
    return function_zip(API_SOURCE_DIR, RUNTIME, "arm64")


def names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


# --- the locked driver -------------------------------------------------------------------------


def test_the_driver_and_its_dependencies_as_uv_lock_pins_them() -> None:
    lock = tomllib.loads((PROJECT_DIR / "uv.lock").read_text())
    versions = {p["name"]: p["version"] for p in lock["package"]}
    locked = locked_distributions()
    assert [d.name for d in locked] == ["asn1crypto", "pg8000", "python-dateutil", "scramp", "six"]
    for dist in locked:
        assert dist.version == versions[dist.name]
        assert dist.wheel_url.endswith("-none-any.whl")
        assert len(dist.wheel_sha256) == 64
    pg8000 = next(d for d in locked if d.name == "pg8000")
    assert set(pg8000.dependencies) == {"python-dateutil", "scramp"}


def test_a_driver_missing_from_the_lock_is_an_error(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text('version = 1\n\n[[package]]\nname = "other"\nversion = "1.0"\n')
    with pytest.raises(PackagingError) as error:
        locked_distributions(lock)
    assert str(error.value) == "pg8000 is not in uv.lock: run `scripts/uv lock`"
    with pytest.raises(PackagingError) as error:
        locked_distributions(tmp_path / "missing.lock")
    assert "is missing: run `scripts/uv lock`" in str(error.value)


def test_a_driver_without_a_pure_wheel_is_an_error(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(
        'version = 1\n\n[[package]]\nname = "pg8000"\nversion = "9.9"\n'
        'wheels = [{ url = "https://files.example/pg8000-9.9-cp312-cp312-manylinux_2_17_aarch64.whl",'
        ' hash = "sha256:00" }]\n'
    )
    with pytest.raises(PackagingError) as error:
        locked_distributions(lock)
    assert "pg8000 9.9 has no pure-Python wheel in uv.lock" in str(error.value)


def test_requirements_txt_is_generated_from_the_lock() -> None:
    assert packaging.REQUIREMENTS_FILE.read_text() == requirements_txt(), (
        "tap/functions/api/requirements.txt is stale: run "
        "`scripts/uv run python -m tap.packaging requirements`"
    )
    pins = [line for line in requirements_txt().splitlines() if not line.startswith("#")]
    assert pins == [
        f"{d.name}=={d.version} --hash=sha256:{d.wheel_sha256}" for d in locked_distributions()
    ]


@pytest.mark.parametrize(
    ("requires", "python", "admitted"),
    [
        (">=3.9", "3.12", True),
        (">=3.13", "3.12", False),
        (">=3.11", "3.11", True),
        ("!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", "3.12", True),
        (">=2.7, !=3.0.*, !=3.1.*", "3.1", False),
        ("<3.12", "3.12", False),
        ("==3.12.*", "3.12", True),
        ("~=3.10", "3.13", True),
        ("~=3.10.1", "3.11", False),
        (">3.12", "3.12", False),
    ],
)
def test_requires_python(requires: str, python: str, admitted: bool) -> None:
    assert python_admits(requires, python) is admitted


def test_an_unreadable_requires_python_is_an_error() -> None:
    with pytest.raises(PackagingError):
        python_admits(">=3.x", "3.12")


def _fake_distribution(site: Path, *, tag: str = "py3-none-any", requires: str = ">=3.9") -> None:
    package = site / "fakepkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 1\n")
    info = site / "fakepkg-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\nRequires-Python: {requires}\n"
    )
    (info / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n")
    record = [
        f"{path.relative_to(site).as_posix()},"
        f"sha256={packaging._record_digest(path.read_bytes())},{path.stat().st_size}"
        for path in (package / "__init__.py", info / "METADATA", info / "WHEEL")
    ]
    record.append("fakepkg-1.0.dist-info/RECORD,,")
    (info / "RECORD").write_text("\n".join(record) + "\n")


FAKE = LockedDistribution("fakepkg", "1.0", "https://files.example/fakepkg.whl", "0" * 64, ())


def test_a_file_changed_after_installation_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_distribution(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    entries = dict(distribution_files(FAKE, RUNTIME))
    assert entries["fakepkg/__init__.py"] == b"VALUE = 1\n"
    assert "fakepkg-1.0.dist-info/RECORD" not in entries
    (tmp_path / "fakepkg" / "__init__.py").write_text("VALUE = 2\n")
    with pytest.raises(PackagingError) as error:
        distribution_files(FAKE, RUNTIME)
    assert str(error.value) == (
        "fakepkg/__init__.py of fakepkg differs from what its wheel installed: run "
        "`scripts/uv sync --reinstall-package fakepkg`"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tag": "cp312-cp312-manylinux_2_17_x86_64"}, "fakepkg is not a pure-Python wheel"),
        ({"requires": ">=3.13"}, "fakepkg 1.0 requires Python >=3.13, not 3.12"),
    ],
)
def test_a_distribution_that_cannot_run_everywhere_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kwargs: dict[str, str], message: str
) -> None:
    _fake_distribution(tmp_path, **kwargs)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PackagingError) as error:
        distribution_files(FAKE, RUNTIME)
    assert str(error.value).startswith(message)


def test_a_version_other_than_the_locked_one_is_refused() -> None:
    (pg8000,) = [d for d in locked_distributions() if d.name == "pg8000"]
    stale = LockedDistribution("pg8000", "0.1", pg8000.wheel_url, pg8000.wheel_sha256, ())
    with pytest.raises(PackagingError) as error:
        distribution_files(stale, RUNTIME)
    assert f"pg8000 {pg8000.version} is installed but uv.lock pins 0.1" in str(error.value)


# --- the zip -----------------------------------------------------------------------------------


def test_the_zip_holds_the_sources_the_stubs_and_the_locked_driver(built: Path) -> None:
    listed = names(built)
    assert listed == sorted(listed)
    sources = sorted(
        n.removeprefix(f"{PACKAGE_PATH}/") for n in listed if n.startswith(PACKAGE_PATH)
    )
    assert sources == [
        "__init__.py",
        "certs/rds-global-bundle.pem",
        "contract.py",
        "db.py",
        "handler.py",
        "jsonlog.py",
        "migrate.py",
        *sorted(f"migrations/{p.name}" for p in (API_SOURCE_DIR / "migrations").glob("*.sql")),
        "rotate.py",
    ]
    for stub in PACKAGE_STUBS:
        assert stub in listed
    for dist in locked_distributions():
        info = f"{dist.name.replace('-', '_')}-{dist.version}.dist-info/METADATA"
        assert info in listed, info
    assert "pg8000/native.py" in listed and "scramp/core.py" in listed and "six.py" in listed
    for name in listed:
        parts = name.split("/")
        assert "__pycache__" not in parts and not name.endswith((".pyc", "/"))
        assert parts[-1] not in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
        assert not name.startswith(("boto3/", "botocore/", "tests/"))
    assert "Dockerfile" not in " ".join(listed) and "requirements.txt" not in " ".join(listed)


def test_the_zip_carries_the_repos_files_unchanged(built: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        for relative in ("handler.py", "db.py", "certs/rds-global-bundle.pem"):
            assert (
                archive.read(f"{PACKAGE_PATH}/{relative}")
                == (API_SOURCE_DIR / relative).read_bytes()
            )
        for stub in PACKAGE_STUBS:
            assert archive.read(stub) == b""


def test_every_entry_is_normalised(built: Path) -> None:
    with zipfile.ZipFile(built) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.create_system == 3
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.extra == b"" and info.comment == b""


def test_the_zip_stays_small(built: Path) -> None:
    size = built.stat().st_size
    assert 500_000 < size < MAX_ZIP_BYTES


def test_a_rebuild_is_byte_identical_wherever_the_sources_are(tmp_path: Path) -> None:
    first = build_zip(zip_entries(API_SOURCE_DIR, RUNTIME))
    assert build_zip(zip_entries(API_SOURCE_DIR, RUNTIME)) == first
    # A second checkout: other directory, other timestamps, files created in another order.
    copy = tmp_path / "api"
    copy.mkdir()
    for path in sorted(API_SOURCE_DIR.rglob("*"), reverse=True):
        target = copy / path.relative_to(API_SOURCE_DIR)
        if path.is_file() and "__pycache__" not in path.parts:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            os.utime(target, (0, 0))
    os.chmod(copy / "handler.py", 0o755)
    assert build_zip(zip_entries(copy, RUNTIME)) == first


def test_the_zip_is_named_by_its_content(built: Path, tmp_path: Path) -> None:
    assert built.parent == packaging.BUILD_DIR
    again = function_zip.__wrapped__(API_SOURCE_DIR, RUNTIME, "x86_64", tmp_path)
    assert again.name == built.name  # the same bytes for both architectures
    assert again.read_bytes() == built.read_bytes()
    assert list(tmp_path.iterdir()) == [again]  # no partial file left behind


def test_a_source_outside_the_patterns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "handler.py").write_text("")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "helpers.py").write_text("")
    with pytest.raises(PackagingError) as error:
        zip_entries(tmp_path, RUNTIME)
    assert "lib/helpers.py" in str(error.value)
    assert "SOURCE_PATTERNS and to the COPY lines of the Dockerfile" in str(error.value)


def test_a_source_dir_needs_a_handler(tmp_path: Path) -> None:
    (tmp_path / "other.py").write_text("")
    with pytest.raises(PackagingError) as error:
        zip_entries(tmp_path, RUNTIME)
    assert str(error.value) == (
        f"function source_dir {tmp_path} has no handler.py "
        "(the handler is tap.functions.api.handler.handler)"
    )


# --- the zip alone -----------------------------------------------------------------------------

ZIP_ONLY = """
import json, sys
sys.path[:0] = [sys.argv[1]]
import pg8000, scramp
import tap.functions.api.handler as api
assert pg8000.__file__.startswith(sys.argv[1]), pg8000.__file__
assert api.__file__.startswith(sys.argv[1]), api.__file__
assert "boto3" not in sys.modules
event = {"httpMethod": "POST", "path": "/records", "resource": "/records",
         "body": json.dumps({"type": "zip", "payload": {"ok": True}}), "isBase64Encoded": False}
created = api.handler(event, None)
record_id = json.loads(created["body"])["id"]
got = api.handler({"httpMethod": "GET", "path": "/records/" + record_id,
                   "resource": "/records/{id}", "pathParameters": {"id": record_id}}, None)
health = api.handler({"httpMethod": "GET", "path": "/health", "resource": "/health"}, None)
print(json.dumps([created["statusCode"], json.loads(got["body"]), health["statusCode"],
                  scramp.__version__]))
"""


def test_the_zip_alone_serves_requests(
    built: Path, tmp_path: Path, postgres: PostgresServer, app_database: str
) -> None:
    extracted = tmp_path / "task"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(extracted)
    # -I: no PYTHONPATH, user site or working directory; -S: no site-packages. Only the stdlib
    # and the extracted zip, as in Lambda's /var/task (where boto3 would also be present).
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", ZIP_ONLY, str(extracted)],
        capture_output=True,
        text=True,
        check=False,
        env={"TAP_DB_DSN": postgres.app_dsn(app_database), "TAP_LOG_LEVEL": "ERROR"},
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    status, record, health, scramp_version = json.loads(completed.stdout.splitlines()[-1])
    assert status == 201
    assert record["type"] == "zip" and record["payload"] == {"ok": True}
    assert health == 200
    assert scramp_version == next(d.version for d in locked_distributions() if d.name == "scramp")
