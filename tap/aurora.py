"""What AWS allows for Aurora PostgreSQL (pure), shared by config validation and the component.

One place, so `tap:database` validation and AuroraPostgres's own checks cannot drift apart.
"""

from __future__ import annotations

import re

ENGINE = "aurora-postgresql"
SUPPORTED_MAJORS = (13, 14, 15, 16, 17)
LOG_STATEMENTS = ("none", "ddl", "mod", "all")
# Enhanced monitoring intervals in seconds; 0 turns it off.
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
# Serverless v2 may scale to 0 ACUs (auto-pause) from this minor of each major version on.
SCALE_TO_ZERO_SINCE = {13: 15, 14: 12, 15: 7, 16: 3, 17: 4}
RESERVED_USERNAMES = frozenset({"postgres", "rdsadmin", "admin", "root", "master"})
# Master usernames and database names: a letter, then letters, digits or underscores.
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)$")


def parse_engine_version(engine_version: str) -> tuple[int, int]:
    match = VERSION_PATTERN.match(engine_version)
    if not match:
        raise ValueError(f"engine_version must be MAJOR.MINOR like '16.6', got {engine_version!r}")
    return int(match.group(1)), int(match.group(2))


def supports_scale_to_zero(engine_version: str) -> bool:
    major, minor = parse_engine_version(engine_version)
    return major in SCALE_TO_ZERO_SINCE and minor >= SCALE_TO_ZERO_SINCE[major]


def scale_to_zero_versions() -> str:
    """'13.15, 14.12, ...' for messages."""
    return ", ".join(f"{major}.{minor}" for major, minor in SCALE_TO_ZERO_SINCE.items())
