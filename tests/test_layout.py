"""The layout stays readable: no module in tap/ outgrows one sitting (issue 14)."""

from __future__ import annotations

from tests.conftest import PROJECT_DIR

MAX_MODULE_LINES = 900


def test_no_module_in_tap_is_over_900_lines() -> None:
    too_long = {
        str(path.relative_to(PROJECT_DIR)): lines
        for path in sorted((PROJECT_DIR / "tap").rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"split these by concern (at most {MAX_MODULE_LINES} lines): {too_long}"
