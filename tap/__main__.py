"""The Pulumi program (Pulumi.yaml `main: tap/`): load config, build TapStack, export outputs.

`tap plan` runs this same module under the mock engine.
"""

import pulumi

from tap.config import ConfigError, load
from tap.stack import TapStack

try:
    parsed = load()
except ConfigError as error:
    # A RunError is shown as its message alone: a user error never prints a traceback.
    raise pulumi.RunError(str(error)) from None

for warning in parsed.warnings:
    pulumi.log.warn(warning)

config = parsed.config
stack = TapStack(f"tap-{config.environment_suffix}-gbl-stack", config)

pulumi.export("environment", config.environment)
pulumi.export("primaryRegion", config.primary_region)
pulumi.export("regions", stack.region_outputs)
if stack.entry_point_outputs is not None:
    pulumi.export("entryPoint", stack.entry_point_outputs)
for key, value in stack.hardening_outputs.items():  # backup, secretRotation, where deployed
    pulumi.export(key, value)
