"""AWS limits at their exact boundaries, where tap.limits states them as code.

The values come from AWS's documentation (each cited in tap/limits.py); these tests hold the
boundaries, so a changed constant or comparison fails here and not in a deploy.
"""

from __future__ import annotations

import pytest

from tap.limits import (
    SECRET_ARN_SUFFIX_LENGTH,
    WAF_DEFAULT_EVALUATION_WINDOW_SECONDS,
    check_secret_name,
    secret_name_looks_suffixed,
)


@pytest.mark.parametrize(
    ("name", "suffixed"),
    [
        ("tap-prod-use1-aurora-master", True),  # "-" + "master": six characters
        ("x-abcdef", True),
        ("-abcdef", True),  # the hyphen may be the name's first character
        ("x-abcde", False),  # five characters after the hyphen
        ("x-abcdefg", False),  # seven
        ("xyabcdef", False),  # no hyphen where the suffix would start
        ("abcdef", False),  # too short to carry "-" and six characters
        ("abcde", False),  # shorter still: nothing to index
        ("", False),
        ("x+abcdef", False),  # only a hyphen: "+" sorts before "-"
        ("x,abcdef", False),  # and "," just before it
        ("tap-prod-use1-aurora-master-credentials", False),
    ],
)
def test_a_secret_name_ending_like_secrets_managers_arn_suffix(name: str, suffixed: bool) -> None:
    assert SECRET_ARN_SUFFIX_LENGTH == 6  # CreateSecret: "a hyphen followed by six characters"
    assert secret_name_looks_suffixed(name) is suffixed


def test_check_secret_name_refuses_only_suffixed_names() -> None:
    with pytest.raises(ValueError, match=r"ends in a hyphen and 6 characters"):
        check_secret_name("x-abcdef")
    check_secret_name("x-abcdefg")


def test_wafs_default_rate_window_is_five_minutes() -> None:
    # AWS::WAFv2::WebACL RateBasedStatement EvaluationWindowSec: 300 when not set.
    assert WAF_DEFAULT_EVALUATION_WINDOW_SECONDS == 300
