"""Create or edit the one comment a workflow keeps on a pull request.

Each report starts with a marker (an HTML comment such as `<!-- tap:plan-diff -->`); the
comment by github-actions[bot] that starts with it is edited on each push instead of adding
another. Standard library only: the `workflow_run` commenter runs it without installing the
project.

- `upsert --pr N`: the pull request is known (a `pull_request` job of this repository).
- `upsert --workflow-run-event FILE`: the commenter of a fork-safe workflow. The pull request
  is found from the event (head owner, branch and SHA), never taken from the artifact, which
  the pull request's own code wrote; `--claimed-pr` is only cross-checked.

Exit codes: 0 posted, 1 GitHub refused, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_GITHUB = 1
EXIT_BAD_INPUT = 2

# GitHub refuses comment bodies over 65,536 characters.
MAX_BODY = 65_536
BOT_LOGIN = "github-actions[bot]"
API = "https://api.github.com"

Transport = Callable[[str, str, dict[str, Any] | None], Any]


class CommentError(Exception):
    """Bad input or an answer from GitHub we cannot use: one line."""


class GitHubError(CommentError):
    """GitHub refused a request."""


def github_transport(token: str, api: str = API) -> Transport:
    """Calls GitHub's REST API with a token; returns the decoded JSON answer."""

    def call(method: str, path: str, body: dict[str, Any] | None) -> Any:
        request = urllib.request.Request(
            api + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise GitHubError(
                f"GitHub answered {error.code} to {method} {path}: {detail}"
            ) from None

    return call


def fit(marker: str, body: str) -> str:
    """The comment text: the marker first, cut to GitHub's limit with a note."""
    text = f"{marker}\n{body.strip()}\n"
    if len(text) <= MAX_BODY:
        return text
    note = "\n\n*(cut to GitHub's comment limit: the full report is in the run's summary)*\n"
    return text[: MAX_BODY - len(note)] + note


def upsert(call: Transport, repo: str, pr: int, marker: str, body: str) -> str:
    """Edit this marker's comment on the pull request, or create it. Returns 'edited' or
    'created'."""
    text = fit(marker, body)
    page = 1
    while True:
        comments = call("GET", f"/repos/{repo}/issues/{pr}/comments?per_page=100&page={page}", None)
        if not isinstance(comments, list):
            raise CommentError(f"unexpected answer listing the comments of #{pr}")
        for comment in comments:
            if (comment.get("user") or {}).get("login") == BOT_LOGIN and str(
                comment.get("body", "")
            ).startswith(marker):
                call("PATCH", f"/repos/{repo}/issues/comments/{comment['id']}", {"body": text})
                return "edited"
        if len(comments) < 100:
            break
        page += 1
    call("POST", f"/repos/{repo}/issues/{pr}/comments", {"body": text})
    return "created"


def pull_request_of_run(call: Transport, event: dict[str, Any], claimed: int | None) -> int:
    """The open pull request a `workflow_run` event belongs to, found from its head.

    For fork pull requests `workflow_run.pull_requests` is empty, so search the open pull
    requests by head owner and branch and keep those at the run's head SHA."""
    run = event.get("workflow_run") or {}
    repo = (event.get("repository") or {}).get("full_name")
    head_owner = ((run.get("head_repository") or {}).get("owner") or {}).get("login")
    branch, sha = run.get("head_branch"), run.get("head_sha")
    if run.get("event") != "pull_request":
        raise CommentError(f"the run was triggered by {run.get('event')!r}, not a pull request")
    if not (repo and head_owner and branch and sha):
        raise CommentError("the workflow_run event lacks the head repository, branch or SHA")
    head = urllib.parse.quote(f"{head_owner}:{branch}", safe=":")
    pulls = call("GET", f"/repos/{repo}/pulls?state=open&head={head}&per_page=100", None)
    matches = sorted(
        int(p["number"])
        for p in pulls or []
        if isinstance(p, dict) and (p.get("head") or {}).get("sha") == sha
    )
    if claimed is not None:
        if claimed not in matches:
            raise CommentError(
                f"the artifact names #{claimed}, but the open pull requests at {sha[:12]} are "
                f"{matches or 'none'}: not commenting"
            )
        return claimed
    if len(matches) != 1:
        raise CommentError(f"expected one open pull request at {sha[:12]}, found {matches}")
    return matches[0]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upsert", help="create or edit the marker's comment")
    target = up.add_mutually_exclusive_group(required=True)
    target.add_argument("--pr", type=int, help="the pull request number")
    target.add_argument(
        "--workflow-run-event", type=Path, help="GITHUB_EVENT_PATH of a workflow_run job"
    )
    up.add_argument("--claimed-pr", type=Path, help="a file with the number the artifact claims")
    up.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY"))
    up.add_argument("--marker", required=True, help="e.g. '<!-- tap:plan-diff -->'")
    up.add_argument("--body-file", type=Path, required=True)
    up.add_argument("--header", default="", help="a line put before the body")
    return parser


def main(argv: Sequence[str] | None = None, call: Transport | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if not (args.marker.startswith("<!--") and args.marker.endswith("-->")):
            raise CommentError("--marker must be an HTML comment, <!-- ... -->")
        if call is None:
            token = os.environ.get("GITHUB_TOKEN")
            if not token:
                raise CommentError("GITHUB_TOKEN is not set")
            call = github_transport(token)
        try:
            body = args.body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommentError(f"cannot read {args.body_file}: {exc}") from None
        if args.header:
            body = f"{args.header}\n\n{body}"
        if args.workflow_run_event is not None:
            event = json.loads(args.workflow_run_event.read_text(encoding="utf-8"))
            claimed = _claimed(args.claimed_pr)
            pr = pull_request_of_run(call, event, claimed)
            repo = event["repository"]["full_name"]
        else:
            pr, repo = args.pr, args.repo
        if not repo:
            raise CommentError("--repo (or GITHUB_REPOSITORY) is required")
        print(f"{upsert(call, repo, pr, args.marker, body)} the comment on #{pr}")
    except CommentError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_GITHUB if isinstance(error, GitHubError) else EXIT_BAD_INPUT
    return EXIT_OK


def _claimed(path: Path | None) -> int | None:
    if path is None or not path.is_file():
        return None
    text = path.read_text(encoding="utf-8").strip()
    if not text.isdigit():
        raise CommentError(f"{path} does not hold a pull request number")
    return int(text)


if __name__ == "__main__":
    sys.exit(main())
