"""The gate on request preparation: a few threads at once, never held across the network."""

from __future__ import annotations

import threading

import pytest

from langchain_bedrock_claude import _preparing
from langchain_bedrock_claude._preparing import PREPARING_AT_ONCE, preparing


def _free_slots() -> int:
    return _preparing._slots.qsize()


def test_a_call_inside_a_call_takes_one_slot_and_an_error_gives_it_back() -> None:
    assert _free_slots() == PREPARING_AT_ONCE
    with pytest.raises(RuntimeError), preparing():
        with preparing():  # a stream opened inside a batch's call: no second slot, no deadlock
            assert _free_slots() == PREPARING_AT_ONCE - 1
        raise RuntimeError("the call failed before sending")
    assert _free_slots() == PREPARING_AT_ONCE


def test_the_slot_is_free_once_the_request_is_sent_and_more_callers_wait_their_turn() -> None:
    inside = threading.Barrier(PREPARING_AT_ONCE + 1)
    release = threading.Event()
    entered: list[int] = []

    def call(number: int) -> None:
        with preparing():
            entered.append(number)
            if number < PREPARING_AT_ONCE:
                inside.wait(timeout=5)
                release.wait(timeout=5)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(PREPARING_AT_ONCE + 1)]
    for thread in threads[:PREPARING_AT_ONCE]:
        thread.start()
    inside.wait(timeout=5)  # every slot is taken
    threads[-1].start()
    threads[-1].join(timeout=0.2)
    assert threads[-1].is_alive() and len(entered) == PREPARING_AT_ONCE  # waits its turn
    release.set()
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(entered) == list(range(PREPARING_AT_ONCE + 1))
    with preparing():
        _preparing._leave()  # botocore's before-send: the slot is free while the reply comes
        assert _free_slots() == PREPARING_AT_ONCE
    assert _free_slots() == PREPARING_AT_ONCE  # and not given back twice
