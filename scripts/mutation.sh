#!/usr/bin/env bash
# Mutation testing of the pure modules with cosmic-ray: each module is mutated one change at a
# time, its tests run against every mutant, and the share of mutants they kill is printed per
# module. A mutant that cannot change behaviour is listed in EXCLUDED below with its reason
# and not counted. Exits 1 when a module is under the bar (95%).
#
#   scripts/mutation.sh                 every module (about an hour on two cores)
#   scripts/mutation.sh cidr naming     some of them
#
# Not part of .ci/run: it takes too long for every push. The tree is copied first, so the
# mutants never touch your checkout, even when a run is interrupted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bar=95

# module name -> the source it mutates and the tests that cover it.
declare -A SOURCE=(
  [naming]=tap/naming.py
  [cidr]=tap/cidr.py
  [aurora]=tap/aurora.py
  [baseline]=tap/baseline.py
  [config]=tap/config
  [limits]=tap/limits.py
  [dns]=tap/dns.py
)
declare -A TESTS=(
  [naming]="--noconftest tests/test_naming.py"
  [cidr]="--noconftest tests/test_cidr.py tests/config/test_network.py"
  [aurora]="--noconftest tests/test_aurora.py tests/config/test_database.py"
  [baseline]="tests/config tests/components/test_security.py tests/policy/test_rules.py"
  # The generated reference (docs/configuration.md) shows every environment's defaults.
  [config]="--noconftest tests/config tests/test_docs.py::test_the_config_reference_is_current"
  # The components read some limits directly (Performance Insights' free retention).
  [limits]="tests/test_limits.py tests/config tests/test_aurora.py tests/test_cidr.py tests/test_dns.py tests/components/test_database.py tests/components/test_waf.py tests/components/test_backup.py tests/components/test_signing.py tests/constraints/test_tables.py"
  [dns]="--noconftest tests/test_dns.py tests/config/test_dns.py"
)

# Mutants that cannot change behaviour: <file>:<line>:<operator> # why. NumberReplacer adds or
# subtracts one, written core/NumberReplacer(+1) or (-1). A line that no longer matches a
# mutant is reported, so the list cannot go stale silently.
EXCLUDED=$(
  cat <<'EOF'
tap/cidr.py:51:core/ReplaceBinaryOperator_Sub_BitXor  # 28 ^ 4 == 28 - 4: the same /24 in the message
tap/aurora.py:31:core/ReplaceBinaryOperator_Sub_BitXor  # 63 ^ 1 == 63 - 1: the same pattern
tap/aurora.py:73:core/NumberReplacer(-1)  # `or 0` -> `or -1`: minors are never negative, both bounds admit all
tap/aurora.py:113:core/ReplaceComparisonOperator_Gt_GtE  # major == max(table) is in table, answered above
tap/aurora.py:136:core/ReplaceComparisonOperator_Eq_LtE  # `matches and len <= 1` is `len == 1`
tap/config/api.py:81:core/ReplaceComparisonOperator_Eq_GtE  # a region [a-z0-9-] never sorts >= "{region}"
tap/config/database.py:218:core/ReplaceComparisonOperator_Eq_LtE  # the minimum is validated >= 0 first
tap/config/database.py:230:core/ReplaceBinaryOperator_Mul_Div  # `*` -> `/` in a signature: callers pass keywords
tap/config/defaults.py:198:core/ReplaceComparisonOperator_Gt_NotEq  # regions is not empty here
tap/config/errors.py:127:core/ReplaceComparisonOperator_Eq_GtE  # no pydantic error type sorts after value_error
tap/config/errors.py:149:core/ReplaceComparisonOperator_Eq_Is  # pydantic's location holds the
tap/config/errors.py:170:core/ReplaceComparisonOperator_Eq_Is  # field's own name and alias strings
tap/config/errors.py:151:core/ReplaceComparisonOperator_Eq_GtE  # of a network's keys only region sorts >= it
tap/config/errors.py:153:core/ReplaceComparisonOperator_Lt_LtE  # the model's list is built from this map:
tap/config/errors.py:153:core/ReplaceComparisonOperator_Lt_NotEq  # an index is always below its length
tap/config/errors.py:153:core/ReplaceComparisonOperator_Lt_IsNot  # (small ints are cached: `is not` is !=)
tap/config/errors.py:193:core/NumberReplacer(+1)  # get_close_matches(n=2) has the same best match first
tap/config/errors.py:194:core/NumberReplacer(-1)  # with n=1 there is at most one match: hint[-1] is hint[0]
tap/config/network.py:57:core/ReplaceComparisonOperator_Gt_GtE  # /22 is allowed, so never reaches this
tap/config/stack.py:77:core/ReplaceComparisonOperator_Eq_GtE  # Zs sorts last among Unicode categories
tap/config/stack.py:169:core/ReplaceComparisonOperator_Eq_Is  # pydantic returns its Literal's own string
tap/config/stack.py:181:core/ReplaceComparisonOperator_NotEq_IsNot  # (the same for regions)
tap/config/stack.py:219:core/ReplaceComparisonOperator_Gt_NotEq  # r is in value: it counts at least 1
tap/config/stack.py:313:core/ReplaceComparisonOperator_Eq_Is  # pydantic returns its Literal's own string
tap/config/stack.py:313:core/ReplaceComparisonOperator_Eq_LtE  # of REGIONAL and PRIVATE only PRIVATE is <=
tap/limits.py:130:core/ReplaceComparisonOperator_Eq_Is  # CPython interns one-character strings: "-" is "-"
EOF
)

