"""Issue #12 items 15-17, the command's part: each a run of the real console script.

Bad values are usage errors (2) whatever the credentials; a closed stdout and SIGTERM end in one
line and a documented status; errors name flags; the documented minimum thinking budget works
with the default ``--max-tokens``; a running emulator is one flag away; the emulator's words are
said to be placeholder text.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from langchain_bedrock_claude import DEFAULT_MODEL, cli
from langchain_bedrock_claude.testing import BedrockEmulator, Reply

from .test_cli import DUMMY_AWS, TIMEOUT, environment, served_emulator

SCRIPT = str(Path(sys.executable).with_name("bedrock-claude"))
"""The console script pip installed: the command users run."""
NO_AWS: dict[str, str] = {}
BUDGET_MODEL = ("--model", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")
"""A model that thinks with a budget (the default model thinks adaptively)."""
"""tests/conftest.py already emptied this machine's AWS settings."""


def script(
    *args: str, env: dict[str, str], shell: str = 'exec "$@"'
) -> subprocess.CompletedProcess[str]:
    """Run the console script through ``sh -c shell`` (for redirections such as ``>&-``)."""
    return subprocess.run(
        ["sh", "-c", shell, "sh", SCRIPT, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment(**env),
    )


def against(emu: BedrockEmulator, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script against the emulator fixture, with dummy credentials."""
    return script("--endpoint-url", emu.endpoint_url, *args, env=DUMMY_AWS)


def one_line(stderr: str) -> str:
    assert len(stderr.splitlines()) == 1, stderr
    assert "Traceback" not in stderr
    return stderr


# --- item 15: usage errors whatever the credentials ---------------------------------------------

BAD_VALUES = [
    (("--timeout", "nan"), "--timeout must be a positive number"),
    (("--endpoint-url", "garbage"), "--endpoint-url must be a URL"),
    (("--region", "bad region!"), "--region must be an AWS region name"),
    (("--top-k", "501"), "--top-k must be between 0 and 500 (got 501)"),
]


@pytest.mark.parametrize("credentials", ["none", "dummy"])
@pytest.mark.parametrize(("args", "says"), BAD_VALUES, ids=[a[0] for a, _ in BAD_VALUES])
def test_a_bad_value_exits_2_naming_its_flag_whatever_the_credentials(
    args: tuple[str, ...], says: str, credentials: str
) -> None:
    done = script(*args, "hi", env=NO_AWS if credentials == "none" else DUMMY_AWS)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert says in one_line(done.stderr)
    for parameter in ("'timeout'", "'endpoint_url'", "'region'", "'top_k'"):
        assert parameter not in done.stderr


def test_errors_about_two_flags_name_both(bedrock_emulator: BedrockEmulator) -> None:
    done = against(
        bedrock_emulator,
        *BUDGET_MODEL,
        "--thinking-budget",
        "2048",
        "--max-tokens",
        "1024",
        "hi",
    )
    assert done.returncode == 2
    assert "--max-tokens must exceed --thinking-budget" in one_line(done.stderr)
    assert "max_tokens_to_sample" not in done.stderr
    assert bedrock_emulator.requests == []


# --- item 15: stdout closed, SIGTERM -------------------------------------------------------------

CLOSED_STDOUT = [
    ("--emulator", "hi"),
    ("hi",),  # no credentials either: stdout is still what is said
    ("--help",),
    ("--version",),
    ("emulator", "--port", "0"),
]


@pytest.mark.parametrize("args", CLOSED_STDOUT, ids=[" ".join(a) for a in CLOSED_STDOUT])
def test_any_command_with_stdout_closed_says_so_in_one_line(args: tuple[str, ...]) -> None:
    done = script(*args, env=NO_AWS, shell='exec "$@" >&-')
    assert done.returncode == 141, done.stderr
    assert "stdout is closed" in one_line(done.stderr)
    assert 141 in {entry.code for entry in cli.EXIT_CODES}


# --- item 15: the documented minimum thinking budget with the default --max-tokens --------------


def test_the_minimum_thinking_budget_works_with_the_default_max_tokens(
    bedrock_emulator: BedrockEmulator,
) -> None:
    bedrock_emulator.reply(Reply(text="Yes.", thinking="7 has no divisors."))
    done = against(
        bedrock_emulator,
        *BUDGET_MODEL,
        "--thinking-budget",
        "1024",
        "Is 7 prime?",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Yes.\n"
    body = bedrock_emulator.requests[-1].json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert body["max_tokens"] == 1024 + 1024  # the budget, and room for the answer


def test_a_given_max_tokens_is_kept_as_given(bedrock_emulator: BedrockEmulator) -> None:
    done = against(
        bedrock_emulator,
        *BUDGET_MODEL,
        "--thinking-budget",
        "1024",
        "--max-tokens",
        "3000",
        "Is 7 prime?",
    )
    assert done.returncode == 0, done.stderr
    assert bedrock_emulator.requests[-1].json["max_tokens"] == 3000


# --- item 16: a running emulator in one step ------------------------------------------------------


def test_emulator_url_reaches_a_running_emulator_in_one_step(tmp_path: Path) -> None:
    # No credentials, no region, a profile that does not exist, an API key that must not be
    # sent, and an empty home: one flag is enough.
    env = {
        "HOME": str(tmp_path),
        "AWS_PROFILE": "does-not-exist",
        "AWS_BEARER_TOKEN_BEDROCK": "ABSKnotforanemulatorexampleexample",
    }
    with served_emulator([SCRIPT]) as (url, _):
        assert url.startswith("http://127.0.0.1:")
        done = script("--emulator-url", url, "--debug", "Hi", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert f"debug: endpoint {url}, region us-east-1" in done.stderr
    assert "ABSKnotforanemulator" not in done.stderr
    assert "placeholder text" in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--emulator-url", "http://127.0.0.1:9", "--emulator"),
        ("--emulator-url", "http://127.0.0.1:9", "--endpoint-url", "http://127.0.0.1:9"),
        ("--emulator-url", "http://127.0.0.1:9", "--profile", "work"),
        ("--emulator-url", "not a url"),
    ],
    ids=["with --emulator", "with --endpoint-url", "with --profile", "not a url"],
)
def test_emulator_url_refuses_contradictions(args: tuple[str, ...]) -> None:
    done = script(*args, "hi", env=NO_AWS)
    assert done.returncode == 2, done.stderr
    assert "--emulator" in one_line(done.stderr)


def test_the_readme_shows_the_one_step_and_the_request_log() -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text.split("### Serving the emulator", 1)[1].split("\n## ", 1)[0]
    assert 'bedrock-claude --emulator-url http://127.0.0.1:8000 "Hi"' in section
    assert "logs one line per request" in section


def test_a_running_emulator_logs_the_commands_request(tmp_path: Path) -> None:
    with served_emulator([SCRIPT]) as (url, server):
        done = script("--emulator-url", url, "Hi", env={"HOME": str(tmp_path)})
        server.send_signal(signal.SIGTERM)
        _, log = server.communicate(timeout=15)
    assert done.returncode == 0, done.stderr
    [line] = log.splitlines()
    assert f" POST invoke-with-response-stream {DEFAULT_MODEL} 200 " in line


# --- item 17: the emulator's words are called placeholder text ----------------------------------


def test_the_emulator_flag_says_its_answer_is_placeholder_text(tmp_path: Path) -> None:
    done = script("--emulator", "Why is the sky blue?", env={"HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    note, stats = done.stderr.splitlines()
    assert (
        note
        == "note: the emulator answers with placeholder text (filler words), not a model's answer"
    )
    assert "tokens/s" in stats
    assert "placeholder" not in done.stdout


def test_a_real_endpoint_gets_no_placeholder_note(bedrock_emulator: BedrockEmulator) -> None:
    # --endpoint-url may be a proxy to Bedrock: nothing says its answers are filler.
    done = against(bedrock_emulator, "Hi")
    assert done.returncode == 0, done.stderr
    assert "placeholder" not in done.stderr


def test_the_readme_says_why_tests_skip_and_the_quick_start_is_placeholder_text() -> None:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    before_command = quick_start.split('bedrock-claude --emulator "Why is the sky blue?"')[0]
    assert "placeholder text" in before_command
    assert "BEDROCK_CLAUDE_AWS_TESTS=1" in quick_start
    assert "recordings" in quick_start
    assert "pytest -rs" in quick_start


def test_the_console_script_exists() -> None:
    assert os.path.exists(SCRIPT), f"{SCRIPT} is missing: install the package (pip install -e .)"
