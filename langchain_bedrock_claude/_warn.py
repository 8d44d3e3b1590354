"""Warnings that point at the caller's line: the first frame outside this package and LangChain.

A fixed ``stacklevel`` names whichever of our frames happens to sit that many levels up (the
same check runs under ``Completion.create``, ``BedrockClaude.invoke`` and an agent's graph), so
a warning would show a line of this package instead of the user's. Python 3.12's
``skip_file_prefixes`` does this walk; this package supports 3.11.
"""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ["warn_caller"]

_PACKAGE = os.path.dirname(__file__) + os.sep


def _skipped() -> tuple[str, ...]:
    """This package's folder, and langchain-core's if it is loaded (LangChain's own frames)."""
    core = getattr(sys.modules.get("langchain_core"), "__file__", None)
    return (_PACKAGE, os.path.dirname(core) + os.sep) if core else (_PACKAGE,)


def warn_caller(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)``, attributed to the first frame not skipped."""
    skipped = _skipped()
    level = 2  # the frame that called warn_caller
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(skipped):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
