"""Physical and logical names, and common tags (pure).

Every name carries the project, the environment suffix and a short region code, so the same
program can run once per environment and per region without URN or physical-name clashes:
`tap-prod-use1-vpc`. Region-global things use the code `gbl`.
"""

from __future__ import annotations

from dataclasses import dataclass

PROJECT = "tap"
GLOBAL_CODE = "gbl"

REGION_CODES: dict[str, str] = {
    "us-east-1": "use1",
    "us-west-2": "usw2",
    "eu-central-1": "euc1",
}


def region_code(region: str) -> str:
    try:
        return REGION_CODES[region]
    except KeyError:
        raise ValueError(
            f"no region code for {region!r}; known: {', '.join(REGION_CODES)}"
        ) from None


@dataclass(frozen=True)
class Namer:
    """Builds names for one environment suffix in one region (or globally)."""

    suffix: str
    region: str | None = None

    @property
    def code(self) -> str:
        return region_code(self.region) if self.region else GLOBAL_CODE

    @property
    def prefix(self) -> str:
        return f"{PROJECT}-{self.suffix}-{self.code}"

    def name(self, *parts: str | int) -> str:
        """`Namer("prod", "us-east-1").name("subnet", 0)` -> `tap-prod-use1-subnet-0`."""
        return "-".join([self.prefix, *(str(p) for p in parts)])

    def for_region(self, region: str) -> Namer:
        return Namer(self.suffix, region)


def common_tags(
    *, environment: str, suffix: str, region: str | None, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Tags every taggable resource carries (Name is added per resource by `tags_for`)."""
    tags = dict(extra or {})
    tags.update(
        {
            "Project": PROJECT,
            "Environment": environment,
            "EnvironmentSuffix": suffix,
            "ManagedBy": "pulumi",
            "Region": region or "global",
        }
    )
    return tags


def tags_for(common: dict[str, str], name: str) -> dict[str, str]:
    return {**common, "Name": name}


@dataclass(frozen=True)
class Labels:
    """Names and tags for one environment in one region: what every component needs."""

    namer: Namer
    common_tags: dict[str, str]

    @property
    def region(self) -> str | None:
        return self.namer.region

    def name(self, *parts: str | int) -> str:
        return self.namer.name(*parts)

    def tags(self, name: str) -> dict[str, str]:
        return tags_for(self.common_tags, name)
