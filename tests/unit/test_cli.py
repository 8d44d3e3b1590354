"""The ``bedrock-claude`` command without a server: arguments, prompts, exit codes, messages."""

from __future__ import annotations

import io
import subprocess
import sys
from typing import Any

import pytest
from botocore import exceptions as bce

import langchain_bedrock_claude as pkg
from langchain_bedrock_claude import cli
from langchain_bedrock_claude._errors import (
    AccessDeniedError,
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BatchJobError,
    BatchJobTimeoutError,
    BedrockClaudeError,
    ConflictError,
    ContextOverflowError,
    CredentialsError,
    GuardrailInterventionError,
    InvalidParameterError,
    MalformedResponseError,
    ModelError,
    ModelNotFoundError,
    ModelNotReadyError,
    ModelRetiredError,
    ModelTimeoutError,
    OnDemandNotSupportedError,
    QuotaExceededError,
    RecordNotProcessedError,
    RequestTimeoutError,
    ServiceError,
    ServiceUnavailableError,
    StreamInterruptedError,
    ThrottlingError,
    ValidationError,
)
from langchain_bedrock_claude._models import Completion, Usage
from langchain_bedrock_claude._options import OPTIONS
from langchain_bedrock_claude.cli import _complete, _exit_codes, _output, _parser

EXIT_CODE_OF = [
    (InvalidParameterError("x"), 2),
    (CredentialsError("x"), 3),
    (bce.NoCredentialsError(), 3),
    (bce.NoRegionError(), 3),
    (bce.ProfileNotFound(profile="nope"), 3),
    (AuthenticationError("x"), 4),
    (AccessDeniedError("x"), 4),
    (ThrottlingError("x"), 5),
    (QuotaExceededError("x"), 5),
    (ModelNotFoundError("x"), 6),
    (ModelRetiredError("x"), 6),
    (OnDemandNotSupportedError("x"), 6),
    (ValidationError("x"), 7),
    (ContextOverflowError("x"), 7),
    (MalformedResponseError("x"), 7),
    (ModelError("x"), 7),
    (ModelNotReadyError("x"), 7),
    (ConflictError("x"), 7),
    (ServiceError("x"), 7),
    (ServiceUnavailableError("x"), 7),
    (APIStatusError("x"), 7),
    (GuardrailInterventionError("x"), 7),
    (BedrockClaudeError("x"), 7),
    (APIConnectionError("x"), 8),
    (RequestTimeoutError("x"), 8),
    (ModelTimeoutError("x"), 8),
    (bce.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), 8),
    (bce.ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), 8),
    (StreamInterruptedError("x", partial_text="Hel"), 9),
    (BatchJobError("x", status="Failed"), 10),
    (RecordNotProcessedError("x"), 10),
    (BatchJobTimeoutError("x"), 11),
    (RuntimeError("bug"), 1),
    (ValueError("bug"), 1),
]


@pytest.mark.parametrize(
    ("error", "code"), EXIT_CODE_OF, ids=[type(e).__name__ for e, _ in EXIT_CODE_OF]
)
def test_each_error_has_its_exit_code(error: BaseException, code: int) -> None:
    assert cli.exit_code_for(error) == code


def test_every_public_error_class_has_a_documented_exit_code() -> None:
    errors = [
        value
        for value in (getattr(pkg, name) for name in pkg.__all__)
        if isinstance(value, type)
        and issubclass(value, BaseException)
        and not issubclass(value, Warning)  # ModelRuleWarning is shown, never an exit
    ]
    # A new error class must be added to EXIT_CODE_OF above: its exit code is a decision.
    tested = {type(error) for error, _ in EXIT_CODE_OF}
    assert set(errors) <= tested
    documented = {entry.code for entry in cli.EXIT_CODES}
    for error_class in errors:
        code = cli.exit_code_for(error_class("x"))
        assert code in documented
        assert code != cli.EXIT_UNEXPECTED, error_class


def test_exit_codes_are_distinct_and_name_real_error_classes() -> None:
    codes = [entry.code for entry in cli.EXIT_CODES]
    assert len(codes) == len(set(codes))
    table = _exit_codes.error_exit_codes()
    ours = (BedrockClaudeError, _exit_codes.CommandUsageError)
    signals = (KeyboardInterrupt, BrokenPipeError, _exit_codes.CommandTerminated)
    for error_class, code in table.items():
        assert isinstance(error_class, type) and issubclass(error_class, (*ours, *signals))
        assert code in codes, error_class


def every_subclass(root: type) -> list[type]:
    found, todo = [], [root]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(current.__subclasses__())
    return found


