"""One moto server and one conforming deployment per test module (see moto_stack.py)."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from moto.server import ThreadedMotoServer

from tests.integration.moto_stack import STACK_FILES, Deployment, build


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="module")
def deployment(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """Built once; each test undoes its own tamper (see `undo`)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).close()
    project_dir = tmp_path_factory.mktemp("project")
    for stack, text in STACK_FILES.items():
        (project_dir / f"Pulumi.{stack}.yaml").write_text(text)
    return Deployment(endpoint, build(endpoint), project_dir)


@pytest.fixture
def undo() -> Iterator[ExitStack]:
    """Undo callbacks a tamper registers; they run after the test, even when it fails."""
    with ExitStack() as stack:
        yield stack
