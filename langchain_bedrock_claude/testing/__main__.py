"""Run the emulator in its own process: ``python -m langchain_bedrock_claude.testing``.

Prints the endpoint URL on the first line of stdout, then serves until Ctrl-C or SIGTERM.
With ``--tls`` the URL is ``https://`` and stderr names the CA bundle to verify it with.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._emulator import BedrockEmulator


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local AWS Bedrock Runtime emulator for Claude.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument(
        "--first-byte-latency", type=float, default=0.0, help="seconds before the first byte"
    )
    parser.add_argument("--token-latency", type=float, default=0.0, help="seconds between tokens")
    parser.add_argument(
        "--legacy-end-of-life",
        action="store_true",
        help="answer legacy ids with the end-of-life 404",
    )
    parser.add_argument(
        "--require-inference-profile",
        action="store_true",
        help="reject bare ids of models that need an inference profile",
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
    return parser


def main(
    argv: list[str] | None = None, *, prog: str = "python -m langchain_bedrock_claude.testing"
) -> int:
    """Serve until interrupted.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).
        prog: The command's name in ``--help`` and errors.

    Returns:
        The exit status.
    """
    args = _parser(prog).parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

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
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        with emulator:
            print(emulator.endpoint_url, flush=True)
            if emulator.tls:
                print(f"CA bundle: {emulator.ca_bundle}", file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
