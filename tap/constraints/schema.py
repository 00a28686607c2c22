"""Sub-schemas of AWS's CloudFormation resource provider schemas, compiled once and cached.

A mapped property (tap/constraints/mappings.py) names a path in a CloudFormation type's schema,
e.g. `LifecycleConfiguration.Rules[].Status`. The walk below follows it through `$ref`s,
`items` and `oneOf`/`anyOf` branches to the property's own sub-schema, remembering the JSON
pointer it took, so a violation can cite the exact place in the schema file.

The sub-schema is evaluated by `jsonschema` (Draft 7, the dialect of the provider schemas)
with three keywords read as CloudFormation reads them:

- `pattern` is an ECMA-262 regular expression, whose `\\d`, `\\w` and `\\s` are ASCII only and
  whose `$` is the end of the text. Python's `re` reads `\\d` as any Unicode digit and lets `$`
  match before a trailing newline, so patterns are compiled with `re.ASCII` and a bare `$`
  becomes `\\Z`. The few patterns that name Unicode classes (`\\p{L}`) are compiled with the
  `regex` package, which cfn-lint itself uses.
- `format` names cfn-lint's formats (`AWS::S3::Bucket.Name`, ...); see formats.py.
- `enumCaseInsensitive` (cfn-lint's keyword) is an enum compared without case.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from tap import awsdata
from tap.awsdata import AwsDataError


@dataclass(frozen=True)
class SchemaError:
    """One way a value breaks a sub-schema: the keyword, its value, and where it sits."""

    keyword: str
    expected: Any
    pointer: str  # JSON pointer into the type's schema file, e.g. /properties/BucketName/pattern
    detail: str
    at: tuple[str | int, ...]  # where in the value (list indexes, keys); () for the value itself


@dataclass(frozen=True)
class Leaf:
    cfn_type: str
    path: str
    pointer: str
    schema: dict[str, Any]
    validator: Any  # a jsonschema validator instance (for a list: without its `items`)
    item: Leaf | None = None  # a list's item schema, checked (and remembered) item by item
    memo: dict[Any, list[SchemaError]] = field(default_factory=dict, compare=False, repr=False)

    def errors(self, value: Any) -> list[SchemaError]:
        """The value's violations. Results are remembered: most values repeat across a plan
        (the common tags of every resource), and a tag list is checked tag by tag."""
        key = _memo_key(value)
        found = self.memo.get(key)
        if found is None:
            found = self._errors(value)
            self.memo[key] = found
        return found

    def _errors(self, value: Any) -> list[SchemaError]:
        found = []
        if not self.validator.is_valid(value):
            found = [_describe(self, error) for error in _leaf_errors(self.validator, value)]
        if self.item is not None and isinstance(value, list):
            for index, item in enumerate(value):
                found += [replace(e, at=(index, *e.at)) for e in self.item.errors(item)]
        return found

    @property
    def types(self) -> tuple[str, ...]:
        declared = self.schema.get("type", ())
        return (declared,) if isinstance(declared, str) else tuple(declared)


def _memo_key(value: Any) -> Any:
    """Equal keys for equal JSON values only (True, 1 and 1.0 stay apart)."""
    if isinstance(value, str | int | float | bool) or value is None:
        return (type(value), value)
    return json.dumps(value, sort_keys=True, default=str)


def _leaf_errors(validator: Any, value: Any) -> Iterator[Any]:
    """The innermost errors: for anyOf/oneOf, the branch errors that explain the failure."""
    for error in validator.iter_errors(value):
        if error.context:
            yield from sorted(error.context, key=lambda e: len(e.absolute_schema_path))[:1]
        else:
            yield error


def _describe(leaf: Leaf, error: Any) -> SchemaError:
    keyword = str(error.validator)
    expected = error.validator_value
    pointer = _pointer(leaf, list(error.absolute_schema_path))
    at = tuple(error.absolute_path)
    return SchemaError(keyword, expected, pointer, _explain(keyword, expected, error), at)


def _pointer(leaf: Leaf, parts: list[Any]) -> str:
    """The failing keyword's JSON pointer in the schema file, through any `$ref` it followed."""
    node: Any = leaf.schema
    pointer = leaf.pointer
    root = leaf.validator.schema
    for part in parts:
        if part == "$ref" and isinstance(node, dict):
            node, pointer = _resolve(root, node, pointer)
            continue
        node = node[part] if isinstance(node, (dict, list)) else None
        pointer = f"{pointer}/{part}"
    return pointer


