"""What the config tests share."""

from __future__ import annotations

from typing import Any

import pytest

from tap.config import ConfigError, parse


def refuse(raw: dict[str, Any], stack: str = "dev") -> str:
    """The one message `parse` refuses `raw` with."""
    with pytest.raises(ConfigError) as caught:
        parse(raw, stack)
    return str(caught.value)
