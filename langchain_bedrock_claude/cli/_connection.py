"""Where the command sends its request: AWS, the in-process emulator, or a running emulator.

Credentials and region are resolved by the package's own client (``_boto``), never a second
time here; this module only says, in the command's words, what that resolution found missing.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._exit_codes import CommandUsageError
from ._parser import API_KEY_VARIABLE, EXAMPLE_PROMPT, PROG

if TYPE_CHECKING:
    from .._client import AnthropicBedrock

__all__ = ["PLACEHOLDER_NOTE", "Target", "client_for", "credential_source", "target"]

EMULATOR_REGION = "us-east-1"
EMULATOR_KEY = "emulator"
"""Dummy credentials for the emulator: requests are signed as usual, and nothing is secret."""
EMULATOR_TOKEN_LATENCY = 0.02
"""Seconds between the emulator's tokens under ``--emulator``, so the stream looks like one."""
PLACEHOLDER_NOTE = (
    "note: the emulator answers with placeholder text (filler words), not a model's answer"
)
"""Said on stderr before an emulator's answer, so nobody takes its words for Claude's."""
_AWS_CONFIG_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", API_KEY_VARIABLE)
"""Hidden while talking to an emulator: a stale profile must not break a run that needs no AWS,
and a real API key must not be sent to it."""
_NO_CREDENTIALS = (
    "no AWS credentials found (looked in {where}). Configure them (e.g. `aws configure` or "
    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a Bedrock API key in "
    f"{API_KEY_VARIABLE}), or try it offline with the built-in emulator: "
    f'{PROG} --emulator "{EXAMPLE_PROMPT}"'
)
_NO_REGION = "no AWS region configured: pass --region (e.g. --region us-east-1) or set AWS_REGION"


class Target:
    """Where the request goes: the endpoint and credentials the client is built with."""

    def __init__(self, endpoint_url: str | None, *, emulator: bool) -> None:
        self.endpoint_url = endpoint_url
        """The endpoint (``None``: AWS's, or ``AWS_ENDPOINT_URL``)."""
        self.emulator = emulator
        """Whether it is an emulator: dummy credentials, no AWS configuration read."""


def check_flags(args: argparse.Namespace) -> None:
    """Refuse flags that contradict each other, before anything else."""
    chosen = [
        flag
        for flag, value in (("--emulator", args.emulator), ("--emulator-url", args.emulator_url))
        if value
    ]
    if len(chosen) == 2:
        raise CommandUsageError("--emulator and --emulator-url exclude each other: pick one")
    if chosen and (args.endpoint_url or args.profile):
        raise CommandUsageError(
            f"{chosen[0]} cannot be combined with --endpoint-url or --profile (an emulator "
            "takes dummy credentials)"
        )


@contextmanager
def target(args: argparse.Namespace) -> Iterator[Target]:
    """The target of ``args``; under ``--emulator``, the in-process emulator while it runs.

    With either emulator flag, the AWS profile and API key variables are hidden for the
    duration, and restored after.
    """
    if not (args.emulator or args.emulator_url):
        yield Target(args.endpoint_url, emulator=False)
        return
    hidden = {name: os.environ.pop(name) for name in _AWS_CONFIG_VARIABLES if name in os.environ}
    try:
        if args.emulator_url:
            yield Target(args.emulator_url, emulator=True)
            return
        from ..testing import BedrockEmulator

        with BedrockEmulator(token_latency=EMULATOR_TOKEN_LATENCY) as emulator:
            yield Target(emulator.endpoint_url, emulator=True)
    finally:
        os.environ.update(hidden)


def client_for(
    args: argparse.Namespace, where: Target, *, region: str | None = None
) -> AnthropicBedrock:
    """The client of the package, its settings checked (it resolves nothing yet).

    Raises:
        InvalidParameterError: a bad ``--timeout``, ``--region``, ``--endpoint-url`` or
            ``--max-retries``, whatever the credentials.
    """
    region = args.region or region
    from .._client import AnthropicBedrock

    settings: dict[str, Any] = {
        "endpoint_url": where.endpoint_url,
        "max_retries": args.max_retries,
        "timeout": args.timeout,
        "auto_inference_profile": args.auto_inference_profile,
    }
    if where.emulator:
        return AnthropicBedrock(EMULATOR_KEY, EMULATOR_KEY, region or EMULATOR_REGION, **settings)
    return AnthropicBedrock(region=region, profile=args.profile, **settings)


def resolve(client: AnthropicBedrock, args: argparse.Namespace) -> str:
    """Build the client's boto3 client now (credentials, region); say where credentials came from.

    Raises:
        CredentialsError: no region, no credentials, or a missing profile, in one line that
            names the flags to use.
    """
    from .._errors import CredentialsError

    try:
        boto3_client = client.boto3_client
    except CredentialsError as error:
        from botocore.exceptions import NoRegionError

        if not isinstance(error.__cause__, NoRegionError):
            raise
        # botocore looks for the region first. Missing credentials are the bigger gap (and
        # the emulator the way to try without), so they are named first: built with a stand-in
        # region by the same client code, only on this error path.
        probe = client_for(args, Target(args.endpoint_url, emulator=False), region=EMULATOR_REGION)
        with probe:
            if credential_source(probe.boto3_client) is None:
                raise _no_credentials(args) from error
        raise CredentialsError(_NO_REGION) from error
    source = credential_source(boto3_client)
    if source is None:
        raise _no_credentials(args)
    return source


def _no_credentials(args: argparse.Namespace) -> Exception:
    from .._errors import CredentialsError

    where = f"profile {args.profile!r}" if args.profile else "the environment or ~/.aws"
    return CredentialsError(_NO_CREDENTIALS.format(where=where))


def credential_source(boto3_client: Any) -> str | None:
    """Where the boto3 client's credentials came from (``env``, ``shared-credentials-file``, ...).

    botocore resolves them when it builds the client; ``None`` when it found none (the request
    would then fail at signing with the same :class:`CredentialsError`, only later).
    """
    if os.environ.get(API_KEY_VARIABLE):
        return f"a Bedrock API key ({API_KEY_VARIABLE})"
    # botocore keeps what it resolved on the client (``_get_credentials``, used by its own
    # presigners); if a release renames it, the request still fails typed at signing.
    getter = getattr(boto3_client, "_get_credentials", None)
    if getter is None:
        return "unknown"
    credentials = getter()
    if credentials is None:
        return None
    return str(getattr(credentials, "method", "unknown"))
