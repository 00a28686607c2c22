"""tap.aurora: what a configured engine version means, and what the plan resolves it to."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from tap import aurora, awsdata
from tap.aurora import (
    EngineVersionRequest,
    find_release,
    newest_offered,
    supports_scale_to_zero,
    supports_serverless_v2,
)


class TestRequest:
    @pytest.mark.parametrize(
        ("text", "request_", "family"),
        [
            ("16", EngineVersionRequest(16), "aurora-postgresql16"),
            ("16.8", EngineVersionRequest(16, 8), "aurora-postgresql16"),
            ("13.15", EngineVersionRequest(13, 15), "aurora-postgresql13"),
            ("17.0", EngineVersionRequest(17, 0), "aurora-postgresql17"),
        ],
    )
    def test_parse(self, text: str, request_: EngineVersionRequest, family: str) -> None:
        assert EngineVersionRequest.parse(text) == request_
        assert str(request_) == text
        assert request_.family == family

    @pytest.mark.parametrize("text", ["", "v16", "16.", "16.8.1", "16.x", "1234", "16\n"])
    def test_not_a_request(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"is not <major> or <major>\.<minor>"):
            EngineVersionRequest.parse(text)

    @pytest.mark.parametrize(
        ("request_", "version", "admitted"),
        [
            (EngineVersionRequest(16), "16.0", True),
            (EngineVersionRequest(16), "16.15", True),
            (EngineVersionRequest(16), "17.1", False),
            (EngineVersionRequest(16, 8), "16.7", False),
            (EngineVersionRequest(16, 8), "16.8", True),
            (EngineVersionRequest(16, 8), "16.10", True),
            (EngineVersionRequest(16, 8), "15.9", False),
        ],
    )
    def test_admits(self, request_: EngineVersionRequest, version: str, admitted: bool) -> None:
        assert request_.admits(version) is admitted

    def test_a_three_digit_major_is_compared_by_value(self) -> None:
        # The parser takes majors up to 999; numbers that large are distinct int objects.
        request_ = EngineVersionRequest.parse("300")
        assert request_.admits("300.1")
        assert not request_.admits("301.1")

    def test_a_request_is_a_value(self) -> None:
        # The config holds one and every member's component reads it: none may change it.
        request_ = EngineVersionRequest(16, 8)
        assert {request_: "x"}[EngineVersionRequest(16, 8)] == "x"
        with pytest.raises(FrozenInstanceError):
            request_.major = 17  # type: ignore[misc]


class TestSupport:
    @pytest.mark.parametrize(
        ("version", "supported"),
        [
            ("12.22", False),
            ("13.14", False),
            ("13.15", True),
            ("14.11", False),
            ("14.12", True),
            ("15.6", False),
            ("15.7", True),
            ("16.2", False),
            ("16.3", True),
            ("17.3", False),
            ("17.4", True),
            ("18.0", True),  # majors newer than the table have it from their first release
        ],
    )
    def test_scale_to_zero(self, version: str, supported: bool) -> None:
        assert supports_scale_to_zero(version) is supported

    @pytest.mark.parametrize(
        ("version", "supported"),
        [
            ("12.22", False),
            ("13.5", False),
            ("13.6", True),
            ("14.2", False),
            ("14.3", True),
            ("15.1", False),
            ("15.2", True),
            ("16.0", False),
            ("16.1", True),
            ("17.0", True),
        ],
    )
    def test_serverless_v2(self, version: str, supported: bool) -> None:
        assert supports_serverless_v2(version) is supported

    def test_since_text(self) -> None:
        assert aurora.since_text({13: 15, 14: 12}) == "13.15, 14.12"


class TestOffered:
    def test_the_data_offers_releases_and_retires_old_ones(self) -> None:
        offered = aurora.offered_versions()
        assert "16.6" not in offered  # AWS marks 16.1-16.6 deprecated for new clusters
        assert "16.6" in aurora.known_releases()
        assert set(offered) <= aurora.known_releases()
        assert 16 in aurora.offered_majors()

    def test_a_release_both_offered_and_listed_as_deprecated_is_known(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # AWS's data can list a release in both (deprecated for some uses, still offered).
        monkeypatch.setattr(awsdata, "aurora_postgresql_versions", lambda: ("16.8", "16.9"))
        monkeypatch.setattr(awsdata, "deprecated_aurora_postgresql_versions", lambda: ("16.8",))
        assert aurora.known_releases() == {"16.8", "16.9"}

    def test_newest_offered_is_the_newest_release_admitted(self) -> None:
        in_16 = [v for v in aurora.offered_versions() if v.startswith("16.")]
        assert newest_offered(EngineVersionRequest(16)) == in_16[-1]
        assert newest_offered(EngineVersionRequest(16, 99)) is None
        assert newest_offered(EngineVersionRequest(10)) is None

    def test_newest_is_by_number_not_by_text(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(aurora, "offered_versions", lambda: ("16.8", "16.9", "16.10"))
        assert newest_offered(EngineVersionRequest(16)) == "16.10"


class TestFindRelease:
    """The offline plan's answer to aws.rds.get_engine_version, as the provider would answer."""

    def test_a_major_with_latest_is_its_newest_release(self) -> None:
        assert find_release("aurora-postgresql", "16", latest=True) == newest_offered(
            EngineVersionRequest(16)
        )

    def test_an_exact_release(self) -> None:
        assert find_release("aurora-postgresql", "16.8", latest=False) == "16.8"

    def test_a_prefix_is_a_whole_part(self) -> None:
        # "1" must not match 16.x or 17.x.
        with pytest.raises(LookupError, match="no RDS engine versions of aurora-postgresql"):
            find_release("aurora-postgresql", "1", latest=True)

    def test_several_matches_without_latest_is_the_providers_error(self) -> None:
        with pytest.raises(LookupError, match="multiple RDS engine versions") as error:
            find_release("aurora-postgresql", "16", latest=False)
        assert awsdata.source() in str(error.value)

    def test_a_retired_release_is_not_found(self) -> None:
        with pytest.raises(LookupError, match="no RDS engine versions"):
            find_release("aurora-postgresql", "16.6", latest=False)

    @pytest.mark.parametrize("engine", ["mysql", "aurora-mysql", "aurora-postgresql-limitless"])
    def test_other_engines_are_not_known_offline(self, engine: str) -> None:
        with pytest.raises(LookupError, match=f"not {engine}$"):
            find_release(engine, "8.0", latest=True)
