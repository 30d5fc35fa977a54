"""An invitation accepted from two places at the same moment makes one host."""

from __future__ import annotations

import pytest
from django.utils import timezone

from programs import services
from programs.models import HostInvitation, ProgramHost
from tests.factories import UserFactory, hosted_program
from tests.support.concurrency import run_at_once


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_host(requires_postgres: None) -> None:
    program = hosted_program()
    invitation = HostInvitation.objects.create(program=program, email="later@example.org")
    users = [
        UserFactory(username="later-a", email="later@example.org"),
        UserFactory(username="later-b", email="Later@example.org"),
    ]

    def accept(user: object) -> str:
        try:
            services.invitation_accept(invitation=invitation, user=user, now=timezone.now())
        except services.InvitationClosed:
            return "closed"
        return "accepted"

    outcomes = run_at_once(accept, users)

    assert sorted(map(str, outcomes)) == ["accepted", "closed"], outcomes
    assert ProgramHost.objects.filter(program=program, user__in=users).count() == 1
