r"""Text-completion prompts (``\n\nHuman: ... \n\nAssistant:``) <-> Messages API turns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._errors import InvalidParameterError

__all__ = ["Conversation", "split_turns", "wrap_prompt"]

HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"
_TURN = re.compile(r"(?:^|\n\n)(Human|Assistant):")


@dataclass(frozen=True, slots=True)
class Conversation:
    """A prompt split into a system text, alternating messages, and an assistant prefill."""

    system: str | None
    messages: list[dict[str, str]]


def wrap_prompt(prompt: str, system: str | None = None) -> str:
    r"""The legacy Text Completions prompt: a bare prompt wrapped as a Human turn.

    A prompt that already has turns is left alone (a leading ``Human:`` gains the ``\n\n``
    the legacy API requires). A system text goes before the first turn, as that API expects.
    """
    turns = list(_TURN.finditer(prompt))
    if turns:
        body = prompt if prompt.startswith("\n\n") else "\n\n" + prompt.lstrip("\n")
        if turns[-1].group(1) == "Human":
            body = body.rstrip() + ASSISTANT
    else:
        body = f"{HUMAN} {prompt}{ASSISTANT}"
    return f"{system}{body}" if system else body


def split_turns(prompt: str, system: str | None = None) -> Conversation:
    """Turn a prompt into Messages API turns.

    Text before the first turn becomes the system text (after ``system``, if both are given);
    consecutive turns of one role are joined; a final Assistant turn with text becomes a prefill
    (trailing whitespace removed, which the API requires), and an empty one is dropped. A prompt
    with no turns is one user message.
    """
    matches = list(_TURN.finditer(prompt))
    if not matches:
        return Conversation(system or None, [{"role": "user", "content": prompt}])
    preamble = prompt[: matches[0].start()].strip()
    systems = [part for part in (system, preamble) if part]
    turns: list[dict[str, str]] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(prompt)
        role = "user" if match.group(1) == "Human" else "assistant"
        text = prompt[match.end() : end].strip()
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"] = f"{turns[-1]['content']}\n\n{text}".strip()
        else:
            turns.append({"role": role, "content": text})
    if turns and turns[-1]["role"] == "assistant" and not turns[-1]["content"]:
        turns.pop()
    if not turns or turns[0]["role"] != "user":
        raise InvalidParameterError(
            "'prompt' must start with a Human turn (or have no turns at all); got a prompt "
            "whose first turn is Assistant."
        )
    for turn in turns[:-1] if turns[-1]["role"] == "assistant" else turns:
        if not turn["content"]:
            raise InvalidParameterError(
                f"'prompt' has an empty {turn['role']} turn; every turn needs text."
            )
    return Conversation("\n\n".join(systems) or None, turns)
