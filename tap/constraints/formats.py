"""The `format` names of cfn-lint's schemas that tap checks, and what each one means.

cfn-lint implements its formats in Python (cfnlint/rules/formats/*.py), not as data, and its
import costs more than the whole plan check. So the patterns are kept here, and
tests/constraints/test_formats.py compares each one with cfn-lint's own class: updating cfn-lint
fails that test if a pattern changed. Formats of identifiers and ARNs that the plan's mock engine
invents (`AWS::EC2::VPC.Id`, `AWS::KMS::Key.Arn`) are not checked: no mapping reads them.

The S3 bucket-name format adds the rules of the S3 naming page that cfn-lint's pattern leaves
out (IP-address form, reserved prefixes and suffixes).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from tap.constraints.schema import compile_pattern

# cfn-lint's FormatKeyword patterns (cfnlint/rules/formats/<Class>.py), keyed by format name.
CFN_LINT_PATTERNS: dict[str, str] = {
    "AWS::S3::Bucket.Name": (
        r"^(?![.\-])(?!.*\.\.)(?!.*\-\.)(?!.*\.\-)[a-z0-9.\-]{3,63}(?<![.\-])$"
    ),
    "AWS::Logs::LogGroup.Name": r"^[\.\-_\/#A-Za-z0-9]{1,512}\Z",
    "AWS::KMS::Alias.AliasName": r"^alias/[a-zA-Z0-9:/_-]+$",
    "AWS::EC2::SecurityGroup.Name": r"^[a-zA-Z0-9 \._\-:\/()#\,@\[\]+=&;\{\}!\$\*]+$",
}
# The cfn-lint class that defines each format (for the test that keeps the copy honest).
CFN_LINT_CLASSES: dict[str, str] = {
    "AWS::S3::Bucket.Name": "S3BucketName",
    "AWS::Logs::LogGroup.Name": "LogGroupName",
    "AWS::KMS::Alias.AliasName": "KmsAliasName",
    "AWS::EC2::SecurityGroup.Name": "SecurityGroupName",
}

S3_BUCKET_NAMING_RULES = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html"
)
# Reserved by S3 for its own names (S3_BUCKET_NAMING_RULES, general purpose buckets).
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


class FormatViolation(ValueError):
    """Why a value is not of its format (jsonschema carries it as the error's cause)."""


def s3_bucket_name_problems(name: str) -> list[str]:
    """Every S3 naming rule `name` breaks (empty when valid): one place for tap's checks."""
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append(f"must be 3 to 63 characters long (is {len(name)})")
    if not re.fullmatch(r"[a-z0-9.\-]*", name, re.ASCII):
        problems.append("may contain only lowercase letters, digits, dots and hyphens")
    if name and not (name[0].isalnum() and name[-1].isalnum()):
        problems.append("must begin and end with a letter or digit")
    if ".." in name or ".-" in name or "-." in name:
        problems.append("must not contain '..', '.-' or '-.'")
    if _is_ipv4_address(name):
        problems.append("must not be formatted as an IP address")
    problems += [f"must not start with {p!r}" for p in S3_RESERVED_PREFIXES if name.startswith(p)]
    problems += [f"must not end with {s!r}" for s in S3_RESERVED_SUFFIXES if name.endswith(s)]
    return problems


def _is_ipv4_address(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _s3_bucket_name(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    problems = s3_bucket_name_problems(instance)
    if not compile_pattern(CFN_LINT_PATTERNS["AWS::S3::Bucket.Name"]).search(instance):
        problems = problems or ["does not match cfn-lint's bucket-name pattern"]
    if problems:
        raise FormatViolation("; ".join(problems) + f" ({S3_BUCKET_NAMING_RULES})")
    return True


def _pattern_format(name: str) -> Callable[[object], bool]:
    compiled = compile_pattern(CFN_LINT_PATTERNS[name])

    def check(instance: object) -> bool:
        if isinstance(instance, str) and not compiled.search(instance):
            raise FormatViolation(f"does not match {CFN_LINT_PATTERNS[name]}")
        return True

    return check


def _ipv4_network(instance: object) -> bool:
    """cfn-lint's `ipv4-network`: a CIDR block whose host bits are zero."""
    if not isinstance(instance, str):
        return True
    try:
        ipaddress.IPv4Network(instance)
    except ValueError as exc:
        raise FormatViolation(str(exc)) from None
    return True


FORMATS: dict[str, Callable[[object], bool]] = {
    "AWS::S3::Bucket.Name": _s3_bucket_name,
    "AWS::Logs::LogGroup.Name": _pattern_format("AWS::Logs::LogGroup.Name"),
    "AWS::KMS::Alias.AliasName": _pattern_format("AWS::KMS::Alias.AliasName"),
    "AWS::EC2::SecurityGroup.Name": _pattern_format("AWS::EC2::SecurityGroup.Name"),
    "ipv4-network": _ipv4_network,
}
