"""Hostile stack files: each is refused with one message naming the file and the key, or read
with the value the Pulumi CLI would hand the program.

Most go through load_stack_file and the config model for breadth; a sample goes through the
real `tap` command, which must exit 2 with one line on stderr and no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tap import stackfile
from tap.config import ConfigError, ParsedConfig
from tap.stackfile import PlanError, StackFile, StackFileError, load_stack_file
from tests.conftest import PROJECT_DIR

HEADER = "config:\n  aws:region: us-east-1\n"


def project(tmp_path: Path, body: str | bytes, stack: str = "dev") -> Path:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    path = tmp_path / f"Pulumi.{stack}.yaml"
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body)
    return tmp_path


def stack_file(tmp_path: Path, body: str | bytes, stack: str = "dev") -> StackFile:
    return load_stack_file(project(tmp_path, body, stack), stack)


def parsed(tmp_path: Path, body: str, stack: str = "dev") -> ParsedConfig:
    return stack_file(tmp_path, body, stack).parse()


def refused_file(tmp_path: Path, body: str | bytes, stack: str = "dev") -> str:
    with pytest.raises(StackFileError) as error:
        stack_file(tmp_path, body, stack)
    return str(error.value)


def refused_config(tmp_path: Path, body: str, stack: str = "dev") -> str:
    with pytest.raises(ConfigError) as error:
        parsed(tmp_path, body, stack)
    return str(error.value)


class TestTheShippedFiles:
    @pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
    def test_read_without_warnings(self, stack: str) -> None:
        result = load_stack_file(PROJECT_DIR, stack)
        assert result.warnings == ()
        assert result.parse().config.database.engine_version == "16"


class TestYaml12AsTheCliReadsIt:
    def test_yes_is_a_string_so_a_boolean_key_refuses_it(self, tmp_path: Path) -> None:
        assert refused_config(tmp_path, HEADER + "  tap:enableBastionSsh: yes\n") == (
            "tap:enableBastionSsh must be true or false, got 'yes'"
        )

    def test_yes_is_kept_as_text_in_a_tag(self, tmp_path: Path) -> None:
        config = parsed(tmp_path, HEADER + "  tap:tags:\n    Backup: yes\n").config
        assert config.tags == {"Backup": "yes"}

    def test_base_60_is_text(self, tmp_path: Path) -> None:
        config = parsed(tmp_path, HEADER + "  tap:tags:\n    Window: 8:32\n").config
        assert config.tags == {"Window": "8:32"}

    def test_a_12_digit_id_with_a_leading_zero_keeps_its_digits(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:allowedAccountIds:\n    - 012345678901\n"
        assert parsed(tmp_path, body).config.allowed_account_ids == ("012345678901",)

    def test_an_id_the_cli_reads_as_octal_is_refused(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:allowedAccountIds:\n    - 012345670123\n"
        assert refused_file(tmp_path, body) == (
            "Pulumi.dev.yaml: tap:allowedAccountIds[0]: the Pulumi CLI reads the unquoted "
            '012345670123 as the octal number 1402433619; quote it ("012345670123") to keep '
            "the digits"
        )

    def test_an_octal_with_the_same_value_is_read(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:networks:\n    us-east-1:\n      azCount: 03\n"
        assert parsed(tmp_path, body).config.network("us-east-1").az_count == 3

    def test_a_date_like_suffix_reaches_the_program_as_gos_text(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:environment: dev\n  tap:environmentSuffix: 2024-01-01\n"
        message = refused_config(tmp_path, body)
        assert message.startswith(
            "tap:environmentSuffix '2024-01-01 00:00:00 +0000 UTC' is not allowed"
        )

    def test_a_date_like_tag_is_read_as_the_cli_reads_it_with_a_warning(
        self, tmp_path: Path
    ) -> None:
        result = parsed(tmp_path, HEADER + "  tap:tags:\n    Created: 2024-01-01\n")
        assert result.config.tags == {"Created": "2024-01-01 00:00:00 +0000 UTC"}
        assert result.warnings == (
            "Pulumi.dev.yaml: tap:tags.Created: the Pulumi CLI reads the unquoted 2024-01-01 as "
            "the timestamp '2024-01-01 00:00:00 +0000 UTC'; quote it to keep the text as written",
        )

    def test_a_quoted_date_stays_as_written(self, tmp_path: Path) -> None:
        result = parsed(tmp_path, HEADER + "  tap:tags:\n    Created: '2024-01-01'\n")
        assert (result.config.tags, result.warnings) == ({"Created": "2024-01-01"}, ())

    def test_a_set_is_a_map_of_nulls(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:regions: !!set {us-east-1, us-west-2}\n"
        assert refused_config(tmp_path, body) == (
            "tap:regions must be a list, got {'us-east-1': None, 'us-west-2': None}"
        )

    def test_a_whole_float_is_the_integer_go_writes(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:networks:\n    us-east-1:\n      azCount: 3.0\n"
        assert parsed(tmp_path, body).config.network("us-east-1").az_count == 3

    def test_a_quoted_number_at_the_top_is_the_same_text(self, tmp_path: Path) -> None:
        # The engine hands every top-level value over as text: "30" and 30 look alike.
        assert parsed(tmp_path, HEADER + '  tap:logRetentionDays: "30"\n').config
        assert parsed(tmp_path, HEADER + "  tap:logRetentionDays: !!str 30\n").config

    def test_merges_and_anchors(self, tmp_path: Path) -> None:
        body = (
            HEADER
            + "  tap:tags: &tags\n    Owner: team\n"
            + "  tap:database:\n    <<: {masterUsername: app_admin}\n    databaseName: app\n"
        )
        config = parsed(tmp_path, body).config
        assert (config.database.master_username, config.database.database_name) == (
            "app_admin",
            "app",
        )

    def test_a_block_scalar_keeps_its_newline_and_is_refused(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:api:\n    stageName: |\n      v1\n"
        assert refused_config(tmp_path, body) == (
            "tap:api.stageName 'v1\\n' is not allowed; use 1-128 letters, digits and underscores"
        )

    def test_only_the_first_document_counts(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:logRetentionDays: 14\n---\nconfig:\n  tap:logRetentionDays: 7\n"
        assert parsed(tmp_path, body).config.log_retention_days == 14

    def test_secrets_are_masked(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:tags:\n    Owner: team\n  other:token:\n    secure: v1:abc\n"
        result = stack_file(tmp_path, body)
        assert result.secret_keys == ("other:token",)
        assert result.engine_config()["other:token"] == "<secret>"


class TestKeys:
    def test_a_key_without_a_namespace_takes_the_projects(self, tmp_path: Path) -> None:
        config = parsed(tmp_path, HEADER + "  logRetentionDays: 14\n").config
        assert config.log_retention_days == 14

    def test_the_namespace_is_the_projects_name(self, tmp_path: Path) -> None:
        directory = project(tmp_path, HEADER + "  logRetentionDays: 14\n")
        (directory / "Pulumi.yaml").write_text("name: other\nruntime: python\n")
        assert "other:logRetentionDays" in load_stack_file(directory, "dev").config

    def test_a_project_without_a_name(self, tmp_path: Path) -> None:
        directory = project(tmp_path, HEADER)
        (directory / "Pulumi.yaml").write_text("runtime: python\n")
        with pytest.raises(StackFileError, match=r"Pulumi\.yaml has no `name:`"):
            load_stack_file(directory, "dev")

    def test_the_old_config_form_of_a_key(self, tmp_path: Path) -> None:
        config = parsed(tmp_path, HEADER + "  tap:config:logRetentionDays: 14\n").config
        assert config.log_retention_days == 14

    def test_a_key_written_twice_is_refused(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:logRetentionDays: 14\n  tap:logRetentionDays: 30\n"
        assert refused_file(tmp_path, body) == (
            "Pulumi.dev.yaml is not valid YAML: line 4: mapping key 'tap:logRetentionDays' "
            "already defined at line 3"
        )

    def test_a_nested_key_written_twice_is_refused(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:tags:\n    Owner: a\n    Owner: b\n"
        assert refused_file(tmp_path, body).endswith(
            "line 5: mapping key 'Owner' already defined at line 4"
        )

    def test_the_same_key_with_and_without_its_namespace_is_refused(self, tmp_path: Path) -> None:
        body = HEADER + "  logRetentionDays: 14\n  tap:logRetentionDays: 30\n"
        assert refused_file(tmp_path, body) == (
            "Pulumi.dev.yaml: logRetentionDays and tap:logRetentionDays are both the key "
            "tap:logRetentionDays; the Pulumi CLI keeps one of them at random, so write it once"
        )

    @pytest.mark.parametrize("key", ["a:b:c", "tap:x:y", ":config:x", "1"])
    def test_a_key_the_cli_cannot_parse(self, tmp_path: Path, key: str) -> None:
        assert refused_file(tmp_path, HEADER + f"  {key}: v\n") == (
            f"Pulumi.dev.yaml: could not parse {key} as a configuration key (configuration keys "
            "should be of the form `<namespace>:<name>`)"
        )

    def test_a_key_without_a_value(self, tmp_path: Path) -> None:
        assert refused_file(tmp_path, HEADER + "  tap:networkingStackRef:\n") == (
            'Pulumi.dev.yaml: tap:networkingStackRef has no value; write one ("" for an empty '
            "string) or remove the key"
        )

    def test_infinity_is_refused(self, tmp_path: Path) -> None:
        assert refused_file(tmp_path, HEADER + "  tap:api:\n    throttlingRateLimit: .inf\n") == (
            "Pulumi.dev.yaml: tap:api.throttlingRateLimit: inf is not a value the Pulumi CLI "
            "can pass to a program"
        )

    def test_a_typo_in_a_nested_key(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:database:\n    backupRetentionDay: 7\n"
        assert refused_config(tmp_path, body).startswith(
            "tap:database.backupRetentionDay is not a known key (did you mean "
            "tap:database.backupRetentionDays?)"
        )

    def test_a_snake_case_key_is_unknown(self, tmp_path: Path) -> None:
        assert refused_config(tmp_path, HEADER + "  tap:log_retention_days: 14\n").startswith(
            "tap:log_retention_days is not a known key (did you mean tap:logRetentionDays?)"
        )


class TestTheFile:
    @pytest.mark.parametrize(
        ("body", "shape"), [("- a\n- b\n", "a list"), ("just text\n", "a single value")]
    )
    def test_the_top_must_be_a_map(self, tmp_path: Path, body: str, shape: str) -> None:
        assert refused_file(tmp_path, body) == (
            f"Pulumi.dev.yaml must be a map with a `config:` key, not {shape} (the Pulumi CLI: "
            "expected project to be an object)"
        )

    def test_config_must_be_a_map(self, tmp_path: Path) -> None:
        assert refused_file(tmp_path, "config: [a]\n") == (
            "Pulumi.dev.yaml: `config` must be a map of keys to values"
        )

    @pytest.mark.parametrize("body", ["", "# nothing yet\n", "config:\n", "secretsprovider: x\n"])
    def test_an_empty_config_takes_the_defaults(self, tmp_path: Path, body: str) -> None:
        assert parsed(tmp_path, body).config.regions == ("us-east-1", "us-west-2")

    def test_esc_environments_warn(self, tmp_path: Path) -> None:
        result = stack_file(tmp_path, "environment:\n  - shared/dev\n" + HEADER)
        assert result.warnings == (
            "Pulumi.dev.yaml imports Pulumi ESC environments (environment:); tap plan cannot "
            "read them, so their values are missing from the plan",
        )

    def test_not_utf8(self, tmp_path: Path) -> None:
        body = (HEADER + "  tap:tags:\n    Owner: équipe\n").encode("latin-1")
        assert refused_file(tmp_path, body) == (
            "Pulumi.dev.yaml is not UTF-8 text (byte 0xe9 on line 4); the Pulumi CLI reads "
            "stack files as UTF-8, so save it in that encoding"
        )

    @pytest.mark.parametrize(
        "encoded",
        [
            b"\xef\xbb\xbf" + (HEADER + "  tap:tags:\n    Owner: équipe\n").encode(),
            b"\xff\xfe" + (HEADER + "  tap:tags:\n    Owner: équipe\n").encode("utf-16-le"),
        ],
    )
    def test_byte_order_marks(self, tmp_path: Path, encoded: bytes) -> None:
        assert parsed_bytes(tmp_path, encoded).config.tags == {"Owner": "équipe"}

    def test_control_characters_are_not_yaml(self, tmp_path: Path) -> None:
        assert refused_file(tmp_path, HEADER + "  tap:tags:\n    Owner: a\x00b\n").startswith(
            "Pulumi.dev.yaml is not valid YAML:"
        )

    def test_tabs_are_not_indentation(self, tmp_path: Path) -> None:
        assert refused_file(tmp_path, "config:\n\ttap:environment: dev\n").startswith(
            "Pulumi.dev.yaml is not valid YAML: line 2:"
        )

    def test_an_unreadable_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        project(tmp_path, HEADER)

        def denied(self: Path) -> bytes:
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "read_bytes", denied)
        with pytest.raises(StackFileError) as error:
            stackfile._read_yaml(tmp_path / "Pulumi.dev.yaml")
        assert str(error.value) == "cannot read Pulumi.dev.yaml: Permission denied"

    def test_a_stack_file_error_is_a_plan_error(self) -> None:
        assert issubclass(StackFileError, PlanError)


def parsed_bytes(tmp_path: Path, body: bytes) -> ParsedConfig:
    return stack_file(tmp_path, body).parse()


class TestConfigMistakes:
    """The config model's rules, reached through a stack file as a user writes one."""

    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            (
                "  tap:networks:\n    us-east-1:\n      cidr: 10.10.0.0/16\n"
                "    us-west-2:\n      cidr: 10.10.128.0/17\n",
                "tap:networks.us-west-2.cidr 10.10.128.0/17 overlaps tap:networks.us-east-1.cidr "
                "10.10.0.0/16; every region needs its own non-overlapping VPC CIDR",
            ),
            (
                "  tap:networks:\n    us-east-1:\n      cidr: 10.10.0.0/24\n",
                "tap:networks.us-east-1.cidr prefix /24 is too small; use a prefix between /16 "
                "and /22",
            ),
            (
                "  tap:networks:\n    us-east-1:\n      cidr: 10.10.1.0/16\n",
                "tap:networks.us-east-1.cidr '10.10.1.0/16' is not an IPv4 CIDR block like "
                "10.10.0.0/16 (10.10.1.0/16 has host bits set)",
            ),
            (
                "  tap:allowedCidrs:\n    - 10.100.0.0/16\n    - 10.100.0.0/16\n",
                "tap:allowedCidrs lists 10.100.0.0/16 more than once; AWS refuses a second "
                "identical security group rule (InvalidPermission.Duplicate), so list each CIDR "
                "once",
            ),
            ("  tap:database:\n    engineVersion: 16.99\n", None),
            (
                "  tap:database:\n    instanceClass: db.r6g.3xlarge\n",
                "tap:database.instanceClass 'db.r6g.3xlarge' is not an instance class RDS offers",
            ),
            (
                "  tap:database:\n    instanceCount: [2]\n",
                "tap:database.instanceCount must be a whole number, got [2]",
            ),
            ("  tap:database: 2\n", "tap:database must be a map, got 2"),
            (
                "  tap:monitoring:\n    thresholds:\n      dbCpuPercent: 101\n",
                "tap:monitoring.thresholds.dbCpuPercent 101 is out of range; use 1 to 100",
            ),
            (
                "  tap:environmentSuffix: dév\n",
                "tap:environmentSuffix 'dév' is not allowed",
            ),
            (
                "  tap:monitoring:\n    alarmEmail: |\n      oncall@example.com\n",
                "tap:monitoring.alarmEmail 'oncall@example.com\\n' is not an email address",
            ),
        ],
    )
    def test_refused(self, tmp_path: Path, lines: str, message: str | None) -> None:
        refused = refused_config(tmp_path, HEADER + lines)
        if message is None:  # unquoted, 16.99 is a number to YAML
            assert refused == (
                "tap:database.engineVersion 16.99 is a number to YAML, which drops trailing zeros "
                '(16.10 reads as 16.1); quote the version, e.g. "16.10"'
            )
        else:
            assert refused.startswith(message)

    def test_an_unquoted_major_is_read(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:database:\n    engineVersion: 17\n"
        assert parsed(tmp_path, body).config.database.engine_version == "17"

    def test_a_quoted_unknown_minor_names_what_is_offered(self, tmp_path: Path) -> None:
        body = HEADER + '  tap:database:\n    engineVersion: "16.99"\n'
        assert "is not an Aurora PostgreSQL release; releases AWS offers in 16:" in (
            refused_config(tmp_path, body)
        )

    def test_unicode_letters_in_tags(self, tmp_path: Path) -> None:
        body = HEADER + "  tap:tags:\n    Équipe: données\n"
        assert parsed(tmp_path, body).config.tags == {"Équipe": "données"}

    def test_prod_only_invariants(self, tmp_path: Path) -> None:
        body = "config:\n  tap:database:\n    backupRetentionDays: 6\n"
        assert refused_config(tmp_path, body, "prod") == (
            "tap:database.backupRetentionDays 6 is below the prod minimum; use 7 to 35 days"
        )
        one_region = "config:\n  tap:regions: [us-east-1]\n"
        assert parsed(tmp_path, one_region, "prod").config.database.global_database is False


# --- the real command: exit 2, one line on stderr, no traceback ---------------------------------

CLI_CASES = {
    "duplicate-key": HEADER + "  tap:environment: dev\n  tap:environment: prod\n",
    "octal-account": HEADER + "  tap:allowedAccountIds: [012345670123]\n",
    "top-level-list": "- config\n",
    "yes-for-a-boolean": HEADER + "  tap:enableBastionSsh: yes\n",
    "unknown-minor": HEADER + '  tap:database:\n    engineVersion: "16.99"\n',
    "typo-in-nested-key": HEADER + "  tap:api:\n    stagename: v1\n",
    "trailing-newline": HEADER + "  tap:environmentSuffix: |\n    dev\n",
    "unparsable-key": HEADER + "  a:b:c: 1\n",
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_the_tap_command_reports_one_line_and_exits_2(tmp_path: Path, case: str) -> None:
    directory = project(tmp_path, CLI_CASES[case])
    tap = Path(sys.executable).parent / "tap"
    result = subprocess.run(
        [str(tap), "plan", "--stack", "dev"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tap: error: ")
    assert "Traceback" not in result.stderr


def test_the_command_on_a_non_utf8_file(tmp_path: Path) -> None:
    directory = project(tmp_path, (HEADER + "  tap:tags:\n    Owner: é\n").encode("latin-1"))
    tap = Path(sys.executable).parent / "tap"
    result = subprocess.run(
        [str(tap), "plan"], cwd=directory, capture_output=True, text=True, timeout=120, check=False
    )
    assert (result.returncode, result.stderr) == (
        2,
        "tap: error: Pulumi.dev.yaml is not UTF-8 text (byte 0xe9 on line 4); the Pulumi CLI "
        "reads stack files as UTF-8, so save it in that encoding\n",
    )
