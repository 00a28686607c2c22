"""The CrossGuard rules as plain Python: no pulumi_policy import and no Pulumi calls.

Each rule names the AWS Security Hub control it enforces (FSBP, or CIS AWS Foundations as
"CIS x.y"); the few with no Security Hub counterpart carry this project's own "TAP.n" ids. The
same rules run in the CrossGuard pack (pack.py adapts them), on the offline plan
(`evaluate(from_manifest(...))`) and in tests.

One module per AWS concern, mirroring tap/components/; core.py holds the shared model. The
catalogue below fixes the order rules run in, and so the order of their violations.
"""

from __future__ import annotations

from collections.abc import Sequence

from tap.markers import SECRET, UNKNOWN
from tap.policy.rules import (
    account,
    api,
    backup,
    database,
    entrypoint,
    function,
    iam,
    iam_lint,
    kms,
    messaging,
    monitoring,
    network,
    secrets,
    signing,
    storage,
    tagging,
    waf,
)
from tap.policy.rules.core import (
    ENVIRONMENTS,
    Finding,
    PolicyConfig,
    PolicyResource,
    Rule,
    Violation,
    from_manifest,
    run_rule,
)

RULES: tuple[Rule, ...] = (
    *storage.RULES,
    *database.RULES,
    *kms.RULES,
    *network.RULES,
    *function.RULES,
    *api.RULES,
    *entrypoint.RULES,
    *waf.RULES,
    *backup.RULES,
    *signing.RULES,
    *monitoring.RULES,
    *account.RULES,
    *iam.RULES,
    *iam_lint.RULES,
    *secrets.RULES,
    *messaging.RULES,
    *tagging.RULES,
)


def evaluate(
    resources: Sequence[PolicyResource],
    config: PolicyConfig | None = None,
    rules: Sequence[Rule] = RULES,
) -> list[Violation]:
    """Every rule over the resources; violations in rule order."""
    config = config or PolicyConfig()
    return [v for rule in rules for v in run_rule(rule, resources, config)]


def rule_named(name: str) -> Rule:
    for rule in RULES:
        if rule.name == name:
            return rule
    raise KeyError(name)


__all__ = [
    "ENVIRONMENTS",
    "RULES",
    "SECRET",
    "UNKNOWN",
    "Finding",
    "PolicyConfig",
    "PolicyResource",
    "Rule",
    "Violation",
    "evaluate",
    "from_manifest",
    "rule_named",
    "run_rule",
]
