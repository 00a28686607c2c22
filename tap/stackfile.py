"""Stack files (`Pulumi.<stack>.yaml`) read the way the Pulumi CLI reads them (pure).

`pulumi up` and `tap plan` must hand the program the same values. The CLI
(sdk/go/common/workspace/loaders.go, LoadProjectStack) does this, and so does this module:

- reads the file as UTF-8 (a UTF-8 byte-order mark is dropped) and parses it with go-yaml v3
  (tap.goyaml: YAML 1.2 booleans, no base 60, duplicate keys refused, first document only);
- requires a map at the top; `config:` holds the keys;
- gives a key without a namespace the project's (`environment` -> `tap:environment`,
  stackConfigNamespacedWithProject) and accepts the old `tap:config:environment` form
  (config.ParseKey); any other shape is refused with the CLI's message;
- hands each value to the program as text: a string as written, anything else as JSON
  (config.object.MarshalString), with the CLI's round trip through YAML applied, so an unquoted
  date reaches the program as Go's text of a timestamp.

Where the CLI's reading is surely not what was meant (a YAML 1.1 octal such as `0755`, a key
given twice once the namespace is added, a key without a value) the file is refused with one
message naming it and the key; an unquoted date is read as the CLI reads it, with a warning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from tap import goyaml
from tap.config import NAMESPACE, ParsedConfig, decode_raw, parse
from tap.markers import SECRET
from tap.mockengine import PlanError

__all__ = [
    "PlanError",
    "StackFile",
    "StackFileError",
    "available_stacks",
    "find_project_dir",
    "load_stack_file",
    "project_name",
    "stack_config",
]

_UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}


class StackFileError(PlanError):
    """A stack file the Pulumi CLI would refuse, or would read otherwise than it is written."""


@dataclass(frozen=True)
class StackFile:
    stack: str
    path: Path
    config: dict[str, Any]  # namespaced keys -> values as the CLI reads them
    secret_keys: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def engine_config(self) -> dict[str, str]:
        """Config as the engine hands it to a program: every value a string, objects as JSON."""
        return {key: _engine_text(value) for key, value in self.config.items()}

    def parse(self) -> ParsedConfig:
        prefix = f"{NAMESPACE}:"
        raw = {k[len(prefix) :]: v for k, v in self.engine_config().items() if k.startswith(prefix)}
        parsed = parse(decode_raw(raw), self.stack)
        return replace(parsed, warnings=(*self.warnings, *parsed.warnings))


def find_project_dir(start: Path | None = None) -> Path:
    """The directory holding Pulumi.yaml: from `start` (or cwd) upwards, else the repo of tap."""
    candidates = [start or Path.cwd()]
    candidates += list(candidates[0].resolve().parents)
    candidates.append(Path(__file__).resolve().parent.parent)
    for directory in candidates:
        if (directory / "Pulumi.yaml").is_file():
            return directory
    raise PlanError("no Pulumi.yaml found here or above; run tap from the project directory")


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def project_name(project_dir: Path) -> str:
    """The `name:` of Pulumi.yaml: the namespace the CLI gives keys written without one.

    Without a Pulumi.yaml (a stack file checked on its own) that is tap's own name."""
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():
        return NAMESPACE
    document = _read_yaml(path)
    name = document.get("name") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name:
        raise StackFileError("Pulumi.yaml has no `name:`; the Pulumi CLI needs the project's name")
    return name


def load_stack_file(project_dir: Path, stack: str) -> StackFile:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(available_stacks(project_dir)) or "none"
        raise PlanError(f"unknown stack {stack!r}; stacks in {project_dir}: {known}")
    document = _read_yaml(path)
    config, warnings = stack_config(document, path.name, project_name(project_dir))
    secret_keys = tuple(k for k, v in config.items() if _is_secure(v))
    return StackFile(stack, path, config, secret_keys, warnings)


def _read_yaml(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StackFileError(f"cannot read {path.name}: {exc.strerror or exc}") from None
    try:
        return goyaml.load(_text(data, path.name))
    except goyaml.YamlError as exc:
        raise StackFileError(f"{path.name} is not valid YAML: {exc}") from None


def _text(data: bytes, name: str) -> str:
    """UTF-8 (a byte-order mark dropped), or UTF-16 with its mark, as go-yaml's reader takes."""
    for bom, encoding in _UTF16_BOMS.items():
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="strict")
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StackFileError(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); the "
            "Pulumi CLI reads stack files as UTF-8, so save it in that encoding"
        ) from None


