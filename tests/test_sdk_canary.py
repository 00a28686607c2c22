"""The upgrade canary: fails, naming what changed, when a Pulumi SDK upgrade breaks an internal
the mock engine relies on (tap/mockengine/sdk.py lists them)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks, rpc

from tap.mockengine import sdk
from tap.mockengine.sdk import INTERNALS, PROTO_FIELDS, Internal, SdkDriftError, drift
from tap.plan import run_under_mocks


def test_the_sdk_still_has_every_internal_the_mock_engine_relies_on() -> None:
    problems = drift()
    assert not problems, "\n".join(problems)


def test_each_internal_names_where_tap_uses_it() -> None:
    for internal in INTERNALS:
        assert internal.used_in.startswith("tap/"), internal
        assert internal.why, internal


def test_a_renamed_override_is_reported_with_the_version_and_the_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def make_urn(self: Any, parent: str, typ: str, name: str) -> str:
        return ""

    monkeypatch.setattr(mocks.MockMonitor, "make_urn", make_urn)
    (problem,) = drift()
    assert problem.startswith(
        f"pulumi {sdk.pulumi_version()} changed `pulumi.runtime.mocks.MockMonitor.make_urn`: "
        "its parameters start (self, parent, typ, name), not (self, parent, type_, name). "
    )
    assert "(tap/mockengine/recording.py: RecordingMonitor); see tap/mockengine/sdk.py" in problem


def test_a_missing_wire_signature_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(rpc, "_special_secret_sig")
    (problem,) = drift()
    assert "`pulumi.runtime.rpc._special_secret_sig`: it no longer exists" in problem
    assert "a secret would reach the manifest in clear" in problem


def test_a_function_that_stops_being_a_coroutine_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pulumi.runtime, "run_in_stack", lambda func: None)
    (problem,) = drift()
    assert "`pulumi.runtime.run_in_stack`: it is no longer a coroutine function" in problem


def test_a_keyword_the_sdk_no_longer_takes_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def settings_init(self: Any, project: str, stack: str, monitor: Any = None) -> None:
        return None

    monkeypatch.setattr(pulumi.runtime.Settings, "__init__", settings_init)
    (problem,) = drift()
    assert "`pulumi.runtime.Settings.__init__`: it no longer takes engine, dry_run" in problem


def test_a_missing_instance_attribute_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime.stack import Stack  # noqa: PLC0415

    monkeypatch.setattr(Stack, "__annotations__", {})
    (problem,) = drift()
    assert "`pulumi.runtime.stack.Stack.outputs`: it no longer exists" in problem


def test_a_missing_wire_field_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi.runtime.proto import engine_pb2  # noqa: PLC0415

    monkeypatch.setitem(PROTO_FIELDS, engine_pb2.LogRequest, ("severity", "text"))
    (problem,) = drift()
    assert "`pulumirpc.LogRequest`: it has no field `text`" in problem


def test_a_name_gone_at_import_fails_with_the_message() -> None:
    gone = Internal("pulumi.runtime.rpc", "_gone", "for this test", "tap/nowhere.py")
    with pytest.raises(SdkDriftError, match=r"changed `pulumi\.runtime\.rpc\._gone`: it no longer"):
        gone.resolve()


def test_the_sdk_sees_the_urns_the_plan_records() -> None:
    """The stock monitor builds the URN it returns with make_urn: the override must reach the
    SDK, or resources would reference URNs the manifest does not have."""

    class Box(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("tap:test:Box", name)
            self.child = pulumi.ComponentResource(
                "tap:test:Inner", f"{name}-inner", opts=pulumi.ResourceOptions(parent=self)
            )

    def program() -> None:
        box = Box("outer")
        inner = pulumi.ComponentResource(
            "tap:test:Leaf", "leaf", opts=pulumi.ResourceOptions(parent=box.child)
        )
        pulumi.export("leaf", inner.urn)

    recording, outputs = run_under_mocks(program, stack="test")
    leaf = "urn:pulumi:test::tap::tap:test:Box$tap:test:Inner$tap:test:Leaf::leaf"
    assert outputs == {"leaf": leaf}
    assert leaf in {r.urn for r in recording.registrations}
