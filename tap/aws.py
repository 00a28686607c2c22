"""boto3 clients, and AWS errors as one clear line (tap verify, tap bootstrap-backend)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# boto3 ships no type stubs; clients are Any.
ClientFactory = Callable[[str], Any]

REFUSED_CREDENTIALS = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
    }
)
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def client_factory(region: str, endpoint_url: str | None = None) -> ClientFactory:
    """Clients for one region; `endpoint_url` points every service at an emulator."""
    import boto3  # type: ignore[import-untyped]  # noqa: PLC0415 - only the AWS commands need it

    session = boto3.Session(region_name=region)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url)

    return client


def describe_aws_error(error: BaseException) -> str | None:
    """One line for the AWS failures a user can fix; None for anything else (a bug)."""
    from botocore import exceptions  # type: ignore[import-untyped]  # noqa: PLC0415

    if isinstance(error, exceptions.NoCredentialsError | exceptions.PartialCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE (after `aws sso login`) or the "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables"
        )
    if isinstance(error, exceptions.EndpointConnectionError):
        return f"cannot reach the AWS endpoint {error.kwargs.get('endpoint_url', '')}".rstrip()
    if isinstance(error, exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        operation = getattr(error, "operation_name", "the call")
        if code in REFUSED_CREDENTIALS:
            return f"AWS refused the credentials ({code}) on {operation}; log in again"
        if code in DENIED:
            return f"access denied on {operation}: the role needs that permission ({code})"
        message = error.response.get("Error", {}).get("Message", "")
        return f"AWS error on {operation}: {code} {message}".rstrip()
    return None