def stack_config(
    document: Any, file_name: str, project: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The `config:` map of a parsed stack file, keyed and valued as the CLI reads it."""
    if document is None:
        return {}, ()  # an empty file: the CLI's default, empty config
    if not isinstance(document, dict):
        shape = "a list" if isinstance(document, list) else "a single value"
        raise StackFileError(
            f"{file_name} must be a map with a `config:` key, not {shape} (the Pulumi CLI: "
            "expected project to be an object)"
        )
    for key in document:
        if not isinstance(key, str):
            raise StackFileError(f"{file_name}: the top-level key {_go_text(key)} is not a string")
    config = document.get("config")
    if config is None:
        return {}, ()
    if not isinstance(config, dict):
        raise StackFileError(f"{file_name}: `config` must be a map of keys to values")
    warnings: list[str] = []
    if document.get("environment") is not None:
        warnings.append(
            f"{file_name} imports Pulumi ESC environments (environment:); tap plan cannot read "
            "them, so their values are missing from the plan"
        )
    result: dict[str, Any] = {}
    written_as: dict[str, str] = {}
    for written, value in config.items():
        key = _config_key(written, file_name, project)
        if key in result:
            raise StackFileError(
                f"{file_name}: {written_as[key]} and {_go_text(written)} are both the key {key}; "
                "the Pulumi CLI keeps one of them at random, so write it once"
            )
        written_as[key] = _go_text(written)
        if value is None:
            raise StackFileError(
                f'{file_name}: {key} has no value; write one ("" for an empty string) or '
                "remove the key"
            )
        result[key] = _as_read(value, file_name, key, warnings)
    return result, tuple(warnings)


def _config_key(written: Any, file_name: str, project: str) -> str:
    """config.ParseKey after stackConfigNamespacedWithProject: `ns:name` or `ns:config:name`."""
    text = _go_text(written)
    if not isinstance(written, str):
        raise StackFileError(
            f"{file_name}: could not parse {text} as a configuration key (configuration keys "
            "should be of the form `<namespace>:<name>`)"
        )
    parts = written.split(":")
    if len(parts) == 1:
        return f"{project}:{written}"
    if len(parts) == 2:
        return written
    if len(parts) == 3 and parts[1] == "config" and parts[0] and parts[2]:
        return f"{parts[0]}:{parts[2]}"
    raise StackFileError(
        f"{file_name}: could not parse {written} as a configuration key (configuration keys "
        "should be of the form `<namespace>:<name>`)"
    )


def _as_read(value: Any, file_name: str, where: str, warnings: list[str]) -> Any:
    """A value after the CLI's round trip; LegacyOctal is refused, a Timestamp becomes text."""
    if isinstance(value, goyaml.Timestamp):
        text = value.go_text()
        warnings.append(
            f"{file_name}: {where}: the Pulumi CLI reads the unquoted {value.written} as the "
            f"timestamp {text!r}; quote it to keep the text as written"
        )
        return text
    if isinstance(value, goyaml.LegacyOctal):
        digits = value.written.lstrip("+-")
        if digits.lstrip("0") and int(digits, 10) != abs(value.value):
            raise StackFileError(
                f"{file_name}: {where}: the Pulumi CLI reads the unquoted {value.written} as the "
                f'octal number {value.value}; quote it ("{value.written}") to keep the digits'
            )
        return value.value
    if isinstance(value, float) and not math.isfinite(value):
        raise StackFileError(
            f"{file_name}: {where}: {value} is not a value the Pulumi CLI can pass to a program"
        )
    if isinstance(value, list):
        return [_as_read(v, file_name, f"{where}[{i}]", warnings) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {
            _go_text(k): _as_read(v, file_name, f"{where}.{_go_text(k)}", warnings)
            for k, v in value.items()
        }
    return value


def _go_text(value: Any) -> str:
    """Go's %v of a decoded key: how the CLI turns a non-string map key into text."""
    if isinstance(value, str):
        return value
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, goyaml.Timestamp):
        return value.go_text()
    if isinstance(value, goyaml.LegacyOctal):
        return str(value.value)
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _engine_text(value: Any) -> str:
    """config.object.MarshalString: a string as is, anything else as Go's JSON of it."""
    if _is_secure(value):
        return SECRET
    if isinstance(value, str):
        return value
    return _go_json(value)


def _go_json(value: Any) -> str:
    if _is_secure(value):
        return json.dumps(SECRET)
    if isinstance(value, dict):
        # Go sorts the keys; a JSON object has no order, so the file's order is kept for people.
        items = value.items()
        return "{" + ",".join(f"{json.dumps(k)}:{_go_json(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_go_json(v) for v in value) + "]"
    if isinstance(value, float):
        return _go_float(value)
    return json.dumps(value)


def _go_float(value: float) -> str:
    """Go's encoding/json text of a float: shortest digits, plain from 1e-6 up to 1e21."""
    if 1e-6 <= abs(value) < 1e21 or value == 0:
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, _, exponent = repr(value).partition("e")
    sign, digits = exponent[0], exponent[1:]
    return f"{mantissa}e{sign}{digits.lstrip('0') or '0'}"
