"""Engine values (protobuf Structs, as the SDK sends them) rendered as the manifest's JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tap.markers import SECRET as SECRET_TEXT
from tap.markers import UNKNOWN as UNKNOWN_TEXT
from tap.mockengine.sdk import ARCHIVE_SIG, ASSET_SIG, RESOURCE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN


def render_struct(struct: Any) -> dict[str, Any]:
    return {key: render_value(value) for key, value in struct.fields.items()}


def render_value(value: Any) -> Any:
    """A protobuf Value as JSON: integral doubles back to ints, secrets and unknowns masked."""
    kind = value.WhichOneof("kind")
    if kind == "null_value":
        return None
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() else number
    if kind == "string_value":
        return UNKNOWN_TEXT if value.string_value == UNKNOWN else value.string_value
    if kind == "list_value":
        return [render_value(item) for item in value.list_value.values]
    fields = value.struct_value.fields
    signature = fields[SIG_KEY].string_value if SIG_KEY in fields else None
    if signature == SECRET_SIG:
        return SECRET_TEXT
    if signature in (ASSET_SIG, ARCHIVE_SIG):
        kind_name = "asset" if signature == ASSET_SIG else "archive"
        rendered = {k: render_value(v) for k, v in fields.items() if k != SIG_KEY}
        if isinstance(rendered.get("path"), str):
            rendered["path"] = _repo_relative(rendered["path"])
        return {f"<{kind_name}>": rendered}
    if signature == RESOURCE_SIG:
        return fields["urn"].string_value if "urn" in fields else UNKNOWN_TEXT
    return {key: render_value(item) for key, item in fields.items()}


_REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def _repo_relative(path: str) -> str:
    """Asset paths relative to the repo, so manifests are the same on every machine."""
    try:
        return Path(path).resolve().relative_to(_REPO_ROOT).as_posix()
    except ValueError:
        return path
