"""Run a function in several threads that start at the same instant (PostgreSQL race tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections


def run_at_once(
    target: Callable[..., object], arguments: Sequence[object], *, timeout: float = 120
) -> list[object]:
    """Call `target(argument)` for each argument in its own thread, all released together.

    Returns what each call returned, or the exception it raised, in argument order. Each
    thread closes its own database connections, so the test database can be dropped.
    """
    barrier = threading.Barrier(len(arguments))
    outcomes: list[object] = [None] * len(arguments)

    def run(index: int, argument: object) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = target(argument)
        except Exception as error:  # returned to the test, which asserts on it
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index, argument))
        for index, argument in enumerate(arguments)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return outcomes
