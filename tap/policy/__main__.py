"""The CrossGuard pack's entry point: `pulumi preview --policy-pack tap/policy`.

Building the PolicyPack starts the analyzer's gRPC server and blocks for good, so this module does
that and nothing else; nothing may import it. Rules live in rules/, adapters in pack.py.
"""

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from tap.policy.pack import PACK_NAME, pulumi_policies

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=list[Policy](pulumi_policies()),
)