def test_every_class_of_the_error_tree_has_its_decided_exit_code() -> None:
    # Walks the tree itself (not a list), so a class added anywhere under BedrockClaudeError
    # fails here until EXIT_CODE_OF says which status it gets; it never ends as "a bug" (1).
    decided = {type(error): code for error, code in EXIT_CODE_OF}
    documented = {entry.code for entry in cli.EXIT_CODES}
    tree = [
        cls
        for cls in every_subclass(BedrockClaudeError)
        if cls.__module__.startswith("langchain_bedrock_claude")
        and not cls.__name__.startswith("_")
    ]
    assert len(tree) >= 24
    for error_class in tree:
        assert error_class in decided, f"{error_class.__name__}: add it to EXIT_CODE_OF"
        code = cli.exit_code_for(error_class("x"))
        assert code == decided[error_class], error_class
        assert code in documented
        assert code != cli.EXIT_UNEXPECTED


def test_the_most_specific_class_decides_the_exit_code() -> None:
    # A subclass nobody listed takes its nearest listed ancestor's status.
    class NewThrottle(ThrottlingError):
        pass

    class NewStatus(APIStatusError):
        pass

    assert cli.exit_code_for(NewThrottle("x")) == 5
    assert cli.exit_code_for(NewStatus("x")) == 7
    assert cli.exit_code_for(_exit_codes.CommandTerminated()) == 143
    assert cli.exit_code_for(KeyboardInterrupt()) == 130


def test_sigterm_has_its_line_in_the_table_and_in_help() -> None:
    assert (143, "terminated (SIGTERM)") in [(e.code, e.meaning) for e in cli.EXIT_CODES]
    assert "  143  terminated (SIGTERM)" in help_text()


def help_text() -> str:
    return cli.build_parser().format_help()


@pytest.mark.parametrize(
    "option",
    [
        "--model",
        "--max-tokens",
        "--temperature",
        "--top-p",
        "--top-k",
        "--stop",
        "--system",
        "--region",
        "--profile",
        "--endpoint-url",
        "--timeout",
        "--max-retries",
        "--api",
        "--auto-inference-profile",
        "--no-stream",
        "--json",
        "--debug",
        "--emulator",
        "--version",
    ],
)
def test_help_documents_every_option(option: str) -> None:
    assert option in help_text()


def test_help_shows_examples_exit_codes_and_the_subcommand() -> None:
    text = help_text()
    assert 'bedrock-claude --emulator "Why is the sky blue?"' in text
    assert "bedrock-claude emulator --port" in text
    for entry in cli.EXIT_CODES:
        assert f"{entry.code:>3}  {entry.meaning}" in text


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "usage: bedrock-claude" in capsys.readouterr().out


def test_defaults() -> None:
    args = cli.build_parser().parse_args(["hi"])
    assert args.model == pkg.DEFAULT_MODEL
    assert args.max_tokens == 1024
    assert args.max_retries == 2
    assert (args.temperature, args.top_p, args.top_k, args.stop, args.system) == (None,) * 5
    assert (args.no_stream, args.json, args.emulator, args.debug) == (False,) * 4


def test_stop_is_repeatable() -> None:
    args = cli.build_parser().parse_args(["--stop", "\nHuman:", "--stop", "END", "hi"])
    assert args.stop == ["\nHuman:", "END"]


@pytest.mark.parametrize(
    "argv",
    [
        ["--temperature", "warm", "hi"],
        ["--max-tokens", "many", "hi"],
        ["--api", "chat", "hi"],
        ["--no-such-option", "hi"],
        ["one", "two"],
    ],
)
def test_bad_arguments_exit_2_with_one_usage_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert "bedrock-claude: error:" in capsys.readouterr().err


class FakeStdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool) -> None:
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


def test_prompt_argument_wins_over_stdin() -> None:
    assert _complete.read_prompt("Hi", FakeStdin("ignored", tty=False)) == "Hi"


def test_dash_reads_stdin_even_from_a_terminal() -> None:
    assert _complete.read_prompt("-", FakeStdin("Why?\n", tty=True)) == "Why?"


def test_no_prompt_reads_piped_stdin() -> None:
    assert _complete.read_prompt(None, FakeStdin("line one\nline two\n\n", tty=False)) == (
        "line one\nline two"
    )


@pytest.mark.parametrize(
    ("prompt", "stdin"),
    [(None, FakeStdin("", tty=True)), (None, None), ("-", FakeStdin(" \n", tty=False))],
)
def test_missing_prompt_is_a_usage_error(prompt: str | None, stdin: Any) -> None:
    with pytest.raises(_exit_codes.CommandUsageError):
        _complete.read_prompt(prompt, stdin)


