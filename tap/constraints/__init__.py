"""AWS's published constraints, checked offline against the plan manifest.

The mock engine accepts any value; AWS does not. `check_manifest` evaluates every planned
resource against AWS's CloudFormation resource provider schemas and RDS data (both shipped in
cfn-lint, pinned through uv.lock) and a few documented rules, and returns the violations. Pure:
it reads the manifest's JSON and imports no Pulumi.
"""

from tap.constraints.check import check_manifest
from tap.constraints.model import Violation

__all__ = ["Violation", "check_manifest"]
