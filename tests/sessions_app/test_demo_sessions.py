from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROGRAM
from programs.models import Program
from sessions_app.models import Registration, Session

pytestmark = pytest.mark.django_db


def test_demo_program_gets_sessions_with_registrations_once() -> None:
    call_command("load_demo")
    call_command("load_demo")
    program = Program.objects.get(name=DEMO_PROGRAM)
    sessions = list(Session.objects.filter(program=program).order_by("starts_at"))
    # One last week, one about to start (commitments/demo_actionable.py), two ahead.
    assert len(sessions) == 4
    now = timezone.now()
    assert sessions[0].starts_at < now < sessions[1].starts_at
    assert all(Registration.objects.filter(session=session).exists() for session in sessions)
    assert Registration.objects.filter(session__program=program).count() == 6

    client = Client()
    client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    overview = client.get(reverse("programs:overview", kwargs={"program_id": program.pk}))
    assert "Week 1 check-in" in overview.text and "Week 2 workshop" in overview.text
    # The past session is listed after the upcoming ones, for people who join it later.
    assert (
        overview.text.index("Week 2 workshop")
        < overview.text.index("<h3>Past</h3>")
        < overview.text.index("Kick-off")
    )
    completed = client.get(reverse("sessions_app:my_sessions"), {"tab": "completed"})
    assert "Kick-off: why small steps work" in completed.text
