"""Run the emulator in its own process: ``python -m langchain_bedrock_claude.testing``.

Prints the endpoint URL on the first line of stdout, then serves until Ctrl-C or SIGTERM,
logging one line per request on stderr. With ``--tls`` the URL is ``https://`` and stderr
names the CA bundle to verify it with. A failure to start is one line on stderr and an
exit status from :data:`EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import NoReturn

from ._emulator import BedrockEmulator
from ._server import LOG

EXIT_STOPPED = 0
EXIT_USAGE = 2
EXIT_CANNOT_LISTEN = 10
EXIT_STDOUT_CLOSED = 141
"""128 + SIGPIPE: what ``bedrock-claude`` exits with when its stdout is closed."""
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_STOPPED, "stopped by Ctrl-C or SIGTERM"),
    (
        EXIT_USAGE,
        "bad usage: an unknown option, a bad number, a port outside 0-65535, or a host "
        "that is not a loopback address",
    ),
    (EXIT_CANNOT_LISTEN, "cannot listen on the address: the port is in use, or not permitted"),
    (EXIT_STDOUT_CLOSED, "stdout is closed, so the endpoint URL cannot be printed"),
)
"""The command's exit statuses and what they mean (``--help`` and the README list them)."""
_MAX_PORT = 65535
_LOG_FORMAT = "%(asctime)s %(message)s"
_LOG_TIME = "%H:%M:%S"


class _Failure(Exception):
    """A failure to start, told in one line."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, not the usage text plus a line."""

    def error(self, message: str) -> NoReturn:
        raise _Failure(f"{message} (see {self.prog} --help)", EXIT_USAGE)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= _MAX_PORT:
        raise argparse.ArgumentTypeError(f"the port must be between 0 and {_MAX_PORT} (got {port})")
    return port


def _loopback(text: str) -> str:
    try:
        loopback = text == "localhost" or ipaddress.ip_address(text).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise argparse.ArgumentTypeError(
            f"the emulator binds loopback addresses only, such as 127.0.0.1, ::1 or localhost "
            f"(got {text!r})"
        )
    return text


def _parser(prog: str) -> argparse.ArgumentParser:
    codes = "\n".join(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    parser = _Parser(
        prog=prog,
        description="Serve a local AWS Bedrock Runtime emulator for Claude.",
        epilog=f"exit status:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=_port, default=0, help="port to bind (0: a free one)")
    parser.add_argument(
        "--host", type=_loopback, default="127.0.0.1", help="loopback address to bind"
    )
    parser.add_argument(
        "--first-byte-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait before the first byte of each answer",
    )
    parser.add_argument(
        "--token-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait between tokens (stream events; a non-stream answer waits the sum)",
    )
    parser.add_argument(
        "--legacy-end-of-life",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="answer legacy ids with the end-of-life 404, as Bedrock does (default; "
        "--no-legacy-end-of-life serves them, for offline demos)",
    )
    parser.add_argument(
        "--require-inference-profile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="reject bare ids of models that need an inference profile, as Bedrock does "
        "(default; --no-require-inference-profile serves them on demand)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with the test-only certificate (needed for Bedrock API keys)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this Bedrock API key as a bearer token (repeatable)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="log no line per request, only warnings"
    )
    return parser


def main(
    argv: list[str] | None = None, *, prog: str = "python -m langchain_bedrock_claude.testing"
) -> int:
    """Serve until interrupted.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).
        prog: The command's name in ``--help`` and errors.

    Returns:
        The exit status (see :data:`EXIT_CODES`).
    """
    try:
        return _serve(_parser(prog).parse_args(argv))
    except _Failure as failure:
        if sys.stderr is not None:
            print(f"{prog}: {failure}", file=sys.stderr, flush=True)
        return failure.code


def _serve(args: argparse.Namespace) -> int:
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise _Failure("stdout is closed: nowhere to print the endpoint URL", EXIT_STDOUT_CLOSED)
    emulator = BedrockEmulator(
        host=args.host,
        port=args.port,
        first_byte_latency=args.first_byte_latency,
        token_latency=args.token_latency,
        legacy_end_of_life=args.legacy_end_of_life,
        require_inference_profile=args.require_inference_profile,
        tls=args.tls,
        api_keys=args.api_keys,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    restore_log = _log_to_stderr(logging.WARNING if args.quiet else logging.INFO)
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        _start(emulator, args.host, args.port)
        with emulator:
            _announce(emulator)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        restore_log()
    return EXIT_STOPPED


def _start(emulator: BedrockEmulator, host: str, port: int) -> None:
    try:
        emulator.start()
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        if error.errno == errno.EADDRINUSE:
            reason = "the address is already in use"
        raise _Failure(f"cannot listen on {host}:{port}: {reason}", EXIT_CANNOT_LISTEN) from None


def _announce(emulator: BedrockEmulator) -> None:
    try:
        print(emulator.endpoint_url, flush=True)
    except (OSError, ValueError):  # a closed or broken stdout
        raise _Failure(
            "stdout is closed: nowhere to print the endpoint URL", EXIT_STDOUT_CLOSED
        ) from None
    if emulator.tls and sys.stderr is not None:
        print(f"CA bundle: {emulator.ca_bundle}", file=sys.stderr, flush=True)


def _log_to_stderr(level: int) -> Callable[[], None]:
    """Send the emulator's log to stderr, one line per request; returns how to undo it."""
    if sys.stderr is None:
        return lambda: None
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT, _LOG_TIME))
    saved = LOG.level, LOG.propagate
    LOG.addHandler(handler)
    LOG.setLevel(level)
    LOG.propagate = False  # not twice, should the root logger print too

    def restore() -> None:
        LOG.removeHandler(handler)
        LOG.level, LOG.propagate = saved

    return restore


if __name__ == "__main__":
    sys.exit(main())
