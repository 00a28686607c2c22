"""The mock engine's runtime: the real program run under a recording monitor, then a manifest.

- `sdk`: everything taken from the Pulumi SDK, and the internals relied on (checked by
  tests/test_sdk_canary.py).
- `recording`: the monitor and engine the program talks to, and what they record.
- `render`: engine values (protobuf) as the manifest's JSON.
- `manifest`: registrations -> the manifest's resources.
- `run`: runs a program the way the Pulumi CLI's language host does, with the guards.

`tap.plan` adds the fake cloud (`PlanMocks`), the stack files and the policy rules on top, and
re-exports the names tests and other modules use. This package stays free of tap's own config.
"""

PROJECT = "tap"


class PlanError(Exception):
    """A problem `tap plan` (and every command that reads a stack file) reports as one message
    and exit status 2. Defined here, free of imports, so tap.stackfile and the runtime share it."""
