"""SNS and SQS rules: one violation per rule."""

from __future__ import annotations

from tap.policy.rules import resource_types as r
from tests.policy.rules.support import Case, res

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "sns-topic-encrypted": Case([res(r.SNS_TOPIC)], "is not encrypted (kmsMasterKeyId)"),
    "sqs-queue-encrypted": Case([res(r.SQS_QUEUE, sqsManagedSseEnabled=False)], "is not encrypted"),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = {
    "sns-topic-encrypted",
}
