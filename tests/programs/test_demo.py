from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from config.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_PROGRAM
from programs.models import Program

pytestmark = pytest.mark.django_db


def test_demo_data_gives_the_pages_make_run_serves(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("load_demo")
    call_command("load_demo")  # running it again changes nothing
    assert DEMO_PASSWORD in capsys.readouterr().out
    assert Program.objects.filter(name=DEMO_PROGRAM).count() == 1

    client = Client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": DEMO_EMAIL, "password": DEMO_PASSWORD}, follow=True
    )
    assert DEMO_PROGRAM in response.text
    program = Program.objects.get(name=DEMO_PROGRAM)
    overview = client.get(reverse("programs:overview", kwargs={"program_id": program.pk}))
    assert overview.status_code == 200
    assert "Week 1 · Small steps" in overview.text
