"""Run the program the way the Pulumi CLI does, against the plan's monitor over real gRPC.

What the CLI does for `pulumi up` with `runtime: python` and `toolchain: uv` (pulumi/pulumi's
`sdk/python/cmd/pulumi-language-python/main.go`, `Run`, and `sdk/python/toolchain/uv.go`):

- `main: tap/` makes the program directory `<root>/tap` and the entry point `.`
  (`pkg/engine/project.go`, `getPwdMain`).
- The language host starts `<venv>/bin/python <pulumi-language-python-exec> --monitor ADDR
  --engine ADDR --project P --root_directory ROOT --stack S --pwd PROGRAM_DIR --dry_run false
  --parallel N --organization O .` in the project root, with the virtualenv activated
  (VIRTUAL_ENV, PATH) and the config as JSON in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS.
- The exec script (`sdk/python/cmd/pulumi-language-python-exec`, shipped with the CLI, not
  with the SDK) sets the config from those variables, configures the runtime with the
  addresses, changes to `--pwd`, and runs `runpy.run_path(".", run_name="__main__")` inside
  `pulumi.runtime.run_in_stack` on a new event loop. A RunError is logged and exits 1; any
  other exception is logged with its traceback and exits 32.

`EXEC_SCRIPT` does the same steps (the real script is not installable from PyPI). It is
written outside the project, so the process's sys.path is the CLI's: the script's own
directory, then the virtualenv, then (during the run) the program directory. The monitor and
engine it connects to are the plan's `RecordingMonitor` and `RecordingEngine`, served over
gRPC on 127.0.0.1.
"""

from __future__ import annotations

import contextvars
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import yaml
from google.protobuf import empty_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import engine_pb2_grpc, resource_pb2, resource_pb2_grpc

from tap.mockengine.recording import RecordingEngine, RecordingMonitor
from tap.mockengine.render import render_struct
from tap.mockengine.sdk import Settings, configure, reset_options

EXEC_SCRIPT = """\
import argparse, asyncio, os, runpy, sys, traceback

import pulumi
import pulumi.runtime

parser = argparse.ArgumentParser()
for flag in ("project", "root_directory", "stack", "parallel", "dry_run", "pwd", "monitor",
             "engine", "tracing", "organization"):
    parser.add_argument("--" + flag)
parser.add_argument("PROGRAM")
parser.add_argument("ARGS", nargs="*")
args = parser.parse_args()

pulumi.runtime.set_all_config(
    pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
)
pulumi.runtime.configure(
    pulumi.runtime.Settings(
        monitor=args.monitor,
        engine=args.engine,
        project=args.project,
        stack=args.stack,
        parallel=int(args.parallel),
        dry_run=args.dry_run == "true",
        organization=args.organization,
        root_directory=args.root_directory,
    )
)
sys.argv = [args.PROGRAM, *args.ARGS]
if args.pwd is not None:
    os.chdir(args.pwd)
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
code = 1
try:
    loop.run_until_complete(
        pulumi.runtime.run_in_stack(lambda: runpy.run_path(args.PROGRAM, run_name="__main__"))
    )
    code = 0
except pulumi.RunError as error:
    pulumi.log.error(str(error))
except Exception:
    pulumi.log.error("Program failed with an unhandled exception:\\n" + traceback.format_exc())
    code = 32
finally:
    loop.close()
    sys.stdout.flush()
    sys.stderr.flush()
sys.exit(code)
"""


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """The resource monitor endpoint, answered by the plan's RecordingMonitor."""

    def __init__(self, monitor: RecordingMonitor, context: contextvars.Context) -> None:
        self.monitor = monitor
        self.context = context
        self.stack_outputs: dict[str, Any] | None = None

    def _call(self, method: Callable[[Any], Any], request: Any) -> Any:
        # Each call runs in a copy of the test's runtime context, where the SDK settings
        # point at this monitor (deserialising a resource reference looks the resource up).
        return self.context.copy().run(method, request)

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        answer = self._call(self.monitor.SupportsFeature, request)
        return resource_pb2.SupportsFeatureResponse(hasSupport=answer.hasSupport)

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        return self._call(self.monitor.GetDeploymentInfo, request)

    def RegisterResource(self, request: Any, context: Any) -> Any:
        return self._call(self.monitor.RegisterResource, request)

    def ReadResource(self, request: Any, context: Any) -> Any:
        return self._call(self.monitor.ReadResource, request)

    def Invoke(self, request: Any, context: Any) -> Any:
        return self._call(self.monitor.Invoke, request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        if request.urn.endswith(
            f"::pulumi:pulumi:Stack::{self.monitor.project}-{self.monitor.stack}"
        ):
            self.stack_outputs = render_struct(request.outputs)
        return empty_pb2.Empty()

    def RegisterPackage(self, request: Any, context: Any) -> Any:
        return self._call(self.monitor.RegisterPackage, request)

    def SignalAndWaitForShutdown(self, request: Any, context: Any) -> Any:
        return empty_pb2.Empty()


class _Engine(engine_pb2_grpc.EngineServicer):
    def __init__(self, engine: RecordingEngine) -> None:
        self.engine = engine

    def Log(self, request: Any, context: Any) -> Any:
        self.engine.Log(request)
        return empty_pb2.Empty()


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str
    monitor: RecordingMonitor
    engine: RecordingEngine
    stack_outputs: dict[str, Any] | None


@contextmanager
def _served(monitor: RecordingMonitor, engine: RecordingEngine) -> Iterator[tuple[str, _Monitor]]:
    reset_options(project=monitor.project, stack=monitor.stack, preview=False)
    configure(
        Settings(
            project=monitor.project,
            stack=monitor.stack,
            monitor=monitor,
            engine=engine,
            dry_run=False,
        )
    )
    servicer = _Monitor(monitor, contextvars.copy_context())
    server = grpc.server(ThreadPoolExecutor(max_workers=8))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(servicer, server)
    engine_pb2_grpc.add_EngineServicer_to_server(_Engine(engine), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        server.stop(grace=None).wait()


def program_location(root: Path) -> tuple[Path, str]:
    """(program directory, entry point) from Pulumi.yaml's `main`, as the engine reads it."""
    main = (yaml.safe_load((root / "Pulumi.yaml").read_text()) or {}).get("main")
    if not main:
        return root, "."
    target = (root / main).resolve()
    return (target, ".") if target.is_dir() else (target.parent, target.name)


def run_like_the_cli(
    root: Path,
    monitor: RecordingMonitor,
    config: Mapping[str, str],
    secret_keys: list[str],
    workdir: Path,
) -> CliRun:
    """`pulumi up` of `monitor.stack`'s program in `root`, against `monitor`, without preview."""
    script = workdir / "pulumi-language-python-exec"
    script.write_text(EXEC_SCRIPT)
    program_dir, entry_point = program_location(root)
    venv = Path(sys.prefix)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PULUMI_CONFIG"] = json.dumps(dict(config))
    env["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
    engine = RecordingEngine()
    with _served(monitor, engine) as (address, servicer):
        process = subprocess.run(
            [
                str(venv / "bin" / "python"),
                str(script),
                "--monitor",
                address,
                "--engine",
                address,
                "--project",
                monitor.project,
                "--root_directory",
                str(root),
                "--stack",
                monitor.stack,
                "--pwd",
                str(program_dir),
                "--dry_run",
                "false",
                "--parallel",
                "8",
                "--organization",
                "organization",
                entry_point,
            ],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    return CliRun(
        process.returncode,
        process.stdout,
        process.stderr,
        monitor,
        engine,
        servicer.stack_outputs,
    )
