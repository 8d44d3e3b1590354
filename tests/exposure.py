"""Every way an error's text reaches a person or a file: what must never hold a secret."""

from __future__ import annotations

import pickle
import traceback


def everything_shown(error: BaseException) -> list[str]:
    """``str``, ``repr``, pickle and traceback of ``error`` and of the exception it chains."""
    shown = [
        str(error),
        repr(error),
        pickle.dumps(error).decode("latin-1"),
        "".join(traceback.format_exception(error)),
    ]
    cause = error.__cause__
    if cause is not None:
        shown += [str(cause), repr(cause), pickle.dumps(cause).decode("latin-1")]
    return shown