modules=("$@")
[ ${#modules[@]} -gt 0 ] || modules=(naming cidr aurora baseline config limits)

"$root/scripts/uv" sync --quiet
python="$root/.venv/bin/python"
work="$(mktemp -d "${TMPDIR:-/tmp}/tap-mutation.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work")

failed=0
for module in "${modules[@]}"; do
  source="${SOURCE[$module]:?unknown module $module (known: ${!SOURCE[*]})}"
  config="$work/$module.toml"
  session="$work/$module.sqlite"
  cat >"$config" <<EOF
[cosmic-ray]
module-path = "$source"
timeout = 120.0
excluded-modules = []
test-command = "$python -m pytest -x -q -n 0 -p no:cacheprovider ${TESTS[$module]}"

[cosmic-ray.distributor]
name = "local"
EOF
  (
    cd "$work"
    "$python" -m cosmic_ray.cli init "$config" "$session" >/dev/null
    EXCLUDED="$EXCLUDED" "$python" - "$session" "$source" <<'EOF'
# Marks the equivalent mutants as skipped, so exec leaves them and the rate ignores them: the
# listed ones, and every mutant inside a function's parameter or return annotation in a module
# with `from __future__ import annotations`. Those annotations stay strings that nothing in the
# pure modules evaluates (no validate_call, computed_field or get_type_hints), so `str | None`
# mutated to `str - None` cannot change behaviour. Field annotations are not skipped: pydantic
# and dataclasses read them. Also skipped: removing the `@classmethod` under a pydantic
# `@field_validator`, which makes the function a classmethod itself.
import ast
import os
import sys
from functools import cache

from cosmic_ray.operators.number_replacer import OFFSETS
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def operator_of(mutation):
    """The operator's name; NumberReplacer's with its offset (each number yields one mutant
    per offset, in order, so the occurrence says which)."""
    name = mutation.operator_name
    if name == "core/NumberReplacer":
        name += f"({OFFSETS[mutation.occurrence % len(OFFSETS)]:+d})"
    return name


@cache
def signature_annotations(path):
    """The (start, end) positions of every parameter and return annotation, if never evaluated."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    postponed = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    spans = []
    for node in ast.walk(tree) if postponed else ():
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [arg for arg in (arguments.vararg, arguments.kwarg) if arg]
            for annotation in [arg.annotation for arg in every] + [node.returns]:
                if annotation is not None:
                    spans.append(
                        (
                            (annotation.lineno, annotation.col_offset),
                            (annotation.end_lineno, annotation.end_col_offset),
                        )
                    )
    return spans


@cache
def validator_classmethods(path):
    """Lines of `@classmethod` decorators stacked under a pydantic @field_validator."""
    lines = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.FunctionDef):
            validated = any(
                isinstance(d, ast.Call) and getattr(d.func, "id", None) == "field_validator"
                for d in node.decorator_list
            )
            lines |= {
                d.lineno
                for d in node.decorator_list
                if validated and isinstance(d, ast.Name) and d.id == "classmethod"
            }
    return lines


wanted = {}
for line in os.environ["EXCLUDED"].splitlines():
    spec = line.split("#", 1)[0].strip()
    if spec:
        path, number, operator = spec.rsplit(":", 2)
        if path.startswith(sys.argv[2]):  # this module's source (a file or a package)
            wanted[(path, int(number), operator)] = False
in_annotations = in_validators = 0
with use_db(sys.argv[1], WorkDB.Mode.open) as db:
    for item in db.work_items:
        for mutation in item.mutations:
            key = (str(mutation.module_path), mutation.start_pos[0], operator_of(mutation))
            start, end = tuple(mutation.start_pos), tuple(mutation.end_pos)
            annotated = any(
                low <= start and end <= high
                for low, high in signature_annotations(str(mutation.module_path))
            )
            if key in wanted:
                wanted[key] = True
            elif annotated:
                in_annotations += 1
            elif mutation.operator_name == "core/RemoveDecorator" and mutation.start_pos[
                0
            ] in validator_classmethods(str(mutation.module_path)):
                in_validators += 1
            else:
                continue
            db.set_result(item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
print(
    f"skipped as equivalent: {in_annotations} mutants in signature annotations, "
    f"{in_validators} removals of a field validator's @classmethod",
    file=sys.stderr,
)
stale = [":".join(map(str, key)) for key, seen in wanted.items() if not seen]
for key in stale:
    print(f"note: exclusion {key} matches no mutant of this module", file=sys.stderr)
EOF
    "$python" -m cosmic_ray.cli exec "$config" "$session"
  )
  "$python" - "$module" "$session" "$bar" <<'EOF' || failed=1
# The kill rate, equivalent mutants excluded; survivors listed so they can get a test.
import sys

from cosmic_ray.operators.number_replacer import OFFSETS
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

module, session, bar = sys.argv[1], sys.argv[2], float(sys.argv[3])
killed = survived = skipped = 0
survivors = []
with use_db(session, WorkDB.Mode.open) as db:
    for item, result in db.completed_work_items:
        if result.worker_outcome == WorkerOutcome.SKIPPED:
            skipped += 1
        elif result.test_outcome == TestOutcome.SURVIVED and result.worker_outcome == WorkerOutcome.NORMAL:
            survived += 1
            mutation = item.mutations[0]
            name = mutation.operator_name
            if name == "core/NumberReplacer":
                name += f"({OFFSETS[mutation.occurrence % len(OFFSETS)]:+d})"
            survivors.append(f"{mutation.module_path}:{mutation.start_pos[0]}:{name}")
        else:
            killed += 1  # failed tests, a crash or a timeout: the mutant was caught
rate = 100.0 * killed / max(killed + survived, 1)
print(f"{module}: {rate:.1f}% killed ({killed} of {killed + survived}; {skipped} excluded as equivalent)")
for survivor in sorted(survivors):
    print(f"  survived: {survivor}")
sys.exit(0 if rate >= bar else 1)
EOF
done
exit "$failed"
