"""What a check reports: the control it belongs to, and one result per resource and setting.

A result's status is

- `pass`: the setting is what the program declares;
- `drift`: the resource exists, but the setting differs or was removed (versioning suspended,
  public access block deleted, retention policy deleted, ...);
- `fail`: the resource the outputs name does not exist;
- `unknown`: the setting could not be read (throttled after retries, access denied, no answer,
  a reply that is not what the API promises), so nothing is claimed about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from tap.verify.replies import UnexpectedReply

Status = Literal["pass", "drift", "fail", "unknown"]
STATUSES: tuple[Status, ...] = ("pass", "drift", "fail", "unknown")

GLOBAL = "global"  # the region column of account-wide checks (IAM)

Reply = TypeVar("Reply")
# What a check makes of an AWS reply: the actual value, and whether it passes (a bare string
# passes when it equals the expected one).
Interpretation = str | tuple[str, bool]


@dataclass(frozen=True)
class CheckResult:
    control: str
    check: str
    region: str
    resource: str
    status: Status
    expected: str
    actual: str


@dataclass(frozen=True)
class Failure:
    """Why a read returned no reply: the status it means for the check, and what to show."""

    status: Status
    actual: str

    @classmethod
    def unexpected(cls, error: UnexpectedReply) -> Failure:
        return cls("unknown", f"unexpected reply ({error})")


@dataclass(frozen=True)
class Control:
    """A setting tap verify reads; `id` is the control id the policy pack reports too."""

    id: str
    check: str  # the short name in reports
    passes_when: str

    def judge(
        self,
        region: str,
        resource: str,
        expected: str,
        actual: str,
        ok: bool | None = None,
    ) -> CheckResult:
        """A setting was read: pass when it is as expected (`ok`, else expected == actual)."""
        passed = expected == actual if ok is None else ok
        status: Status = "pass" if passed else "drift"
        return CheckResult(self.id, self.check, region, resource, status, expected, actual)

    def unread(self, region: str, resource: str, expected: str, failure: Failure) -> CheckResult:
        return CheckResult(
            self.id, self.check, region, resource, failure.status, expected, failure.actual
        )

    def evaluate(
        self,
        region: str,
        resource: str,
        expected: str,
        reply: Reply | Failure,
        interpret: Callable[[Reply], Interpretation],
    ) -> CheckResult:
        """The result of one read: its failure, or the judgement of what it returned."""
        if isinstance(reply, Failure):
            return self.unread(region, resource, expected, reply)
        try:
            interpretation = interpret(reply)
        except UnexpectedReply as error:
            return self.unread(region, resource, expected, Failure.unexpected(error))
        if isinstance(interpretation, str):
            return self.judge(region, resource, expected, interpretation)
        actual, ok = interpretation
        return self.judge(region, resource, expected, actual, ok)
