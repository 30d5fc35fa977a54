from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from config.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROGRAM
from programs.models import Member, Program, Round

pytestmark = pytest.mark.django_db


def test_demo_data_has_a_roster_and_one_weekly_round(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_demo")
    call_command("load_demo")
    program = Program.objects.get(name=DEMO_PROGRAM)
    assert Member.objects.filter(program=program).count() == 7
    round_ = Round.objects.get(program=program)
    assert (round_.recurrence_weeks, round_.state) == (1, "scheduled")
    client = Client()
    client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    for name in ("member_list", "round_list", "program_planning"):
        response = client.get(reverse(f"programs:{name}", kwargs={"program_id": program.pk}))
        assert response.status_code == 200
    assert (
        "Ada Lovelace"
        in client.get(reverse("programs:member_list", kwargs={"program_id": program.pk})).text
    )
