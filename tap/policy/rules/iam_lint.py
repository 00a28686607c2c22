"""Every IAM policy document in the stack, linted by cfn-lint's IAM checks.

cfn-lint is AWS's linter for CloudFormation, released weekly; its IAM action data
(AdditionalSpecs/Policies.json) is taken from AWS's service reference API with each release,
and uv.lock pins the version. Its IAM checks, which this rule runs on identity, trust and
resource policies alike:

- the policy grammar per kind of document: Version, Effect, Action/NotAction,
  Resource/NotResource, condition operators, principals and their ARNs (E3510 identity
  policies, E3512 resource policies, E3530 trust policies), and resource ARNs in resource
  policies (E3514);
- unknown services and actions, and actions of another service in an S3, SNS or SQS resource
  policy (W3037);
- resource ARNs that fit none of an action's resource types, such as an SQS queue for
  s3:GetObject (I3510; cfn-lint calls it informational, but such a statement grants nothing).

It does not check condition keys against actions, nor condition values against their types.

Each document goes into a CloudFormation template as the property that holds it there (an
identity policy as an AWS::IAM::ManagedPolicy document, a key policy as an AWS::KMS::Key's, and
so on), and only the findings of the checks above count. Resource policies of services cfn-lint
has no slot for (API Gateway, Secrets Manager) go through the key-policy slot, which applies the
grammar every resource policy shares.

cfn-lint takes about a second to load and run, so verdicts are cached by document (and
cfn-lint version) in `$TAP_CACHE_DIR`, else `$XDG_CACHE_HOME/tap`, else `~/.cache/tap`: a plan
whose documents were all linted before never imports it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

from tap.markers import SECRET, UNKNOWN
from tap.policy.rules.core import (
    Finding,
    PolicyConfig,
    PolicyResource,
    RuleBook,
    dig,
    is_opaque,
    items,
    policy_document,
)
from tap.policy.rules.resource_types import (
    BUCKET,
    BUCKET_POLICY,
    IAM_GROUP_POLICY,
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    IAM_USER_POLICY,
    KMS_KEY,
    SNS_TOPIC,
    SQS_QUEUE,
)

_book = RuleBook()

# Bump when what is cached per document changes shape or meaning.
_CACHE_FORMAT = 1
# The cfn-lint checks this rule runs (the others look at CloudFormation, not at IAM).
LINT_CHECKS = frozenset({"E3510", "E3512", "E3514", "E3530", "W3037", "I3510"})

API_REST_API = "aws:apigateway/restApi:RestApi"
API_REST_API_POLICY = "aws:apigateway/restApiPolicy:RestApiPolicy"
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SQS_QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"


class Slot(NamedTuple):
    """Where CloudFormation holds a kind of policy document: the type, the property, and the
    property naming what the policy is on, for resource policies that have one."""

    cfn_type: str
    cfn_property: str
    target: str | None = None


IDENTITY = Slot("AWS::IAM::ManagedPolicy", "PolicyDocument")
TRUST = Slot("AWS::IAM::Role", "AssumeRolePolicyDocument")
KEY = Slot("AWS::KMS::Key", "KeyPolicy")
BUCKET_SLOT = Slot("AWS::S3::BucketPolicy", "PolicyDocument", "Bucket")
TOPIC = Slot("AWS::SNS::TopicPolicy", "PolicyDocument", "Topics")
QUEUE = Slot("AWS::SQS::QueuePolicy", "PolicyDocument", "Queues")
OTHER_RESOURCE_POLICY = KEY

# The properties of each type that hold a policy document, and the slot that lints it.
DOCUMENTS: dict[str, tuple[tuple[str, Slot], ...]] = {
    IAM_ROLE: (("assumeRolePolicy", TRUST),),
    IAM_ROLE_POLICY: (("policy", IDENTITY),),
    IAM_POLICY: (("policy", IDENTITY),),
    IAM_GROUP_POLICY: (("policy", IDENTITY),),
    IAM_USER_POLICY: (("policy", IDENTITY),),
    KMS_KEY: (("policy", KEY),),
    BUCKET: (("policy", BUCKET_SLOT),),
    BUCKET_POLICY: (("policy", BUCKET_SLOT),),
    SNS_TOPIC: (("policy", TOPIC),),
    SNS_TOPIC_POLICY: (("policy", TOPIC),),
    SQS_QUEUE: (("policy", QUEUE),),
    SQS_QUEUE_POLICY: (("policy", QUEUE),),
    API_REST_API: (("policy", OTHER_RESOURCE_POLICY),),
    API_REST_API_POLICY: (("policy", OTHER_RESOURCE_POLICY),),
    SECRET_POLICY: (("policy", OTHER_RESOURCE_POLICY),),
}


@dataclass(frozen=True)
class Document:
    resource: PolicyResource
    where: str  # the property, e.g. "assumeRolePolicy" or "inlinePolicies[0].policy"
    slot: Slot
    body: Mapping[str, Any]


class LintFinding(NamedTuple):
    check: str  # cfn-lint's rule id
    message: str
    path: tuple[str | int, ...]  # inside the document


# --- accepted findings --------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    """A finding that is right about the grammar and wrong about AWS, with the reason."""

    check: str
    types: tuple[str, ...]
    value: re.Pattern[str]  # the offending value, at the finding's path
    reason: str


ACCEPTED: tuple[Accepted, ...] = (
    Accepted(
        "E3514",
        (API_REST_API, API_REST_API_POLICY),
        re.compile(r"execute-api:/.*"),
        "API Gateway resource policies may name the API's own methods as "
        '"execute-api:/<stage>/<method>/<path>"; API Gateway expands that to the API\'s ARN when '
        "it stores the policy (API Gateway developer guide, resource policy examples), so the "
        "policy can be written before the API has an id.",
    ),
)


def _value_at(body: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        if isinstance(body, Mapping) and isinstance(step, str):
            body = body.get(step)
        elif isinstance(body, list) and isinstance(step, int) and step < len(body):
            body = body[step]
        else:
            return None
    return body


def is_accepted(document: Document, finding: LintFinding) -> bool:
    value = _value_at(document.body, finding.path)
    values = [v for v in items(value) or [] if isinstance(v, str)]
    return any(
        finding.check == accepted.check
        and document.resource.type in accepted.types
        and values
        and all(accepted.value.fullmatch(v) for v in values)
        for accepted in ACCEPTED
    )


# --- collecting the documents -------------------------------------------------------------------


def _has_opaque(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_opaque(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_opaque(v) for v in value)
    return isinstance(value, str) and value in (UNKNOWN, SECRET)


def documents(resources: Sequence[PolicyResource]) -> tuple[list[Document], list[Finding]]:
    """The policy documents of the resources, and a finding for each one that is not JSON."""
    found: list[Document] = []
    unreadable: list[Finding] = []

    def add(r: PolicyResource, where: str, slot: Slot, raw: Any) -> None:
        if raw in (None, "") or is_opaque(raw):
            return
        body = policy_document(raw)
        if body is None:
            unreadable.append(Finding(r.urn, f"{r.name}: {where} is not a JSON policy document"))
        elif not _has_opaque(body):  # an unknown inside: lint it once it is known
            found.append(Document(r, where, slot, body))

    for r in resources:
        for prop, slot in DOCUMENTS.get(r.type, ()):
            add(r, prop, slot, r.props.get(prop))
        if r.type == IAM_ROLE:
            for i, inline in enumerate(items(r.props.get("inlinePolicies")) or []):
                add(r, f"inlinePolicies[{i}].policy", IDENTITY, dig(inline, "policy"))
    return found, unreadable


# --- linting, with a cache ----------------------------------------------------------------------


def _cache_file() -> Path:
    root = os.environ.get("TAP_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "tap"
    )
    return Path(root) / "iam-lint.json"


def _key(slot: Slot, body: Mapping[str, Any], linter: str) -> str:
    text = json.dumps([_CACHE_FORMAT, linter, slot.cfn_type, body], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def _from_cache(entry: Any) -> list[LintFinding] | None:
    """A cached verdict, or None when the entry is not one (then the document is linted)."""
    if not isinstance(entry, list):
        return None
    findings = []
    for item in entry:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[2], list)):
            return None
        check, message, path = item
        findings.append(LintFinding(str(check), str(message), tuple(path)))
    return findings


# Past this many verdicts the cache keeps only the latest plan's.
_CACHE_LIMIT = 5000


def _write_cache(path: Path, entries: dict[str, Any]) -> None:
    """Best effort and atomic: a cache that can't be written only costs time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as out:
            json.dump(entries, out)
        os.replace(out.name, path)
    except OSError:
        return