def _explain(keyword: str, expected: Any, error: Any) -> str:
    instance = error.instance
    if keyword == "maxLength":
        return f"is {len(instance)} characters long; at most {expected} allowed"
    if keyword == "minLength":
        return f"is {len(instance)} characters long; at least {expected} required"
    if keyword == "pattern":
        return f"does not match the pattern {expected}"
    if keyword in ("enum", "enumCaseInsensitive"):
        return f"is not one of the values AWS accepts: {_short_list(expected)}"
    if keyword == "const":
        return f"must be {expected!r}"
    if keyword == "minimum":
        return f"is below the minimum {expected}"
    if keyword == "maximum":
        return f"is above the maximum {expected}"
    if keyword == "exclusiveMinimum":
        return f"must be greater than {expected}"
    if keyword == "exclusiveMaximum":
        return f"must be less than {expected}"
    if keyword == "multipleOf":
        return f"is not a multiple of {expected}"
    if keyword == "format":
        reason = f": {error.cause}" if error.cause else ""
        return f"is not a valid {expected}{reason}"
    if keyword == "maxItems":
        return f"has {len(instance)} items; at most {expected} allowed"
    if keyword == "minItems":
        return f"has {len(instance)} items; at least {expected} required"
    if keyword == "type":
        return f"is not of type {expected}"
    if keyword == "not":
        return f"must not match {expected}"
    return str(error.message)


def _short_list(values: Any, limit: int = 12) -> str:
    items = [str(v) for v in values] if isinstance(values, list) else [str(values)]
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items)} in all)" if len(items) > limit else "")


# --- walking the schema ------------------------------------------------------------------------


def _resolve(root: dict[str, Any], node: Any, pointer: str) -> tuple[dict[str, Any], str]:
    """Follow local `$ref`s (CloudFormation schemas only use `#/definitions/...`)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        reference = node["$ref"]
        if not isinstance(reference, str) or not reference.startswith("#/"):
            raise AwsDataError(f"unsupported $ref {reference!r} at {pointer}")
        target: Any = root
        for part in reference[2:].split("/"):
            target = target[part] if isinstance(target, dict) else None
        if not isinstance(target, dict):
            raise AwsDataError(f"$ref {reference!r} at {pointer} does not resolve")
        node, pointer = target, reference[1:]
        seen += 1
        if seen > 32:
            raise AwsDataError(f"$ref cycle at {pointer}")
    if not isinstance(node, dict):
        raise AwsDataError(f"no schema object at {pointer}")
    return node, pointer


def _child(
    root: dict[str, Any], node: dict[str, Any], pointer: str, name: str
) -> tuple[dict[str, Any], str] | None:
    """The sub-schema of property `name`, directly or inside a oneOf/anyOf/allOf branch."""
    node, pointer = _resolve(root, node, pointer)
    properties = node.get("properties")
    if isinstance(properties, dict) and name in properties:
        return _resolve(root, properties[name], f"{pointer}/properties/{name}")
    for keyword in ("oneOf", "anyOf", "allOf"):
        for index, branch in enumerate(node.get(keyword, [])):
            found = _child(root, branch, f"{pointer}/{keyword}/{index}", name)
            if found is not None:
                return found
    return None


def _walk(root: dict[str, Any], cfn_type: str, path: str) -> tuple[dict[str, Any], str]:
    node: dict[str, Any] = root
    pointer = ""
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        found = _child(root, node, pointer, name)
        if found is None:
            raise AwsDataError(
                f"{cfn_type} has no property {path} in cfn-lint's schema (at {name}); "
                "fix the mapping in tap/constraints/mappings.py"
            )
        node, pointer = found
        if segment.endswith("[]"):
            items = node.get("items")
            if not isinstance(items, dict):
                raise AwsDataError(f"{cfn_type} {path}: {name} is not a list in the schema")
            node, pointer = _resolve(root, items, f"{pointer}/items")
    return node, pointer


# Compiled sub-schemas by (schema document, path). Regions mostly share one document (awsdata
# reads each schema file once), so a sub-schema is compiled once, not once per region.
_LEAVES: dict[tuple[int, str], Leaf] = {}


def leaf(cfn_type: str, region: str, path: str) -> Leaf:
    """The compiled sub-schema of `path` in `cfn_type`'s schema for `region` (cached)."""
    root = awsdata.resource_schema(cfn_type, region)
    key = (id(root), path)  # awsdata caches the document for the process: the id is stable
    found = _LEAVES.get(key)
    if found is None:
        node, pointer = _walk(root, cfn_type, path)
        # The sub-schema keeps the root's definitions, so the $refs inside it still resolve.
        found = compile_schema(node, cfn_type, path, pointer, root.get("definitions", {}))
        _LEAVES[key] = found
    return found


