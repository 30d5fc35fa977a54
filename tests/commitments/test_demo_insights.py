"""The demo data gives the Insights tab something in every section, once."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from commitments.demo_insights import DEMO_HISTORY_PROGRAM
from commitments.models import Commitment
from config.management.commands.load_demo import DEMO_EMAIL, DEMO_PASSWORD
from programs.models import Program

pytestmark = pytest.mark.django_db


def _figure(html: str, label: str) -> int:
    return int(re.search(rf"<dt>{re.escape(label)}</dt><dd>(\d+)", html).group(1))


def test_demo_insights_show_every_section() -> None:
    call_command("load_demo")
    # The history program's own (the first demo program has commitments of its own).
    commitments = Commitment.objects.filter(session__program__name=DEMO_HISTORY_PROGRAM).count()
    call_command("load_demo")
    assert (
        Commitment.objects.filter(session__program__name=DEMO_HISTORY_PROGRAM).count()
        == commitments
    )  # a second run adds nothing
    client = Client()
    assert client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    program = Program.objects.get(name=DEMO_HISTORY_PROGRAM)
    url = reverse("programs:program_insights", args=[program.pk])
    html = client.get(url + "?range=90").content.decode()
    assert _figure(html, "Held") == 5
    assert _figure(html, "Cancelled") == 1
    assert _figure(html, "Attended") > 0
    assert _figure(html, "Created") == commitments
    assert _figure(html, "Matched") == 4
    assert _figure(html, "Sent") > 0 and _figure(html, "Bounced") > 0
    assert html.count('<svg class="chart"') >= 6
    everything = client.get(reverse("programs:insights") + "?range=90").content.decode()
    assert _figure(everything, "Held") == 5


def test_demo_open_round_previews_groups_and_avoided_repeats() -> None:
    call_command("load_demo")
    client = Client()
    assert client.login(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    program = Program.objects.get(name=DEMO_HISTORY_PROGRAM)
    open_round = program.rounds.get(state="open")
    html = client.get(reverse("programs:round_grouping", args=[program.pk, open_round.pk])).text
    assert html.count("<strong>Group ") >= 4
    assert "met in an earlier round and are not grouped again" in html