def _template(batch: Sequence[Document]) -> dict[str, Any]:
    resources = {}
    for i, document in enumerate(batch):
        slot = document.slot
        properties: dict[str, Any] = {slot.cfn_property: document.body}
        if slot.target == "Bucket":  # one policy per bucket, or cfn-lint objects
            properties["Bucket"] = f"bucket-{i}"
        elif slot.target is not None:
            properties[slot.target] = [f"target-{i}"]
        resources[f"Document{i}"] = {"Type": slot.cfn_type, "Properties": properties}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def run_cfn_lint(batch: Sequence[Document]) -> list[list[LintFinding]]:
    """cfn-lint's IAM findings for each document, in order (imports cfn-lint: about 1 s)."""
    import cfnlint.api  # type: ignore[import-untyped]  # noqa: PLC0415

    # I3510 is informational in cfn-lint; include_checks turns it on.
    config = cfnlint.api.ManualArgs(include_checks=["I"], regions=["us-east-1"])
    matches = cfnlint.api.lint(json.dumps(_template(batch)), config=config)
    found: list[list[LintFinding]] = [[] for _ in batch]
    for match in matches:
        path = list(getattr(match, "path", None) or [])
        if match.rule.id not in LINT_CHECKS or len(path) < 4 or path[0] != "Resources":
            continue
        index = int(str(path[1]).removeprefix("Document"))
        inside = tuple(path[4:])  # after Resources, DocumentN, Properties, <property>
        found[index].append(LintFinding(match.rule.id, match.message, inside))
    return found


