"""``bedrock-claude emulator``: serve the Bedrock emulator until Ctrl-C or SIGTERM.

The server, its flags and its own exit statuses are the emulator package's
(``python -m langchain_bedrock_claude.testing``); this only hands it the arguments.
"""

from __future__ import annotations

from ._exit_codes import EXIT_INTERRUPTED
from ._parser import PROG

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Serve the emulator with ``argv`` (its own flags); return the exit status."""
    from ..testing.__main__ import main as serve

    try:
        return serve(argv, prog=f"{PROG} emulator")
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
