"""Benchmark the API handler against a bare pg8000 round trip doing the same INSERT and SELECT.

N worker processes (one per Lambda execution environment: each keeps its own connection) each
send M requests through `handler.handler` with API Gateway proxy events, alternating
POST /records and GET /records/{id}. Then the same workers run the bare driver: the same
prepared INSERT and SELECT on a connection of their own, with the same TLS. Both phases run
against a PostgreSQL server on 127.0.0.1: a temporary one (tests/postgres.py) unless --dsn names
one, which must be on the loopback interface.

It prints throughput, p50 and p99 per phase and operation, and the handler/bare ratio at p50
(target <= 1.5). It checks that no write was lost: every id the handler created reads back, from
a separate connection, with the payload that was sent. Exit 1 when a write is lost or the ratio
is above --max-ratio.

    scripts/uv run python scripts/bench_api.py [--workers 4] [--requests 400] [--dsn DSN]

A benchmark, not a test: the loops are bounded (workers x requests) and it stops by itself.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))  # tests.postgres, when run as a script

LOOPBACK = ("127.0.0.1", "localhost", "::1")
WARMUP = 20


def _event(method: str, path: str, body: str | None = None) -> dict[str, Any]:
    record = path.startswith("/records/")
    return {
        "httpMethod": method,
        "path": path,
        "resource": "/records/{id}" if record else path,
        "pathParameters": {"id": path.rsplit("/", 1)[1]} if record else None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {"requestId": str(uuid.uuid4()), "path": f"/bench{path}"},
    }


def _payload(worker: int, index: int) -> dict[str, Any]:
    return {"worker": worker, "index": index, "tags": ["bench", "api"], "amount": index * 1.25}


class Handler:
    """The API as Lambda runs it: the module's reused connection, its JSON logs."""

    def __init__(self, dsn: str) -> None:
        os.environ["TAP_DB_DSN"] = dsn
        os.environ["TAP_LOG_LEVEL"] = "INFO"  # as deployed: the log lines are part of the cost
        from tap.functions.api import handler, jsonlog  # noqa: PLC0415

        jsonlog.log_handler.setStream(io.StringIO())  # formatted as in Lambda, then dropped
        self.handler = handler.handler
        self.created: dict[str, Any] = {}
        self.mismatches = 0

    def pair(self, worker: int, index: int) -> tuple[float, float]:
        payload = _payload(worker, index)
        # Only the handler is timed: building the events and reading the answers is the
        # client's work (API Gateway's, in AWS).
        post = _event("POST", "/records", json.dumps({"type": "bench", "payload": payload}))
        started = time.perf_counter()
        response = self.handler(post, None)
        posted = time.perf_counter()
        if response["statusCode"] != 201:
            raise SystemExit(f"POST failed: {response}")
        record_id = json.loads(response["body"])["id"]
        get = _event("GET", f"/records/{record_id}")
        fetching = time.perf_counter()
        got = self.handler(get, None)
        done = time.perf_counter()
        if got["statusCode"] != 200 or json.loads(got["body"])["payload"] != payload:
            self.mismatches += 1
        self.created[record_id] = payload
        return posted - started, done - fetching


class Bare:
    """pg8000 alone: the handler's own prepared INSERT and SELECT, same server, same TLS."""

    def __init__(self, dsn: str) -> None:
        from tap.functions.api import db, handler  # noqa: PLC0415

        self.connection = db.connect(*db.parse_dsn(dsn))
        self.insert = self.connection.prepare(handler.INSERT_RECORD)
        self.select = self.connection.prepare(handler.SELECT_RECORD)

    def pair(self, worker: int, index: int) -> tuple[float, float]:
        record_id = str(uuid.uuid4())
        payload = json.dumps(_payload(worker, index))
        started = time.perf_counter()
        self.insert.run(id=record_id, type="bench-bare", payload=payload)
        inserted = time.perf_counter()
        if not self.select.run(id=record_id):
            raise SystemExit(f"bare SELECT found no row for {record_id}")
        return inserted - started, time.perf_counter() - inserted


