"""An invitation accepted from two places at the same moment makes one host."""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.utils import timezone

from programs import services
from programs.models import HostInvitation, ProgramHost
from tests.factories import UserFactory, hosted_program


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_host(requires_postgres: None) -> None:
    program = hosted_program()
    invitation = HostInvitation.objects.create(program=program, email="later@example.org")
    users = [
        UserFactory(username="later-a", email="later@example.org"),
        UserFactory(username="later-b", email="Later@example.org"),
    ]
    start = threading.Barrier(len(users))
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(user: object) -> None:
        try:
            start.wait()
            try:
                services.invitation_accept(invitation=invitation, user=user, now=timezone.now())
                outcome = "accepted"
            except services.InvitationClosed:
                outcome = "closed"
            except Exception as error:
                outcome = f"error: {error!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["accepted", "closed"], outcomes
    assert ProgramHost.objects.filter(program=program, user__in=users).count() == 1
