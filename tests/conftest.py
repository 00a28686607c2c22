"""Shared fixtures. The mock engine is global state, so every helper here resets it first."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws
import pytest

from tap.config import StackConfig
from tap.naming import Labels, Namer, common_tags
from tap.plan import (
    PlanMocks,
    PlanResult,
    build_manifest,
    load_stack_file,
    run_plan,
    run_under_mocks,
)

# The real PostgreSQL server and its database fixtures (postgres, app_database, fresh_database).
pytest_plugins = ("tests.postgres",)

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACKS = tuple(
    sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for p in PROJECT_DIR.glob("Pulumi.*.yaml")
    )
)


@dataclass(frozen=True)
class Planned:
    """A plan manifest with the lookups the invariant tests need."""

    stack: str
    config: StackConfig
    manifest: dict[str, Any]
    warnings: tuple[str, ...]

    @property
    def resources(self) -> list[dict[str, Any]]:
        return list(self.manifest["resources"])

    def of_type(self, type_token: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_token]

    def by_urn(self) -> dict[str, dict[str, Any]]:
        return {r["urn"]: r for r in self.resources}

    def named(self, name: str) -> dict[str, Any]:
        matches = [r for r in self.resources if r["name"] == name]
        assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
        return matches[0]

    def cloud_resources(self) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["custom"] and r["type"].startswith("aws:")]


# The shipped prod stack with the global entry point on. No shipped stack sets tap:dns (a hosted
# zone belongs to an account), so the tests add it to prod's real stack file.
DNS_STACK = "prod+dns"
DNS_ZONE_ID = "Z0TAPTESTZONE0DNS"
DNS_DOMAIN = "api.tap.example.com"
DNS_STACK_CONFIG = f"""  tap:dns:
    zoneId: {DNS_ZONE_ID}
    domainName: {DNS_DOMAIN}
"""


def write_dns_project(directory: Path) -> Path:
    """A project whose prod stack is the shipped Pulumi.prod.yaml plus tap:dns."""
    shipped = (PROJECT_DIR / "Pulumi.prod.yaml").read_text()
    # Appending stays inside the `config:` map only while it is the file's last top-level key.
    top_level = [line for line in shipped.splitlines() if line and not line[0].isspace()]
    assert top_level[-1] == "config:", top_level
    (directory / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (directory / "Pulumi.prod.yaml").write_text(shipped.rstrip("\n") + "\n" + DNS_STACK_CONFIG)
    return directory


@pytest.fixture(scope="session")
def plans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Planned]:
    """Each shipped stack's whole program, run once per session on its real Pulumi.<env>.yaml,
    and prod once more with tap:dns (DNS_STACK)."""
    planned = {}
    for stack in STACKS:
        result: PlanResult = run_plan(stack, PROJECT_DIR)
        config = load_stack_file(PROJECT_DIR, stack).parse().config
        planned[stack] = Planned(stack, config, result.manifest, result.warnings)
    dns_project = write_dns_project(tmp_path_factory.mktemp("dns-project"))
    result = run_plan("prod", dns_project)
    config = load_stack_file(dns_project, "prod").parse().config
    planned[DNS_STACK] = Planned("prod", config, result.manifest, result.warnings)
    return planned


@pytest.fixture(params=(*STACKS, DNS_STACK))
def planned(request: pytest.FixtureRequest, plans: dict[str, Planned]) -> Planned:
    return plans[request.param]


def plan_program(
    program: Callable[[], None], stack: str = "test", mocks: PlanMocks | None = None
) -> dict[str, Any]:
    """Run a small program (one component, say) under the plan's mocks; return its manifest."""
    mocks = mocks or PlanMocks("us-east-1")
    recording, outputs = run_under_mocks(program, stack=stack, mocks=mocks)
    assert not recording.duplicate_urns, recording.duplicate_urns
    return build_manifest(stack, recording.registrations, outputs)


def labels_for(region: str | None = "us-east-1", suffix: str = "test") -> Labels:
    return Labels(
        Namer(suffix, region),
        common_tags(environment="dev", suffix=suffix, region=region, extra={"Owner": "tests"}),
    )


class _CountingMocks(PlanMocks):
    def __init__(self) -> None:
        super().__init__("us-east-1")
        self.registered: list[str] = []

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        self.registered.append(args.typ)
        return super().new_resource(args)


def refused_before_registering(
    program: Callable[[], None], stack: str = "test"
) -> tuple[BaseException, list[str]]:
    """Run a program that must fail; return its error and the types it registered first."""
    mocks = _CountingMocks()
    with pytest.raises(Exception) as caught:
        run_under_mocks(program, stack=stack, mocks=mocks)
    return caught.value, mocks.registered


@pytest.fixture
def pulumi_mocks() -> Iterator[PlanMocks]:
    """For @pulumi.runtime.test tests: the plan's mocks, not in preview (so applies run)."""
    mocks = PlanMocks("us-east-1")
    pulumi.runtime.settings.reset_options(project="tap", stack="test", preview=False)
    pulumi.runtime.set_mocks(mocks, project="tap", stack="test", preview=False)
    yield mocks


@cache
def is_taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource behind `type_token` accepts `tags` (read off its class)."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or "/" not in rest:
        return False
    module_name, _, class_name = rest.partition("/")
    module = getattr(pulumi_aws, module_name + "_" if module_name == "lambda" else module_name)
    cls = getattr(module, class_name.split(":")[-1])
    return "tags" in inspect.signature(cls._internal_init).parameters
