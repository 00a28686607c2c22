"""Structural facts of the delivery workflows, which no linter knows about: gating, approval on
a preview, per-stack concurrency, SHA pins, role separation, minimal permissions."""

from __future__ import annotations

import json
import os
import re
import subprocess
from functools import cache
from importlib import metadata
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, STACKS
from tests.delivery.conftest import SCRIPTS  # also puts .github/scripts on sys.path

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
# owner/repo@<full commit SHA> # vMAJOR.MINOR.PATCH: the comment is what Dependabot updates.
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")
# Stacks the pull request previews reach with credentials (prod's are out of that role's reach).
PR_PREVIEW_STACKS = sorted(set(STACKS) - {"prod"})
ROLE_VARIABLES = {
    "AWS_PR_PREVIEW_ROLE_ARN",
    "AWS_PREVIEW_ROLE_ARN",
    "AWS_DRIFT_ROLE_ARN",
    "AWS_DEPLOY_ROLE_ARN",
}


@cache
def workflow(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the `on:` key as True.
    if True in document:
        document["on"] = document.pop(True)
    return dict(document)


def jobs(name: str) -> dict[str, dict[str, Any]]:
    return dict(workflow(name)["jobs"])


def steps(name: str, job: str | None = None) -> list[dict[str, Any]]:
    selected = [jobs(name)[job]] if job else list(jobs(name).values())
    return [step for j in selected for step in j.get("steps", [])]


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).startswith(action + "@")


def runs(name: str, job: str | None = None) -> str:
    return "\n".join(str(s.get("run", "")) for s in steps(name, job))


def all_workflows() -> list[str]:
    return sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_expected_workflows_exist() -> None:
    assert set(all_workflows()) == {
        "ci.yml",
        "preview.yml",
        "plan-diff.yml",
        "plan-diff-comment.yml",
        "deploy.yml",
        "deploy-stack.yml",
        "rollback.yml",
        "drift.yml",
    }


def test_matrices_cover_the_right_stacks() -> None:
    assert sorted(jobs("drift.yml")["drift"]["strategy"]["matrix"]["stack"]) == sorted(STACKS)
    assert sorted(jobs("preview.yml")["preview"]["strategy"]["matrix"]["stack"]) == (
        PR_PREVIEW_STACKS
    )
    dispatch = workflow("rollback.yml")["on"]["workflow_dispatch"]
    assert sorted(dispatch["inputs"]["stack"]["options"]) == sorted(STACKS)


# --- gating ----------------------------------------------------------------------------------


def test_deploys_run_in_the_same_pipeline_after_ci() -> None:
    pipeline = jobs("deploy.yml")
    assert workflow("deploy.yml")["on"] == {"push": {"branches": ["main"]}}
    assert pipeline["ci"] == {"uses": "./.github/workflows/ci.yml"}
    assert [job.get("with", {}).get("stack") for job in pipeline.values()] == [
        None,
        "dev",
        "staging",
        "prod",
    ]
    assert pipeline["dev"]["needs"] == "ci"
    assert pipeline["staging"]["needs"] == "dev" and pipeline["prod"]["needs"] == "staging"
    for stack in ("dev", "staging", "prod"):
        assert pipeline[stack]["uses"] == "./.github/workflows/deploy-stack.yml"
        # The commit deployed is the commit CI checked: the run's own.
        assert "ref" not in pipeline[stack]["with"]
    assert "workflow_call" in workflow("ci.yml")["on"]
    assert "push" not in workflow("ci.yml")["on"]
    # No second path to a deploy: nothing else triggers on pushes or on another workflow's run.
    for name in all_workflows():
        on = workflow(name)["on"]
        assert name == "deploy.yml" or "push" not in on, name
        assert name == "plan-diff-comment.yml" or "workflow_run" not in on, name


def test_ci_checks_the_commit_it_is_given() -> None:
    for job in jobs("ci.yml").values():
        (checkout,) = [s for s in job["steps"] if uses(s, "actions/checkout")]
        assert checkout["with"]["ref"] == "${{ inputs.ref || github.sha }}"


