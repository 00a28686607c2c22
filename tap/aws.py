"""boto3 clients, and AWS errors as one clear line (tap verify, tap bootstrap-backend).

Every client tap makes has the same patience (CALL_POLICY): botocore's standard retry mode
and short timeouts, so a throttled call is retried with backoff, and an endpoint that never
answers is given up after a bounded time instead of botocore's 60 s read timeout per attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# boto3 ships no type stubs; clients are Any.
ClientFactory = Callable[[str], Any]

# AWS did not accept the credentials themselves: no call can succeed, so a command stops (or,
# for tap verify, stops calling) rather than report every resource as unreadable.
CREDENTIALS_REJECTED = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
    }
)
# The credentials are valid but not allowed this one call: other calls may still succeed.
NOT_AUTHORIZED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
    }
)
REFUSED = CREDENTIALS_REJECTED | NOT_AUTHORIZED

# The four settings of an S3 public access block (PublicAccessBlockConfiguration), as boto3
# names them: tap bootstrap-backend turns them all on, tap verify checks them.
S3_PUBLIC_ACCESS_BLOCK = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


@dataclass(frozen=True)
class CallPolicy:
    """How long tap waits for AWS, and how often it tries.

    botocore's standard retry mode retries throttling (ThrottlingException, SlowDown,
    TooManyRequestsException, ...), 5xx answers and connection errors with exponential
    backoff and jitter, up to `max_attempts` in all. One call that never gets an answer takes
    at most about max_attempts x (connect_timeout or read_timeout) plus the backoff.
    """

    connect_timeout: float = 3.0  # seconds to open the connection
    # Seconds to wait for the next bytes of an answer: the control-plane reads and writes tap
    # makes answer within a second or two; botocore's default is 60.
    read_timeout: float = 5.0
    max_attempts: int = 3  # the first call included (botocore's standard-mode default)

    def config(self) -> Any:
        """The botocore Config of every client."""
        from botocore.config import Config  # type: ignore[import-untyped]  # noqa: PLC0415

        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
        )


CALL_POLICY = CallPolicy()


def client_factory(
    region: str, endpoint_url: str | None = None, policy: CallPolicy = CALL_POLICY
) -> ClientFactory:
    """Clients for one region; `endpoint_url` points every service at an emulator."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - only the AWS commands need it

    session = boto3.Session(region_name=region)
    config = policy.config()

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url, config=config)

    return client


def endpoint_url_problem(endpoint_url: str) -> str | None:
    """Why botocore would refuse `--endpoint-url` (with a traceback), or None when it is fine."""
    from urllib.parse import urlsplit  # noqa: PLC0415

    from botocore.utils import (  # type: ignore[import-untyped]  # noqa: PLC0415
        is_valid_endpoint_url,
        is_valid_ipv6_endpoint_url,
    )

    usable = is_valid_endpoint_url(endpoint_url) or is_valid_ipv6_endpoint_url(endpoint_url)
    if usable and urlsplit(endpoint_url).scheme in ("http", "https"):
        return None
    return (
        f"--endpoint-url {endpoint_url!r} is not an http(s) URL; give the scheme and host, "
        "e.g. http://localhost:5000"
    )


def known_regions(*services: str) -> dict[str, list[str]]:
    """Partition -> the regions botocore's endpoint data lists for every one of `services`."""
    from botocore.session import get_session  # type: ignore[import-untyped]  # noqa: PLC0415

    session = get_session()
    known = {}
    for partition in session.get_available_partitions():
        common = set.intersection(
            *(set(session.get_available_regions(s, partition)) for s in services)
        )
        if common:
            known[partition] = sorted(common)
    return known


def region_problem(region: str, *services: str) -> str | None:
    """Why `region` cannot be used for `services` (botocore knows no such region), or None."""
    known = known_regions(*services)
    if any(region in regions for regions in known.values()):
        return None
    return (
        f"--region {region!r} is not a region where botocore knows {' and '.join(services)}; "
        f"use one of {', '.join(known.get('aws', []))} (or another partition's region)"
    )


def partition_of(region: str) -> str:
    """The ARN partition of a region botocore knows (aws, aws-cn, aws-us-gov, ...)."""
    from botocore.session import get_session  # noqa: PLC0415

    return str(get_session().get_partition_for_region(region))


def error_code(error: Any) -> str:
    """The AWS error code of a botocore ClientError; "" for any other exception."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def is_credentials_error(error: BaseException) -> bool:
    """No usable credentials: none found, a profile or SSO login that cannot give any."""
    from botocore import exceptions  # type: ignore[import-untyped]  # noqa: PLC0415

    return isinstance(
        error,
        exceptions.NoCredentialsError
        | exceptions.PartialCredentialsError
        | exceptions.CredentialRetrievalError
        | exceptions.ProfileNotFound
        | exceptions.TokenRetrievalError
        | exceptions.SSOError,
    )


def describe_aws_error(error: BaseException, endpoint_url: str | None = None) -> str | None:
    """One line for the AWS failures a user can fix; None for anything else (a bug)."""
    from botocore import exceptions  # noqa: PLC0415

    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return (
            f"no usable AWS credentials ({error}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        )
    if is_credentials_error(error):
        return f"no usable AWS credentials: {error}"
    if isinstance(error, exceptions.ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        if code in CREDENTIALS_REJECTED:
            return (
                f"AWS rejected the credentials ({code}: {message}); check that they are "
                "valid and not expired"
            )
        if code in NOT_AUTHORIZED:
            return (
                f"AWS refused {error.operation_name} ({code}: {message}); the credentials "
                "are not allowed to make this call"
            )
        return f"AWS refused {error.operation_name} ({code}: {message})"
    if isinstance(
        error,
        exceptions.EndpointConnectionError
        | exceptions.ConnectTimeoutError
        | exceptions.ReadTimeoutError,
    ):
        endpoint = endpoint_url or getattr(error, "kwargs", {}).get("endpoint_url")
        return (
            f"no answer from the AWS endpoint {endpoint} ({type(error).__name__}); check "
            "--endpoint-url and the network"
        )
    if isinstance(error, exceptions.ConnectionError | exceptions.HTTPClientError):
        return f"cannot reach AWS: {error}"
    if isinstance(error, exceptions.BotoCoreError):
        return f"AWS SDK error: {error}"
    return None
