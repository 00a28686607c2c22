"""The IAM lint rule: cfn-lint's IAM checks on every kind of policy document, the accepted
findings, and the cache that keeps `tap plan` from loading cfn-lint when nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tap.policy.rules import UNKNOWN, PolicyConfig, PolicyResource, from_manifest, rule_named
from tap.policy.rules import iam_lint as L
from tap.policy.rules import resource_types as r
from tests.conftest import Planned
from tests.policy.rules.support import Case, messages, policy, res

ACCOUNT = "123456789012"
BUCKET_ARN = "arn:aws:s3:::tap-test-use1-data"

# One violating input per rule, with a piece of the message it must produce.
VIOLATIONS: dict[str, Case] = {
    "iam-policy-lint": Case(
        [
            res(
                r.IAM_ROLE_POLICY,
                policy=policy(
                    {"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": f"{BUCKET_ARN}/*"}
                ),
            )
        ],
        "'getobjekt' is not one of",
    ),
}

# Rules whose crafted case is a resource that lacks something (a companion, a key): making its
# props unknown does not supply what is missing.
FLAG_ON_ABSENCE: set[str] = set()


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test starts from an empty verdict cache of its own."""
    monkeypatch.setenv("TAP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def allow(action: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# Crafted bad documents, each with the check that must refuse it and a piece of its message.
BAD: list[tuple[PolicyResource, str, str]] = [
    (
        res(r.IAM_ROLE_POLICY, "unknown-action", policy=policy(allow("s3:GetObjekt", "*"))),
        "W3037",
        "'getobjekt' is not one of",
    ),
    (
        res(r.IAM_POLICY, "unknown-service", policy=policy(allow("s4:GetObject", BUCKET_ARN))),
        "W3037",
        "'s4' is not one of",
    ),
    (
        res(
            r.IAM_ROLE_POLICY,
            "bad-operator",
            policy=policy(
                allow(
                    "s3:GetObject",
                    f"{BUCKET_ARN}/*",
                    Condition={"StringEqualz": {"aws:SourceAccount": ACCOUNT}},
                )
            ),
        ),
        "E3510",
        "'StringEqualz' does not match any of the regexes",
    ),
    (
        res(
            r.IAM_ROLE_POLICY,
            "wrong-service-resource",
            policy=policy(allow("s3:GetObject", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue")),
        ),
        "I3510",
        "action 's3:GetObject' requires a resource of",
    ),
    (
        res(
            r.IAM_ROLE,
            "malformed-principal",
            assumeRolePolicy=policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam:{ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ),
        ),
        "E3530",
        "is not valid under any of the given schemas",
    ),
    (
        res(
            r.IAM_ROLE,
            "bad-effect-inline",
            inlinePolicies=[
                {
                    "name": "p",
                    "policy": policy({**allow("s3:GetObject", BUCKET_ARN), "Effect": "allow"}),
                }
            ],
        ),
        "E3510",
        "'allow' is not one of ['Allow', 'Deny']",
    ),
    (
        res(
            r.KMS_KEY,
            "key-without-principal",
            policy=policy(allow("kms:Decrypt", "*")),
        ),
        "E3512",
        "Only one of ['Principal', 'NotPrincipal'] is a required property",
    ),
    (
        res(
            r.BUCKET_POLICY,
            "bucket-policy-with-sqs",
            bucket="b",
            policy=policy(allow("sqs:SendMessage", BUCKET_ARN, Principal="*")),
        ),
        "W3037",
        "'sqs' is not one of ['s3']",
    ),
]


def lint_messages(resources: Sequence[PolicyResource]) -> list[str]:
    return messages(rule_named("iam-policy-lint"), list(resources))


def test_crafted_bad_documents_fail_with_the_check_that_catches_them() -> None:
    found = lint_messages([resource for resource, _, _ in BAD])
    for resource, check, piece in BAD:
        mine = [m for m in found if m.startswith(f"{resource.name}: ")]
        assert any(f"(cfn-lint {check})" in m and piece in m for m in mine), (resource.name, mine)


def test_a_finding_names_the_resource_the_property_and_the_place() -> None:
    inline = res(
        r.IAM_ROLE,
        "role",
        inlinePolicies=[
            {"name": "ok", "policy": policy(allow("s3:GetObject", f"{BUCKET_ARN}/*"))},
            {"name": "bad", "policy": policy(allow("s3:GetObjekt", f"{BUCKET_ARN}/*"))},
        ],
    )
    (message,) = lint_messages([inline])
    assert message.startswith("role: inlinePolicies[1].policy, Statement[0].Action: 'getobjekt'")
    assert message.endswith("(cfn-lint W3037)")


def test_good_documents_of_every_kind_pass() -> None:
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
    )
    deny_http = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms"
    publish = allow("sns:Publish", topic, Principal={"Service": "cloudwatch.amazonaws.com"})
    good = [
        res(r.IAM_ROLE, "role", assumeRolePolicy=trust),
        res(
            r.IAM_ROLE_POLICY,
            "role-policy",
            policy=policy(allow("s3:GetObject", f"{BUCKET_ARN}/*")),
        ),
        res(r.BUCKET_POLICY, "bucket-policy", policy=policy(deny_http)),
        res(L.SNS_TOPIC_POLICY, "topic-policy", policy=policy(publish)),
    ]
    assert lint_messages(good) == []


def test_unknown_or_unreadable_documents() -> None:
    # Unknown (a preview): nothing to lint yet, inside the document or as a whole.
    half_known = policy(allow("s3:GetObjekt", UNKNOWN))
    assert lint_messages([res(r.IAM_ROLE_POLICY, policy=half_known)]) == []
    assert lint_messages([res(r.IAM_ROLE_POLICY, policy=UNKNOWN)]) == []
    assert lint_messages([res(r.IAM_ROLE_POLICY)]) == []
    # Not JSON: cfn-lint would skip it silently, the rule does not.
    assert lint_messages([res(r.KMS_KEY, "key", policy="{not json")]) == [
        "key: policy is not a JSON policy document"
    ]


# --- accepted findings --------------------------------------------------------------------------


def _vpce_policy(resource: str) -> str:
    return policy(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": resource,
            "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}},
        }
    )


def test_api_gateway_may_name_its_own_methods_and_nothing_else_may() -> None:
    api = res(L.API_REST_API, "api", policy=_vpce_policy("execute-api:/*"))
    assert lint_messages([api]) == []
    # The same shorthand in a policy of another service, or another non-ARN on the API, fails.
    key = res(r.KMS_KEY, "key", policy=_vpce_policy("execute-api:/*"))
    other = res(L.API_REST_API, "other", policy=_vpce_policy("arn-less-thing"))
    found = lint_messages([key, other])
    assert {m.split(":", 1)[0] for m in found} == {"key", "other"}


def _raw_findings(planned: Planned) -> Iterator[tuple[L.Document, L.LintFinding]]:
    batch, unreadable = L.documents(from_manifest(planned.manifest))
    assert unreadable == []
    for document, findings in zip(batch, L.lint(batch), strict=True):
        for finding in findings:
            yield document, finding


def test_every_accepted_finding_is_still_needed_by_a_shipped_stack(
    plans: dict[str, Planned],
) -> None:
    accepted = {
        (d.resource.type, f.check)
        for planned in plans.values()
        for d, f in _raw_findings(planned)
        if L.is_accepted(d, f)
    }
    for entry in L.ACCEPTED:
        assert any(check == entry.check and t in entry.types for t, check in accepted), entry
        assert len(entry.reason) > 40


def test_the_shipped_stacks_have_documents_of_every_kind_they_use(
    plans: dict[str, Planned],
) -> None:
    batch, _ = L.documents(from_manifest(plans["staging"].manifest))
    slots = {d.slot for d in batch}
    assert {L.TRUST, L.IDENTITY, L.KEY, L.BUCKET_SLOT, L.TOPIC} <= slots
    assert any(d.resource.type == L.API_REST_API for d in batch)  # staging's PRIVATE API


# --- the cache ----------------------------------------------------------------------------------


class CountingLinter:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, batch: Sequence[L.Document]) -> list[list[L.LintFinding]]:
        self.batches.append(len(batch))
        return [[L.LintFinding("W3037", f"finding {d.where}", ("Statement", 0))] for d in batch]


