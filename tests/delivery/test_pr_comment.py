"""One comment per report, edited in place; a fork's artifact never picks the pull request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pr_comment
import pytest

MARKER = "<!-- tap:plan-diff -->"
REPO = "acme/tap"


class FakeGitHub:
    """Records the REST calls and answers them from a list of comments and pull requests."""

    def __init__(
        self,
        comments: list[dict[str, Any]] | None = None,
        pulls: list[dict[str, Any]] | None = None,
    ) -> None:
        self.comments = comments or []
        self.pulls = pulls or []
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def __call__(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        self.calls.append((method, path, body))
        if method == "GET" and "/comments?" in path:
            page = int(path.rsplit("page=", 1)[1])
            return self.comments[(page - 1) * 100 : page * 100]
        if method == "GET" and "/pulls?" in path:
            return self.pulls
        return {}


def bot(comment_id: int, body: str) -> dict[str, Any]:
    return {"id": comment_id, "user": {"login": "github-actions[bot]"}, "body": body}


def test_the_markers_comment_is_edited_not_duplicated() -> None:
    github = FakeGitHub(
        [
            {"id": 1, "user": {"login": "someone"}, "body": f"{MARKER} quoting the bot"},
            bot(2, "<!-- tap:preview:dev -->\nother report"),
            bot(3, f"{MARKER}\nold"),
        ]
    )
    assert pr_comment.upsert(github, REPO, 7, MARKER, "new") == "edited"
    assert github.calls[-1] == (
        "PATCH",
        f"/repos/{REPO}/issues/comments/3",
        {"body": f"{MARKER}\nnew\n"},
    )


def test_a_comment_is_created_after_reading_every_page() -> None:
    github = FakeGitHub([bot(i, "unrelated") for i in range(150)])
    assert pr_comment.upsert(github, REPO, 7, MARKER, "body") == "created"
    pages = [path for method, path, _ in github.calls if method == "GET"]
    assert [p.rsplit("page=", 1)[1] for p in pages] == ["1", "2"]
    assert github.calls[-1][:2] == ("POST", f"/repos/{REPO}/issues/7/comments")


def test_a_long_report_is_cut_to_githubs_limit() -> None:
    text = pr_comment.fit(MARKER, "x" * 100_000)
    assert len(text) <= pr_comment.MAX_BODY
    assert text.startswith(MARKER) and "cut to GitHub's comment limit" in text


def run_event(sha: str = "a" * 40, event: str = "pull_request") -> dict[str, Any]:
    return {
        "repository": {"full_name": REPO},
        "workflow_run": {
            "event": event,
            "head_sha": sha,
            "head_branch": "feature/x",
            "head_repository": {"owner": {"login": "forker"}},
            "pull_requests": [],
        },
    }


def pull(number: int, sha: str) -> dict[str, Any]:
    return {"number": number, "head": {"sha": sha}}


def test_the_pull_request_of_a_fork_run_is_found_from_its_head() -> None:
    github = FakeGitHub(pulls=[pull(12, "a" * 40), pull(13, "b" * 40)])
    assert pr_comment.pull_request_of_run(github, run_event(), None) == 12
    assert github.calls[0][1] == (
        f"/repos/{REPO}/pulls?state=open&head=forker:feature%2Fx&per_page=100"
    )


def test_an_artifact_cannot_point_the_comment_at_another_pull_request() -> None:
    github = FakeGitHub(pulls=[pull(12, "a" * 40)])
    with pytest.raises(pr_comment.CommentError, match="the artifact names #99"):
        pr_comment.pull_request_of_run(github, run_event(), 99)
    assert pr_comment.pull_request_of_run(github, run_event(), 12) == 12


def test_ambiguous_or_foreign_runs_are_refused() -> None:
    two = FakeGitHub(pulls=[pull(12, "a" * 40), pull(14, "a" * 40)])
    with pytest.raises(pr_comment.CommentError, match="expected one open pull request"):
        pr_comment.pull_request_of_run(two, run_event(), None)
    with pytest.raises(pr_comment.CommentError, match="not a pull request"):
        pr_comment.pull_request_of_run(two, run_event(event="push"), None)


def test_main_posts_for_a_workflow_run(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps(run_event()))
    body = tmp_path / "comment.md"
    body.write_text("## diff")
    claimed = tmp_path / "pr-number"
    claimed.write_text("12\n")
    github = FakeGitHub(pulls=[pull(12, "a" * 40)])
    args = ["upsert", "--workflow-run-event", str(event), "--claimed-pr", str(claimed)]
    args += ["--marker", MARKER, "--body-file", str(body), "--header", "from run 5"]
    assert pr_comment.main(args, call=github) == 0
    method, path, payload = github.calls[-1]
    assert (method, path) == ("POST", f"/repos/{REPO}/issues/12/comments")
    assert payload == {"body": f"{MARKER}\nfrom run 5\n\n## diff\n"}


def test_main_refuses_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "comment.md"
    body.write_text("x")
    common = ["upsert", "--pr", "3", "--repo", REPO, "--body-file", str(body)]
    assert pr_comment.main([*common, "--marker", "tap"], call=FakeGitHub()) == 2
    assert "--marker must be an HTML comment" in capsys.readouterr().err
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert pr_comment.main([*common, "--marker", MARKER]) == 2
    assert "GITHUB_TOKEN is not set" in capsys.readouterr().err

    def refusing(method: str, path: str, body: dict[str, Any] | None) -> Any:
        raise pr_comment.GitHubError("GitHub answered 403 to GET ...")

    assert pr_comment.main([*common, "--marker", MARKER], call=refusing) == 1