Linter = Callable[[Sequence[Document]], list[list[LintFinding]]]


def lint(batch: Sequence[Document], linter: Linter = run_cfn_lint) -> list[list[LintFinding]]:
    """Findings per document: cached ones, and a single linter run over the rest."""
    if not batch:
        return []
    path = _cache_file()
    cache = _read_cache(path)
    tag = version("cfn-lint")
    keys = [_key(d.slot, d.body, tag) for d in batch]
    verdicts = [_from_cache(cache.get(key)) for key in keys]
    missing = [i for i, verdict in enumerate(verdicts) if verdict is None]
    if missing:
        fresh = linter([batch[i] for i in missing])
        for i, findings in zip(missing, fresh, strict=True):
            verdicts[i] = findings
        if len(cache) + len(missing) > _CACHE_LIMIT:
            cache = {}
        for key, verdict in zip(keys, verdicts, strict=True):
            cache[key] = [[f.check, f.message, list(f.path)] for f in verdict or ()]
        _write_cache(path, cache)
    return [verdict or [] for verdict in verdicts]


def _location(path: Sequence[str | int]) -> str:
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return text.lstrip(".") or "the document"


@_book.stack(
    "iam-policy-lint",
    "TAP.6",
    "Every IAM policy document (identity, trust and resource policies: roles, key, bucket, "
    "topic, queue and API policies) passes cfn-lint's IAM checks: grammar, principals, condition "
    "operators, known actions, and resource ARNs that fit the actions. Accepted findings are "
    "listed with their reasons (tap/policy/rules/iam_lint.py).",
    subjects=tuple(DOCUMENTS),
)
def _iam_policy_lint(
    resources: Sequence[PolicyResource], config: PolicyConfig
) -> Iterator[Finding]:
    batch, unreadable = documents(resources)
    yield from unreadable
    for document, findings in zip(batch, lint(batch), strict=True):
        for finding in findings:
            if is_accepted(document, finding):
                continue
            r = document.resource
            yield Finding(
                r.urn,
                f"{r.name}: {document.where}, {_location(finding.path)}: {finding.message} "
                f"(cfn-lint {finding.check})",
            )


RULES = _book.rules
