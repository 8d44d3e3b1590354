"""The completion command's flags, ``--help`` text, and which Python parameter each flag sets.

Every flag stores its value under the name of the parameter it feeds (``Completion.create``'s or
the client's; the Bedrock options' flags come from their declaration, ``_options.OPTIONS``),
except the two in :data:`_PARAMETER_OF_DEST` whose short names read better in the namespace.
:func:`flag_of_parameter` is built from the parser itself, so an error about
``'max_tokens_to_sample'`` is shown as one about ``--max-tokens`` whatever flag is added later.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from .._model_rules import DEFAULT_MODEL
from .._options import DEFAULT_LLM_MAX_TOKENS, OPTIONS, Flag
from .._retry import DEFAULT_MAX_RETRIES
from .._types import APIS
from .._version import __version__
from ._exit_codes import EXIT_CODES, EXIT_CREDENTIALS

__all__ = [
    "API_KEY_VARIABLE",
    "EXAMPLE_PROMPT",
    "PROG",
    "THINKING_ANSWER_ROOM",
    "build_parser",
    "flag_of_parameter",
    "name_flags",
]

PROG = "bedrock-claude"
EXAMPLE_PROMPT = "Why is the sky blue?"
API_KEY_VARIABLE = "AWS_BEARER_TOKEN_BEDROCK"
"""A Bedrock API key, which boto3 reads from the environment (never taken as an option: it
would show in the process list)."""
CLI_DEFAULT_MAX_TOKENS = DEFAULT_LLM_MAX_TOKENS
"""``--max-tokens`` when not given: ``BedrockClaude``'s default (1024), not ``Completion.create``'s
(``_params.DEFAULT_MAX_TOKENS``, 256, the ``bedrock_anthropic`` interface's)."""
THINKING_ANSWER_ROOM = CLI_DEFAULT_MAX_TOKENS
"""Tokens left for the answer after the thinking budget when ``--max-tokens`` is not given:
``max_tokens`` must exceed ``budget_tokens`` (Anthropic's extended-thinking docs), so the
default grows to budget + this, and ``--thinking-budget 1024`` (the minimum) works alone."""

_PARAMETER_OF_DEST = {"max_tokens": "max_tokens_to_sample", "stop": "stop_sequences"}
"""Flags stored under a shorter name than the ``Completion.create`` parameter they set."""

_USAGE = (
    f"{PROG} [options] [PROMPT | -]\n       {PROG} emulator [--port PORT] [--host HOST]\n"
    f"       {PROG} batch {{submit,status,wait,results,stop}} ..."
)
_DESCRIPTION = """\
Stream a completion from Anthropic's Claude on AWS Bedrock. The text goes to stdout
as it arrives; token usage, time to first token and tokens per second go to stderr.
The prompt is PROMPT, or stdin when PROMPT is '-' (or missing, off a terminal)."""


def _epilog() -> str:
    codes = "\n".join(f"  {entry.code:>3}  {entry.meaning}" for entry in EXIT_CODES)
    return f"""\
examples:
  {PROG} "{EXAMPLE_PROMPT}"
  {PROG} --emulator "{EXAMPLE_PROMPT}"      # no AWS account needed
  {PROG} --model us.anthropic.claude-haiku-4-5-20251001-v1:0 --max-tokens 200 "Hi"
  {PROG} --region eu-west-1 --profile work --system "Answer in French." "Hello"
  git diff | {PROG} --system "Review this diff." -
  {PROG} --json --emulator "Hi" | jq -r 'select(.type == "piece") | .text'
  {PROG} emulator --port 8000                # serve the emulator until Ctrl-C
  {PROG} --emulator-url http://127.0.0.1:8000 "Hi"   # ... and talk to it

credentials come from --profile, else boto3's default chain (AWS_ACCESS_KEY_ID,
AWS_PROFILE, ~/.aws/credentials, SSO, an instance role), or a Bedrock API key in
{API_KEY_VARIABLE}. {PROG} never falls back to the emulator: without
credentials it exits with status {EXIT_CREDENTIALS}. The emulator answers with placeholder
text (filler words), not a model's answer. To send the prompt "emulator", write
`{PROG} -- emulator`.

exit status:
{codes}
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the completion command (each subcommand has its own)."""
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
    _model_flags(parser.add_argument_group("model and sampling"))
    _feature_flags(parser.add_argument_group("Bedrock features"))
    _connection_flags(parser.add_argument_group("connection"))
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


class _StoreGiven(argparse.Action):
    """Stores the value and notes that the user gave it (``args.given``), unlike a default."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = {*getattr(namespace, "given", ()), self.dest}


def _model_flags(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "-m",
        "--model",
        default=DEFAULT_MODEL,
        help="model id, inference profile id (us./eu./apac./global.) or ARN (default: %(default)s)",
    )
    group.add_argument(
        "--max-tokens",
        type=int,
        default=CLI_DEFAULT_MAX_TOKENS,
        action=_StoreGiven,
        metavar="N",
        help="the most tokens to generate (default: %(default)s; with --thinking-budget B, "
        f"B + {THINKING_ANSWER_ROOM}, within the model's output limit)",
    )
    group.add_argument("--temperature", type=float, metavar="T", help="randomness, 0-1")
    group.add_argument("--top-p", type=float, metavar="P", help="nucleus sampling, 0-1")
    group.add_argument("--top-k", type=int, metavar="K", help="sample from the top K tokens, 0-500")
    group.add_argument(
        "--stop", action="append", metavar="TEXT", help="stop generating at TEXT (repeatable)"
    )
    group.add_argument("--system", metavar="TEXT", help="a system prompt")
    group.add_argument(
        "--auto-inference-profile",
        action="store_true",
        help="if the model needs an inference profile id, retry once with the one Bedrock names",
    )
    group.add_argument(
        "--api", choices=APIS, help="force a wire API (default: chosen from the model id)"
    )


def _feature_flags(group: argparse._ArgumentGroup) -> None:
    for option in OPTIONS:  # each Bedrock option's flag, as _options declares it
        if option.flag is not None:
            _add_flag(group, option.name, option.flag)
    group.add_argument(
        "--show-thinking",
        action="store_true",
        help="print the thinking to stderr as it arrives (it never goes to stdout)",
    )
    group.add_argument(
        "--count-tokens",
        action="store_true",
        help="print how many input tokens the prompt would use (Bedrock CountTokens), then exit",
    )


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


PAIRS_PARAMETERS = frozenset(
    option.name for option in OPTIONS if option.flag is not None and option.flag.kind == "pairs"
)
"""Parameters whose flag is a repeatable ``KEY=VALUE`` (``--tag``)."""


def _connection_flags(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--region", help="AWS region (default: the profile's, or AWS_REGION)")
    group.add_argument("--profile", help="a named profile from ~/.aws/config")
    group.add_argument(
        "--endpoint-url", metavar="URL", help="another endpoint (a VPC endpoint, a proxy)"
    )
    group.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="connect and read timeout (default: 10 s connect, 300 s read)",
    )
    group.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        metavar="N",
        help="retries for throttling, 5xx and connection failures (default: %(default)s)",
    )
    group.add_argument(
        "--emulator",
        action="store_true",
        help="run against the built-in Bedrock emulator, in-process (no AWS account needed)",
    )
    group.add_argument(
        "--emulator-url",
        metavar="URL",
        help=f"talk to a running emulator ({PROG} emulator --port N in another terminal) at "
        "URL, with dummy credentials and region: no AWS configuration is read",
    )


@cache
def flag_of_parameter() -> Mapping[str, str]:
    """The flag that sets each parameter: ``{"max_tokens_to_sample": "--max-tokens", ...}``."""
    flags: dict[str, str] = {}
    for action in build_parser()._actions:
        if action.option_strings:
            flags[parameter_of(action.dest)] = action.option_strings[-1]
    return flags


def parameter_of(dest: str) -> str:
    """The Python parameter a flag stored under ``dest`` sets."""
    return _PARAMETER_OF_DEST.get(dest, dest)


# A parameter name as the package's messages quote it ('top_k'), or as they show a value
# (max_tokens_to_sample=1024).
_QUOTED_OR_ASSIGNED = re.compile(r"'(?P<quoted>[a-z_]+)'|\b(?P<assigned>[a-z_]+)=")


def name_flags(message: str, flags: Mapping[str, str] | None = None) -> str:
    """``message`` with each Python parameter it names replaced by its flag.

    ``'max_tokens_to_sample' must be at least 1`` becomes ``--max-tokens must be at least 1``;
    words that are not parameters of a flag are left as they are.
    """
    table = flag_of_parameter() if flags is None else flags

    def replace(match: re.Match[str]) -> str:
        quoted, assigned = match.group("quoted"), match.group("assigned")
        name = quoted or assigned
        if name not in table:
            return match.group(0)
        return table[name] if quoted else f"{table[name]}="

    return _QUOTED_OR_ASSIGNED.sub(replace, message)


def parse_pairs(flag: str, pairs: Sequence[str] | None) -> dict[str, str] | None:
    """Repeated ``KEY=VALUE`` values of ``flag`` as a mapping (``None`` when not given)."""
    from ._exit_codes import CommandUsageError

    if not pairs:
        return None
    tags = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise CommandUsageError(f"{flag} takes KEY=VALUE (got {pair!r})")
        tags[key] = value
    return tags
