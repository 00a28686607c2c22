"""Everything the mock engine takes from the Pulumi SDK, and the internals it relies on.

The plan runs the program the way the Pulumi CLI's language host does
(`pulumi-language-python-exec`): `pulumi.runtime.configure(Settings(...))`, then
`run_in_stack(program)` on a fresh event loop. Where the CLI passes the gRPC addresses of the
engine and the resource monitor, the plan passes objects (`Settings` accepts either), so no
gRPC server runs.

Most of that is the SDK's public API. What is not is listed in `INTERNALS` and `PROTO_FIELDS`,
with what tap relies on and where. A Pulumi upgrade may change any of them without notice, so:

- a name that is gone fails at import, with a message naming it (`Internal.resolve`);
- `drift()` checks every entry's existence and signature, and tests/test_sdk_canary.py fails
  with its messages. Fix the code named in the message, then update the entry here.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any

from pulumi.runtime import Settings, configure, reset_options, set_all_config
from pulumi.runtime.proto import alias_pb2, engine_pb2, resource_pb2

SEE = "see tap/mockengine/sdk.py"


class SdkDriftError(ImportError):
    """The installed Pulumi SDK no longer has something the mock engine relies on."""


def pulumi_version() -> str:
    from importlib.metadata import version  # noqa: PLC0415 - only on the error path

    return version("pulumi")


@dataclass(frozen=True)
class Internal:
    """One SDK name that is not public API, and what tap assumes about it."""

    module: str
    attribute: str  # dotted within the module: "MockMonitor.make_urn"
    why: str
    used_in: str
    # The leading parameters tap calls or overrides positionally, and the keywords it passes.
    parameters: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    coroutine: bool = False
    # An attribute every instance sets (declared on the class, with no class-level value).
    instance_attribute: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.attribute}"

    def changed(self, what: str) -> str:
        return (
            f"pulumi {pulumi_version()} changed `{self.qualified}`: {what}. tap relies on it "
            f"{self.why} ({self.used_in}); {SEE}"
        )

    def find(self) -> tuple[bool, Any]:
        try:
            target: Any = importlib.import_module(self.module)
        except ImportError:
            return False, None
        *path, last = self.attribute.split(".")
        for part in path:
            if not hasattr(target, part):
                return False, None
            target = getattr(target, part)
        if self.instance_attribute:
            declared = any(last in vars(cls).get("__annotations__", {}) for cls in target.__mro__)
            return declared, None
        if not hasattr(target, last):
            return False, None
        return True, getattr(target, last)

    def resolve(self) -> Any:
        found, value = self.find()
        if not found:
            raise SdkDriftError(self.changed("it no longer exists"))
        return value

    def problems(self) -> list[str]:
        found, value = self.find()
        if not found:
            return [self.changed("it no longer exists")]
        if not (self.parameters or self.keywords or self.coroutine):
            return []
        try:
            names = list(inspect.signature(value).parameters)
        except (TypeError, ValueError):
            return [self.changed("it is no longer a function")]
        problems = []
        if names[: len(self.parameters)] != list(self.parameters):
            problems.append(
                self.changed(
                    f"its parameters start ({', '.join(names[: len(self.parameters)])}), "
                    f"not ({', '.join(self.parameters)})"
                )
            )
        missing = [k for k in self.keywords if k not in names]
        if missing:
            problems.append(self.changed(f"it no longer takes {', '.join(missing)}"))
        if self.coroutine and not inspect.iscoroutinefunction(value):
            problems.append(self.changed("it is no longer a coroutine function"))
        return problems


_RENDER = "tap/mockengine/render.py: render_value"
_MONITOR = "tap/mockengine/recording.py: RecordingMonitor"

UNKNOWN_INTERNAL = Internal(
    "pulumi.runtime.rpc", "UNKNOWN", "to recognise an unknown value on the wire", _RENDER
)
SIG_KEY_INTERNAL = Internal(
    "pulumi.runtime.rpc",
    "_special_sig_key",
    "to find the key that marks a secret, asset, archive or resource reference in a Struct",
    _RENDER,
)
SECRET_SIG_INTERNAL = Internal(
    "pulumi.runtime.rpc",
    "_special_secret_sig",
    "to mask secrets as <secret>: without it a secret would reach the manifest in clear",
    _RENDER,
)
ASSET_SIG_INTERNAL = Internal(
    "pulumi.runtime.rpc", "_special_asset_sig", "to render assets as {<asset>: ...}", _RENDER
)
ARCHIVE_SIG_INTERNAL = Internal(
    "pulumi.runtime.rpc", "_special_archive_sig", "to render archives as {<archive>: ...}", _RENDER
)
RESOURCE_SIG_INTERNAL = Internal(
    "pulumi.runtime.rpc",
    "_special_resource_sig",
    "to render a resource reference as its URN",
    _RENDER,
)
RUN_IN_STACK_INTERNAL = Internal(
    "pulumi.runtime",
    "run_in_stack",
    "to run the program inside the root stack exactly as the CLI's language host does "
    "(the SDK documents it for its own runtime's use)",
    "tap/mockengine/run.py: run_program",
    parameters=("func",),
    coroutine=True,
)

STACK_OUTPUTS_INTERNAL = Internal(
    "pulumi.runtime.stack",
    "Stack.outputs",
    "to read what the program exported (`pulumi.export` stores it on the root stack)",
    "tap/mockengine/run.py: _run_in_stack",
    instance_attribute=True,
)

INTERNALS: tuple[Internal, ...] = (
    UNKNOWN_INTERNAL,
    SIG_KEY_INTERNAL,
    SECRET_SIG_INTERNAL,
    ASSET_SIG_INTERNAL,
    ARCHIVE_SIG_INTERNAL,
    RESOURCE_SIG_INTERNAL,
    RUN_IN_STACK_INTERNAL,
    STACK_OUTPUTS_INTERNAL,
    Internal(
        "pulumi.runtime.rpc",
        "serialize_properties",
        "to turn the exports into the Struct the engine would receive",
        "tap/mockengine/run.py: _run_in_stack",
        parameters=("inputs", "property_deps"),
        coroutine=True,
    ),
    Internal(
        "pulumi.runtime",
        "Settings.__init__",
        "to hand the runtime a monitor and an engine object in place of gRPC addresses",
        "tap/mockengine/run.py: run_program",
        keywords=("project", "stack", "monitor", "engine", "dry_run"),
    ),
    # RecordingMonitor subclasses the SDK's MockMonitor and overrides these. Were one renamed,
    # the override would silently stop running (URNs would lose their ancestors' types, and
    # protect, parents or aliases would go unrecorded).
    Internal(
        "pulumi.runtime.mocks",
        "MockMonitor.__init__",
        "to build the monitor around the plan's mocks",
        _MONITOR,
        parameters=("self", "mocks"),
    ),
    Internal(
        "pulumi.runtime.mocks",
        "MockMonitor.make_urn",
        "to build URNs as the real engine does (overridden; the stock monitor calls it)",
        _MONITOR,
        parameters=("self", "parent", "type_", "name"),
    ),
    Internal(
        "pulumi.runtime.mocks",
        "MockMonitor.RegisterResource",
        "to record each registration (overridden)",
        _MONITOR,
        parameters=("self", "request"),
    ),
    Internal(
        "pulumi.runtime.mocks",
        "MockMonitor.ReadResource",
        "to record each read (overridden)",
        _MONITOR,
        parameters=("self", "request"),
    ),
    Internal(
        "pulumi.runtime.mocks",
        "MockMonitor.Invoke",
        "to refuse invokes through a disabled default provider (overridden)",
        _MONITOR,
        parameters=("self", "request"),
    ),
    Internal(
        "pulumi.runtime.proto.engine_pb2_grpc",
        "EngineServicer.Log",
        "as the engine endpoint the SDK logs through (RecordingEngine.Log)",
        "tap/mockengine/recording.py: RecordingEngine",
        parameters=("self", "request"),
    ),
)

# Wire fields the monitor and engine read from the SDK's requests.
PROTO_FIELDS: dict[Any, tuple[str, ...]] = {
    resource_pb2.RegisterResourceRequest: (
        "type",
        "name",
        "parent",
        "custom",
        "object",
        "protect",
        "dependencies",
        "provider",
        "providers",
        "retainOnDelete",
        "aliases",
        "aliasURNs",
    ),
    resource_pb2.ReadResourceRequest: (
        "type",
        "name",
        "parent",
        "properties",
        "dependencies",
        "provider",
    ),
    resource_pb2.ResourceInvokeRequest: ("tok", "provider"),
    alias_pb2.Alias: ("urn", "spec"),
    alias_pb2.Alias.Spec: ("name", "type", "stack", "project", "parentUrn", "noParent"),
    engine_pb2.LogRequest: ("severity", "message"),
}


def drift() -> list[str]:
    """Every way the installed SDK differs from what the mock engine relies on."""
    problems = [problem for internal in INTERNALS for problem in internal.problems()]
    for message, fields in PROTO_FIELDS.items():
        known = {field.name for field in message.DESCRIPTOR.fields}
        for name in fields:
            if name not in known:
                problems.append(
                    f"pulumi {pulumi_version()} changed the wire message "
                    f"`{message.DESCRIPTOR.full_name}`: it has no field `{name}`; {SEE}"
                )
    return problems


UNKNOWN: str = UNKNOWN_INTERNAL.resolve()
SIG_KEY: str = SIG_KEY_INTERNAL.resolve()
SECRET_SIG: str = SECRET_SIG_INTERNAL.resolve()
ASSET_SIG: str = ASSET_SIG_INTERNAL.resolve()
ARCHIVE_SIG: str = ARCHIVE_SIG_INTERNAL.resolve()
RESOURCE_SIG: str = RESOURCE_SIG_INTERNAL.resolve()
run_in_stack: Any = RUN_IN_STACK_INTERNAL.resolve()

__all__ = [
    "ARCHIVE_SIG",
    "ASSET_SIG",
    "INTERNALS",
    "PROTO_FIELDS",
    "RESOURCE_SIG",
    "SECRET_SIG",
    "SIG_KEY",
    "UNKNOWN",
    "Internal",
    "SdkDriftError",
    "Settings",
    "alias_pb2",
    "configure",
    "drift",
    "engine_pb2",
    "reset_options",
    "resource_pb2",
    "run_in_stack",
    "set_all_config",
]
