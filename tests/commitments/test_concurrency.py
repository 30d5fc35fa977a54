"""The same commitment form posted several times at once makes one commitment."""

from __future__ import annotations

import pytest
from django.utils import timezone

from commitments import services
from commitments.models import Commitment
from tests.factories import ModuleFactory, SessionFactory
from tests.support.concurrency import run_at_once


@pytest.mark.django_db(transaction=True)
def test_identical_commitments_posted_at_once_make_one(requires_postgres: None) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(program=module.program, module=module)

    def make(index: int) -> str:
        made = services.commitment_create(
            session=session,
            participant_name="Ada",
            participant_email="ada@example.org" if index % 2 else "ADA@example.org",
            time_zone="Europe/Berlin",
            answers={},
            now=timezone.now(),
        )
        return "new" if made.is_new else "again"

    outcomes = run_at_once(make, range(8))

    assert sorted(map(str, outcomes)) == ["again"] * 7 + ["new"], outcomes
    assert Commitment.objects.filter(session=session).count() == 1
