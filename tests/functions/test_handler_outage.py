"""The API while its database goes away and comes back. This module stops and starts a server
of its own, so no other test shares it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tap.functions.api import handler as api
from tests.functions.test_handler import LambdaContext, api_event
from tests.postgres import PostgresServer


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    own = PostgresServer()
    try:
        own.start()
        yield own
    finally:
        own.destroy()


@pytest.fixture(scope="module")
def database(server: PostgresServer) -> str:
    return server.migrated_database("tap_outage")


@pytest.fixture(autouse=True)
def env(server: PostgresServer, database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TAP_DB_DSN", server.app_dsn(database))
    monkeypatch.setenv("TAP_REGION", "us-west-2")
    api.reset()
    yield
    api.reset()


def call(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    response = api.handler(event, LambdaContext())
    return response["statusCode"], response["headers"], json.loads(response["body"])


def fresh_health() -> tuple[int, Any]:
    api._health = None  # the cache would answer for a few seconds; these tests want a probe
    status, _, body = call(api_event("GET", "/health"))
    return status, body


def test_stopped_then_restarted(server: PostgresServer) -> None:
    status, _, created = call(
        api_event("POST", "/records", body=json.dumps({"type": "t", "payload": {"n": 1}}))
    )
    assert status == 201
    record_id = created["id"]
    assert fresh_health()[0] == 200

    server.stop()
    try:
        for event in (
            api_event("GET", f"/records/{record_id}"),
            api_event("POST", "/records", body=json.dumps({"type": "t", "payload": {}})),
        ):
            status, headers, body = call(event)
            assert status == 503
            assert headers["Content-Type"] == "application/json"
            assert headers["Retry-After"] == "1"
            assert body == {
                "error": {
                    "code": "database_unavailable",
                    "message": "the database is unavailable; try again later",
                },
                "requestId": "apigw-req-0001",
            }
        status, body = fresh_health()
        assert status == 503
        assert body["status"] == "degraded"
        assert body["checks"] == {
            "configuration": "ok",
            "credentials": "ok",
            "database": "unavailable",
        }
    finally:
        server.start_again()

    # The same execution environment recovers: no restart of the function, no lost record.
    status, _, got = call(api_event("GET", f"/records/{record_id}"))
    assert status == 200 and got["payload"] == {"n": 1}
    assert fresh_health()[0] == 200


def test_restarted_under_a_warm_connection(server: PostgresServer) -> None:
    status, _, created = call(
        api_event("POST", "/records", body=json.dumps({"type": "t", "payload": {}}))
    )
    assert status == 201
    # The server restarts while the function holds a connection: the next request finds it
    # dead, reconnects once, and answers.
    server.restart()
    status, _, got = call(api_event("GET", f"/records/{created['id']}"))
    assert status == 200 and got["id"] == created["id"]
