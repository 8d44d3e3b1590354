"""The ``bedrock-claude`` command: stream a Claude completion from AWS Bedrock to the terminal.

```
bedrock-claude "Why is the sky blue?"            # real Bedrock, your AWS credentials
bedrock-claude --emulator "Why is the sky blue?" # the built-in emulator, no AWS needed
bedrock-claude emulator --port 8000              # serve the emulator until Ctrl-C
```

The completion streams to stdout; token usage, time to first token and tokens per second go to
stderr. Start-up stays fast: boto3, LangChain and the emulator are imported only once a request
is about to be made, so ``--help`` loads none of them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ._model_rules import DEFAULT_MODEL
from ._options import DEFAULT_LLM_MAX_TOKENS, OPTIONS, Flag
from ._retry import DEFAULT_MAX_RETRIES
from ._types import APIS
from ._version import __version__

if TYPE_CHECKING:
    from ._client import AnthropicBedrock
    from ._models import Completion

__all__ = ["EXIT_CODES", "build_parser", "exit_code_for", "main"]

PROG = "bedrock-claude"
DEFAULT_MAX_TOKENS = DEFAULT_LLM_MAX_TOKENS
"""``--max-tokens`` when not given: ``BedrockClaude``'s default."""
EMULATOR_REGION = "us-east-1"
EMULATOR_KEY = "emulator"
"""Dummy credentials for ``--emulator``: requests are signed as usual, and nothing is secret."""
EMULATOR_TOKEN_LATENCY = 0.02
"""Seconds between the emulator's tokens under ``--emulator``, so the stream looks like one."""
EXAMPLE_PROMPT = "Why is the sky blue?"
_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")
API_KEY_VARIABLE = "AWS_BEARER_TOKEN_BEDROCK"
"""A Bedrock API key, which boto3 reads from the environment (never taken as an option: it
would show in the process list)."""

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_CREDENTIALS = 3
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as shells report a command stopped by Ctrl-C."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE, as shells report a command whose reader went away (``| head``)."""


@dataclass(frozen=True)
class ExitCode:
    """One documented exit status, and the errors (class names in ``_errors``) that cause it."""

    code: int
    """The process exit status."""
    meaning: str
    """What it means, as ``--help`` and the README show it."""
    errors: tuple[str, ...] = ()
    """Names of the error classes (in ``_errors``) that end the command with this status."""


# Matched in this order with isinstance, so a subclass listed earlier wins over its base
# (OnDemandNotSupportedError is a ValidationError; ModelTimeoutError an APIStatusError).
EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(EXIT_OK, "success"),
    ExitCode(EXIT_UNEXPECTED, "unexpected error (a bug: run again with --debug and report it)"),
    ExitCode(EXIT_USAGE, "bad usage or parameter value", ("InvalidParameterError",)),
    ExitCode(EXIT_CREDENTIALS, "no AWS credentials or region found", ("CredentialsError",)),
    ExitCode(
        4, "authentication failed or access denied", ("AuthenticationError", "AccessDeniedError")
    ),
    ExitCode(5, "throttled or quota exceeded", ("ThrottlingError", "QuotaExceededError")),
    ExitCode(
        6,
        "unknown or retired model, or one that needs an inference profile id",
        ("ModelNotFoundError", "OnDemandNotSupportedError"),
    ),
    ExitCode(
        8,
        "connection failed or timed out",
        ("APIConnectionError", "ModelTimeoutError"),
    ),
    ExitCode(9, "the stream broke after text was printed", ("StreamInterruptedError",)),
    ExitCode(11, "batch job still running at the --timeout", ("BatchJobTimeoutError",)),
    ExitCode(10, "batch job failed, expired or was stopped", ("BatchJobError",)),
    ExitCode(7, "other Bedrock error", ("BedrockClaudeError",)),
    ExitCode(EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
    ExitCode(EXIT_BROKEN_PIPE, "stdout was closed by its reader"),
)


def exit_code_for(error: BaseException) -> int:
    """The documented exit status for ``error`` (an error of ours, or botocore's)."""
    from . import _errors, _translate

    mapped = _translate.error_from_exception(error, model_id=None) or error
    for entry in EXIT_CODES:
        for name in entry.errors:
            if isinstance(mapped, getattr(_errors, name)):
                return entry.code
    return EXIT_UNEXPECTED


# --- arguments ----------------------------------------------------------------------------------

