"""The Pulumi CLI's way of running the program gives what `tap plan` shows.

`tap plan` runs `tap.__main__` with runpy in-process. The CLI runs `tap/__main__.py` by path
from the program directory, in a separate process, through its language host and gRPC
(tests/pulumi_cli.py). Both must register the same resources, with the same inputs, options
and outputs, and fail the same way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime.proto import engine_pb2

from tap.mockengine.recording import RecordingMonitor, disabled_default_providers
from tap.plan import PlanMocks, build_manifest, load_stack_file
from tests.conftest import PROJECT_DIR, STACKS, Planned
from tests.pulumi_cli import program_location, run_like_the_cli


def monitor_for(stack: str, config: dict[str, str]) -> RecordingMonitor:
    region = config.get("aws:region")
    return RecordingMonitor(
        PlanMocks(region), stack=stack, disabled_packages=disabled_default_providers(config)
    )


def test_the_program_is_the_main_of_pulumi_yaml() -> None:
    assert program_location(PROJECT_DIR) == (PROJECT_DIR / "tap", ".")


@pytest.mark.parametrize("stack", STACKS)
def test_the_cli_way_registers_what_tap_plan_shows(
    stack: str, plans: dict[str, Planned], tmp_path: Path
) -> None:
    stack_file = load_stack_file(PROJECT_DIR, stack)
    config = stack_file.engine_config()
    monitor = monitor_for(stack, config)
    run = run_like_the_cli(PROJECT_DIR, monitor, config, list(stack_file.secret_keys), tmp_path)
    errors = [m for severity, m in run.engine.messages if severity == engine_pb2.ERROR]
    assert run.returncode == 0, "\n".join([run.stderr, *errors])
    assert errors == []
    recording = monitor.recording
    assert recording.duplicate_urns == []
    assert recording.default_provider_uses == []
    assert run.stack_outputs is not None
    manifest = build_manifest(stack, recording.registrations, run.stack_outputs)
    # The verdicts (policy, constraints) are the plan's checks of the manifest, not registrations.
    verdicts = {"policy", "constraints"}
    planned = {key: value for key, value in plans[stack].manifest.items() if key not in verdicts}
    assert [r["urn"] for r in manifest["resources"]] == [r["urn"] for r in planned["resources"]]
    assert manifest == planned


def test_a_config_error_under_the_cli_is_one_message_without_a_traceback(tmp_path: Path) -> None:
    """As `tap plan` reports it: __main__ raises a RunError, the exec logs it and exits 1."""
    config = {"tap:environment": "dev", "tap:logRetentionDays": "31"}
    monitor = monitor_for("dev", config)
    run = run_like_the_cli(PROJECT_DIR, monitor, config, [], tmp_path)
    assert run.returncode == 1
    errors = [m for severity, m in run.engine.messages if severity == engine_pb2.ERROR]
    assert len(errors) == 1
    assert errors[0].startswith("tap:logRetentionDays 31 is not a retention")
    assert "Traceback" not in errors[0]
    assert monitor.recording.registrations[0].type == "pulumi:pulumi:Stack"
    assert len(monitor.recording.registrations) == 1
