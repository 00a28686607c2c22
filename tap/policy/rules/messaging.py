"""SNS and SQS: topics and queues encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator

from tap.policy.rules.core import PolicyConfig, PolicyResource, RuleBook, is_opaque, is_set
from tap.policy.rules.resource_types import SNS_TOPIC, SQS_QUEUE

_book = RuleBook()


@_book.resource(
    "sns-topic-encrypted",
    "SNS.1",
    "SNS topics are encrypted with a KMS key (kmsMasterKeyId).",
    SNS_TOPIC,
)
def _sns_encrypted(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    if not is_set(r.props.get("kmsMasterKeyId")):
        yield f"{r.name} is not encrypted (kmsMasterKeyId)"


@_book.resource(
    "sqs-queue-encrypted",
    "SQS.1",
    "SQS queues are encrypted (kmsMasterKeyId, or sqsManagedSseEnabled).",
    SQS_QUEUE,
)
def _sqs_encrypted(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    managed = r.props.get("sqsManagedSseEnabled")
    if not is_set(r.props.get("kmsMasterKeyId")) and managed is not True and not is_opaque(managed):
        yield f"{r.name} is not encrypted (kmsMasterKeyId or sqsManagedSseEnabled)"


RULES = _book.rules