_USAGE = (
    f"{PROG} [options] [PROMPT | -]\n       {PROG} emulator [--port PORT] [--host HOST]\n"
    f"       {PROG} batch {{submit,status,wait,results,stop}} ..."
)
_DESCRIPTION = """\
Stream a completion from Anthropic's Claude on AWS Bedrock. The text goes to stdout
as it arrives; token usage, time to first token and tokens per second go to stderr.
The prompt is PROMPT, or stdin when PROMPT is '-' (or missing, off a terminal)."""


def _epilog() -> str:
    codes = "\n".join(
        f"  {entry.code:>3}  {entry.meaning}" for entry in sorted(EXIT_CODES, key=_code)
    )
    return f"""\
examples:
  {PROG} "{EXAMPLE_PROMPT}"
  {PROG} --emulator "{EXAMPLE_PROMPT}"      # no AWS account needed
  {PROG} --model us.anthropic.claude-haiku-4-5-20251001-v1:0 --max-tokens 200 "Hi"
  {PROG} --region eu-west-1 --profile work --system "Answer in French." "Hello"
  git diff | {PROG} --system "Review this diff." -
  {PROG} --json --emulator "Hi" | jq -r 'select(.type == "piece") | .text'
  {PROG} emulator --port 8000                # serve the emulator until Ctrl-C

credentials come from --profile, else boto3's default chain (AWS_ACCESS_KEY_ID,
AWS_PROFILE, ~/.aws/credentials, SSO, an instance role), or a Bedrock API key in
{API_KEY_VARIABLE}. {PROG} never falls back to the emulator: without
credentials it exits with status 3. To send the prompt "emulator", write
`{PROG} -- emulator`.

exit status:
{codes}
"""


def _code(entry: ExitCode) -> int:
    return entry.code


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the completion command (the ``emulator`` subcommand has its own)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=_USAGE,
        description=_DESCRIPTION,
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "prompt", nargs="?", metavar="PROMPT", help="the prompt; '-' reads it from stdin"
    )
    model = parser.add_argument_group("model and sampling")
    model.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODEL,
        help="model id, inference profile id (us./eu./apac./global.) or ARN (default: %(default)s)",
    )
    model.add_argument(
        "--max-tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        metavar="N",
        help="the most tokens to generate (default: %(default)s)",
    )
    model.add_argument("--temperature", type=float, metavar="T", help="randomness, 0-1")
    model.add_argument("--top-p", type=float, metavar="P", help="nucleus sampling, 0-1")
    model.add_argument("--top-k", type=int, metavar="K", help="sample from the top K tokens, 0-500")
    model.add_argument(
        "--stop",
        action="append",
        metavar="TEXT",
        help="stop generating at TEXT (repeatable)",
    )
    model.add_argument("--system", metavar="TEXT", help="a system prompt")
    model.add_argument(
        "--auto-inference-profile",
        action="store_true",
        help="if the model needs an inference profile id, retry once with the one Bedrock names",
    )
    model.add_argument(
        "--api",
        choices=APIS,
        help="force a wire API (default: chosen from the model id)",
    )
    features = parser.add_argument_group("Bedrock features")
    for option in OPTIONS:
        if option.flag is not None:
            _add_flag(features, option.name, option.flag)
    features.add_argument(
        "--show-thinking",
        action="store_true",
        help="print the thinking to stderr as it arrives (it never goes to stdout)",
    )
    features.add_argument(
        "--count-tokens",
        action="store_true",
        help="print how many input tokens the prompt would use (Bedrock CountTokens), then exit",
    )
    aws = parser.add_argument_group("connection")
    aws.add_argument("--region", help="AWS region (default: the profile's, or AWS_REGION)")
    aws.add_argument("--profile", help="a named profile from ~/.aws/config")
    aws.add_argument(
        "--endpoint-url", metavar="URL", help="another endpoint (a VPC endpoint, an emulator)"
    )
    aws.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="connect and read timeout (default: 10 s connect, 300 s read)",
    )
    aws.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        metavar="N",
        help="retries for throttling, 5xx and connection failures (default: %(default)s)",
    )
    aws.add_argument(
        "--emulator",
        action="store_true",
        help="run against the built-in Bedrock emulator, in-process (no AWS account needed)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--no-stream", action="store_true", help="wait for the whole completion, then print it"
    )
    output.add_argument(
        "--json",
        action="store_true",
        help='print JSON lines: {"type": "piece", "text": ...} per piece, then '
        '{"type": "result", ...} with usage, stop reason, request id and model',
    )
    output.add_argument(
        "--debug", action="store_true", help="show settings, and tracebacks on errors"
    )
    output.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _add_flag(group: argparse._ArgumentGroup, name: str, flag: Flag) -> None:
    """The flag of one declared option (``_options.OPTIONS``), stored under the option's name."""
    if flag.kind == "switch":
        group.add_argument(flag.name, dest=name, action="store_true", help=flag.help)
        return
    options: dict[str, Any] = {"dest": name, "metavar": flag.metavar, "help": flag.help}
    if flag.kind == "int":
        options["type"] = int
    if flag.choices:
        options["choices"] = flag.choices
    if flag.kind == "pairs":
        options["action"] = "append"
    group.add_argument(flag.name, **options)