def test_rollback_runs_ci_on_the_old_commit_then_the_same_deploy() -> None:
    rollback = jobs("rollback.yml")
    inputs = workflow("rollback.yml")["on"]["workflow_dispatch"]["inputs"]
    assert inputs["ref"]["required"] is True and inputs["reason"]["required"] is True
    assert rollback["ci"]["needs"] == "check"
    assert rollback["ci"]["with"]["ref"] == "${{ inputs.ref }}"
    assert rollback["rollback"]["needs"] == "ci"
    assert rollback["rollback"]["uses"] == "./.github/workflows/deploy-stack.yml"
    assert rollback["rollback"]["with"] == {
        "stack": "${{ inputs.stack }}",
        "ref": "${{ inputs.ref }}",
        "rollback": True,
    }
    check = runs("rollback.yml", "check")
    assert 'git merge-base --is-ancestor "$REF" HEAD' in check
    assert "refs/heads/main" in check
    assert 'bash .github/scripts/frozen.sh "$STACK" \\\n  || fail' in check


# --- prod approval on its own preview ------------------------------------------------------


def test_the_approval_comes_after_a_preview_of_the_same_commit() -> None:
    preview, up = jobs("deploy-stack.yml")["preview"], jobs("deploy-stack.yml")["up"]
    assert "environment" not in preview, "the preview must run before any approval"
    assert up["needs"] == "preview"
    assert up["environment"]["name"] == "${{ inputs.stack }}"
    assert "actions/runs/${{ github.run_id }}" in up["environment"]["url"]
    checkout = next(s for s in preview["steps"] if uses(s, "actions/checkout"))
    assert checkout["id"] == "checkout"
    assert checkout["with"]["ref"] == "${{ inputs.ref || github.sha }}"
    assert preview["outputs"]["commit"] == "${{ steps.checkout.outputs.commit }}"
    up_checkout = next(s for s in up["steps"] if uses(s, "actions/checkout"))
    assert up_checkout["with"]["ref"] == "${{ needs.preview.outputs.commit }}"


def test_up_applies_only_what_was_approved() -> None:
    preview_run, up_run = runs("deploy-stack.yml", "preview"), runs("deploy-stack.yml", "up")
    assert "pulumi preview --stack" in preview_run and "GITHUB_STEP_SUMMARY" in preview_run
    assert 'pulumi stack export --stack "$STACK" | sha256sum' in preview_run
    assert 'pulumi stack export --stack "$STACK" | sha256sum' in up_run
    assert '"$now" != "$APPROVED_STATE"' in up_run
    assert '$REPORT compare --approved "$RUNNER_TEMP/approved/changes.json"' in up_run
    assert "compare --subset --approved" in up_run
    # The approved change set travels from the preview job to the up job.
    (upload,) = [
        s for s in steps("deploy-stack.yml", "preview") if uses(s, "actions/upload-artifact")
    ]
    (download,) = [
        s for s in steps("deploy-stack.yml", "up") if uses(s, "actions/download-artifact")
    ]
    assert upload["with"]["name"] == download["with"]["name"]
    # The update applies after the checks, without previewing anew.
    order = [s.get("name", "") for s in steps("deploy-stack.yml", "up")]
    assert order.index("the state is the one that was previewed") < order.index("pulumi up")
    assert order.index("a fresh preview is the approved one") < order.index("pulumi up")
    assert 'pulumi up --stack "$STACK" --yes --skip-preview' in up_run


def test_no_saved_update_plan_while_the_cli_keeps_it_experimental() -> None:
    # deploy-stack.yml and docs/runbook.md explain the choice; `up --plan` is hidden behind
    # PULUMI_EXPERIMENTAL in the pinned CLI.
    for name in all_workflows():
        text = (
            runs(name) + str([s.get("with") for s in steps(name)]) + str(workflow(name).get("env"))
        )
        assert "--save-plan" not in text and "--plan" not in text
        assert "PULUMI_EXPERIMENTAL" not in text


# --- concurrency -----------------------------------------------------------------------------


def test_concurrency_is_per_stack_and_never_cancels_a_deploy() -> None:
    for job in ("preview", "up"):
        concurrency = jobs("deploy-stack.yml")[job]["concurrency"]
        assert concurrency == {"group": "deploy-${{ inputs.stack }}", "cancel-in-progress": False}
    for name in ("deploy.yml", "deploy-stack.yml", "rollback.yml", "drift.yml"):
        assert "concurrency" not in workflow(name), f"{name}: one group would serialize stacks"
    drift = jobs("drift.yml")["drift"]["concurrency"]
    assert drift["group"] == "drift-${{ matrix.stack }}" and drift["cancel-in-progress"] is False


