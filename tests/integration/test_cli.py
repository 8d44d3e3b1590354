"""The ``bedrock-claude`` command end to end, in a subprocess, against the emulator."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from langchain_bedrock_claude import DEFAULT_MODEL, cli
from langchain_bedrock_claude.testing import BedrockEmulator, Reply

COMMAND = [sys.executable, "-m", "langchain_bedrock_claude"]
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_REGION": "us-east-1",
}
TIMEOUT = 60
THINKING_EVENTS = 3
"""The default model (Sonnet 5.5) always thinks: its signature-only thinking block streams as
content_block_start, signature_delta and content_block_stop before the text."""


def environment(**extra: str) -> dict[str, str]:
    # tests/conftest.py already removed this machine's AWS settings from os.environ. Buffered
    # output, as in a pipe, so that only the command's own flushes make pieces arrive early.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    return {**env, **extra}


def run(
    emu: BedrockEmulator | None, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    endpoint = ["--endpoint-url", emu.endpoint_url] if emu is not None else []
    return subprocess.run(
        [*COMMAND, *endpoint, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment(**{**DUMMY_AWS, **env}),
    )


@contextmanager
def start(emu: BedrockEmulator, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """The command running in the background; killed if still running when the block ends."""
    with subprocess.Popen(
        [*COMMAND, "--endpoint-url", emu.endpoint_url, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(**DUMMY_AWS),
    ) as process:
        try:
            yield process
        finally:
            process.kill()


def test_streams_the_completion_to_stdout_and_stats_to_stderr(
    bedrock_emulator: BedrockEmulator,
) -> None:
    bedrock_emulator.reply("The sky is blue because of Rayleigh scattering.")
    result = run(bedrock_emulator, "Why is the sky blue?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The sky is blue because of Rayleigh scattering.\n"
    stats = result.stderr.strip()
    assert stats.count("\n") == 0
    assert " out | time to first token: " in stats
    assert " tokens/s | " in stats
    assert "stop: end_turn" in stats
    request = bedrock_emulator.requests[-1]
    assert request.operation == "invoke-with-response-stream"
    assert request.model_id == DEFAULT_MODEL
    assert "request id: " in stats


def test_every_option_reaches_the_request(bedrock_emulator: BedrockEmulator) -> None:
    result = run(
        bedrock_emulator,
        "--model",
        "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        "--max-tokens",
        "77",
        "--temperature",
        "0.25",
        "--top-k",
        "5",
        "--stop",
        "END",
        "--stop",
        "\nHuman:",
        "--system",
        "Be brief.",
        "--timeout",
        "30",
        "--max-retries",
        "0",
        "Hello",
    )
    assert result.returncode == 0, result.stderr
    request = bedrock_emulator.requests[-1]
    assert request.model_id == "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    body = request.json
    assert body["max_tokens"] == 77
    assert body["temperature"] == 0.25
    assert body["top_k"] == 5
    assert body["stop_sequences"] == ["END", "\nHuman:"]
    assert body["system"] == "Be brief."
    assert body["messages"] == [{"role": "user", "content": "Hello"}]
    assert "top_p" not in body


def test_top_p_and_the_text_completions_api(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.legacy_end_of_life = False  # serve the retired id: its wire is tested
    result = run(
        bedrock_emulator,
        "--model",
        "anthropic.claude-v2:1",
        "--api",
        "text_completions",
        "--top-p",
        "0.5",
        "Hello",
    )
    assert result.returncode == 0, result.stderr
    body = bedrock_emulator.requests[-1].json
    assert body["top_p"] == 0.5
    assert body["prompt"].startswith("\n\nHuman:")
    assert body["max_tokens_to_sample"] == 1024


def test_pieces_are_flushed_as_they_arrive(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.reply(["First", " second", " third"], token_latency=0.5)
    with start(bedrock_emulator, "Count") as process:
        assert process.stdout is not None
        first = process.stdout.read1(100)  # type: ignore[attr-defined]
        # Alone: the next piece is generated half a second later.
        assert first == b"First"
        assert process.poll() is None
        out, err = process.communicate(timeout=TIMEOUT)
    assert first + out == b"First second third\n"
    assert process.returncode == 0, err


def test_json_lines(bedrock_emulator: BedrockEmulator) -> None:
    # The default model always thinks: a scripted empty thinking keeps the token count exact.
    bedrock_emulator.reply(
        Reply(text=["Blue", " light", " scatters", "."], thinking=[]),
        first_byte_latency=0.3,
        token_latency=0.1,
    )
    result = run(bedrock_emulator, "--json", "Why is the sky blue?")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    pieces, final = lines[:-1], lines[-1]
    assert pieces == [
        {"type": "piece", "text": text} for text in ["Blue", " light", " scatters", "."]
    ]
    assert final["type"] == "result"
    assert final["text"] == "Blue light scatters."
    assert final["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] == 4
    assert final["usage"]["input_tokens"] > 0
    assert final["usage"]["total_tokens"] == (
        final["usage"]["input_tokens"] + final["usage"]["output_tokens"]
    )
    assert final["request_id"]
    assert final["model_id"] == DEFAULT_MODEL
    assert final["model"] == "claude-sonnet-5-5"
    first_token, elapsed = final["time_to_first_token"], final["elapsed"]
    assert 0.3 <= first_token < 2.3
    assert elapsed - first_token >= 0.25  # three more tokens, 0.1 s apart
    assert final["tokens_per_second"] == pytest.approx(4 / (elapsed - first_token), rel=0.01)
    assert result.stderr == ""


def test_no_stream_uses_invoke_model(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.reply("All at once.")
    result = run(bedrock_emulator, "--no-stream", "Hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "All at once.\n"
    assert bedrock_emulator.requests[-1].operation == "invoke"
    assert "time to first token: n/a" in result.stderr


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "no-argument"])
def test_prompt_from_stdin(bedrock_emulator: BedrockEmulator, args: list[str]) -> None:
    result = run(bedrock_emulator, *args, stdin="What is in this file?\nline 2\n")
    assert result.returncode == 0, result.stderr
    body = bedrock_emulator.requests[-1].json
    assert body["messages"][0]["content"] == "What is in this file?\nline 2"


def test_empty_stdin_is_a_usage_error(bedrock_emulator: BedrockEmulator) -> None:
    result = run(bedrock_emulator, stdin="")
    assert result.returncode == 2
    assert bedrock_emulator.requests == []


FAILURES: list[tuple[str, Any, int, str]] = [
    ("throttled", lambda emu: emu.throttle(5), 5, "ThrottlingException"),
    (
        "quota",
        lambda emu: emu.fail_next("ServiceQuotaExceededException", times=5),
        5,
        "Service Quotas",
    ),
    ("access denied", lambda emu: emu.fail_next("AccessDeniedException"), 4, "IAM policy"),
    (
        "bad signature",
        lambda emu: emu.fail_next("UnrecognizedClientException"),
        4,
        "access key id",
    ),
    ("internal error", lambda emu: emu.fail_next("InternalServerException", times=5), 7, ""),
    ("model error", lambda emu: emu.fail_next("ModelErrorException"), 7, ""),
    (
        "stream broke",
        # The default model's thinking block comes first: three events before the text's.
        lambda emu: emu.interrupt_stream(
            after_events=4 + THINKING_EVENTS, exception_type="internalServerException"
        ),
        9,
        "partial_text",
    ),
]


@pytest.mark.parametrize(
    ("script", "code", "hint"),
    [failure[1:] for failure in FAILURES],
    ids=[failure[0] for failure in FAILURES],
)
def test_bedrock_errors_exit_with_their_code_in_one_line(
    bedrock_emulator: BedrockEmulator, script: Any, code: int, hint: str
) -> None:
    bedrock_emulator.reply(["One", " two", " three", " four", " five", " six"])
    script(bedrock_emulator)
    result = run(bedrock_emulator, "--max-retries", "1", "Hi")
    assert result.returncode == code, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("bedrock-claude: error: ")
    assert hint in result.stderr
    assert "Traceback" not in result.stderr
    assert "request_id=" in result.stderr


def test_a_broken_stream_keeps_the_partial_text(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.reply(["One", " two", " three", " four", " five"])
    bedrock_emulator.interrupt_stream(after_events=4 + THINKING_EVENTS, mode="drop")
    result = run(bedrock_emulator, "Hi")
    assert result.returncode == 9, result.stderr
    assert result.stdout.startswith("One")
    assert result.stdout.endswith("\n")
    assert "five" not in result.stdout


def test_unknown_model_exits_6(bedrock_emulator: BedrockEmulator) -> None:
    result = run(bedrock_emulator, "--model", "anthropic.claude-nonexistent-9-v1:0", "Hi")
    assert result.returncode == 6, result.stderr
    assert result.stderr.count("\n") == 1


def test_retired_model_exits_6_and_names_a_replacement() -> None:
    with BedrockEmulator(legacy_end_of_life=True) as emu:
        result = run(emu, "--model", "anthropic.claude-v2:1", "Hi")
    assert result.returncode == 6, result.stderr
    assert "us.anthropic.claude-sonnet-5-5" in result.stderr


BARE_SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_a_bare_id_that_needs_a_profile_exits_6_or_is_rerouted() -> None:
    with BedrockEmulator(require_inference_profile=True) as emu:
        refused = run(emu, "--model", BARE_SONNET_45, "Hi")
        rerouted = run(emu, "--auto-inference-profile", "--model", BARE_SONNET_45, "Hi")
        sent = [request.model_id for request in emu.requests]
    assert refused.returncode == 6, refused.stderr
    assert "us.anthropic.claude-sonnet-4-5-20250929-v1:0" in refused.stderr
    assert rerouted.returncode == 0, rerouted.stderr
    assert rerouted.stdout.strip()
    assert sent[-1] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_refused_connection_exits_8() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run(None, "--endpoint-url", f"http://127.0.0.1:{port}", "--max-retries", "0", "Hi")
    assert result.returncode == 8, result.stderr
    assert result.stderr.count("\n") == 1


def test_timeout_exits_8(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.hang(timeout=10)
    started = time.monotonic()
    result = run(bedrock_emulator, "--timeout", "0.5", "--max-retries", "0", "Hi")
    assert result.returncode == 8, result.stderr
    assert "Timed out" in result.stderr
    assert time.monotonic() - started < 8


def test_debug_prints_the_settings_and_the_traceback(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.fail_next("AccessDeniedException")
    result = run(bedrock_emulator, "--debug", "Hi")
    assert result.returncode == 4
    assert f"debug: endpoint {bedrock_emulator.endpoint_url}" in result.stderr
    assert "debug: credentials from env" in result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert "botocore.errorfactory.AccessDeniedException" in result.stderr
    assert "_errors.AccessDeniedError" in result.stderr


def test_without_credentials_it_exits_3_and_never_uses_the_emulator(
    bedrock_emulator: BedrockEmulator,
) -> None:
    result = subprocess.run(
        [*COMMAND, "--endpoint-url", bedrock_emulator.endpoint_url, "Hi"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment(AWS_REGION="us-east-1"),
    )
    assert result.returncode == 3
    assert result.stdout == ""
    assert "--emulator" in result.stderr
    assert result.stderr.count("\n") == 1
    assert bedrock_emulator.requests == []


def test_emulator_flag_needs_no_aws_configuration(tmp_path: Any) -> None:
    # No credentials, no region, a profile that does not exist, and an empty home.
    env = environment(HOME=str(tmp_path), AWS_PROFILE="does-not-exist")
    result = subprocess.run(
        [*COMMAND, "--emulator", "Why is the sky blue?"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) >= 10
    assert "tokens/s" in result.stderr


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [
        (signal.SIGINT, 130, "interrupted"),
        (signal.SIGTERM, 143, "terminated"),  # issue #12 item 15: was killed, status -15
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_signal_closes_the_stream_and_exits_with_its_status(
    bedrock_emulator: BedrockEmulator, signum: int, code: int, said: str
) -> None:
    bedrock_emulator.reply(["Slow", " tokens"] * 50, token_latency=0.5)
    with start(bedrock_emulator, "Go") as process:
        assert process.stdout is not None
        assert process.stdout.read1(100).startswith(b"Slow")  # type: ignore[attr-defined]
        process.send_signal(signum)
        out, err = process.communicate(timeout=10)
    assert process.returncode == code
    assert err.decode().strip() == f"bedrock-claude: error: {said}"
    assert out.endswith(b"\n")
    assert code in {entry.code for entry in cli.EXIT_CODES}


def test_a_closed_stdout_ends_quietly(bedrock_emulator: BedrockEmulator) -> None:
    bedrock_emulator.reply(["Many", " tokens"] * 50, token_latency=0.05)
    with start(bedrock_emulator, "Go") as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read1(10)  # type: ignore[attr-defined]
        process.stdout.close()  # like `| head -c 10`
        process.wait(timeout=TIMEOUT)
        err = process.stderr.read().decode()
    assert process.returncode == 141
    assert err == ""


@contextmanager
def served_emulator(
    command: Sequence[str] = COMMAND,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``emulator --port 0`` in the background; yields its URL and process (stopped after)."""
    with subprocess.Popen(
        [*command, "emulator", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    ) as server:
        try:
            assert server.stdout is not None
            yield server.stdout.readline().strip(), server
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
                try:
                    server.wait(timeout=10)
                finally:
                    server.kill()


def test_emulator_subcommand_serves_until_ctrl_c() -> None:
    with served_emulator() as (url, server):
        assert url.startswith("http://127.0.0.1:")
        result = subprocess.run(
            [*COMMAND, "--endpoint-url", url, "Hi"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=environment(**DUMMY_AWS),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)
    assert server.returncode == 0


def test_module_and_console_script_are_the_same_command() -> None:
    script = os.path.join(os.path.dirname(sys.executable), "bedrock-claude")
    if not os.path.exists(script):
        pytest.fail(f"{script} is missing: install the package (pip install -e .)")
    by_script = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=TIMEOUT
    )
    by_module = subprocess.run(
        [*COMMAND, "--version"], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert by_script.returncode == by_module.returncode == 0
    assert by_script.stdout == by_module.stdout
    assert by_script.stdout.startswith("bedrock-claude 0.")
