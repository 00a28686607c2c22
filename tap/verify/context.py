"""What every check gets: the deployed stack's outputs, its config, and reads from AWS.

A read returns AWS's reply, or a Failure that says what the missing reply means for the check;
it never raises for one call that went wrong, so one throttled, refused or dropped call costs
one check, and the report still goes to the end. Two faults stop further calls, because every
later call would fail the same way and only cost time:

- an endpoint that does not answer (connection refused, connect or read timeout after the
  retries): later calls to that endpoint are not made;
- credentials AWS rejects (expired, invalid): later calls are not made at all.

Each is said once on stderr, as it happens, and the checks it affects are `unknown`. Only
having no credentials at all stops the run, as one line (run_verify).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError  # type: ignore[import-untyped]

from tap.aws import (
    CALL_POLICY,
    CREDENTIALS_REJECTED,
    CallPolicy,
    describe_aws_error,
    error_code,
    is_credentials_error,
)
from tap.config import StackConfig
from tap.verify.model import Failure
from tap.verify.replies import UnexpectedReply, items

# Returns a boto3.Session (or anything with its `client(service, region_name=, endpoint_url=,
# config=)`); the clients it makes use the endpoint given to `verify` (e.g. moto's).
SessionFactory = Callable[[], Any]
Warn = Callable[[str], None]

# A missing setting on a resource that exists: drift.
SETTING_ABSENT = frozenset(
    {
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchBucketPolicy",
        "ServerSideEncryptionConfigurationNotFoundError",
        "ReplicationConfigurationNotFoundError",
        "NoSuchEntity",  # IAM: no account password policy
        "WAFNonexistentItemException",  # WAF: no logging configuration on the web ACL
    }
)
# The resource the outputs name is gone: fail.
NOT_FOUND = frozenset(
    {
        "NoSuchBucket",
        "NotFoundException",
        "NotFound",
        "DBClusterNotFoundFault",
        "ResourceNotFoundException",
        "NoSuchHealthCheck",
        "NoSuchHostedZone",
        "404",
    }
)
# The connection faults that take a timeout (or every retry) to show.
_NO_ANSWER = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)


def failure(code: str) -> Failure:
    """An AWS error code: a removed setting is drift, a missing resource a fail, any other
    error (throttled after retries, access denied, internal error) says nothing: unknown."""
    if code in SETTING_ABSENT:
        return Failure("drift", f"not set ({code})")
    if code in NOT_FOUND:
        return Failure("fail", f"not found ({code})")
    return Failure("unknown", f"could not read ({code})")


class Clients:
    """One boto3 client per (service, region), from one session, endpoint and CallPolicy."""

    def __init__(
        self,
        session_factory: SessionFactory,
        endpoint_url: str | None,
        policy: CallPolicy = CALL_POLICY,
        warn: Warn | None = None,
    ) -> None:
        self._session = session_factory()
        self._endpoint_url = endpoint_url
        self._policy = policy
        self._config = policy.config()
        self._warn = warn or (lambda _message: None)
        self._clients: dict[tuple[str, str], Any] = {}
        self._silent_endpoints: set[str] = set()
        self._rejected: str | None = None  # the error code that rejected the credentials

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self._session.client(
                service, region_name=region, endpoint_url=self._endpoint_url, config=self._config
            )
        return self._clients[key]

    def call(self, service: str, region: str, use: Callable[[Any], Any]) -> Any | Failure:
        """`use(client)`, or the Failure that stands for its reply.

        Raises only when there are no usable credentials at all.
        """
        if self._rejected:
            return Failure("unknown", f"not read (credentials rejected: {self._rejected})")
        client = self(service, region)
        endpoint = str(client.meta.endpoint_url)
        if endpoint in self._silent_endpoints:
            return Failure("unknown", f"not read (no answer from {endpoint})")
        try:
            return use(client)
        except ClientError as error:
            code = error_code(error) or "UnknownError"
            if code in CREDENTIALS_REJECTED:
                self._rejected = code
                self._warn(f"{describe_aws_error(error)}; no further calls are made")
            return failure(code)
        except UnexpectedReply as error:
            return Failure.unexpected(error)
        except ResponseParserError:
            return Failure("unknown", "could not read (a reply botocore cannot parse)")
        except _NO_ANSWER as error:
            self._silent_endpoints.add(endpoint)
            self._warn(
                f"no answer from {endpoint} ({type(error).__name__}, "
                f"{self._policy.max_attempts} attempts); no further calls are made to it"
            )
            return Failure("unknown", f"could not read ({type(error).__name__})")
        except BotoCoreError as error:
            if is_credentials_error(error):
                raise
            # A dropped connection after the retries, a request botocore refuses to send, ...
            return Failure("unknown", f"could not read ({type(error).__name__})")


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
        self, service: str, region: str, operation: str, key: str, **params: Any
    ) -> list[Mapping[str, Any]] | Failure:
        """Every item under `key` of every page of a paginated call."""

        def every_item(client: Any) -> list[Mapping[str, Any]]:
            paginator = client.get_paginator(operation)
            return [
                item for page in paginator.paginate(**params) for item in items(page, key, dict)
            ]

        result: list[Mapping[str, Any]] | Failure = self.clients.call(service, region, every_item)
        return result
