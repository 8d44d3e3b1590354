"""``bedrock-claude emulator`` as a user runs it: in its own process, from a shell."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_bedrock_claude.testing.__main__ import EXIT_CODES, _parser

from .conftest import sigv4_boto3

REPO = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "langchain_bedrock_claude", "emulator"]
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],
    }
)
HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
EMULATOR_SECTION = "### Serving the emulator: `bedrock-claude emulator`"


def shell(script: str, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in sh with ``$@`` = the emulator command plus ``args``."""
    argv = ["sh", "-c", script, "sh", *COMMAND, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=ENV, timeout=timeout)


class Served:
    """The emulator command running in the background, stopped with SIGTERM."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        assert process.stdout is not None
        self.endpoint_url = process.stdout.readline().strip()
        assert self.endpoint_url.startswith("http://127.0.0.1:"), self.endpoint_url
        self.port = int(self.endpoint_url.rsplit(":", 1)[1])

    def stop(self) -> tuple[int, str]:
        """SIGTERM; the exit status and everything written to stderr."""
        self.process.send_signal(signal.SIGTERM)
        _, stderr = self.process.communicate(timeout=15)
        return self.process.returncode, stderr


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, prefix: str = "") -> Served:
        script = f'{prefix}exec "$@"' if prefix else 'exec "$@"'
        process = subprocess.Popen(
            ["sh", "-c", script, "sh", *COMMAND, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        started.append(process)
        return Served(process)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_the_command_logs_one_line_per_request(serve: Any) -> None:
    served = serve()
    boto = sigv4_boto3(served)
    boto.invoke_model(modelId=HAIKU, body=BODY)
    stream = boto.invoke_model_with_response_stream(modelId=SONNET, body=BODY)
    assert list(stream["body"])
    with pytest.raises(ClientError):
        boto.invoke_model(modelId="no-such-model", body=BODY)
    status, stderr = served.stop()
    assert status == 0
    lines = stderr.splitlines()
    assert len(lines) == 3, lines
    time_ = r"\d\d:\d\d:\d\d"
    assert re.fullmatch(rf"{time_} POST invoke {re.escape(HAIKU)} 200 \d+ms", lines[0])
    assert re.fullmatch(
        rf"{time_} POST invoke-with-response-stream {re.escape(SONNET)} 200 \d+ms", lines[1]
    )
    assert re.fullmatch(
        rf"{time_} POST invoke no-such-model 400 \d+ms ValidationException", lines[2]
    )


def test_quiet_logs_no_line_per_request(serve: Any) -> None:
    served = serve("--quiet")
    sigv4_boto3(served).invoke_model(modelId=HAIKU, body=BODY)
    assert served.stop() == (0, "")


@pytest.mark.parametrize(
    ("script", "args", "code", "says"),
    [
        ('exec "$@"', ("--host", "0.0.0.0"), 2, "loopback addresses only"),
        ('exec "$@"', ("--port", "70000"), 2, "between 0 and 65535 (got 70000)"),
        ('exec "$@"', ("--port", "eighty"), 2, "not a port number"),
        ('exec "$@" >&-', (), 141, "stdout is closed"),
    ],
    ids=["host 0.0.0.0", "port 70000", "port not a number", "stdout closed"],
)
def test_a_failure_to_start_is_one_line_and_a_documented_status(
    script: str, args: tuple[str, ...], code: int, says: str
) -> None:
    done = shell(script, *args)
    assert done.returncode == code
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert says in done.stderr and "Traceback" not in done.stderr
    assert code in dict(EXIT_CODES)


def test_a_port_in_use_is_one_line_and_status_10() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = shell('exec "$@"', "--port", str(port))
    assert done.returncode == 10
    assert done.stderr == (
        f"bedrock-claude emulator: cannot listen on 127.0.0.1:{port}: "
        "the address is already in use\n"
    )


def test_at_256_open_files_300_half_sent_requests_do_not_stop_it_answering(serve: Any) -> None:
    # ulimit applies to the emulator's process only; this one holds the 300 client sockets.
    served = serve(prefix="ulimit -n 256 && ")
    half_sent = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            sock.sendall(b"POST /model/x/invoke HTTP/1.1\r\nHost: e\r\n")  # never finished
            half_sent.append(sock)
        started = time.monotonic()
        boto = sigv4_boto3(served, connect_timeout=5, read_timeout=5)
        for _ in range(3):
            assert (
                boto.invoke_model(modelId=HAIKU, body=BODY)["ResponseMetadata"]["HTTPStatusCode"]
                == 200
            )
        assert time.monotonic() - started < 3  # well inside the 10 s header timeout
        time.sleep(1.5)  # asyncio retries a failed accept every second: give errors time
    finally:
        for sock in half_sent:
            sock.close()
    status, stderr = served.stop()
    assert status == 0
    assert len(stderr) < 4000, stderr[:2000]  # rate-limited: not a line per connection
    assert "Traceback" not in stderr
    # It stayed under the limit, closing the longest-waiting connections to admit new ones.
    assert "out of system resource" not in stderr
    assert "closed a connection waiting for its request (over 192 connections)" in stderr


def test_every_option_and_exit_status_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split(EMULATOR_SECTION, 1)[1].split("\n## ", 1)[0]
    options = [
        option
        for action in _parser("bedrock-claude emulator")._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]
    assert "--token-latency" in options and "--first-byte-latency" in options
    for option in options:
        assert f"`{option}" in section, option
    for code, meaning in EXIT_CODES:
        assert f"\n- `{code}`: {meaning}\n" in section, code
