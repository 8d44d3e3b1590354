"""Run the emulator in its own process: ``python -m langchain_bedrock_claude.testing``.

Prints the endpoint URL on the first line of stdout, then serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from ._emulator import BedrockEmulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m langchain_bedrock_claude.testing",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted.

    Args:
        argv: Command-line arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status.
    """
    args = _parser().parse_args(argv)
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
    )
    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        with emulator:
            print(emulator.endpoint_url, flush=True)
            while not stop.wait(0.5):
                pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
