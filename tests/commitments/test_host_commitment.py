"""The host's page for one commitment shows every day's check-in, rating, note and the
answers; another program's host gets 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AnswerFactory,
    CheckInFactory,
    CommitmentFactory,
    ModuleFactory,
    hosted_program,
)

pytestmark = pytest.mark.django_db


def test_host_sees_every_day_with_rating_note_and_answers(host, host_client):
    program = hosted_program(user=host)
    module = ModuleFactory(program=program)
    today = timezone.now().date()
    commitment = CommitmentFactory(
        module=module, time_zone="UTC", starts_on=today - timedelta(days=2), duration_days=4
    )
    AnswerFactory(commitment=commitment, question_text="Why?", value="To sleep <better>")
    CheckInFactory(commitment=commitment, day=commitment.starts_on, rating=7, note="Walked 5 km")
    CheckInFactory(
        commitment=commitment, day=commitment.starts_on + timedelta(days=1), is_done=False
    )
    url = reverse("commitments:host_commitment", args=[program.pk, commitment.pk])
    html = host_client.get(url).content.decode()
    assert "Why?" in html and "To sleep &lt;better&gt;" in html
    assert "Walked 5 km" in html
    assert html.count("<tr>") == 1 + 4  # the header and the four days
    for state in ("Done", "Not done", "No check-in", "Still to come"):
        assert f"<td>{state}</td>" in html
    assert "<td>7</td>" in html
    assert "<strong>1</strong> of 4 days done" in html
    listing = reverse("commitments:module_commitments", args=[program.pk, module.pk])
    assert url in host_client.get(listing).content.decode()


def test_other_hosts_get_404(host, host_client):
    commitment = CommitmentFactory()
    url = reverse("commitments:host_commitment", args=[commitment.module.program_id, commitment.pk])
    assert host_client.get(url).status_code == 404
    mine = hosted_program(user=host)  # the host's own program, another program's commitment
    assert (
        host_client.get(
            reverse("commitments:host_commitment", args=[mine.pk, commitment.pk])
        ).status_code
        == 404
    )
