"""The emulator in its own process, with replies sized and paced by the prompt.

The client under test and the server must not share a GIL, so the emulator runs in a child
process (``python -m benchmarks._server``) and prints its endpoint on the first line.

Every contender sends the same prompt, which carries a directive the responder reads::

    [bench tokens=2000 latency=0.02]

``tokens`` is the number of output tokens (one stream event each) and ``latency`` the seconds
between them. :func:`directive` builds it; ``max_tokens`` must be at least ``tokens``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from types import FrameType, TracebackType

ROOT = Path(__file__).resolve().parent.parent
_DIRECTIVE = re.compile(r"\[bench tokens=(\d+) latency=([0-9.]+)\]")
_VOCABULARY = (
    " The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ",",
    " and", " then", " it", " writes", " a", " short", " answer", " about", " clouds", ".",
)  # fmt: skip
"""Token pieces of 1 to 7 characters (Claude's average is about 4)."""
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0


def directive(tokens: int, latency: float = 0.0) -> str:
    """The prompt that asks the benchmark emulator for ``tokens`` tokens, ``latency`` apart."""
    return f"Benchmark prompt. [bench tokens={tokens} latency={latency:g}]"


def reply_pieces(tokens: int) -> tuple[str, ...]:
    """The text pieces the benchmark emulator streams for ``tokens`` tokens."""
    return tuple(_VOCABULARY[index % len(_VOCABULARY)] for index in range(tokens))


@lru_cache(maxsize=64)
def _reply(tokens: int, latency: float) -> object:
    from langchain_bedrock_claude.testing import Reply

    return Reply(text=reply_pieces(tokens), token_latency=latency)


def _responder(request: object) -> object:
    from langchain_bedrock_claude.testing import EmulatedRequest

    assert isinstance(request, EmulatedRequest)
    match = _DIRECTIVE.search(request.prompt_text)
    if match is None:
        return _reply(16, 0.0)
    return _reply(int(match.group(1)), float(match.group(2)))


def serve(port: int) -> None:
    """Serve until SIGTERM or SIGINT; print the endpoint first."""
    from langchain_bedrock_claude.testing import BedrockEmulator

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # The legacy Text Completions wire is measured too: serve the retired claude-v2:1 id.
    emulator = BedrockEmulator(  # type: ignore[arg-type]
        port=port, responder=_responder, legacy_end_of_life=False
    )
    with emulator:
        print(emulator.endpoint_url, flush=True)
        # Nobody reads on after the first line: keep stray output from filling the pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        while not stop.wait(0.5):
            pass


class EmulatorProcess:
    """The emulator in a child process, for a ``with`` block; ``endpoint_url`` while it runs.

    Args:
        cpus: Pin the server to these CPUs (Linux), e.g. to keep it off the client's core.
        module: The server's module (``python -m MODULE``), which prints its endpoint first.
        args: Arguments for it.
    """

    def __init__(
        self,
        cpus: set[int] | None = None,
        *,
        module: str = "benchmarks._server",
        args: tuple[str, ...] = (),
    ) -> None:
        self._cpus = cpus
        self._command = [sys.executable, "-m", module, *args]
        self._process: subprocess.Popen[str] | None = None
        self._stack = contextlib.ExitStack()
        self.endpoint_url = ""

    def __enter__(self) -> EmulatorProcess:
        self._log = self._stack.enter_context(tempfile.TemporaryFile(mode="w+"))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self._process = subprocess.Popen(
            self._command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        if self._cpus and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(self._process.pid, self._cpus)
        assert self._process.stdout is not None
        ready = threading.Event()
        line: list[str] = []

        def read_first_line() -> None:
            assert self._process is not None and self._process.stdout is not None
            line.append(self._process.stdout.readline().strip())
            ready.set()

        threading.Thread(target=read_first_line, daemon=True).start()
        if not ready.wait(_START_TIMEOUT) or not line or not line[0].startswith("http"):
            self._terminate()
            self._log.seek(0)
            log = self._log.read()[-3000:]
            self._stack.close()
            raise RuntimeError(f"the benchmark emulator did not start:\n{log}")
        self.endpoint_url = line[0]
        return self

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self._process is not None
        return self._process.pid

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._terminate()
        self._stack.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._server")
    parser.add_argument("--port", type=int, default=0, help="port to bind (0: a free one)")
    serve(parser.parse_args(argv).port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
