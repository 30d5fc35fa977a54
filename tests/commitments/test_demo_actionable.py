"""The demo data gives the Actionable half of "Habits Lab" something to try at once: module
questions, commitments a few days in, attendance at the past session, a session about to start
(its waiting room open now), and a round with history; a second run adds nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commitments.demo_actionable import ABOUT_TO_START
from commitments.models import Answer, CheckIn, Commitment, Question
from config.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROGRAM
from programs.models import Match, Program, Round, RoundState
from sessions_app.models import Attendance, Registration, Session
from sessions_app.tokens import join_url

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Question, Commitment, Answer, CheckIn, Attendance, Session, Registration)
    }


def test_load_demo_fills_the_actionable_half_once() -> None:
    loaded_at = timezone.now()
    call_command("load_demo")
    first = _counts()
    call_command("load_demo")
    assert _counts() == first  # idempotent
    program = Program.objects.get(name=DEMO_PROGRAM)
    now = timezone.now()

    week_one = program.modules.order_by("position", "id").first()
    assert week_one.questions.count() == 3
    assert {q.kind for q in Question.objects.filter(module__program=program)} >= {
        "short_text",
        "single_choice",
        "scale_1_10",
        "number",
    }

    commitments = Commitment.objects.filter(session__program=program)
    assert commitments.count() == 3
    assert all(c.checkins.exists() and c.answers.exists() for c in commitments)
    checkins = CheckIn.objects.filter(commitment__session__program=program)
    assert checkins.filter(rating__isnull=False).count() == checkins.count() >= 6
    assert checkins.exclude(note="").exists() and checkins.filter(is_done=False).exists()
    assert commitments.exclude(reflection="").count() == 1
    assert commitments.filter(ended_early_at__isnull=False).count() == 1

    past = Session.objects.filter(program=program, starts_at__lt=now)
    assert Attendance.objects.filter(session__in=past, registration__isnull=False).exists()
    assert Registration.objects.filter(session__in=past).exists()

    soon = Session.objects.get(program=program, title=ABOUT_TO_START)
    # Minutes after load_demo ran, so the entry window (10 minutes ahead) is open at once.
    assert loaded_at < soon.starts_at <= loaded_at + timedelta(minutes=10)
    assert soon.registrations.count() == 2

    history = Round.objects.filter(state=RoundState.MATCHED)
    assert history.count() >= 2 and Match.objects.filter(round__in=history).exists()


def test_the_demo_waiting_room_and_commitments_can_be_tried_at_once() -> None:
    call_command("load_demo")
    program = Program.objects.get(name=DEMO_PROGRAM)
    soon = Session.objects.get(program=program, title=ABOUT_TO_START)
    participant = Client()
    path = re.sub(r"^https?://[^/]+", "", join_url(soon.registrations.order_by("id").first()))
    page = participant.get(path, follow=True)
    assert page.status_code == 200
    assert "Join the session" in page.text

    host = Client()
    assert host.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    kick_off = Session.objects.filter(program=program).order_by("starts_at").first()
    page = host.get(
        reverse(
            "commitments:session_commitments",
            kwargs={"program_id": program.pk, "session_id": kick_off.pk},
        )
    )
    assert page.status_code == 200
    assert "Mia Wagner" in page.text and "Lea Schmidt" in page.text