def test_pull_request_runs_replace_each_other() -> None:
    for name in ("preview.yml", "plan-diff.yml"):
        concurrency = workflow(name)["concurrency"]
        assert "${{ github.event.pull_request.number }}" in concurrency["group"]
        assert concurrency["cancel-in-progress"] is True
    # CI cancels only pull request runs: as the pipeline's first job it must finish.
    assert workflow("ci.yml")["concurrency"]["cancel-in-progress"] == (
        "${{ github.event_name == 'pull_request' }}"
    )


# --- pins ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", all_workflows())
def test_actions_are_pinned_by_commit_sha_with_the_version(name: str) -> None:
    lines = [line for line in (WORKFLOWS / name).read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        if "uses: ./" in line:
            continue
        assert PINNED.match(line), f"{name}: not pinned by SHA with a version comment: {line}"


def test_each_action_has_one_pin() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for name in all_workflows():
        for line in (WORKFLOWS / name).read_text().splitlines():
            if match := PINNED.match(line):
                pins.setdefault(match[1], set()).add((match[2], match[3]))
    assert {action for action, found in pins.items() if len(found) > 1} == set()
    # setup-python is gone: setup-uv provides the interpreter.
    assert "actions/setup-python" not in pins


def test_dependabot_keeps_actions_and_python_current() -> None:
    config = yaml.safe_load((PROJECT_DIR / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert ecosystems == {"github-actions", "uv"}


# --- credentials and permissions -------------------------------------------------------------


def credential_steps() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, job_id, step)
        for name in all_workflows()
        for job_id, job in jobs(name).items()
        for step in job.get("steps", [])
        if uses(step, "aws-actions/configure-aws-credentials")
    ]


def role_variable(step: dict[str, Any]) -> str:
    match = re.fullmatch(r"\$\{\{ vars\.(\w+) \}\}", step["with"]["role-to-assume"])
    assert match, step["with"]["role-to-assume"]
    return match[1]


def test_each_role_is_used_by_its_own_kind_of_job() -> None:
    used = {(name, job, role_variable(step)) for name, job, step in credential_steps()}
    assert used == {
        ("preview.yml", "preview", "AWS_PR_PREVIEW_ROLE_ARN"),
        ("deploy-stack.yml", "preview", "AWS_PREVIEW_ROLE_ARN"),
        ("deploy-stack.yml", "up", "AWS_DEPLOY_ROLE_ARN"),
        ("drift.yml", "drift", "AWS_DRIFT_ROLE_ARN"),
    }
    assert {role for _, _, role in used} == ROLE_VARIABLES
    # The subjects the trust policies name: environment jobs for deploys and drift, the
    # pull_request subject for PR previews, main for the pre-approval preview.
    assert jobs("deploy-stack.yml")["up"]["environment"]["name"] == "${{ inputs.stack }}"
    assert jobs("drift.yml")["drift"]["environment"] == "drift"
    assert "environment" not in jobs("preview.yml")["preview"]
    assert set(workflow("preview.yml")["on"]) == {"pull_request"}


def test_no_pull_request_job_can_reach_other_roles_or_secrets() -> None:
    for name in all_workflows():
        on = workflow(name)["on"]
        text = (WORKFLOWS / name).read_text()
        assert "pull_request_target" not in on, name
        if "pull_request" in on:
            assert set(ROLE_VARIABLES & set(re.findall(r"vars\.(\w+)", text))) <= {
                "AWS_PR_PREVIEW_ROLE_ARN"
            }, name
            assert "secrets." not in text, f"{name} runs pull request code"
    # The offline plan diff runs fork code: no credentials of any kind.
    assert "id-token" not in (WORKFLOWS / "plan-diff.yml").read_text()


def test_oidc_sessions_outlast_their_jobs() -> None:
    for name, job_id, step in credential_steps():
        job = jobs(name)[job_id]
        duration = int(step["with"]["role-duration-seconds"])
        assert duration >= int(job["timeout-minutes"]) * 60, (name, job_id)
        # AssumeRoleWithWebIdentity accepts up to 12 hours, if the role allows it.
        assert duration <= 12 * 3600
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"])
    for name in all_workflows():
        text = (WORKFLOWS / name).read_text()
        assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text


# Write scopes each job may hold, and why.
ALLOWED_WRITES = {
    ("preview.yml", "preview"): {"id-token", "pull-requests"},
    ("deploy-stack.yml", "preview"): {"id-token"},
    ("deploy-stack.yml", "up"): {"id-token"},
    ("drift.yml", "drift"): {"id-token"},
    ("plan-diff-comment.yml", "comment"): {"pull-requests"},
    # Callers grant what the called deploy-stack.yml jobs need.
    ("deploy.yml", "dev"): {"id-token"},
    ("deploy.yml", "staging"): {"id-token"},
    ("deploy.yml", "prod"): {"id-token"},
    ("rollback.yml", "rollback"): {"id-token"},
}


@pytest.mark.parametrize("name", all_workflows())
def test_permissions_are_minimal_per_job(name: str) -> None:
    assert workflow(name).get("permissions") == {"contents": "read"}, (
        f"{name}: the workflow grants only contents: read; jobs raise what they need"
    )
    for job_id, job in jobs(name).items():
        permissions = job.get("permissions", {"contents": "read"})
        assert isinstance(permissions, dict), f"{name}/{job_id}: no write-all or read-all"
        assert permissions.get("contents") == "read"
        writes = {k for k, v in permissions.items() if v == "write"}
        assert writes == ALLOWED_WRITES.get((name, job_id), set()), (name, job_id)
        reads = {k for k, v in permissions.items() if v == "read"} - {"contents"}
        assert reads <= ({"actions"} if name == "plan-diff-comment.yml" else set())
        if "id-token" in writes and "uses" not in job:
            assert any(uses(s, "aws-actions/configure-aws-credentials") for s in job["steps"])


@pytest.mark.parametrize("name", all_workflows())
def test_checkouts_do_not_leave_the_token_behind(name: str) -> None:
    for step in steps(name):
        if uses(step, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, name


# --- pull requests ---------------------------------------------------------------------------


def test_pr_previews_comment_on_failure_too() -> None:
    preview = steps("preview.yml", "preview")
    names = [s.get("name", s.get("id", "")) for s in preview]
    comment = preview[names.index("comment on the pull request")]
    assert comment["if"].startswith("${{ always()")
    assert "pr_comment.py upsert" in comment["run"]
    assert '--marker "<!-- tap:pulumi-preview:$STACK -->"' in comment["run"]
    report = preview[names.index("report")]
    assert report["if"].startswith("${{ always()")
    assert "--failed-step" in report["run"]
    # The job still fails after commenting.
    assert preview[-1]["run"] == 'exit "$EXIT_CODE"'
    # pulumi/actions only installs the CLI: its own comment skips failures and policy results.
    for name in all_workflows():
        for step in steps(name):
            if uses(step, "pulumi/actions"):
                assert set(step["with"]) == {"pulumi-version-file"}


@pytest.mark.parametrize("name", ["preview.yml", "deploy-stack.yml"])
def test_the_policy_pack_runs_with_every_preview_and_deploy(name: str) -> None:
    joined = runs(name).replace("\\\n", " ")
    commands = re.findall(r"pulumi (?:preview|up) --stack[^\n]*", joined)
    assert commands
    for command in commands:
        assert "--policy-pack tap/policy --policy-pack-config policy-config.json" in command
        assert "--event-log" in command
    assert (PROJECT_DIR / "tap" / "policy" / "PulumiPolicy.yaml").is_file()


def test_the_plan_diff_runs_offline_for_every_pull_request() -> None:
    on = workflow("plan-diff.yml")["on"]
    assert set(on) == {"pull_request"}
    assert {"labeled", "unlabeled", "synchronize"} <= set(on["pull_request"]["types"])
    checkouts = [s for s in steps("plan-diff.yml") if uses(s, "actions/checkout")]
    assert [c["with"]["path"] for c in checkouts] == ["head", "base"]
    assert checkouts[1]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    text = runs("plan-diff.yml")
    assert 'tap plan --stack "$stack" --format json' in text
    assert "plan_diff.py" in text and '--labels-json "$LABELS"' in text
    assert "pulumi" not in text.replace("pull_request", "")
    (diff_step,) = [s for s in steps("plan-diff.yml") if s.get("id") == "diff"]
    assert diff_step["env"]["LABELS"] == "${{ toJSON(github.event.pull_request.labels.*.name) }}"


def test_the_override_label_is_defined_once_and_documented() -> None:
    import plan_diff  # noqa: PLC0415 - a script in .github/scripts

    runbook = (PROJECT_DIR / "docs" / "runbook.md").read_text()
    assert f"`{plan_diff.OVERRIDE_LABEL}`" in runbook
    for name in all_workflows():
        text = (WORKFLOWS / name).read_text()
        # Workflows mention it in comments only; the script decides.
        assert f"'{plan_diff.OVERRIDE_LABEL}'" not in text


def test_the_fork_safe_commenter_runs_no_pull_request_code() -> None:
    on = workflow("plan-diff-comment.yml")["on"]
    assert on == {"workflow_run": {"workflows": ["plan-diff"], "types": ["completed"]}}
    assert workflow("plan-diff.yml")["name"] == "plan-diff"
    comment = steps("plan-diff-comment.yml", "comment")
    (checkout,) = [s for s in comment if uses(s, "actions/checkout")]
    assert "ref" not in checkout["with"], "main's scripts only, never the pull request's"
    assert checkout["with"]["sparse-checkout"] == ".github/scripts"
    (download,) = [s for s in comment if uses(s, "actions/download-artifact")]
    assert download["with"]["run-id"] == "${{ github.event.workflow_run.id }}"
    text = runs("plan-diff-comment.yml")
    assert "uv " not in text and "tap " not in text
    assert "--workflow-run-event" in text and "--claimed-pr" in text


# --- deploys, drift, freeze ------------------------------------------------------------------


def test_deploys_verify_and_notify() -> None:
    assert "tap verify" in runs("deploy-stack.yml", "up")
    up = steps("deploy-stack.yml", "up")
    (slack,) = [s for s in up if uses(s, "slackapi/slack-github-action")]
    assert slack["if"] == "${{ always() }}" and slack["continue-on-error"] is True


def test_drift_tells_errors_from_drift() -> None:
    text = runs("drift.yml")
    assert "pulumi refresh --preview-only" in text and "--event-log" in text
    assert "--expect-no-changes" not in text, "it cannot tell drift from a failed login"
    assert "tap verify" in text and "--format json" in text
    drift = steps("drift.yml", "drift")
    (verdict,) = [s for s in drift if s.get("id") == "verdict"]
    assert verdict["if"].startswith("${{ always()")
    assert "pulumi_report.py drift" in verdict["run"]
    for failing in ("aws", "login", "install", "sync", "outputs"):
        assert f"steps.{failing}.outcome == 'failure'" in verdict["env"]["FAILED_STEP"]
    (slack,) = [s for s in drift if uses(s, "slackapi/slack-github-action")]
    assert slack["if"] == "${{ always() && steps.verdict.outputs.status != 'clean' }}"
    assert slack["with"]["payload-file-path"] == "${{ runner.temp }}/slack.json"
    assert workflow("drift.yml")["on"]["schedule"]


@pytest.mark.parametrize(
    ("freeze", "frozen"),
    [
        ("", False),
        ("prod", True),
        ("dev, prod", True),
        ("staging\nprod", True),
        ("all", True),
        ("production", False),
        ("*", False),
        ("dev", False),
    ],
)
def test_frozen_stacks(freeze: str, frozen: bool) -> None:
    run = subprocess.run(
        ["bash", str(SCRIPTS / "frozen.sh"), "prod"],
        env={**os.environ, "DEPLOY_FREEZE": freeze},
        cwd=PROJECT_DIR,
        check=False,
    )
    assert run.returncode == (0 if frozen else 1)


def test_frozen_stacks_do_not_deploy_except_by_rollback() -> None:
    for job in ("preview", "up"):
        (check,) = [
            s
            for s in steps("deploy-stack.yml", job)
            if s.get("name") == "deploys to this stack are not frozen"
        ]
        assert check["if"] == "${{ !inputs.rollback }}"
        assert check["env"]["DEPLOY_FREEZE"] == "${{ vars.DEPLOY_FREEZE }}"
        assert 'bash .delivery/.github/scripts/frozen.sh "$STACK"' in check["run"]
    # The report tooling comes from the workflow's commit, the program from the deployed one.
    for job in ("preview", "up"):
        delivery = [
            s
            for s in steps("deploy-stack.yml", job)
            if uses(s, "actions/checkout") and s["with"].get("path") == ".delivery"
        ]
        assert delivery and delivery[0]["with"]["ref"] == "${{ github.sha }}"


# --- one source of truth -----------------------------------------------------------------------


def test_the_pulumi_cli_version_is_pinned_in_one_place() -> None:
    version = (PROJECT_DIR / ".pulumi.version").read_text().strip()
    # The CLI and the locked SDK move together.
    assert version == metadata.version("pulumi")
    for name in all_workflows():
        for step in steps(name):
            if uses(step, "pulumi/actions"):
                assert step["with"]["pulumi-version-file"] == ".pulumi.version"


def test_ci_runs_the_same_checks_as_ci_run() -> None:
    ci_run = (PROJECT_DIR / ".ci" / "run").read_text()
    ci = (WORKFLOWS / "ci.yml").read_text()
    for tool in (
        "ruff check",
        "ruff format --check",
        "mypy",
        "actionlint",
        "--builtin-schema vendor.github-workflows",
        "--builtin-schema vendor.dependabot",
        "pytest",
    ):
        assert tool in ci_run and tool in ci, tool


# --- the roles' IAM documents (.github/iam) ----------------------------------------------------

IAM = PROJECT_DIR / ".github" / "iam"
SUBJECTS = {
    "pr-preview": "repo:${REPO}:pull_request",
    "preview": "repo:${REPO}:ref:refs/heads/main",
    "drift": "repo:${REPO}:environment:drift",
    "deploy": "repo:${REPO}:environment:${STACK}",
}
READ_VERBS = ("Describe", "Get", "List")


def iam(name: str) -> dict[str, Any]:
    document = json.loads((IAM / name).read_text())
    assert document["Version"] == "2012-10-17"
    return dict(document)


def actions(document: dict[str, Any], effect: str = "Allow") -> list[str]:
    found: list[str] = []
    for statement in document["Statement"]:
        if statement["Effect"] == effect:
            listed = statement["Action"]
            found += [listed] if isinstance(listed, str) else listed
    return found


def test_each_role_trusts_exactly_its_github_subject() -> None:
    assert sorted(p.name for p in IAM.glob("*.json")) == sorted(
        f"{role}.{kind}.json" for role in SUBJECTS for kind in ("trust", "policy")
    )
    runbook = (PROJECT_DIR / "docs" / "runbook.md").read_text()
    for role, subject in SUBJECTS.items():
        (statement,) = iam(f"{role}.trust.json")["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"]["Federated"].endswith(
            ":oidc-provider/token.actions.githubusercontent.com"
        )
        # StringEquals: no wildcard can widen the subject to other branches or environments.
        assert statement["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject,
            }
        }
        assert f"`{subject}`" in runbook, f"the runbook shows the {role} role's subject"


def test_read_roles_cannot_write_and_prs_never_reach_prod() -> None:
    for role in ("pr-preview", "preview", "drift"):
        for action in actions(iam(f"{role}.policy.json")):
            verb = action.split(":", 1)[1]
            assert verb.startswith(READ_VERBS) or action in {
                "kms:Decrypt",
                "s3:ListBucket",
                "apigateway:GET",
                "secretsmanager:GetSecretValue",
            }, f"{role}: {action} is not a read"
    pr = (IAM / "pr-preview.policy.json").read_text()
    assert "prod" not in pr and "PROD" not in pr and "stacks/tap/*" not in pr
    assert "GetSecretValue" not in pr
    assert "GetSecretValue" not in (IAM / "preview.policy.json").read_text()
    # Refreshing prod reads its generated master secret: only the drift role, only tap-prod-*.
    (secret,) = [
        s for s in iam("drift.policy.json")["Statement"] if "GetSecretValue" in str(s["Action"])
    ]
    assert secret["Resource"] == "arn:aws:secretsmanager:*:${ACCOUNT_ID}:secret:tap-prod-*"
    # No read role can read objects other than the state: no data in buckets.
    for role in ("pr-preview", "preview", "drift"):
        for statement in iam(f"{role}.policy.json")["Statement"]:
            if "s3:GetObject" in statement["Action"]:
                assert all("/.pulumi/" in r for r in statement["Resource"])


def test_a_deploy_role_writes_only_its_own_stacks_state() -> None:
    policy = iam("deploy.policy.json")
    writes = [s for s in policy["Statement"] if "s3:PutObject" in s["Action"]]
    assert writes
    for statement in writes:
        assert all("${STACK}" in r for r in statement["Resource"])
    denied = actions(policy, "Deny")
    assert {"s3:DeleteBucket", "kms:ScheduleKeyDeletion"} <= set(denied)