def compile_schema(
    node: dict[str, Any],
    cfn_type: str,
    path: str,
    pointer: str = "",
    definitions: dict[str, Any] | None = None,
) -> Leaf:
    """A Leaf for any schema fragment (documented rules, cfn-lint's extension schemas)."""
    item = None
    items = node.get("items")
    if isinstance(items, dict):
        item_node, item_pointer = _resolve(
            {"definitions": definitions or {}}, items, f"{pointer}/items"
        )
        item = compile_schema(item_node, cfn_type, f"{path}[]", item_pointer, definitions)
        node = {k: v for k, v in node.items() if k != "items"}
    document = {**node, "definitions": definitions} if definitions else node
    validator = _validator_class()(document, format_checker=_format_checker())
    return Leaf(cfn_type, path, pointer, node, validator, item)


# --- jsonschema, with CloudFormation's reading of three keywords -------------------------------


_BARE_DOLLAR = re.compile(r"(?<!\\)((?:\\\\)*)\$")


@cache
def compile_pattern(pattern: str) -> Any:
    """An ECMA-262 `pattern` as a compiled Python regular expression (see the module doc)."""
    translated = _ecma_end_anchors(pattern)
    try:
        return re.compile(translated, re.ASCII)
    except re.error:
        import regex  # noqa: PLC0415 - cfn-lint's dependency; only Unicode-class patterns need it

        try:
            return regex.compile(translated)
        except regex.error as exc:
            raise AwsDataError(f"cannot compile AWS's pattern {pattern!r}: {exc}") from None


def _ecma_end_anchors(pattern: str) -> str:
    """Replace each `$` that is an anchor (not escaped, not in a class) with `\\Z`."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            out.append(r"\Z")
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


@cache
def _validator_class() -> Any:
    from jsonschema import Draft7Validator, ValidationError, validators  # noqa: PLC0415

    def pattern(validator: Any, expected: str, instance: Any, schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not compile_pattern(expected).search(instance):
            yield ValidationError(f"{instance!r} does not match {expected!r}")

    def enum_case_insensitive(
        validator: Any, expected: list[Any], instance: Any, schema: Any
    ) -> Iterator[Any]:
        if not isinstance(instance, str):
            return
        folded = {str(v).casefold() for v in expected}
        if instance.casefold() not in folded:
            yield ValidationError(f"{instance!r} is not one of {expected!r}")

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft7Validator, {"pattern": pattern, "enumCaseInsensitive": enum_case_insensitive}
    )


@cache
def _format_checker() -> Any:
    from jsonschema import FormatChecker  # noqa: PLC0415

    from tap.constraints.formats import FORMATS, FormatViolation  # noqa: PLC0415

    checker = FormatChecker(formats=())
    for name, check in FORMATS.items():
        checker.checks(name, raises=FormatViolation)(check)
    return checker
