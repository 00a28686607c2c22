"""boto3 clients, and AWS errors as one clear line (tap verify, tap bootstrap-backend)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# boto3 ships no type stubs; clients are Any.
ClientFactory = Callable[[str], Any]

# The credentials themselves were refused or lack permission: the user must act, so callers
# stop with this message rather than report it as a finding about one resource.
REFUSED = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
    }
)


def client_factory(region: str, endpoint_url: str | None = None) -> ClientFactory:
    """Clients for one region; `endpoint_url` points every service at an emulator."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - only the AWS commands need it

    session = boto3.Session(region_name=region)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    return client


def error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def describe_aws_error(error: BaseException, endpoint_url: str | None = None) -> str | None:
    """One line for the AWS failures a user can fix; None for anything else (a bug)."""
    from botocore import exceptions  # type: ignore[import-untyped]  # noqa: PLC0415

    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return (
            f"no usable AWS credentials ({error}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, exceptions.ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return (
            f"AWS refused the request ({error_code(error)}: {message}); check that the "
            "credentials are valid, not expired, and allowed to make this call"
        )
    if isinstance(error, exceptions.EndpointConnectionError):
        endpoint = endpoint_url or error.kwargs.get("endpoint_url")
        return f"cannot reach the AWS endpoint {endpoint}; check --endpoint-url and the network"
    if isinstance(error, exceptions.ConnectionError):
        return f"cannot reach AWS: {error}"
    if isinstance(error, exceptions.BotoCoreError):
        return f"AWS SDK error: {error}"
    return None