# --- running ------------------------------------------------------------------------------------


class _Usage(Exception):
    """A usage problem found after parsing (exit status 2)."""


class _NoCredentials(Exception):
    """boto3 found no credentials or region (exit status 3)."""


@dataclass
class _Timing:
    """When the request started, its first text arrived and it finished (``perf_counter``)."""

    started: float
    first_text: float | None = None
    finished: float | None = None

    def time_to_first_token(self) -> float | None:
        return None if self.first_text is None else self.first_text - self.started

    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    def tokens_per_second(self, output_tokens: int) -> float | None:
        # Generation speed after the first token; the whole call when nothing streamed.
        begin = self.first_text if self.first_text is not None else self.started
        span = (self.finished or time.perf_counter()) - begin
        if output_tokens <= 0 or span <= 0:
            return None
        return output_tokens / span


class _Output:
    """Writes the completion (plain text or JSON lines), and errors and stats to stderr."""

    def __init__(self, stdout: TextIO, stderr: TextIO, *, as_json: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.as_json = as_json
        self.show_thinking = False
        self._thinking_open = False
        self._ends_with_newline = True

    def _line(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.stdout.flush()

    def piece(self, text: str) -> None:
        if not text:
            return
        if self._thinking_open:  # the thinking on stderr ends where the answer starts
            self.stderr.write("\n")
            self._thinking_open = False
        # Noted before writing: a Ctrl-C right after the write must still end the line.
        self._ends_with_newline = text.endswith("\n")
        if self.as_json:
            self._line({"type": "piece", "text": text})
        else:
            self.stdout.write(text)
            self.stdout.flush()

    def count(self, tokens: int) -> None:
        """The answer of --count-tokens."""
        if self.as_json:
            self._line({"type": "count", "input_tokens": tokens})
        else:
            self.stdout.write(f"{tokens}\n")
            self.stdout.flush()

    def thinking(self, text: str) -> None:
        """A piece of extended thinking: shown on stderr only if asked for, never on stdout."""
        if self.show_thinking:
            self.stderr.write(text)
            self.stderr.flush()
            self._thinking_open = True

    def end_text(self) -> None:
        """End the printed text with a newline, so the shell prompt starts on its own line."""
        if not self.as_json and not self._ends_with_newline:
            self.stdout.write("\n")
            self.stdout.flush()
            self._ends_with_newline = True

    def result(self, completion: Completion, timing: _Timing) -> None:
        usage = completion.usage
        ttft = timing.time_to_first_token()
        speed = timing.tokens_per_second(usage.output_tokens)
        if self.as_json:
            self._line(
                {
                    "type": "result",
                    "text": completion.completion,
                    "stop_reason": completion.stop_reason,
                    "stop_sequence": completion.stop_sequence,
                    "usage": usage.to_dict(),
                    "request_id": completion.request_id,
                    "model_id": completion.model_id,
                    "model": completion.model,
                    "time_to_first_token": _round(ttft),
                    "elapsed": _round(timing.elapsed()),
                    "tokens_per_second": _round(speed),
                }
            )
            return
        self.end_text()
        self.info(format_stats(completion, timing))

    def info(self, line: str) -> None:
        self.stderr.write(line + "\n")
        self.stderr.flush()

    def error(self, message: str, code: int, *, error: str) -> None:
        self.end_text()
        if self.as_json:
            self._line({"type": "error", "error": error, "message": message, "exit_code": code})
        self.info(f"{PROG}: error: {' '.join(message.split())}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def format_stats(completion: Completion, timing: _Timing) -> str:
    """The stderr line after a completion: usage, time to first token, speed, stop reason."""
    usage = completion.usage
    ttft = timing.time_to_first_token()
    speed = timing.tokens_per_second(usage.output_tokens)
    parts = [
        f"tokens: {usage.input_tokens} in, {usage.output_tokens} out",
        f"time to first token: {ttft:.2f} s" if ttft is not None else "time to first token: n/a",
        f"{speed:.1f} tokens/s" if speed is not None else "tokens/s: n/a",
        f"total: {timing.elapsed():.2f} s",
        f"stop: {completion.stop_reason}",
    ]
    if usage.cache_read_input_tokens or usage.cache_write_input_tokens:
        parts.insert(
            1,
            f"cache: {usage.cache_read_input_tokens} read, "
            f"{usage.cache_write_input_tokens} written",
        )
    if completion.request_id:
        parts.append(f"request id: {completion.request_id}")
    return "[" + " | ".join(parts) + "]"


def read_prompt(prompt: str | None, stdin: TextIO | None) -> str:
    """The prompt from the argument, or from stdin for ``-`` or no argument off a terminal."""
    if prompt is not None and prompt != "-":
        return prompt
    if stdin is None or (prompt is None and stdin.isatty()):
        raise _Usage(
            f'no prompt given: pass one (e.g. {PROG} "{EXAMPLE_PROMPT}"), or pipe it on stdin'
        )
    text = stdin.read().rstrip()
    if not text:
        raise _Usage("the prompt read from stdin is empty")
    return text


def _check_credentials(profile: str | None, region: str | None) -> str:
    """Fail early, in one line, when boto3 can find no credentials or region; say where from."""
    import boto3

    from ._translate import map_aws_errors

    with map_aws_errors(None):
        session = boto3.Session(profile_name=profile)
        credentials = None if os.environ.get(API_KEY_VARIABLE) else session.get_credentials()
    if credentials is not None:
        source = str(getattr(credentials, "method", "unknown"))
    elif os.environ.get(API_KEY_VARIABLE):
        source = f"a Bedrock API key ({API_KEY_VARIABLE})"
    else:
        where = f"profile {profile!r}" if profile else "the environment or ~/.aws"
        raise _NoCredentials(
            f"no AWS credentials found (looked in {where}). Configure them (e.g. `aws configure` "
            f"or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a Bedrock API key in "
            f"{API_KEY_VARIABLE}), or try it offline with the built-in emulator: "
            f'{PROG} --emulator "{EXAMPLE_PROMPT}"'
        )
    # The client falls back to AWS_REGION too (boto3 reads only AWS_DEFAULT_REGION).
    if region is None and session.region_name is None and not os.environ.get("AWS_REGION"):
        raise _NoCredentials(
            "no AWS region configured: pass --region (e.g. --region us-east-1) or set AWS_REGION"
        )
    return source


@contextmanager
def _emulator_context(enabled: bool) -> Iterator[Any]:
    """The in-process emulator under ``--emulator`` (else ``None``), isolated from AWS config.

    A stale ``AWS_PROFILE`` must not break a run that needs no AWS at all, so the profile
    variables are hidden while the emulator runs, and restored after.
    """
    if not enabled:
        yield None
        return
    from .testing import BedrockEmulator

    hidden = {name: os.environ.pop(name) for name in _PROFILE_VARIABLES if name in os.environ}
    try:
        with BedrockEmulator(token_latency=EMULATOR_TOKEN_LATENCY) as emulator:
            yield emulator
    finally:
        os.environ.update(hidden)


def _client(args: argparse.Namespace, emulator: Any) -> AnthropicBedrock:
    from ._client import AnthropicBedrock

    if emulator is not None:
        return AnthropicBedrock(
            EMULATOR_KEY,
            EMULATOR_KEY,
            args.region or EMULATOR_REGION,
            endpoint_url=emulator.endpoint_url,
            max_retries=args.max_retries,
            timeout=args.timeout,
            auto_inference_profile=args.auto_inference_profile,
        )
    return AnthropicBedrock(
        region=args.region,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        max_retries=args.max_retries,
        timeout=args.timeout,
        auto_inference_profile=args.auto_inference_profile,
    )


def _tags(flag: str, pairs: Sequence[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    tags = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise _Usage(f"{flag} takes KEY=VALUE (got {pair!r})")
        tags[key] = value
    return tags


def _create_kwargs(args: argparse.Namespace, prompt: str) -> dict[str, Any]:
    kwargs = {
        "model": args.model,
        "prompt": prompt,
        "max_tokens_to_sample": args.max_tokens,
        "stop_sequences": args.stop,
        "temperature": args.temperature,
        "top_p": args.top_p,
        "top_k": args.top_k,
        "system": args.system,
        "api": args.api,
    }
    for option in OPTIONS:
        if option.flag is not None:
            value = getattr(args, option.name)
            kwargs[option.name] = (
                _tags(option.flag.name, value) if option.flag.kind == "pairs" else value
            )
    # Unset options stay out, so the client's own defaults and checks apply.
    return {key: value for key, value in kwargs.items() if value is not None and value is not False}


def _stream(
    client: AnthropicBedrock, kwargs: dict[str, Any], out: _Output, timing: _Timing
) -> Completion:
    stream = client.Completion.create(**kwargs, stream=True)
    with stream:  # Ctrl-C or a broken pipe inside the loop still releases the connection
        for piece in stream:
            if timing.first_text is None and piece.completion:
                timing.first_text = time.perf_counter()
            if piece.thinking:
                out.thinking(piece.thinking)
            out.piece(piece.completion)
    timing.finished = time.perf_counter()
    completion = stream.completion
    assert completion is not None  # a stream that ended without error has its result
    return completion


def _run(args: argparse.Namespace, prompt: str, out: _Output) -> int:
    if args.emulator and (args.endpoint_url or args.profile):
        raise _Usage("--emulator cannot be combined with --endpoint-url or --profile")
    if not args.emulator:
        source = _check_credentials(args.profile, args.region)
        if args.debug:
            out.info(f"debug: credentials from {source}")
    with _emulator_context(args.emulator) as emulator:
        client = _client(args, emulator)
        with client:
            # Built before the clock starts, so time to first token measures the request only.
            meta = client.boto3_client.meta
            if args.debug:
                out.info(
                    f"debug: endpoint {meta.endpoint_url}, region {meta.region_name}, "
                    f"model {args.model}, max retries {args.max_retries}"
                )
            kwargs = _create_kwargs(args, prompt)
            if args.count_tokens:
                sampling = ("stop_sequences", "temperature", "top_p", "top_k")
                counted = {k: v for k, v in kwargs.items() if k not in sampling}
                tokens = client.count_tokens(**counted)
                out.count(tokens)
                return EXIT_OK
            timing = _Timing(started=time.perf_counter())
            if args.no_stream:
                completion = client.Completion.create(**kwargs)
                timing.finished = time.perf_counter()
                out.piece(completion.completion)
            else:
                completion = _stream(client, kwargs, out, timing)
            out.result(completion, timing)
    return EXIT_OK


def _emulator_command(argv: Sequence[str]) -> int:
    from .testing.__main__ import main as serve

    try:
        return serve(list(argv), prog=f"{PROG} emulator")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Checked before argparse, so a prompt can never be mistaken for the subcommand or the
    # reverse: only a first argument of exactly "emulator" selects it.
    if argv[:1] == ["emulator"]:
        return _emulator_command(argv[1:])
    if argv[:1] == ["batch"]:  # Bedrock batch inference jobs: their own parser and module
        from ._cli_batch import main as batch

        return batch(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)  # exits with status 2 on a usage error
    out = _Output(sys.stdout, sys.stderr, as_json=args.json)
    out.show_thinking = args.show_thinking
    try:
        return _run(args, read_prompt(args.prompt, sys.stdin), out)
    except KeyboardInterrupt:
        out.error("interrupted", EXIT_INTERRUPTED, error="KeyboardInterrupt")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except _Usage as problem:
        out.error(f"{problem} (see {PROG} --help)", EXIT_USAGE, error="UsageError")
        return EXIT_USAGE
    except _NoCredentials as problem:
        out.error(str(problem), EXIT_CREDENTIALS, error="CredentialsError")
        return EXIT_CREDENTIALS
    except Exception as error:
        return _report(error, out, debug=args.debug)


def _report(error: Exception, out: _Output, *, debug: bool) -> int:
    from ._errors import BedrockClaudeError
    from ._translate import error_from_exception

    if debug:
        import traceback

        traceback.print_exception(type(error), error, error.__traceback__, file=out.stderr)
    code = exit_code_for(error)
    mapped = error_from_exception(error, model_id=None) or error
    if isinstance(mapped, BedrockClaudeError):
        message = str(mapped)
    else:
        message = f"unexpected {type(error).__name__}: {error} (run again with --debug)"
    out.error(message, code, error=type(mapped).__name__)
    return code


def _silence_stdout() -> None:
    # The reader is gone: point stdout at devnull so the interpreter's final flush stays quiet.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests, embedding)
        pass
    finally:
        os.close(devnull)