def run_main(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, stdin: str = ""
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdin", FakeStdin(stdin, tty=not stdin))
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def test_no_prompt_from_a_terminal_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_main([], monkeypatch)
    assert code == 2
    assert out == ""
    assert err.startswith("bedrock-claude: error: no prompt given")
    assert err.count("\n") == 1


def test_no_credentials_exits_3_and_points_to_the_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # tests/conftest.py leaves no AWS variables, config files or instance metadata.
    code, out, err = run_main(["Why is the sky blue?"], monkeypatch)
    assert code == 3
    assert out == ""
    assert err.count("\n") == 1
    assert "no AWS credentials found" in err
    assert 'bedrock-claude --emulator "Why is the sky blue?"' in err
    assert "Traceback" not in err


def test_missing_profile_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_main(["--profile", "nope", "hi"], monkeypatch)
    assert code == 3
    assert "'nope'" in err


def test_no_region_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    code, _, err = run_main(["hi"], monkeypatch)
    assert code == 3
    assert "no AWS region configured" in err


def test_a_bedrock_api_key_counts_as_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKexampleexampleexampleexample")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    # Past the credentials check (3): botocore refuses to send a bearer token over plain
    # HTTP (7), before anything is sent. (Arguments are checked before credentials now, so a
    # bad value would stop it at 2 before the credentials line: see the next test.)
    argv = ["--debug", "--endpoint-url", "http://127.0.0.1:9", "--max-retries", "0", "hi"]
    code, _, err = run_main(argv, monkeypatch)
    assert code == 7
    assert "debug: credentials from a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK)" in err
    assert "ABSKexample" not in err


def test_a_bad_value_is_found_before_credentials_are_looked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ABSKexampleexampleexampleexample")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, _, err = run_main(["--debug", "--top-k", "501", "hi"], monkeypatch)
    assert code == 2
    assert "debug: credentials from" not in err
    assert "ABSKexample" not in err


def with_dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


SONNET_45_FLAG = ("-m", "us.anthropic.claude-sonnet-4-5-20250929-v1:0")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # Issue #12 item 15: the flags the user typed, not the Python parameters they set.
        (["--top-k", "501", "hi"], "--top-k must be between 0 and 500 (got 501)"),
        (
            # Sonnet 4.5 takes temperature or top_p; the default model takes neither.
            [*SONNET_45_FLAG, "--temperature", "0.5", "--top-p", "0.5", "hi"],
            "not both",
        ),
        (["--max-tokens", "0", "hi"], "--max-tokens must be at least 1"),
        (["--timeout", "-1", "hi"], "--timeout must be a positive number"),
        (["--max-retries", "-1", "hi"], "--max-retries must be an integer of at least 0"),
    ],
)
def test_invalid_values_exit_2_before_any_request(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_dummy_credentials(monkeypatch)
    # Nothing listens on port 9: a request would fail with exit code 8, not 2.
    code, out, err = run_main(["--endpoint-url", "http://127.0.0.1:9", *argv], monkeypatch)
    assert (code, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1
    for parameter in ("'top_k'", "'max_tokens_to_sample'", "'timeout'", "'max_retries'"):
        assert parameter not in err


def test_emulator_conflicts_with_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_main(["--emulator", "--endpoint-url", "http://x", "hi"], monkeypatch)
    assert code == 2
    assert "--emulator cannot be combined" in err


def test_debug_shows_the_traceback_and_plain_mode_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_dummy_credentials(monkeypatch)
    argv = ["--endpoint-url", "http://127.0.0.1:9", "--top-k", "501", "hi"]
    _, _, plain = run_main(argv, monkeypatch)
    _, _, debug = run_main(["--debug", *argv], monkeypatch)
    assert "Traceback" not in plain
    assert "Traceback (most recent call last)" in debug
    assert "InvalidParameterError" in debug
    assert debug.endswith(plain.splitlines()[-1] + "\n")


def test_json_mode_reports_errors_as_a_json_line_too(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run_main(["--json", "hi"], monkeypatch)
    assert code == 3
    assert '"type": "error"' in out
    assert '"exit_code": 3' in out
    assert "no AWS credentials found" in err


def test_unexpected_errors_exit_1_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(_complete, "_run", broken)
    code, _, err = run_main(["hi"], monkeypatch)
    assert code == 1
    assert "unexpected RuntimeError: boom" in err
    assert "--debug" in err


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_complete, "_run", interrupted)
    code, _, err = run_main(["hi"], monkeypatch)
    assert code == 130
    assert "interrupted" in err


def test_emulator_subcommand_is_delegated(monkeypatch: pytest.MonkeyPatch) -> None:
    import langchain_bedrock_claude.testing.__main__ as emulator_main

    seen: list[tuple[list[str], str]] = []

    def serve(argv: list[str], *, prog: str) -> int:
        seen.append((argv, prog))
        return 0

    monkeypatch.setattr(emulator_main, "main", serve)
    assert cli.main(["emulator", "--port", "8123", "--host", "127.0.0.1"]) == 0
    assert seen == [(["--port", "8123", "--host", "127.0.0.1"], "bedrock-claude emulator")]


@pytest.mark.parametrize(
    "argv", [["--", "emulator"], ["--max-tokens", "5", "emulator"], ["Run the emulator"]]
)
def test_a_prompt_is_never_taken_for_the_subcommand(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def run(args: object, prompt: str, out: object) -> int:
        prompts.append(prompt)
        return 0

    monkeypatch.setattr(_complete, "_run", run)
    assert run_main(argv, monkeypatch)[0] == 0
    assert prompts == [argv[-1]]


def completion(**overrides: Any) -> Completion:
    fields: dict[str, Any] = {
        "completion": "Rayleigh scattering.",
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "model_id": pkg.DEFAULT_MODEL,
        "model": "claude-sonnet-4-5-20250929",
        "request_id": "req-1",
        "usage": Usage(input_tokens=12, output_tokens=40),
    }
    return Completion(**{**fields, **overrides})


def test_stats_line_reports_usage_first_token_and_speed() -> None:
    timing = _output.Timing(started=10.0, first_text=10.5, finished=12.5)
    line = _output.format_stats(completion(), timing)
    assert line == (
        "[tokens: 12 in, 40 out | time to first token: 0.50 s | 20.0 tokens/s | "
        "total: 2.50 s | stop: end_turn | request id: req-1]"
    )


def test_stats_line_without_a_first_token_and_with_cache() -> None:
    timing = _output.Timing(started=10.0, finished=12.0)
    usage = Usage(input_tokens=1, output_tokens=0, cache_read_input_tokens=7)
    line = _output.format_stats(completion(usage=usage, request_id=None), timing)
    assert "cache: 7 read, 0 written" in line
    assert "time to first token: n/a" in line
    assert "tokens/s: n/a" in line
    assert "request id" not in line


def test_help_imports_neither_boto3_langchain_nor_the_emulator() -> None:
    code = (
        "import sys\n"
        "from langchain_bedrock_claude.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('boto3', 'botocore', 'langchain_core', 'pydantic', 'langsmith',\n"
        "         'langchain_bedrock_claude.testing', 'langchain_bedrock_claude.llms')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr.strip() == "[]"


# --- issue #11 item 5 and #12 item 15: flags derived from the parser, named in errors ----------


def parser_flags() -> list[str]:
    return [flag for action in cli.build_parser()._actions for flag in action.option_strings]


def test_help_documents_every_flag_the_parser_has() -> None:
    # Derived from the parser (and so from _options.OPTIONS), not a hand list that misses some.
    flags = parser_flags()
    assert len(flags) >= 32
    text = help_text()
    for flag in flags:
        assert flag in text, flag
    for option in OPTIONS:
        if option.flag is not None:
            assert option.flag.name in flags


def test_every_flag_sets_a_create_parameter_or_is_the_commands_own() -> None:
    # A flag that is neither would be parsed and then silently dropped.
    from langchain_bedrock_claude._client import CREATE_PARAMETERS

    args = cli.build_parser().parse_args(["hi"])
    for dest in vars(args):
        assert (
            dest in _complete._NOT_PARAMETERS or _parser.parameter_of(dest) in CREATE_PARAMETERS
        ), dest
    sent = _complete.create_arguments(
        cli.build_parser().parse_args(
            ["--cache-system", "--tag", "a=b", "--thinking-budget", "1024", "hi"]
        ),
        "hi",
    )
    assert set(sent) <= set(CREATE_PARAMETERS)
    assert sent["request_metadata"] == {"a": "b"}
    assert sent["cache_system"] is True


def test_each_parameter_has_the_flag_that_sets_it() -> None:
    flags = _parser.flag_of_parameter()
    assert flags["max_tokens_to_sample"] == "--max-tokens"
    assert flags["stop_sequences"] == "--stop"
    assert flags["thinking_budget_tokens"] == "--thinking-budget"
    assert flags["guardrail_identifier"] == "--guardrail"
    assert flags["endpoint_url"] == "--endpoint-url"
    # One entry per flag: no two flags store into the same parameter.
    assert sorted(flags.values()) == sorted(
        action.option_strings[-1] for action in cli.build_parser()._actions if action.option_strings
    )


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "'max_tokens_to_sample' must be at least 1 (got 0).",
            "--max-tokens must be at least 1 (got 0).",
        ),
        (
            "'max_tokens_to_sample' must exceed 'thinking_budget_tokens' (got max_tokens_to_sample=1024, thinking_budget_tokens=1024).",
            "--max-tokens must exceed --thinking-budget (got --max-tokens=1024, --thinking-budget=1024).",
        ),
        (
            "'region' must be an AWS region name such as 'us-east-1'",
            "--region must be an AWS region name such as 'us-east-1'",
        ),
        ("'extra_body' is not a flag; 'x' neither", "'extra_body' is not a flag; 'x' neither"),
    ],
)
def test_errors_name_the_flags_not_the_parameters(message: str, shown: str) -> None:
    assert _parser.name_flags(message) == shown


@pytest.mark.parametrize(
    "argv",
    [
        ["--timeout", "nan", "hi"],
        ["--endpoint-url", "garbage", "hi"],
        ["--region", "bad region!", "hi"],
        ["--top-k", "501", "hi"],
    ],
)
def test_bad_values_exit_2_even_without_credentials(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests/conftest.py leaves no credentials and no region: arguments are checked first.
    code, out, err = run_main(argv, monkeypatch)
    assert (code, out) == (2, "")
    assert err.startswith(f"bedrock-claude: error: {argv[0]} must ")
    assert err.count("\n") == 1


def test_no_credentials_and_no_region_names_the_credentials_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run_main(["hi"], monkeypatch)
    assert code == 3
    assert "no AWS credentials found" in err
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert run_main(["hi"], monkeypatch)[2] == err


def test_a_closed_stdout_is_one_line_and_141(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", err)
    for argv in (["--emulator", "hi"], ["--help"], ["emulator"]):
        assert cli.main(argv) == 141
    assert (
        err.getvalue().splitlines()
        == ["bedrock-claude: error: stdout is closed (>&-): nowhere to print to"] * 3
    )


def test_sigterm_unwinds_the_run_and_exits_143(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal
    import time

    class NotHandled(BaseException):
        pass

    def not_handled(signum: int, frame: object) -> None:
        raise NotHandled  # the command left SIGTERM alone (and pytest must not be killed)

    original = signal.signal(signal.SIGTERM, not_handled)
    before = signal.getsignal(signal.SIGTERM)
    finished: list[str] = []

    def run(*args: object) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
            return 0
        finally:
            finished.append("cleaned up")  # a `with stream:` closes here

    monkeypatch.setattr(_complete, "_run", run)
    try:
        code, _, err = run_main(["hi"], monkeypatch)
        assert code == 143
        assert err == "bedrock-claude: error: terminated\n"
        assert finished == ["cleaned up"]
        assert signal.getsignal(signal.SIGTERM) is before
    finally:
        signal.signal(signal.SIGTERM, original)


@pytest.mark.parametrize(
    ("argv", "max_tokens"),
    [
        (["--thinking-budget", "1024"], 2048),
        (["--thinking-budget", "4000"], 5024),
        (["--thinking-budget", "1024", "--max-tokens", "1500"], 1500),  # given: kept
        (["--thinking-budget", "1024", "--max-tokens", "1024"], 1024),  # given: kept (and refused)
        ([], 1024),
        ([*SONNET_45_FLAG, "--thinking-budget", "63500"], 64000),  # Sonnet 4.5 output limit
        (["--thinking-budget", "1024", "--model", "nonsense"], 2048),  # the check reports it
    ],
)
def test_the_default_max_tokens_leaves_room_after_the_thinking_budget(
    argv: list[str], max_tokens: int
) -> None:
    args = cli.build_parser().parse_args([*argv, "hi"])
    assert _complete.create_arguments(args, "hi")["max_tokens_to_sample"] == max_tokens


def test_the_two_default_max_tokens_have_two_names() -> None:
    from langchain_bedrock_claude import _params

    assert _parser.CLI_DEFAULT_MAX_TOKENS == 1024 != _params.DEFAULT_MAX_TOKENS == 256
    assert not hasattr(_parser, "DEFAULT_MAX_TOKENS")


def test_the_cli_resolves_nothing_itself() -> None:
    # Credentials and region come from the package's client (issue #11 item 5).
    from pathlib import Path

    source = "".join(path.read_text() for path in Path(cli.__file__).parent.glob("*.py"))
    assert "boto3.Session" not in source
    assert 'AWS_REGION")' not in source and 'get("AWS_REGION' not in source
    assert "_NoCredentials" not in source and "class _Usage" not in source
