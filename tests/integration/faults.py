"""Faults on the wire, on 127.0.0.1: a proxy in front of moto, and a black-hole endpoint.

FaultProxy forwards every request to the moto server, except the ones a test told it to spoil:
it can answer with an error (a throttle, AccessDenied, a 500), with a body that is not the
API's document, drop the connection without an answer, or never answer. botocore talks to it
over real HTTP, so its retry mode, timeouts and parsers all take part.

BlackHole accepts connections and never answers, like a firewall that lets the handshake
through, or a hung server.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The REST operations verify calls, by (method, path pattern, query key): REST protocols do not
# send the operation's name.
_REST_OPERATIONS = (
    ("GET", re.compile(r"/[^/]+/?"), "versioning", "GetBucketVersioning"),
    ("GET", re.compile(r"/[^/]+/?"), "policy", "GetBucketPolicy"),
    ("GET", re.compile(r"/[^/]+/?"), "encryption", "GetBucketEncryption"),
    ("GET", re.compile(r"/[^/]+/?"), "publicAccessBlock", "GetPublicAccessBlock"),
    ("GET", re.compile(r"/[^/]+/?"), "replication", "GetBucketReplication"),
    (
        "GET",
        re.compile(r"/2015-03-31/functions/[^/]+/configuration"),
        "",
        "GetFunctionConfiguration",
    ),
    ("GET", re.compile(r"/restapis/[^/]+/stages/[^/]+"), "", "GetStage"),
)
_SCOPE = re.compile(r"Credential=[^/]+/[0-9]+/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Answer:
    """An HTTP answer in place of moto's."""

    status: int
    body: bytes
    content_type: str = "application/x-amz-json-1.1"


def json_error(code: str, status: int = 400) -> Answer:
    """An error as the JSON protocols (KMS, CloudWatch Logs) send it."""
    return Answer(status, f'{{"__type":"{code}","message":"{code} (injected)"}}'.encode())


def query_error(code: str, status: int = 400) -> Answer:
    """An error as the query protocol (RDS, IAM) sends it."""
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{code} (injected)</Message></Error>"
        "<RequestId>injected</RequestId></ErrorResponse>"
    )
    return Answer(status, body.encode(), "text/xml")


def s3_error(code: str, status: int) -> Answer:
    body = f"<Error><Code>{code}</Code><Message>{code} (injected)</Message></Error>"
    return Answer(status, body.encode(), "application/xml")


DROP = "drop"  # close the connection without an answer
HANG = "hang"  # keep the connection open and never answer
Fault = Answer | str


@dataclass
class _Rule:
    operation: str
    fault: Fault
    times: int | None  # None: every time
    region: str | None


@dataclass
class FaultProxy:
    upstream: str  # http://host:port of the moto server
    rules: list[_Rule] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (operation, region) per request
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def inject(
        self, operation: str, fault: Fault, *, times: int | None = None, region: str | None = None
    ) -> None:
        with self._lock:
            self.rules.append(_Rule(operation, fault, times, region))

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self.seen.clear()

    def attempts(self, operation: str, region: str | None = None) -> int:
        return sum(1 for op, r in self.seen if op == operation and region in (None, r))

    def _fault_for(self, operation: str, region: str) -> Fault | None:
        with self._lock:
            self.seen.append((operation, region))
            for rule in self.rules:
                if rule.operation != operation or rule.region not in (None, region):
                    continue
                if rule.times is not None:
                    if rule.times == 0:
                        continue
                    rule.times -= 1
                return rule.fault
        return None

    @contextmanager
    def running(self) -> Iterator[FaultProxy]:
        proxy = self
        upstream = urlsplit(self.upstream)
        assert upstream.hostname, f"upstream {self.upstream!r} names no host"
        upstream_host = upstream.hostname

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                region, _service = _scope(self.headers.get("Authorization", ""))
                fault = proxy._fault_for(
                    _operation(self.command, self.path, self.headers, body), region
                )
                if fault == DROP:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault == HANG:
                    proxy._release.wait(timeout=60)
                    self.close_connection = True
                    return
                if isinstance(fault, Answer):
                    self._reply(fault.status, fault.body, fault.content_type)
                    return
                connection = http.client.HTTPConnection(upstream_host, upstream.port, timeout=30)
                try:
                    connection.request(self.command, self.path, body, dict(self.headers))
                    answer = connection.getresponse()
                    payload = answer.read()
                    headers = [
                        (k, v)
                        for k, v in answer.getheaders()
                        if k.lower() not in {"transfer-encoding", "connection", "content-length"}
                    ]
                finally:
                    connection.close()
                self.send_response(answer.status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}"
        try:
            yield self
        finally:
            self._release.set()
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)


def _scope(authorization: str) -> tuple[str, str]:
    match = _SCOPE.search(authorization)
    return (match.group(1), match.group(2)) if match else ("", "")


def _operation(method: str, path: str, headers: Message, body: bytes) -> str:
    """The AWS operation of a request, from its protocol's markers."""
    target = headers.get("X-Amz-Target")  # JSON protocols: Service.Operation
    if target:
        return str(target).rsplit(".", 1)[-1]
    parts = urlsplit(path)
    cbor = re.search(r"/operation/([A-Za-z0-9]+)$", parts.path)  # smithy-rpc-v2-cbor
    if cbor:
        return cbor.group(1)
    form = parse_qs(body.decode("utf-8", "replace")) if method == "POST" else {}
    if "Action" in form:  # query protocol
        return form["Action"][0]
    query = parse_qs(parts.query, keep_blank_values=True)
    for rest_method, pattern, key, name in _REST_OPERATIONS:
        if method == rest_method and pattern.fullmatch(parts.path) and (not key or key in query):
            return name
    return f"{method} {parts.path}"


@dataclass
class BlackHole:
    """A TCP endpoint on 127.0.0.1 that accepts connections and never answers."""

    connections: int = 0
    url: str = ""
    _sockets: list[socket.socket] = field(default_factory=list)

    @contextmanager
    def running(self) -> Iterator[BlackHole]:
        listener = socket.create_server(("127.0.0.1", 0))
        stop = threading.Event()

        def accept() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                self.connections += 1
                self._sockets.append(connection)  # held open, never read or answered

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=5)
            listener.close()
            for connection in self._sockets:
                connection.close()
