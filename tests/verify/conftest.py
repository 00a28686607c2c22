"""A project directory with the `unit` stack file, for the tests of `tap verify`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.verify.canned import STACK, STACK_FILE


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / f"Pulumi.{STACK}.yaml").write_text(STACK_FILE)
    return tmp_path
