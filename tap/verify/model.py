"""What a check reports: the control it belongs to, and one result per resource and setting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

Status = Literal["pass", "drift", "fail"]
STATUSES: tuple[Status, ...] = ("pass", "drift", "fail")

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
        interpretation = interpret(reply)
        if isinstance(interpretation, str):
            return self.judge(region, resource, expected, interpretation)
        actual, ok = interpretation
        return self.judge(region, resource, expected, actual, ok)
