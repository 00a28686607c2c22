"""The delivery scripts live in .github/scripts and run as plain files: import them so."""

from __future__ import annotations

import sys

from tests.conftest import PROJECT_DIR

SCRIPTS = PROJECT_DIR / ".github" / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
