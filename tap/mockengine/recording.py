"""The monitor and engine the program talks to under the plan, and what they record.

The SDK's stock `MockMonitor` drops what the plan needs (protect, parent, dependencies,
aliases) and builds URNs with only the parent's type. `RecordingMonitor` keeps all of it from
the raw requests and builds URNs as the real engine does. It also enforces
`pulumi:disable-default-providers` as the engine does: a custom resource or read of a disabled
package without an explicit provider is recorded and fails the run; such an invoke fails at
once, as it does under the engine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime.mocks import MockMonitor, Mocks

from tap.mockengine import PROJECT, PlanError
from tap.mockengine.render import render_struct
from tap.urns import AliasSpec, child_urn, collapse_alias

DISABLE_DEFAULT_PROVIDERS = "pulumi:disable-default-providers"


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    provider: str | None
    providers: dict[str, str]
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    # The aliases the program declared, resolved to URNs (the parent's are added later).
    aliases: list[str] = field(default_factory=list)


@dataclass
class Recording:
    registrations: list[Registration] = field(default_factory=list)
    duplicate_urns: list[str] = field(default_factory=list)
    # Custom resources that would need a disabled default provider.
    default_provider_uses: list[str] = field(default_factory=list)


def disabled_default_providers(config: Mapping[str, str]) -> frozenset[str]:
    """The packages `pulumi:disable-default-providers` disables, read as the engine reads it.

    The engine gets the key as a JSON list of package names (`*` for every package); an empty
    string disables none.
    """
    raw = config.get(DISABLE_DEFAULT_PROVIDERS)
    if raw is None or raw == "":
        return frozenset()
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PlanError(
            f"{DISABLE_DEFAULT_PROVIDERS} must be a list of package names (e.g. [aws]), got {raw}"
        )
    return frozenset(v.strip() for v in value)


class RecordingMonitor(MockMonitor):
    """A MockMonitor that also keeps what the stock one drops.

    Registrations arrive from the SDK's executor threads, hence the lock.
    """

    def __init__(
        self,
        mocks: Mocks,
        *,
        stack: str,
        project: str = PROJECT,
        disabled_packages: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(mocks)
        self.project = project
        self.stack = stack
        self.disabled_packages = disabled_packages
        self.recording = Recording()
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        """URNs as the real engine builds them; the stock mock keeps only the parent's type."""
        return child_urn(self.stack, self.project, parent or None, type_, name)

    def needs_default_provider(self, type_or_token: str, provider: str) -> bool:
        """Whether the engine would refuse this for lack of an explicit provider."""
        package = type_or_token.split(":", 1)[0]
        if provider or package == "pulumi":
            return False
        return package in self.disabled_packages or "*" in self.disabled_packages

    def RegisterResource(self, request: Any) -> Any:
        self._record(
            request,
            custom=bool(request.custom),
            providers=dict(request.providers),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            inputs=request.object,
            aliases=self._declared_aliases(request),
        )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:
        self._record(
            request,
            custom=True,
            providers={},
            protect=False,
            retain_on_delete=False,
            inputs=request.properties,
            aliases=[],
        )
        return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def Invoke(self, request: Any) -> Any:
        # The engine fails the invoke itself: the program gets no result to carry on with.
        if self.needs_default_provider(request.tok, request.provider):
            packages = ", ".join(sorted(self.disabled_packages))
            raise PlanError(
                f"invoke {request.tok} has no explicit provider and {DISABLE_DEFAULT_PROVIDERS} "
                f'is [{packages}]: `pulumi up` would fail here ("Default provider ... disabled");'
                " pass opts=pulumi.InvokeOutputOptions(provider=...)"
            )
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def _declared_aliases(self, request: Any) -> list[str]:
        """Each alias option as the URN the engine would look up (`collapseAliasToUrn`)."""
        urns: dict[str, None] = {}
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                urns.setdefault(alias.urn)
                continue
            spec = alias.spec
            declared = AliasSpec(
                name=spec.name,
                type=spec.type,
                stack=spec.stack,
                project=spec.project,
                parent=spec.parentUrn,
                no_parent=spec.noParent,
            )
            urns.setdefault(
                collapse_alias(
                    declared,
                    name=request.name,
                    type_=request.type,
                    parent=request.parent or None,
                    project=self.project,
                    stack=self.stack,
                )
            )
        # An SDK that cannot send alias specs sends URNs it resolved itself.
        for urn in request.aliasURNs:
            urns.setdefault(urn)
        return list(urns)

    def _record(
        self,
        request: Any,
        *,
        custom: bool,
        providers: dict[str, str],
        protect: bool,
        retain_on_delete: bool,
        inputs: Any,
        aliases: list[str],
    ) -> None:
        urn = self.make_urn(request.parent, request.type, request.name)
        registration = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=custom,
            provider=request.provider or None,
            providers=providers,
            protect=protect,
            retain_on_delete=retain_on_delete,
            dependencies=sorted(set(request.dependencies)),
            inputs=render_struct(inputs),
            aliases=aliases,
        )
        with self._lock:
            if urn in self._seen:
                self.recording.duplicate_urns.append(urn)
            self._seen.add(urn)
            self.recording.registrations.append(registration)
            if custom and self.needs_default_provider(request.type, request.provider):
                self.recording.default_provider_uses.append(urn)


class RecordingEngine:
    """The engine endpoint the SDK logs through (`engine.Log`); keeps every message.

    The SDK only warns when an Output is formatted into a string (the text becomes a useless
    object repr, silently); a real `pulumi up` would apply that garbage, so the plan fails.
    """

    MISUSE = "Calling __str__ on an Output[T] is not supported"

    def __init__(self) -> None:
        self.messages: list[tuple[int, str]] = []

    def Log(self, request: Any) -> None:
        self.messages.append((request.severity, request.message))

    def refuse_misused_outputs(self) -> None:
        if any(self.MISUSE in message for _, message in self.messages):
            raise PlanError(
                "the program formatted a pulumi Output into a string (use .apply or "
                "Output.concat); a real deployment would send the object's repr to AWS"
            )
