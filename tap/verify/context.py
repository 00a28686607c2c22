"""What every check gets: the deployed stack's outputs, its config, and reads from AWS.

A read returns AWS's reply, or a Failure that says what the missing reply means for the check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

from tap.aws import REFUSED, error_code
from tap.config import StackConfig
from tap.verify.model import Failure

# Returns a boto3.Session (or anything with its `client(service, region_name=, endpoint_url=,
# config=)`); the clients it makes use the endpoint given to `verify` (e.g. moto's).
SessionFactory = Callable[[], Any]

# A missing setting on a resource that exists: drift, not failure.
SETTING_ABSENT = frozenset(
    {
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchBucketPolicy",
        "ServerSideEncryptionConfigurationNotFoundError",
        "ReplicationConfigurationNotFoundError",
        "NoSuchEntity",  # IAM: no account password policy
    }
)
# The resource the outputs name is gone.
NOT_FOUND = frozenset(
    {
        "NoSuchBucket",
        "NotFoundException",
        "NotFound",
        "DBClusterNotFoundFault",
        "ResourceNotFoundException",
        "404",
    }
)


def failure(code: str) -> Failure:
    """A removed setting is drift; a missing or unreadable resource is a fail."""
    if code in SETTING_ABSENT:
        return Failure("drift", f"not set ({code})")
    if code in NOT_FOUND:
        return Failure("fail", f"not found ({code})")
    return Failure("fail", f"unreadable ({code})")


class Clients:
    """One boto3 client per (service, region), all from one session and one endpoint."""

    def __init__(self, session_factory: SessionFactory, endpoint_url: str | None) -> None:
        self._session = session_factory()
        self._endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        # Retries (AWS_MAX_ATTEMPTS, AWS_RETRY_MODE) stay as the environment sets them.
        self._config = Config(connect_timeout=10, read_timeout=30)

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service, region_name=region, endpoint_url=self._endpoint_url, config=self._config
            )
        return self._clients[key]

    def call(self, service: str, region: str, use: Callable[[Any], Any]) -> Any | Failure:
        """`use(client)`; a refused credential propagates, any other error is a Failure."""
        try:
            return use(self(service, region))
        except ClientError as exc:
            code = error_code(exc)
            if code in REFUSED:
                raise
            return failure(code or "UnknownError")


@dataclass(frozen=True)
class Context:
    outputs: Mapping[str, Any]
    config: StackConfig
    clients: Clients

    def region(self, region: str) -> Mapping[str, Any]:
        result: Mapping[str, Any] = self.outputs["regions"][region]
        return result

    @property
    def primary_region(self) -> str:
        return str(self.outputs["primaryRegion"])

    def read(self, service: str, region: str, operation: str, **params: Any) -> Any | Failure:
        """One call (`operation` as boto3 names it, e.g. `get_bucket_policy`)."""
        return self.clients.call(
            service, region, lambda client: getattr(client, operation)(**params)
        )

    def read_all(
        self, service: str, region: str, operation: str, items: str, **params: Any
    ) -> list[Any] | Failure:
        """Every item under `items` of every page of a paginated call."""

        def pages(client: Any) -> list[Any]:
            paginator = client.get_paginator(operation)
            return [item for page in paginator.paginate(**params) for item in page[items]]

        result: list[Any] | Failure = self.clients.call(service, region, pages)
        return result
