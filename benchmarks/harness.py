"""Shared set-up for benchmark scripts: Django on a throwaway copy of DATABASE_URL's database.

Each script runs as `python benchmarks/<name>.py`, measures a baseline in the same run, and
prints as its last line one JSON object with its figures (see the architecture page).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    """Configure Django (test settings: in-memory mail) and create a fresh benchmark database."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        print(
            "warning: DATABASE_URL is not PostgreSQL; figures will not be representative",
            file=sys.stderr,
        )
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)


def django_teardown() -> None:
    from django.db import connection

    name = connection.settings_dict["NAME"]
    connection.creation.destroy_test_db(name, verbosity=0)


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    yield lambda: elapsed[0] if elapsed else time.perf_counter() - started
    elapsed.append(time.perf_counter() - started)


def report(figures: dict[str, object]) -> None:
    """Print the figures, the last line as one JSON object."""
    for key, value in figures.items():
        print(f"{key:>24}: {value}")
    print(json.dumps(figures))
