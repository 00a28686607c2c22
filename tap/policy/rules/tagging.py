"""Tags: every taggable resource carries the required tags."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from tap.policy.rules.core import REQUIRED_TAGS, PolicyConfig, PolicyResource, RuleBook, is_opaque
from tap.policy.rules.resource_types import TAGGABLE_TYPES

_book = RuleBook()


@_book.resource(
    "required-tags",
    "TAP.4",
    f"Every taggable resource carries the tags {', '.join(REQUIRED_TAGS)} (non-empty).",
    *TAGGABLE_TYPES,
)
def _required_tags(r: PolicyResource, config: PolicyConfig) -> Iterator[str]:
    tags = r.props.get("tags")
    if is_opaque(tags):
        return
    if not isinstance(tags, Mapping) or not tags:
        yield f"{r.name} has no tags; it needs {', '.join(config.required_tags)}"
        return
    missing = [k for k in config.required_tags if tags.get(k) in (None, "")]
    if missing:
        yield f"{r.name} lacks the tags {', '.join(missing)}"


RULES = _book.rules
