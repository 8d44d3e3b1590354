"""The ``bedrock-claude`` command: stream a Claude completion from AWS Bedrock to the terminal.

```
bedrock-claude "Why is the sky blue?"            # real Bedrock, your AWS credentials
bedrock-claude --emulator "Why is the sky blue?" # the built-in emulator, no AWS needed
bedrock-claude emulator --port 8000              # serve the emulator until Ctrl-C
```

The completion streams to stdout; token usage, time to first token and tokens per second go to
stderr. Start-up stays fast: boto3, LangChain and the emulator are imported only once a request
is about to be made, so ``--help`` loads none of them.

One module per concern: ``_parser`` (flags, ``--help``, flag names of parameters),
``_complete`` (running a completion), ``_connection`` (AWS or an emulator), ``_output``
(what is printed), ``_exit_codes`` (the statuses and the errors behind them). Each subcommand
is a module with a ``main(argv) -> int``, named in :data:`SUBCOMMANDS`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib import import_module

from ._exit_codes import EXIT_BROKEN_PIPE, EXIT_CODES, EXIT_UNEXPECTED, exit_code_for
from ._parser import PROG, build_parser

__all__ = ["EXIT_CODES", "EXIT_UNEXPECTED", "SUBCOMMANDS", "build_parser", "exit_code_for", "main"]

SUBCOMMANDS: dict[str, str] = {
    "emulator": "langchain_bedrock_claude.cli._emulator",
    "batch": "langchain_bedrock_claude._cli_batch",
}
"""Each subcommand's module, imported when it is run; its ``main(argv)`` returns the status."""
_COMPLETION = "langchain_bedrock_claude.cli._complete"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if sys.stdout is None:  # started with stdout closed (`>&-`): nothing could be printed
        if sys.stderr is not None:
            sys.stderr.write(f"{PROG}: error: stdout is closed (>&-): nowhere to print to\n")
            sys.stderr.flush()
        return EXIT_BROKEN_PIPE
    # Checked before argparse, so a prompt can never be mistaken for a subcommand or the
    # reverse: only a first argument of exactly a subcommand's name selects it.
    module = SUBCOMMANDS.get(argv[0], _COMPLETION) if argv else _COMPLETION
    if module != _COMPLETION:
        argv = argv[1:]
    code: int = import_module(module).main(argv)
    return code
