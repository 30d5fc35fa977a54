"""The same commitment form posted several times at once makes one commitment."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.utils import timezone

from commitments import services
from commitments.models import Commitment
from tests.factories import ModuleFactory, SessionFactory


@pytest.mark.django_db(transaction=True)
def test_identical_commitments_posted_at_once_make_one(requires_postgres: None) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def make(index: int) -> None:
        try:
            start.wait()
            try:
                made = services.commitment_create(
                    session=session,
                    participant_name="Ada",
                    participant_email="ada@example.org" if index % 2 else "ADA@example.org",
                    time_zone="Europe/Berlin",
                    answers={},
                    now=timezone.now(),
                )
                outcome = "new" if made.is_new else "again"
            except Exception as error:
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=make, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["again"] * 7 + ["new"], outcomes
    assert Commitment.objects.filter(session=session).count() == 1