def throughput_worker(kind: str, dsn: str, worker: int, requests: int) -> dict[str, Any]:
    """`requests` requests of one kind, back to back; the wall-clock window they took."""
    client: Handler | Bare = Handler(dsn) if kind == "handler" else Bare(dsn)
    for index in range(-WARMUP, 0):
        client.pair(worker, index)
    started = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
    for index in range(requests // 2):
        client.pair(worker, index)
    created = client.created if isinstance(client, Handler) else {}
    mismatches = client.mismatches if isinstance(client, Handler) else 0
    return {"window": (started, time.perf_counter()), "created": created, "mismatches": mismatches}


def latency_worker(dsn: str, worker: int, requests: int) -> dict[str, Any]:
    """Handler and bare pairs interleaved (alternating which goes first), so both see the same
    load: on a shared machine, comparing separate phases would compare their neighbours."""
    handler, bare = Handler(dsn), Bare(dsn)
    timings: dict[str, list[float]] = {"POST": [], "GET": [], "INSERT": [], "SELECT": []}
    for index in range(-WARMUP, requests // 2):
        order = (handler, bare) if index % 2 == 0 else (bare, handler)
        for client in order:
            first, second = client.pair(worker, index)
            if index >= 0:
                names = ("POST", "GET") if client is handler else ("INSERT", "SELECT")
                timings[names[0]].append(first)
                timings[names[1]].append(second)
    return {"timings": timings, "created": handler.created, "mismatches": handler.mismatches}


def run_workers(target: Any, args: list[tuple[Any, ...]]) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(args)) as pool:
        return pool.starmap(target, args)


def rate(results: list[Any], requests: int) -> float:
    start: float = min(r["window"][0] for r in results)
    end: float = max(r["window"][1] for r in results)
    return requests / (end - start)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def merged(results: list[Any], name: str) -> list[float]:
    return [t for result in results for t in result["timings"][name]]


def row(label: str, values: list[float], throughput: float | None = None) -> str:
    rate = f"{throughput:10.0f} req/s" if throughput is not None else " " * 16
    p50, p99 = percentile(values, 0.50) * 1000, percentile(values, 0.99) * 1000
    return f"{label:<26}{rate}  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms"


def verify(dsn: str, created: dict[str, Any]) -> int:
    """How many created ids do not read back with their payload, on a separate connection."""
    from tap.functions.api import db  # noqa: PLC0415

    connection = db.connect(*db.parse_dsn(dsn))
    try:
        rows = connection.run(
            "SELECT CAST(id AS text), payload FROM tap.records WHERE type = 'bench'"
        )
    finally:
        connection.close()
    found = dict(rows)
    return sum(1 for record_id, payload in created.items() if found.get(record_id) != payload)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4, help="concurrent workers (1-32)")
    parser.add_argument("--requests", type=int, default=400, help="requests per worker (2-10000)")
    parser.add_argument(
        "--dsn", help="a migrated database on 127.0.0.1 (default: a temporary server)"
    )
    parser.add_argument("--max-ratio", type=float, default=1.5)
    args = parser.parse_args()
    if not 1 <= args.workers <= 32 or not 2 <= args.requests <= 10_000:
        parser.error("--workers must be 1-32 and --requests 2-10000")

    server = None
    if args.dsn:
        from tap.functions.api import db  # noqa: PLC0415

        if db.parse_dsn(args.dsn)[0].host not in LOOPBACK:
            parser.error("--dsn must name a server on the loopback interface")
        dsn = args.dsn
    else:
        from tests.postgres import PostgresServer  # noqa: PLC0415

        server = PostgresServer()
        server.start()
        dsn = server.app_dsn(server.migrated_database("tap_bench"))
    try:
        print(
            f"{args.workers} workers x {args.requests} requests, PostgreSQL on 127.0.0.1 over "
            "verified TLS, one connection per worker; throughput: each kind alone; latency: "
            "handler and bare interleaved"
        )
        workers = range(args.workers)
        total = args.workers * (args.requests // 2) * 2
        handler_rate = rate(
            run_workers(throughput_worker, [("handler", dsn, w, args.requests) for w in workers]),
            total,
        )
        bare_rate = rate(
            run_workers(throughput_worker, [("bare", dsn, w, args.requests) for w in workers]),
            total,
        )
        results = run_workers(latency_worker, [(dsn, w, args.requests) for w in workers])

        post, get = merged(results, "POST"), merged(results, "GET")
        insert, select = merged(results, "INSERT"), merged(results, "SELECT")
        handler_pairs = [a + b for a, b in zip(post, get, strict=True)]
        bare_pairs = [a + b for a, b in zip(insert, select, strict=True)]
        print(row("handler POST+GET", handler_pairs, handler_rate))
        print(row("  POST /records", post))
        print(row("  GET /records/{id}", get))
        print(row("bare INSERT+SELECT", bare_pairs, bare_rate))
        print(row("  INSERT", insert))
        print(row("  SELECT", select))
        ratios = {
            "POST/INSERT": statistics.median(post) / statistics.median(insert),
            "GET/SELECT": statistics.median(get) / statistics.median(select),
            "pair": statistics.median(handler_pairs) / statistics.median(bare_pairs),
        }
        print(
            "handler/bare at p50: "
            + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items())
            + f" (target <= {args.max_ratio})"
        )

        created = {k: v for result in results for k, v in result["created"].items()}
        mismatches = sum(result["mismatches"] for result in results)
        lost = verify(dsn, created)
        print(
            f"writes: {len(created)} created by the handler; {len(created) - lost} read back "
            f"with their payload; {mismatches} handler reads differed"
        )
        failed = lost or mismatches or ratios["pair"] > args.max_ratio
        return 1 if failed else 0
    finally:
        if server is not None:
            server.destroy()


if __name__ == "__main__":
    sys.exit(main())
