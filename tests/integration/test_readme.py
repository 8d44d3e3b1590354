"""Every ```python block in README.md runs, unchanged, against the emulator.

The examples are written for real AWS. Here boto3's own ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``
points them at the emulator, with dummy credentials and region, so they need no emulator code.
An HTML comment line right before a block can say:

* ``<!-- not-tested -->``: the block only makes sense on real AWS (keep these rare);
* ``<!-- emulator-replies: ["...", ...] -->``: what the emulated model answers, in order (a
  list of strings: the exact tokens; ``{"text": ..., "tool_calls": [{"name": ..., "input":
  ...}]}``: tool calls);
* ``<!-- emulator-guardrails: [{"identifier": ..., ...}] -->``: guardrails the emulator knows.
* ``<!-- emulator-s3-buckets: ["my-bucket"] -->``: batch jobs: moto's S3 with these buckets,
  boto3's ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL_BEDROCK`` pointed at it and at the
  emulator, whose jobs run to their end at once (the examples poll as slowly as real jobs need).

Functions named ``test_*`` that a block defines are called too, with the ``bedrock_emulator``
fixture when they ask for it, as pytest would. Blocks run in a scratch directory holding the
files they read (``chart.png``, ``report.pdf``).
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from langchain_bedrock_claude import cli
from langchain_bedrock_claude.testing import BedrockEmulator, Reply, ToolCall

from .test_chat_standard import pdf_bytes, png_bytes

README = Path(__file__).resolve().parents[2] / "README.md"
_FENCE = re.compile(r"^```(\w*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*([\w-]+)(?::\s*(.*?))?\s*-->$")
KNOWN_DIRECTIVES = {"not-tested", "emulator-replies", "emulator-guardrails", "emulator-s3-buckets"}


@dataclass(frozen=True)
class Example:
    """One fenced code block of the README."""

    language: str
    line: int
    """The line number of the opening fence."""
    code: str
    directives: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"README.md:{self.line}"


def parse_readme(text: str) -> list[Example]:
    """Every fenced block, with the directives in the comment lines right before it."""
    examples: list[Example] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        directives: dict[str, str] = {}
        back = index - 1
        while back >= 0 and (directive := _DIRECTIVE.match(lines[back].strip())):
            directives[directive.group(1)] = directive.group(2) or ""
            back -= 1
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        if end == len(lines):
            raise ValueError(f"README.md:{index + 1}: the code block is never closed")
        code = "\n".join(lines[index + 1 : end]) + "\n"
        examples.append(Example(opening.group(1), index + 1, code, directives))
        index = end + 1
    return examples


EXAMPLES = parse_readme(README.read_text(encoding="utf-8"))
PYTHON = [example for example in EXAMPLES if example.language == "python"]


@pytest.fixture
def aws_pointed_at(
    bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> BedrockEmulator:
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bedrock_emulator.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "chart.png").write_bytes(png_bytes())
    (tmp_path / "report.pdf").write_bytes(pdf_bytes())
    return bedrock_emulator


def scripted(reply: Any) -> Any:
    """A reply of the ``emulator-replies`` directive, as the emulator takes it."""
    if isinstance(reply, dict):
        calls = [ToolCall(call["name"], call.get("input")) for call in reply.get("tool_calls", ())]
        return Reply(text=reply.get("text"), tool_calls=calls)
    return reply


def run_example(example: Example, emu: BedrockEmulator) -> dict[str, Any]:
    """Run the block as a script; then call the ``test_*`` functions it defines."""
    for reply in json.loads(example.directives.get("emulator-replies", "[]")):
        emu.reply(scripted(reply))
    for guardrail in json.loads(example.directives.get("emulator-guardrails", "[]")):
        emu.add_guardrail(**guardrail)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    exec(compile(example.code, example.id, "exec"), namespace)
    for name, function in list(namespace.items()):
        if name.startswith("test_") and inspect.isfunction(function):
            fixtures = {"bedrock_emulator": emu}
            wanted = inspect.signature(function).parameters
            unknown = set(wanted) - set(fixtures)
            assert not unknown, f"{example.id}: {name} asks for unknown fixtures {unknown}"
            emu.reset()
            function(**{parameter: fixtures[parameter] for parameter in wanted})
    return namespace


def _batch_jobs_ready(
    emu: BedrockEmulator,
    buckets: list[str],
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .conftest import s3_client

    url = request.getfixturevalue("moto_s3_url")  # started only for batch-job examples
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", emu.endpoint_url)
    emu.jobs.s3_endpoint_url, emu.jobs.instant = url, True
    s3 = s3_client(url)
    for name in buckets:
        if name not in {bucket["Name"] for bucket in s3.list_buckets()["Buckets"]}:
            s3.create_bucket(Bucket=name)


def test_the_readme_has_python_examples() -> None:
    assert len(PYTHON) >= 10
    for example in EXAMPLES:
        assert set(example.directives) <= KNOWN_DIRECTIVES, example.id


@pytest.mark.parametrize("example", PYTHON, ids=[example.id for example in PYTHON])
def test_python_example_runs(
    example: Example,
    aws_pointed_at: BedrockEmulator,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "not-tested" in example.directives:
        pytest.skip("marked <!-- not-tested --> in the README")
    buckets = json.loads(example.directives.get("emulator-s3-buckets", "[]"))
    if buckets:
        _batch_jobs_ready(aws_pointed_at, buckets, request, monkeypatch)
    run_example(example, aws_pointed_at)
    printed = capsys.readouterr().out
    assert "Traceback" not in printed


def test_the_agent_example_stops_at_observation(
    aws_pointed_at: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    [agent] = [example for example in PYTHON if "create_react_agent" in example.code]
    run_example(agent, aws_pointed_at)
    assert capsys.readouterr().out.strip() == "It is sunny in Paris."
    first, second = aws_pointed_at.requests
    assert "\nObservation" in first.json["stop_sequences"]
    # The model's invented observation was cut off; the tool's real one went back instead.
    prompt = second.json["messages"][-1]["content"]
    assert "Observation: It is sunny in Paris." in prompt
    assert "the model must not write this" not in prompt


def chat_example(needle: str) -> Example:
    [example] = [e for e in PYTHON if "ChatBedrockClaude" in e.code and needle in e.code]
    return example


def test_the_chat_agent_example_takes_two_tool_calls(
    aws_pointed_at: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_example(chat_example("create_agent"), aws_pointed_at)
    assert capsys.readouterr().out.strip() == "It is 64.4 F and sunny in Paris."
    last = aws_pointed_at.requests[-1].json["messages"]
    results = [b for turn in last for b in turn["content"] if b.get("type") == "tool_result"]
    assert [result["content"] for result in results] == ["18 C and sunny in Paris", "64.4 F"]


def test_the_chat_media_example_sends_the_image_and_the_pdf(
    aws_pointed_at: BedrockEmulator,
) -> None:
    run_example(chat_example("report.pdf"), aws_pointed_at)
    content = aws_pointed_at.requests[-1].json["messages"][0]["content"]
    assert [block["type"] for block in content] == ["text", "image", "document"]


def test_the_langgraph_example_streams_tokens(
    aws_pointed_at: BedrockEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    run_example(chat_example("stream_mode"), aws_pointed_at)
    assert capsys.readouterr().out.strip() == "Paris is the capital of France."
    assert aws_pointed_at.requests[-1].stream


def test_the_parser_reads_directives_and_unclosed_blocks() -> None:
    text = "intro\n<!-- not-tested -->\n```python\nx = 1\n```\n\n```sh\nls\n```\n"
    python, shell = parse_readme(text)
    assert (python.language, python.code, python.directives) == (
        "python",
        "x = 1\n",
        {"not-tested": ""},
    )
    assert (shell.language, shell.directives) == ("sh", {})
    with pytest.raises(ValueError, match="never closed"):
        parse_readme("```python\nx = 1\n")


def test_the_exit_code_table_matches_the_command() -> None:
    text = README.read_text(encoding="utf-8")
    documented = {
        int(match.group(1)): match.group(2)
        for match in re.finditer(r"^\| (\d+) \| (.+?) \|$", text, flags=re.MULTILINE)
    }
    assert documented.keys() == {entry.code for entry in cli.EXIT_CODES}
    for entry in cli.EXIT_CODES:
        assert documented[entry.code].startswith(entry.meaning.split(" (")[0]), entry.code


def test_the_error_tree_is_the_one_errors_py_draws() -> None:
    from langchain_bedrock_claude import _errors

    def words(tree: str) -> list[list[str]]:
        return [line.split() for line in tree.strip().splitlines()]

    drawn = (_errors.__doc__ or "").split("```")[1]
    [shown] = [
        example.code
        for example in EXAMPLES
        if example.code.startswith("BedrockClaudeError ")  # the tree's first line
    ]
    assert words(shown) == words(drawn)


def test_the_option_table_lists_every_option_of_the_command() -> None:
    text = README.read_text(encoding="utf-8")
    options = {
        option
        for action in cli.build_parser()._actions
        for option in action.option_strings
        if option.startswith("--") and option not in ("--help", "--version")
    }
    missing = {option for option in options if f"`{option}" not in text and option not in text}
    assert not missing
