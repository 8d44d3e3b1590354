"""Running one completion: arguments checked first, then credentials, then the request.

Order matters for what a user is told: every argument (flags and settings) is checked before
credentials are looked for, so ``--timeout nan`` is a usage error (2) on a machine with no AWS
configuration too, not "no credentials" (3).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from ._connection import PLACEHOLDER_NOTE, check_flags, client_for, resolve, target
from ._exit_codes import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    CommandTerminated,
    CommandUsageError,
    exit_code_for,
)
from ._output import Output, Timing
from ._parser import (
    EXAMPLE_PROMPT,
    PAIRS_PARAMETERS,
    PROG,
    THINKING_ANSWER_ROOM,
    build_parser,
    flag_of_parameter,
    name_flags,
    parameter_of,
    parse_pairs,
)

if TYPE_CHECKING:
    from .._client import AnthropicBedrock
    from .._models import Completion

__all__ = ["check_arguments", "create_arguments", "main", "read_prompt"]

_SAMPLING = ("stop_sequences", "temperature", "top_p", "top_k")
"""Parameters CountTokens does not take (it counts the input only)."""
_NOT_PARAMETERS = frozenset(
    {
        "prompt",
        "given",
        "show_thinking",
        "count_tokens",
        "no_stream",
        "json",
        "debug",
        "emulator",
        "emulator_url",
        "help",
        "version",
        # Client settings, given to the client's constructor:
        "region",
        "profile",
        "endpoint_url",
        "timeout",
        "max_retries",
        "auto_inference_profile",
    }
)
"""Namespace entries that are not ``Completion.create`` parameters."""


def main(argv: list[str]) -> int:
    """Run one completion with ``argv``; return the exit status."""
    args = build_parser().parse_args(argv)  # exits with status 2 on a usage error
    out = Output(sys.stdout, sys.stderr, as_json=args.json, show_thinking=args.show_thinking)
    try:
        with _sigterm_unwinds():
            return _run(args, read_prompt(args.prompt, sys.stdin), out)
    except KeyboardInterrupt:
        out.error("interrupted", EXIT_INTERRUPTED, error="KeyboardInterrupt")
        return EXIT_INTERRUPTED
    except CommandTerminated:
        out.error("terminated", EXIT_TERMINATED, error="Terminated")
        return EXIT_TERMINATED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except CommandUsageError as problem:
        out.error(f"{problem} (see {PROG} --help)", EXIT_USAGE, error="UsageError")
        return EXIT_USAGE
    except Exception as error:
        return _report(error, out, debug=args.debug, flags=_flags_of(args))


def read_prompt(prompt: str | None, stdin: TextIO | None) -> str:
    """The prompt from the argument, or from stdin for ``-`` or no argument off a terminal."""
    if prompt is not None and prompt != "-":
        return prompt
    if stdin is None or (prompt is None and stdin.isatty()):
        raise CommandUsageError(
            f'no prompt given: pass one (e.g. {PROG} "{EXAMPLE_PROMPT}"), or pipe it on stdin'
        )
    text = stdin.read().rstrip()
    if not text:
        raise CommandUsageError("the prompt read from stdin is empty")
    return text


def create_arguments(args: argparse.Namespace, prompt: str) -> dict[str, Any]:
    """``Completion.create``'s arguments from the flags; unset ones left out.

    ``--max-tokens`` not given with ``--thinking-budget B`` is ``B`` + :data:`THINKING_ANSWER_ROOM`
    (at most the model's output limit): ``max_tokens`` must exceed the budget, and the default
    must not make the documented minimum budget fail.
    """
    flags = flag_of_parameter()
    arguments: dict[str, Any] = {"prompt": prompt}
    for dest, value in vars(args).items():
        if dest in _NOT_PARAMETERS:
            continue
        name = parameter_of(dest)
        arguments[name] = parse_pairs(flags[name], value) if name in PAIRS_PARAMETERS else value
    budget = arguments.get("thinking_budget_tokens")
    if "max_tokens" not in getattr(args, "given", ()) and isinstance(budget, int):
        arguments["max_tokens_to_sample"] = _room_after(
            budget, arguments["max_tokens_to_sample"], arguments["model"], arguments.get("api")
        )
    # Unset options stay out, so the client's own defaults and checks apply.
    return {
        key: value for key, value in arguments.items() if value is not None and value is not False
    }


def _room_after(budget: int, default: int, model: object, api: object) -> int:
    """The default max tokens with a thinking budget: room for the answer, within the model."""
    from .._errors import InvalidParameterError
    from .._routing import resolve_model

    wanted = max(default, budget + THINKING_ANSWER_ROOM)
    try:
        rules = resolve_model(model, api).rules
    except InvalidParameterError:  # the argument check says what is wrong with the model
        return wanted
    limit = rules.max_output_tokens if rules is not None else None
    return wanted if limit is None else min(wanted, limit)


def check_arguments(arguments: Mapping[str, Any], *, stream: bool) -> None:
    """Check ``Completion.create``'s arguments as a call would, without any I/O.

    Raises:
        InvalidParameterError: the first bad one.
    """
    from .._client import _checked  # the client's own pure check, the one a call runs

    _checked(arguments, stream)


def _run(args: argparse.Namespace, prompt: str, out: Output) -> int:
    check_flags(args)
    arguments = create_arguments(args, prompt)
    if args.count_tokens:
        arguments = {key: value for key, value in arguments.items() if key not in _SAMPLING}
    check_arguments(arguments, stream=not (args.no_stream or args.count_tokens))
    with target(args) as where:
        client = client_for(args, where)  # checks --timeout, --region, --endpoint-url, ...
        with client:
            # Built before the clock starts, so time to first token measures the request only.
            source = resolve(client, args)
            if args.debug:
                meta = client.boto3_client.meta
                out.info(f"debug: credentials from {source}")
                out.info(
                    f"debug: endpoint {meta.endpoint_url}, region {meta.region_name}, "
                    f"model {args.model}, max retries {args.max_retries}"
                )
            if args.count_tokens:
                out.count(client.count_tokens(**arguments))
                return EXIT_OK
            if where.emulator:
                out.info(PLACEHOLDER_NOTE)
            timing = Timing(started=time.perf_counter())
            if args.no_stream:
                completion = client.Completion.create(**arguments)
                timing.finished = time.perf_counter()
                out.piece(completion.completion)
            else:
                completion = _stream(client, arguments, out, timing)
            out.result(completion, timing)
    return EXIT_OK


def _stream(
    client: AnthropicBedrock, arguments: dict[str, Any], out: Output, timing: Timing
) -> Completion:
    stream = client.Completion.create(**arguments, stream=True)
    with stream:  # Ctrl-C, SIGTERM or a broken pipe inside the loop still releases the connection
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


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """SIGTERM raises :class:`CommandTerminated` in the main thread, so the stream is closed."""

    def terminated(signum: int, frame: FrameType | None) -> None:
        raise CommandTerminated

    try:
        previous = signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread (embedding): leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _flags_of(args: argparse.Namespace) -> Mapping[str, str]:
    """The flag of each parameter in this run: ``--emulator-url`` sets the endpoint too."""
    flags = flag_of_parameter()
    if args.emulator_url:
        return {**flags, "endpoint_url": "--emulator-url"}
    return flags


def _report(error: Exception, out: Output, *, debug: bool, flags: Mapping[str, str]) -> int:
    from .._errors import BedrockClaudeError, InvalidParameterError
    from .._translate import error_from_exception

    if debug:
        import traceback

        traceback.print_exception(type(error), error, error.__traceback__, file=out.stderr)
    code = exit_code_for(error)
    mapped = error_from_exception(error, model_id=None) or error
    if isinstance(mapped, InvalidParameterError):
        message = name_flags(
            str(mapped), flags
        )  # the flag the user typed, not the Python parameter
    elif isinstance(mapped, BedrockClaudeError):
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
