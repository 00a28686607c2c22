"""The `tap` command: plan, diff, verify, db migrate, failover, graph, docs, policy-config,
bootstrap-backend."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from tap.exitcodes import (
    EXIT_AWS_UNAVAILABLE,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USER_ERROR,
)


def main(argv: Sequence[str] | None = None) -> int:
    # A tap command is one short process: the cyclic collector only slows the import of
    # pulumi_aws's classes and the mock engine's run (about 10% of a prod plan). Imports stay
    # inside this window, so the module itself loads nothing heavy.
    gc.disable()
    try:
        return _run(argv)
    finally:
        gc.enable()


def _run(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # After parsing: `tap --help` and argument errors exit without loading the config model.
    from tap.config import ConfigError  # noqa: PLC0415

    try:
        code: int = args.handler(args)
    except ConfigError as error:
        return _fail(f"invalid configuration: {error}")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `tap plan | head`: the reader left; that is not an error of ours.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
        return EXIT_OK
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tap", description="Offline tools for the tap Pulumi project."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    plan = commands.add_parser(
        "plan",
        help="run the program under Pulumi's mock engine and show what it would create",
        description="Run the real program for a stack under Pulumi's mock engine: no cloud, "
        "no credentials, no Pulumi CLI.",
    )
    plan.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    plan.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: a tree per region and a summary; json: the manifest (default: text)",
    )
    plan.set_defaults(handler=_plan)

    graph = commands.add_parser(
        "graph",
        help="draw the stack's components by region (Mermaid, or SVG through Graphviz)",
    )
    graph.add_argument("--stack", "-s", default="prod", help="stack name (default: prod)")
    graph.add_argument("--format", choices=("mermaid", "dot", "svg"), default="mermaid")
    graph.add_argument("--output", "-o", help="write to this file instead of stdout")
    graph.set_defaults(handler=_graph)

    docs = commands.add_parser(
        "docs",
        help="regenerate the generated parts of docs/ (config reference, architecture diagram)",
    )
    docs.add_argument("--check", action="store_true", help="only report stale docs, exit 1 if any")
    docs.set_defaults(handler=_docs)

    verify = commands.add_parser(
        "verify",
        help="check the deployed resources against the program (conformance and drift)",
        description="Read the stack outputs (`pulumi stack output --json`) and check the live "
        "resources with boto3 in every region. Each check is pass, drift, fail or unknown "
        "(could not be read). Exit codes: 0 all pass; 1 any drift or fail; 2 bad input; "
        "3 no drift or fail, but some checks unknown, or no usable credentials.",
    )
    verify.add_argument("--stack", "-s", required=True, help="stack name")
    verify.add_argument(
        "--outputs", help="the outputs JSON file (`pulumi stack output --json`), or - for stdin"
    )
    verify.add_argument("--endpoint-url", default=None, help="an AWS API emulator's URL")
    verify.add_argument(
        "--region",
        action="append",
        default=None,
        help="check only this region (repeatable; default: every region of the stack)",
    )
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.set_defaults(handler=_verify)

    _failover_parser(commands)

    policy_config = commands.add_parser(
        "policy-config",
        help="print the --policy-pack-config JSON for a stack (its environment)",
    )
    policy_config.add_argument("--stack", "-s", default="dev", help="stack name (default: dev)")
    policy_config.set_defaults(handler=_policy_config)

    diff = commands.add_parser(
        "diff",
        help="compare two plan manifests: added, deleted, replaced, renamed, changed",
        description="Compare two `tap plan --format json` manifests of the same stack. Exit 0: "
        "no protected or stateful resource is deleted or replaced; 3: one is; 2: bad input.",
    )
    diff.add_argument("base", metavar="BASE.json", help="the manifest before the change")
    diff.add_argument("head", metavar="HEAD.json", help="the manifest after the change")
    diff.add_argument(
        "--format",
        choices=("text", "markdown"),
        default="text",
        help="text for people; markdown for a pull-request comment (default: text)",
    )
    diff.set_defaults(handler=_diff)

    backend = commands.add_parser(
        "bootstrap-backend",
        help="create the S3 state bucket and KMS key for `pulumi login s3://...` (idempotent)",
    )
    backend.add_argument("--bucket", required=True, help="state bucket name")
    backend.add_argument("--region", required=True, help="region of the bucket and key")
    backend.add_argument("--kms-alias", default=None, help="key alias (alias/...)")
    backend.add_argument("--endpoint-url", default=None, help="an AWS API emulator's URL")
    backend.set_defaults(handler=_bootstrap_backend)

    database = commands.add_parser("db", help="the API's PostgreSQL database")
    database_commands = database.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    migrate = database_commands.add_parser(
        "migrate",
        help="apply the API's pending SQL migrations (tap/functions/api/migrations)",
        description="Apply the pending migrations in one transaction, under an advisory lock. "
        "Exit 0: applied or already up to date; 1: a migration failed or was refused (nothing "
        "applied); 2: bad DSN or usage; 3: the server could not be reached or refused the "
        "login or TLS.",
    )
    migrate.add_argument(
        "--dsn",
        default=None,
        help="libpq connection string, keyword/value or postgresql:// URI (default: "
        "$TAP_DB_DSN); TLS is verify-full unless sslmode says otherwise; the password may "
        "come from $PGPASSWORD",
    )
    migrate.set_defaults(handler=_db_migrate)
    return parser


def _plan(args: argparse.Namespace) -> int:
    from tap.plan import PlanError, run_plan  # noqa: PLC0415 - keeps `tap --help` instant

    try:
        result = run_plan(args.stack)
    except PlanError as error:
        return _fail(str(error))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.format == "json":
        json.dump(result.manifest, sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        render_text(result.manifest, sys.stdout)
    code = EXIT_OK
    mandatory = result.mandatory_violations
    if mandatory:
        code = _fail(
            f"{len(mandatory)} mandatory policy violation(s) in stack {args.stack}; "
            "see the manifest's `policy` field or the text output"
        )
    if result.constraint_violations:
        code = _fail(
            f"{len(result.constraint_violations)} AWS constraint violation(s) in stack "
            f"{args.stack}; see the manifest's `constraints` field or the text output"
        )
    return code


def _graph(args: argparse.Namespace) -> int:
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    from tap.docs import render_dot, render_mermaid  # noqa: PLC0415
    from tap.plan import PlanError, run_plan  # noqa: PLC0415

    if args.output and (problem := _output_path_problem(args.output)):
        return _fail(problem)  # before the plan, which takes seconds
    try:
        manifest = run_plan(args.stack).manifest
    except PlanError as error:
        return _fail(str(error))
    if args.format == "mermaid":
        text = render_mermaid(manifest) + "\n"
    else:
        text = render_dot(manifest) + "\n"
        if args.format == "svg":
            dot = shutil.which("dot")
            if dot is None:
                return _fail("--format svg needs Graphviz's `dot` on PATH; use mermaid or dot")
            try:
                text = subprocess.run(
                    [dot, "-Tsvg"], input=text, capture_output=True, text=True, check=True
                ).stdout
            except (OSError, subprocess.CalledProcessError) as error:
                detail = (getattr(error, "stderr", "") or str(error)).strip()
                return _fail(f"Graphviz's `dot` failed: {detail}; use --format mermaid or dot")
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            return _fail(f"cannot write --output {args.output}: {error.strerror}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _output_path_problem(output: str) -> str | None:
    from pathlib import Path  # noqa: PLC0415

    path = Path(output)
    if path.is_dir():
        return f"--output {output} is a directory; name a file"
    if not path.parent.is_dir():
        return f"--output {output}: directory {path.parent} does not exist; create it first"
    return None


def _docs(args: argparse.Namespace) -> int:
    from tap.docs import DocsError, generated_blocks, stale_blocks, write_blocks  # noqa: PLC0415
    from tap.plan import PlanError, find_project_dir  # noqa: PLC0415

    try:
        project_dir = find_project_dir()
        blocks = generated_blocks(project_dir)
        if args.check:
            stale = stale_blocks(project_dir, blocks)
            for name in stale:
                print(f"stale: {name} (run `tap docs`)", file=sys.stderr)
            return EXIT_FINDINGS if stale else EXIT_OK
        written = write_blocks(project_dir, blocks)
    except (DocsError, PlanError) as error:
        return _fail(str(error))
    for path in written:
        print(f"updated {path}")
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from tap.diff import (  # noqa: PLC0415
        DiffInputError,
        diff_manifests,
        load_manifest,
        render_markdown,
        render_text,
    )

    try:
        base, head = load_manifest(args.base), load_manifest(args.head)
        result = diff_manifests(base, head, args.base, args.head)
    except DiffInputError as error:
        return _fail(str(error))
    render = render_markdown if args.format == "markdown" else render_text
    sys.stdout.write(render(result))
    return result.exit_code


def _bootstrap_backend(args: argparse.Namespace) -> int:
    from tap.aws import (  # noqa: PLC0415
        client_factory,
        describe_aws_error,
        endpoint_url_problem,
        partition_of,
        region_problem,
    )
    from tap.backend import (  # noqa: PLC0415
        DEFAULT_KEY_ALIAS,
        BootstrapError,
        bootstrap_backend,
        bucket_name_problem,
    )

    alias = args.kms_alias or DEFAULT_KEY_ALIAS
    if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
        return _fail(f"--kms-alias {alias!r} must start with alias/ (and not alias/aws/)")
    if problem := bucket_name_problem(args.bucket):
        return _fail(
            f"--bucket {args.bucket!r} {problem} (S3's bucket naming rules: "
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)"
        )
    if problem := region_problem(args.region, "s3", "kms"):
        return _fail(problem)
    if args.endpoint_url is not None and (problem := endpoint_url_problem(args.endpoint_url)):
        return _fail(problem)
    try:
        report = bootstrap_backend(
            args.bucket,
            args.region,
            client_factory(args.region, args.endpoint_url),
            alias,
            partition_of(args.region),
        )
    except BootstrapError as error:
        return _fail(str(error), error.exit_code)
    except Exception as error:
        # Before any call: a profile that does not exist, no credentials.
        message = describe_aws_error(error, args.endpoint_url)
        if message is None:
            raise
        return _fail(message, EXIT_AWS_UNAVAILABLE)
    for what in report.changes:
        print(f"created or fixed: {what}")
    for what in report.unchanged:
        print(f"already right:    {what}")
    print(f"\npulumi login '{report.login_url}'")
    print(f"pulumi stack init <stack> --secrets-provider '{report.secrets_provider}'")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from tap.verify import run_verify  # noqa: PLC0415 - boto3 loads only for this command

    return run_verify(
        args.stack,
        args.outputs,
        args.endpoint_url,
        args.region,
        args.format,
        sys.stdout,
        sys.stderr,
    )


def _failover_parser(commands: Any) -> None:
    from tap import failover as fo  # noqa: PLC0415 - light: constants for the help text

    failover = commands.add_parser(
        "failover",
        help="move the writer of the stack's Aurora global database to another region",
        description="Planned switchover (no data loss) by default; --unplanned fails over "
        "and may lose the writes not yet replicated. Shows the plan, asks for confirmation, "
        "waits for the new writer and verifies every member. Exit codes: "
        f"{fo.EXIT_OK} done and verified; {fo.EXIT_UNVERIFIED} requested but not verified "
        f"(timed out, cancelled, a member wrong): look before acting; {fo.EXIT_REFUSED} "
        f"refused, nothing changed; {fo.EXIT_DECLINED} declined at the prompt. "
        'See docs/runbook.md, "Moving the writer".',
    )
    failover.add_argument("--stack", "-s", required=True, help="stack name")
    failover.add_argument(
        "--to", required=True, dest="target", metavar="REGION", help="the new writer's region"
    )
    failover.add_argument(
        "--unplanned",
        action="store_true",
        help="fail over without waiting for replication (FailoverGlobalCluster, "
        "AllowDataLoss): only when the writer's region is down",
    )
    failover.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (needed without a TTY)"
    )
    failover.add_argument(
        "--timeout",
        type=int,
        default=fo.DEFAULT_TIMEOUT_SECONDS,
        metavar="SECONDS",
        help="how long to wait for the new writer (default: %(default)s)",
    )
    failover.add_argument(
        "--poll-interval",
        type=int,
        default=fo.DEFAULT_POLL_SECONDS,
        metavar="SECONDS",
        help="seconds between two reads of the global cluster (default: %(default)s)",
    )
    failover.add_argument("--endpoint-url", default=None, help="an AWS API emulator's URL")
    failover.add_argument(
        "--region",
        default=None,
        help="send the global cluster's reads and the request to this region's RDS API "
        "(default: the target's region, but a switchover goes to the writer's region); each "
        "member cluster is read in its own region",
    )
    failover.set_defaults(handler=_failover)


def _failover(args: argparse.Namespace) -> int:
    from tap.failover import Console, Request, run_failover  # noqa: PLC0415

    request = Request(
        stack=args.stack,
        target=args.target,
        unplanned=args.unplanned,
        assume_yes=args.yes,
        timeout_seconds=args.timeout,
        poll_seconds=args.poll_interval,
        endpoint_url=args.endpoint_url,
        api_region=args.region,
    )
    return run_failover(request, Console(sys.stdin, sys.stdout, sys.stderr))


def _policy_config(args: argparse.Namespace) -> int:
    from tap.plan import PlanError, find_project_dir, load_stack_file  # noqa: PLC0415
    from tap.policy.pack import pack_config  # noqa: PLC0415

    try:
        config = load_stack_file(find_project_dir(), args.stack).parse().config
    except PlanError as error:
        return _fail(str(error))
    json.dump(pack_config(config.environment), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return EXIT_OK


EXIT_MIGRATION_FAILED = 1
EXIT_DB_UNAVAILABLE = 3


def _db_migrate(args: argparse.Namespace) -> int:
    from tap.functions.api import db, migrate  # noqa: PLC0415 - pg8000 loads only here

    dsn = args.dsn or os.environ.get(db.ENV_DSN, "").strip()
    if not dsn:
        return _fail(f"give --dsn or set {db.ENV_DSN}")
    try:
        settings, login = db.parse_dsn(dsn)
    except db.SettingsError as error:
        return _fail(f"invalid DSN: {error}")
    try:
        result = migrate.migrate(settings, login)
    except db.Unavailable as error:
        return _fail(str(error), EXIT_DB_UNAVAILABLE)
    except migrate.MigrationError as error:
        return _fail(str(error), EXIT_MIGRATION_FAILED)
    for label in result.applied:
        print(f"applied {label}")
    print(f"{settings.describe()}: {result.summary()}")
    return EXIT_OK


def _fail(message: str, code: int = EXIT_USER_ERROR) -> int:
    """One line on stderr (AWS messages may span lines) and the exit code (tap.exitcodes)."""
    one_line = " ".join(message.split())
    print(f"tap: error: {one_line}", file=sys.stderr)
    return code


# --- text format -------------------------------------------------------------------------------


def home_regions(resources: list[dict[str, Any]]) -> dict[str, str | None]:
    """The region section a resource is shown under: its nearest regional ancestor's region.

    A global IAM role created for us-west-2's flow logs goes through the primary region's
    provider, but it belongs with us-west-2's network, so it is shown there.
    """
    by_urn = {r["urn"]: r for r in resources}
    homes: dict[str, str | None] = {}

    def home(resource: dict[str, Any]) -> str | None:
        urn = resource["urn"]
        if urn not in homes:
            parent = by_urn.get(resource["parent"] or "")
            inherited = home(parent) if parent else None
            homes[urn] = inherited or resource["region"]
        return homes[urn]

    for resource in resources:
        home(resource)
    return homes


def render_text(manifest: dict[str, Any], out: TextIO) -> None:
    resources: list[dict[str, Any]] = manifest["resources"]
    homes = home_regions(resources)
    # A section shows only its own resources: regional subtrees are cut out of `global`.
    children: dict[str | None, list[dict[str, Any]]] = {}
    for resource in resources:
        if resource["parent"] is None or homes[resource["urn"]] == homes.get(resource["parent"]):
            children.setdefault(resource["parent"], []).append(resource)

    out.write(f"tap plan: stack {manifest['stack']} (project {manifest['project']})\n")
    sections: list[str | None] = sorted({h for h in homes.values() if h}, key=str)
    sections.append(None)
    for section in sections:
        roots = [
            r
            for r in resources
            if homes[r["urn"]] == section
            and (r["parent"] is None or homes.get(r["parent"]) != section)
        ]
        if not roots:
            continue
        out.write(f"\n{section or 'global'}\n")
        for root in roots:
            _write_tree(root, children, out, depth=1, section=section)

    out.write("\n")
    render_policy(manifest.get("policy", []), out)
    render_constraints(manifest.get("constraints", []), out)
    out.write("\n" + summary_line(resources) + "\n")


def _write_tree(
    resource: dict[str, Any],
    children: dict[str | None, list[dict[str, Any]]],
    out: TextIO,
    depth: int,
    section: str | None,
) -> None:
    marks = []
    if resource["region"] and section and resource["region"] != section:
        marks.append(f"via {resource['region']}")
    if resource["protect"]:
        marks.append("protected")
    if resource["retainOnDelete"]:
        marks.append("retained")
    suffix = f"  [{', '.join(marks)}]" if marks else ""
    out.write(f"{'  ' * depth}{resource['type']}  {resource['name']}{suffix}\n")
    for child in children.get(resource["urn"], []):
        _write_tree(child, children, out, depth + 1, section)


def render_policy(violations: list[dict[str, str]], out: TextIO) -> None:
    """Violations grouped by severity, mandatory first."""
    if not violations:
        out.write("Policy: no violations\n")
        return
    for enforcement in ("mandatory", "advisory"):
        group = [v for v in violations if v["enforcement"] == enforcement]
        if not group:
            continue
        out.write(f"\nPolicy, {enforcement} ({len(group)}):\n")
        for violation in group:
            resource = violation["urn"].rsplit("::", 1)[-1]
            out.write(
                f"  [{violation['control']}] {violation['rule']}: {resource}: "
                f"{violation['message']}\n"
            )


def render_constraints(violations: list[dict[str, Any]], out: TextIO) -> None:
    """AWS constraint violations, each with its rule and where AWS publishes it."""
    if not violations:
        out.write("AWS constraints: no violations\n")
        return
    out.write(f"\nAWS constraints ({len(violations)}):\n")
    for violation in violations:
        out.write(f"  {violation['resource']}: {violation['message']}\n")
        out.write(f"      rule: {violation['rule']}; source: {violation['source']}\n")


def summary_line(resources: list[dict[str, Any]]) -> str:
    custom = [r for r in resources if r["custom"] and not r["type"].startswith("pulumi:")]
    providers = [r for r in resources if r["type"].startswith("pulumi:providers:")]
    components = [r for r in resources if not r["custom"]]
    per_region = Counter(r["region"] or "global" for r in custom)
    protected = sum(1 for r in resources if r["protect"])
    regions = ", ".join(f"{region} {count}" for region, count in sorted(per_region.items()))
    return (
        f"Summary: {len(resources)} resources ({len(custom)} cloud resources, "
        f"{len(components)} components, {len(providers)} providers); "
        f"by region: {regions}; {protected} protected"
    )


if __name__ == "__main__":
    sys.exit(main())
