"""The session page follows a background reschedule in a real browser, to "all told"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sessions_app import replans
from sessions_app.models import Registration, ReplanJob
from sessions_app.replans import replan_job_run, replan_job_step
from tests.factories import TEST_PASSWORD, UserFactory, hosted_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REGISTRANTS = 3000


def _fits(page, *, width: int) -> None:
    """No sideways scrolling, and the progress card within the screen (the registrations
    table scrolls inside its own wrapper, as it did before)."""
    assert page.evaluate("document.documentElement.scrollWidth") == width
    card = page.locator("#replan-progress").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= width
    bar = page.locator("#replan-progress progress").bounding_box()
    assert bar["width"] > card["width"] * 0.8


@pytest.mark.parametrize("width", [1280, 390])
def test_the_progress_bar_moves_without_a_reload_and_ends_with_everyone_told(
    live_server, browser, monkeypatch: pytest.MonkeyPatch, tmp_path, width: int
) -> None:
    monkeypatch.setattr(replans, "_queue", lambda job_id: None)  # this test is the worker
    host = UserFactory()
    session = hosted_session(
        user=host,
        title="Quarterly all-hands",
        starts_at=timezone.now() + timedelta(days=3),
        time_zone="Europe/Berlin",
    )
    Registration.objects.bulk_create(
        Registration(session=session, email=f"p{index}@example.org", name=f"Person {index}")
        for index in range(REGISTRANTS)
    )
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    local = (session.starts_at + timedelta(hours=1)).astimezone(session.zone)
    response = client.post(
        reverse("sessions_app:session_edit", kwargs={"session_id": session.pk}),
        {
            "title": session.title,
            "time_zone": session.time_zone,
            "starts_on": local.strftime("%Y-%m-%d"),
            "starts_time": local.strftime("%H:%M"),
            "duration_minutes": "60",
            "theme": "meeting",
            "is_registration_required": "on",
            "remind_day_before": "on",
            "remind_hour_before": "on",
            "remind_half_hour_before": "on",
        },
    )
    assert response.status_code == 302
    job = ReplanJob.objects.get(session=session)

    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}{response['Location']}")
    status = page.locator("#replan-status")
    assert status.inner_text() == "Updating 0 of 3,000 registrants …"
    bar = page.get_by_role("progressbar", name="Telling registrants about the new time")
    assert bar.get_attribute("value") == "0"
    _fits(page, width=width)

    replan_job_step(job_id=job.pk, batch_size=1000)
    page.get_by_text("Updating 1,000 of 3,000 registrants …").wait_for(timeout=10_000)
    assert bar.get_attribute("value") == "1000"
    page.screenshot(path=tmp_path / f"replan-running-{width}.png", full_page=False)

    assert replan_job_run(job_id=job.pk, batch_size=1000)
    page.get_by_text("All registrants have been told.").wait_for(timeout=10_000)
    assert page.locator("#replan-progress").get_attribute("hx-trigger") is None
    page.screenshot(path=tmp_path / f"replan-done-{width}.png", full_page=False)
    _fits(page, width=width)
    context.close()
