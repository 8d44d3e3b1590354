"""The command's exit statuses: what each means, and which error class ends the command with it.

The table of meanings (:data:`EXIT_CODES`) is what ``--help`` and the README show, and needs no
import. Which error gives which status is keyed by the error classes themselves
(:func:`error_exit_codes`), imported only once an error is being reported, and an error takes
the status of its most specific class in the table: a new subclass of
:class:`~langchain_bedrock_claude.BedrockClaudeError` gets its parent's status until it is given
its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

__all__ = [
    "EXIT_CODES",
    "CommandTerminated",
    "CommandUsageError",
    "ExitCode",
    "error_exit_codes",
    "exit_code_for",
]

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_CREDENTIALS = 3
EXIT_DENIED = 4
EXIT_THROTTLED = 5
EXIT_MODEL = 6
EXIT_BEDROCK = 7
EXIT_CONNECTION = 8
EXIT_STREAM_BROKE = 9
EXIT_BATCH_JOB = 10
EXIT_BATCH_TIMEOUT = 11
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, as shells report a command whose reader went away (``| head``)."""
EXIT_TERMINATED = 143
"""128 + SIGTERM, as shells report a command stopped by ``kill`` (or a container stop)."""


@dataclass(frozen=True)
class ExitCode:
    """One documented exit status."""

    code: int
    """The process exit status."""
    meaning: str
    """What it means, as ``--help`` and the README show it."""


EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(EXIT_OK, "success"),
    ExitCode(EXIT_UNEXPECTED, "unexpected error (a bug: run again with --debug and report it)"),
    ExitCode(EXIT_USAGE, "bad usage or parameter value"),
    ExitCode(EXIT_CREDENTIALS, "no AWS credentials or region found"),
    ExitCode(EXIT_DENIED, "authentication failed or access denied"),
    ExitCode(EXIT_THROTTLED, "throttled or quota exceeded"),
    ExitCode(EXIT_MODEL, "unknown or retired model, or one that needs an inference profile id"),
    ExitCode(EXIT_BEDROCK, "other Bedrock error"),
    ExitCode(EXIT_CONNECTION, "connection failed or timed out"),
    ExitCode(EXIT_STREAM_BROKE, "the stream broke after text was printed"),
    ExitCode(EXIT_BATCH_JOB, "batch job failed, expired or was stopped"),
    ExitCode(EXIT_BATCH_TIMEOUT, "batch job still running at the --timeout"),
    ExitCode(EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    ExitCode(EXIT_BROKEN_PIPE, "stdout was closed (by its reader, or never open: >&-)"),
    ExitCode(EXIT_TERMINATED, "terminated (SIGTERM)"),
)
"""Every status the command can end with, in order (``--help`` lists them)."""


class CommandUsageError(Exception):
    """A usage problem found after parsing (no prompt, a malformed ``--tag``): exit status 2."""


class CommandTerminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C (closing the stream), then exit status 143.

    A ``BaseException``, as ``KeyboardInterrupt`` is, so that no ``except Exception`` on the
    way (botocore's, urllib3's) can take it for a connection failure.
    """


@cache
def error_exit_codes() -> Mapping[type[BaseException], int]:
    """The exit status of each error class; an error takes its most specific class's status.

    Imported on first use, so that ``--help`` loads neither the error tree nor langchain-core.
    """
    from .. import _errors as errors

    return {
        CommandUsageError: EXIT_USAGE,
        KeyboardInterrupt: EXIT_INTERRUPTED,
        BrokenPipeError: EXIT_BROKEN_PIPE,
        CommandTerminated: EXIT_TERMINATED,
        errors.BedrockClaudeError: EXIT_BEDROCK,
        errors.InvalidParameterError: EXIT_USAGE,
        errors.CredentialsError: EXIT_CREDENTIALS,
        errors.AuthenticationError: EXIT_DENIED,
        errors.AccessDeniedError: EXIT_DENIED,
        errors.ThrottlingError: EXIT_THROTTLED,
        errors.QuotaExceededError: EXIT_THROTTLED,
        errors.ModelNotFoundError: EXIT_MODEL,
        errors.OnDemandNotSupportedError: EXIT_MODEL,
        errors.APIConnectionError: EXIT_CONNECTION,
        errors.ModelTimeoutError: EXIT_CONNECTION,
        errors.StreamInterruptedError: EXIT_STREAM_BROKE,
        errors.BatchJobError: EXIT_BATCH_JOB,
        errors.BatchJobTimeoutError: EXIT_BATCH_TIMEOUT,
    }


def exit_code_for(error: BaseException) -> int:
    """The documented exit status for ``error`` (an error of ours, or botocore's).

    The most specific class of the error's in :func:`error_exit_codes` decides (its method
    resolution order), so ``OnDemandNotSupportedError`` (a ``ValidationError``) gets the model
    status and ``ModelTimeoutError`` (an ``APIStatusError``) the connection one.
    """
    from .._translate import error_from_exception

    mapped = error_from_exception(error, model_id=None) or error
    table = error_exit_codes()
    for cls in type(mapped).__mro__:
        if cls in table:
            return table[cls]
    return EXIT_UNEXPECTED
