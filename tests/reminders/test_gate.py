"""The gate that holds a send's last line until the previous send is recorded.

The sending thread, its body written, hands the writing of the last line over: the thread
that opens the gate writes it at once if the socket takes it, or else the sending thread
does; exactly once, and never when the gate is abandoned.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from reminders.dispatcher import _Gate


class _Writes:
    def __init__(self, *, takes_it_at_once: bool = True, error: Exception | None = None) -> None:
        self.takes_it_at_once = takes_it_at_once
        self.error = error
        self.written_by: list[tuple[str, bool]] = []

    def __call__(self, may_wait: bool) -> bool:
        if self.error is not None:
            raise self.error
        if not may_wait and not self.takes_it_at_once:
            return False
        self.written_by.append((threading.current_thread().name, may_wait))
        return True


def _waiting(gate: _Gate, writes: _Writes):
    """The sending thread, waiting at the gate with its end handed over."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="sending")
    future = pool.submit(gate.wait, None, end=writes)
    # Handed over once the gate holds it (the waiter registers it before it waits).
    for _ in range(200):
        if gate._end is not None:
            break
        threading.Event().wait(0.005)
    return pool, future


def test_the_opener_writes_the_end_at_once_and_the_send_goes_on() -> None:
    gate, writes = _Gate(timeout=10), _Writes()
    pool, future = _waiting(gate, writes)
    gate.open()
    assert writes.written_by == [(threading.current_thread().name, False)]  # before open returns
    assert future.result(timeout=5) is True
    assert len(writes.written_by) == 1
    pool.shutdown()


def test_when_the_socket_cannot_take_it_at_once_the_sending_thread_writes_it() -> None:
    gate, writes = _Gate(timeout=10), _Writes(takes_it_at_once=False)
    pool, future = _waiting(gate, writes)
    gate.open()
    assert future.result(timeout=5) is True
    assert len(writes.written_by) == 1
    name, may_wait = writes.written_by[0]
    assert name.startswith("sending") and may_wait
    pool.shutdown()


def test_an_abandoned_gate_never_writes_the_end() -> None:
    gate, writes = _Gate(timeout=10), _Writes()
    pool, future = _waiting(gate, writes)
    gate.abandon()
    assert future.result(timeout=5) is False
    gate.open()  # too late: decided already
    assert writes.written_by == []
    pool.shutdown()


def test_a_gate_undecided_for_a_lease_drops_the_message_even_if_opened_later() -> None:
    gate, writes = _Gate(timeout=0.05), _Writes()
    assert gate.wait(None, end=writes) is False
    gate.open()
    assert writes.written_by == []


def test_a_gate_open_already_lets_the_sending_thread_write_it() -> None:
    gate, writes = _Gate(timeout=10), _Writes()
    gate.open()
    assert gate.wait(0) is True
    assert gate.wait(None, end=writes) is True
    assert writes.written_by == [(threading.current_thread().name, True)]


def test_an_error_writing_the_end_in_the_opener_is_the_sending_threads() -> None:
    gate, writes = _Gate(timeout=10), _Writes(error=BrokenPipeError(32, "Broken pipe"))
    pool, future = _waiting(gate, writes)
    gate.open()  # the dispatcher's thread goes on
    with pytest.raises(BrokenPipeError):
        future.result(timeout=5)
    pool.shutdown()


def test_an_end_written_by_the_opener_as_the_wait_runs_out_counts_as_written() -> None:
    gate, writes = _Gate(timeout=0.2), _Writes()
    original = gate._decided.wait

    def wait_then_opened(timeout: float | None = None) -> bool:
        decided = original(timeout)  # runs out: nobody opens within the lease
        gate.open()  # …and the stuck dispatcher opens right then, writing the end
        return decided

    gate._decided.wait = wait_then_opened  # type: ignore[method-assign]
    assert gate.wait(None, end=writes) is True
    assert len(writes.written_by) == 1
