"""Aurora PostgreSQL engine versions (pure): what a configured version means, and what AWS offers.

`tap:database.engineVersion` names a major version (`"17"`) or a minimum (`"16.8"`: major 16,
minor 8 or later). The version a cluster is created with is resolved at deploy by the
provider (`aws.rds.get_engine_version`, the newest release AWS offers in that major); the
offline plan resolves it from AWS's published data (tap.awsdata) the same way. Config
validation, the database component and the plan's mock of that invoke all read this module,
so they agree on what a version means.

It also names what RDS fixes for an Aurora PostgreSQL cluster: the logs it exports and the log
groups it writes them to (the component creates those groups, `tap verify` checks them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tap import awsdata
from tap.limits import (
    AURORA_NAME_MAX_LENGTH,
    AURORA_SCALE_TO_ZERO_SINCE,
    AURORA_SERVERLESS_V2_SINCE,
)

ENGINE = awsdata.AURORA_POSTGRESQL
# The logs every cluster exports to CloudWatch Logs (RDS.37).
LOG_EXPORTS = ("postgresql",)
LOG_STATEMENTS = ("none", "ddl", "mod", "all")
# Master usernames and database names: a letter, then letters, digits or underscores (ASCII).
NAME_PATTERN = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{AURORA_NAME_MAX_LENGTH - 1}}}")
_RELEASE = re.compile(r"[0-9]+\.[0-9]+")
_REQUEST = re.compile(r"(?P<major>[0-9]{1,3})(?:\.(?P<minor>[0-9]{1,3}))?")


def exported_log_group_name(cluster_identifier: str, log_type: str) -> str:
    """The group RDS writes an exported log to: `/aws/rds/cluster/<cluster id>/<log type>`.

    RDS creates it on first export, without a key and kept forever, unless it already exists;
    with `log_statement=ddl` it can hold `ALTER ROLE ... PASSWORD`. So tap creates it first.
    """
    return f"/aws/rds/cluster/{cluster_identifier}/{log_type}"


@dataclass(frozen=True)
class EngineVersionRequest:
    """A configured engine version: a major, and optionally the oldest minor it accepts."""

    major: int
    minimum_minor: int | None = None

    @classmethod
    def parse(cls, text: str) -> EngineVersionRequest:
        match = _REQUEST.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not <major> or <major>.<minor>")
        minor = match.group("minor")
        return cls(int(match.group("major")), None if minor is None else int(minor))

    def __str__(self) -> str:
        return (
            str(self.major) if self.minimum_minor is None else f"{self.major}.{self.minimum_minor}"
        )

    @property
    def family(self) -> str:
        """The parameter group family: major 16 -> `aurora-postgresql16`."""
        return f"{ENGINE}{self.major}"

    def admits(self, version: str) -> bool:
        """Whether a release (`16.9`) is in this major and not older than the minimum."""
        major, minor = release(version)
        return major == self.major and minor >= (self.minimum_minor or 0)


def release(version: str) -> tuple[int, int]:
    """`'16.10'` -> (16, 10)."""
    major, _, minor = version.partition(".")
    return int(major), int(minor)


def offered_versions() -> tuple[str, ...]:
    """Releases AWS offers for new clusters, oldest first (AWS's data, see tap.awsdata)."""
    return awsdata.aurora_postgresql_versions()


def offered_majors() -> tuple[int, ...]:
    return awsdata.aurora_postgresql_majors()


def known_releases() -> frozenset[str]:
    """Every numbered release AWS's data names, offered or no longer offered."""
    retired = {v for v in awsdata.deprecated_aurora_postgresql_versions() if _RELEASE.fullmatch(v)}
    return frozenset(offered_versions()) | retired


def newest_offered(request: EngineVersionRequest) -> str | None:
    """What the deploy resolves `request` to: the newest offered release it admits.

    `aws.rds.get_engine_version(version=<major>, latest=True)` returns the newest release AWS
    offers in the major at deploy time, which is at least this one (AWS adds releases; it
    retires old ones).
    """
    admitted = [v for v in offered_versions() if request.admits(v)]
    return admitted[-1] if admitted else None


def _supported_since(table: dict[int, int], version: str) -> bool:
    major, minor = release(version)
    if major in table:
        return minor >= table[major]
    # Majors newer than the table have the feature from their first release.
    return major > max(table)


def supports_serverless_v2(version: str) -> bool:
    return _supported_since(AURORA_SERVERLESS_V2_SINCE, version)


def supports_scale_to_zero(version: str) -> bool:
    return _supported_since(AURORA_SCALE_TO_ZERO_SINCE, version)


def since_text(table: dict[int, int]) -> str:
    """'13.15, 14.12, ...' for messages and docs."""
    return ", ".join(f"{major}.{minor}" for major, minor in table.items())


def find_release(engine: str, version: str, latest: bool) -> str:
    """What `aws.rds.get_engine_version(engine=..., version=..., latest=...)` returns, from
    AWS's data: the offered release `version` names, or with `latest` the newest one it
    prefixes. Raises LookupError with the provider's complaint otherwise."""
    if engine != ENGINE:
        raise LookupError(f"the offline plan knows engine versions of {ENGINE} only, not {engine}")
    matches = [v for v in offered_versions() if v == version or v.startswith(f"{version}.")]
    if matches and (latest or len(matches) == 1):
        return matches[-1]
    problem = "no RDS engine versions" if not matches else "multiple RDS engine versions"
    raise LookupError(
        f"{problem} of {ENGINE} match {version!r}; offered: {', '.join(offered_versions())} "
        f"({awsdata.source()})"
    )