def _docs(*actions: str) -> list[L.Document]:
    resources = [
        res(r.IAM_ROLE_POLICY, f"p{i}", policy=policy(allow(a, "*"))) for i, a in enumerate(actions)
    ]
    return L.documents(resources)[0]


def test_verdicts_are_cached_per_document(own_cache: Path) -> None:
    linter = CountingLinter()
    first = L.lint(_docs("s3:GetObject", "s3:PutObject"), linter)
    again = L.lint(_docs("s3:GetObject", "s3:PutObject", "s3:ListBucket"), linter)
    assert linter.batches == [2, 1]  # only the new document is linted
    assert again[:2] == first
    assert again[2] == [L.LintFinding("W3037", "finding policy", ("Statement", 0))]
    assert L.lint([], linter) == [] and linter.batches == [2, 1]


def test_a_damaged_or_unwritable_cache_only_costs_time(
    own_cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    linter = CountingLinter()
    L.lint(_docs("s3:GetObject"), linter)
    cache_file = own_cache / "iam-lint.json"
    entries = json.loads(cache_file.read_text())
    cache_file.write_text(json.dumps({key: [["W3037"]] for key in entries}))
    L.lint(_docs("s3:GetObject"), linter)
    cache_file.write_text("{not json")
    L.lint(_docs("s3:GetObject"), linter)
    assert linter.batches == [1, 1, 1]
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("TAP_CACHE_DIR", str(blocked / "cache"))
    assert L.lint(_docs("s3:GetObject"), linter)[0][0].check == "W3037"


def test_a_new_cfn_lint_lints_again(monkeypatch: pytest.MonkeyPatch) -> None:
    linter = CountingLinter()
    L.lint(_docs("s3:GetObject"), linter)
    monkeypatch.setattr(L, "version", lambda _: "99.0.0")
    L.lint(_docs("s3:GetObject"), linter)
    assert linter.batches == [1, 1]


def test_the_rule_runs_with_the_stack_config() -> None:
    rule = rule_named("iam-policy-lint")
    assert rule.enforcement == "mandatory" and rule.is_stack_rule
    assert set(rule.subjects) == set(L.DOCUMENTS)
    bad = VIOLATIONS["iam-policy-lint"].resources
    assert messages(rule, bad, "prod") == messages(rule, bad, "dev") != []
    assert PolicyConfig("prod").is_prod
