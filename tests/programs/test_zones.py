"""Every time in the viewer's zone, with the event's own zone beside it; the footer says which."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from programs.rounds import round_schedule
from programs.timezones import DETECTED_COOKIE, canonical_time_zones, time_zone_aliases
from reminders.dispatcher import outbox_dispatch
from sessions_app.models import Registration
from tests.factories import MemberFactory, ModuleFactory, hosted_program, hosted_session
from tests.sessions_app.invites import html_body
from tests.sessions_app.room_support import enter, room_url

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
# 18:30 in Berlin, 02:30 the next morning in Tokyo.
STARTS_AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
TOKYO = "Thursday 26 November 2026, 02:30 to 03:30 Tokyo time"
BERLIN_BESIDE = "Wednesday 25 November, 18:30 to 19:30 in Berlin"
BERLIN = "Wednesday 25 November 2026, 18:30 to 19:30 Berlin time"


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def _tokyo_browser() -> Client:
    """A browser whose `Intl` zone is Asia/Tokyo: time_zone.js has set the cookie."""
    browser = Client()
    browser.cookies[DETECTED_COOKIE] = "Asia/Tokyo"
    return browser


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", response.text)).split())


def _footer(response) -> str:
    return _text(response).rsplit("Times are shown in", 1)[1].strip()


def _berlin_session(**fields: object):
    program = hosted_program(time_zone="Europe/Berlin")
    return hosted_session(
        user=program.host_roles.get().user,
        starts_at=STARTS_AT,
        time_zone="Europe/Berlin",
        title="Deep work",
        **fields,
    )


def test_a_tokyo_browser_sees_tokyo_times_with_berlin_beside_on_the_session_pages() -> None:
    session = _berlin_session()
    browser = _tokyo_browser()
    for name in ("sessions_app:public", "sessions_app:register"):
        page = browser.get(reverse(name, kwargs={"code": session.code}))
        text = _text(page)
        assert f"{TOKYO} · {BERLIN_BESIDE}" in text
        assert '<time datetime="2026-11-26T02:30+09:00">' in page.text
        assert _footer(page).startswith("Tokyo time (Asia/Tokyo, UTC+09:00), your browser's zone.")


def test_without_a_known_zone_a_session_page_uses_the_sessions_zone_and_says_so() -> None:
    session = _berlin_session()
    page = Client().get(reverse("sessions_app:public", kwargs={"code": session.code}))
    text = _text(page).rsplit("Times are shown in", 1)[0]
    assert BERLIN in text
    assert "Tokyo" not in text and " in Berlin" not in text
    assert _footer(page).startswith("Berlin time (Europe/Berlin, UTC+01:00), the session's zone.")


def _first_page_times(page) -> list[str]:
    """The `t` items a first page's `local-time` spans name, as time_zone.js reads them."""
    return [
        "|".join(html.unescape(part) for part in found)
        for found in re.findall(
            r'<span class="local-time" data-moment="([^"]*)" data-zone="([^"]*)" '
            r'data-style="([^"]*)"(?: data-end="([^"]*)")?>',
            page.text,
        )
    ]


def _inner_times(page) -> list[str]:
    """The inner HTML of each `local-time` span (none nests another)."""
    return re.findall(
        r'<span class="local-time"[^>]*>(.*?</time>(?:<span class="zone-beside">[^<]*</span>)?)</span>',
        page.text,
    )


def test_a_first_page_asks_for_its_times_in_the_browsers_zone_and_gets_what_the_next_shows():
    """The first page (no zone known yet) names its times and says it may ask; the answer for
    Tokyo is, time for time and in the footer, what the page shows once the cookie is set."""
    session = _berlin_session()
    url = reverse("sessions_app:public", kwargs={"code": session.code})
    first = Client().get(url)
    assert 'data-zone-fallback="Europe/Berlin"' in first.text
    wanted = _first_page_times(first)
    assert wanted and all(item.count("|") == 3 for item in wanted)
    answer = Client().get(reverse("programs:zone_times"), {"zone": "Asia/Tokyo", "t": wanted})
    assert answer.status_code == 200
    tokyo_page = _tokyo_browser().get(url)
    assert "data-zone-fallback" not in tokyo_page.text  # a known zone: nothing to ask
    assert answer.json()["times"] == _inner_times(tokyo_page)
    assert f"{TOKYO} · {BERLIN_BESIDE}" in _text_of(answer.json()["times"][0])
    footer = _text_of(answer.json()["page_zone"])
    assert footer == "Tokyo time (Asia/Tokyo, UTC+09:00), your browser's zone"
    assert _footer(tokyo_page).startswith(footer)


def _text_of(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", markup)).split())


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"zone": "Mars/Olympus", "t": "2026-11-25T17:30:00+00:00|Europe/Berlin|long|"}, "zone"),
        ({"zone": "Asia/Tokyo", "t": "yesterday|Europe/Berlin|long|"}, "not moment"),
        ({"zone": "Asia/Tokyo", "t": "2026-11-25T17:30:00|Europe/Berlin|long|"}, "not moment"),
        ({"zone": "Asia/Tokyo", "t": "2026-11-25T17:30:00+00:00|Nowhere|long|"}, "not moment"),
        ({"zone": "Asia/Tokyo", "t": "2026-11-25T17:30:00+00:00||huge|"}, "not moment"),
        ({"zone": "Asia/Tokyo", "t": ["2026-11-25T17:30:00+00:00|||"] * 201}, "at most 200"),
    ],
)
def test_zone_times_refuses_what_no_page_asks_with_a_reason(query, reason) -> None:
    answer = Client().get(reverse("programs:zone_times"), query)
    assert answer.status_code == 400 and reason in answer.content.decode()


def test_the_zone_chosen_wins_over_the_browsers_and_the_footer_says_so() -> None:
    session = _berlin_session()
    browser = _tokyo_browser()
    browser.post(reverse("programs:set_time_zone"), {"time_zone": "America/New_York", "next": "/"})
    page = browser.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert (
        "Wednesday 25 November 2026, 12:30 to 13:30 New York time · 18:30 to 19:30 in Berlin"
        in (_text(page))
    )
    assert _footer(page).startswith(
        "New York time (America/New_York, UTC-05:00), the zone you chose."
    )
    browser.post(reverse("programs:set_time_zone"), {"follow_browser": "1", "next": "/"})
    page = browser.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert _footer(page).startswith("Tokyo time")


@pytest.mark.parametrize(
    ("cookie", "footer"),
    [
        ("Asia/Calcutta", "Kolkata time (Asia/Kolkata, UTC+05:30), your browser's zone."),
        ("Mars/Olympus_Mons", "Berlin time (Europe/Berlin, UTC+01:00), the session's zone."),
        ("", "Berlin time (Europe/Berlin, UTC+01:00), the session's zone."),
    ],
)
def test_the_detected_zone_is_checked_and_old_names_become_current_ones(cookie, footer) -> None:
    session = _berlin_session()
    browser = Client()
    browser.cookies[DETECTED_COOKIE] = cookie
    page = browser.get(reverse("sessions_app:public", kwargs={"code": session.code}))
    assert _footer(page).startswith(footer)


def test_registering_from_tokyo_keeps_the_zone_for_the_emails_and_the_pages_agree() -> None:
    session = _berlin_session()
    browser = _tokyo_browser()
    browser.post(
        reverse("sessions_app:register", kwargs={"code": session.code}),
        {"email": "aiko@example.org", "name": "Aiko"},
    )
    assert Registration.objects.get().time_zone == "Asia/Tokyo"
    outbox_dispatch()
    (sent,) = mail.outbox
    assert f"{TOKYO} · {BERLIN_BESIDE}" in sent.body
    assert f"{TOKYO} · {BERLIN_BESIDE}" in html_body(sent)
    assert TOKYO in sent.subject

    # The personal link, opened in the same browser, shows the same times.
    link = re.search(r"https://convene\.example(/join/[^\s]+/)", sent.body).group(1)
    assert browser.get(link).status_code == 302
    mine = browser.get(reverse("sessions_app:my_registration", kwargs={"code": session.code}))
    assert f"{TOKYO} · {BERLIN_BESIDE}" in _text(mine)
    assert (
        "The room opens at Thursday 26 November 2026, 02:20 Tokyo time · Wednesday 25 November, 18:20 in Berlin"
        in _text(mine)
    )

    # The waiting room, once it opens.
    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        enter(browser, session, name="Aiko")
        waiting = browser.get(room_url(session))
        assert "Waiting for host" in waiting.text
        assert f"{TOKYO} · {BERLIN_BESIDE}" in _text(waiting)
        assert _footer(waiting).startswith("Tokyo time")


def test_a_registration_without_a_known_zone_gets_emails_in_the_sessions_zone() -> None:
    session = _berlin_session()
    Client().post(
        reverse("sessions_app:register", kwargs={"code": session.code}),
        {"email": "ada@example.org", "name": "Ada"},
    )
    outbox_dispatch()
    (sent,) = mail.outbox
    assert BERLIN in sent.body
    assert " in Berlin" not in sent.body


def test_a_tokyo_browser_sees_the_commitment_pages_in_tokyo_time() -> None:
    session = _berlin_session()
    session.module = ModuleFactory(program=session.program, is_activated=True)
    session.save()
    browser = _tokyo_browser()
    landing = browser.get(reverse("commitments:session", kwargs={"code": session.code}))
    assert f"{TOKYO} · {BERLIN_BESIDE}" in _text(landing)
    form = browser.get(reverse("commitments:new", kwargs={"code": session.code}))
    assert '<option value="Asia/Tokyo" selected>' in form.text


def test_a_host_sees_their_programs_zone_when_they_chose_none(host_client: Client, host) -> None:
    program = hosted_program(user=host, time_zone="Europe/Berlin")
    round_ = round_schedule(
        program=program,
        opt_in_at=None,
        match_at=STARTS_AT,
        time_zone="Europe/Berlin",
        now=NOW,
    )
    page = host_client.get(
        reverse("programs:round_detail", kwargs={"program_id": program.pk, "round_id": round_.pk})
    )
    assert "Wed 25 Nov 2026, 18:30 Berlin time" in _text(page)
    assert "UTC" not in _text(page).split("Times are shown in")[0].replace("UTC+01:00", "")
    assert _footer(page).startswith("Berlin time (Europe/Berlin, UTC+01:00), the round's zone.")

    planning = host_client.get(reverse("programs:planning") + "?view=list&date=2026-11-25")
    assert "Wed 25 Nov 2026, 18:30 Berlin time" in _text(planning)
    assert _footer(planning).startswith(
        "Berlin time (Europe/Berlin, UTC+01:00), the program's zone."
    )


def test_the_opt_in_email_and_the_page_it_opens_agree() -> None:
    program = hosted_program(time_zone="Europe/Berlin")
    MemberFactory(program=program, email="ny@example.org", time_zone="America/New_York")
    round_schedule(
        program=program, opt_in_at=NOW, match_at=STARTS_AT, time_zone="Europe/Berlin", now=NOW
    )
    outbox_dispatch(now=NOW)
    (sent,) = mail.outbox
    moment = "Wednesday 25 November 2026, 12:30 New York time · 18:30 in Berlin"
    assert moment in sent.body
    link = re.search(r"https://convene\.example(/\S+)", sent.body.split("Yes, match me:")[1])
    page = Client().get(link.group(1), follow=True)
    assert moment in _text(page)
    assert _footer(page).startswith("New York time (America/New_York, UTC-05:00), your zone on")


def test_the_zone_picker_lists_canonical_zones_with_offsets_likely_ones_first() -> None:
    browser = _tokyo_browser()
    page = browser.get(reverse("programs:set_time_zone"))
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page.text)
    names = [value for value, _ in options]
    assert names[0] == "Asia/Tokyo"
    assert options[0][1] == "Tokyo — Asia/Tokyo (UTC+09:00)"
    assert "Asia/Seoul" in names[:10]  # the same offset, next
    assert "Berlin — Europe/Berlin (UTC+01:00)" in dict(options).values()
    for alias in ("US/Eastern", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+5", "GB"):
        assert alias not in names
    assert set(names) == set(canonical_time_zones())
    assert "data-zone-picker" in page.text
    assert not set(time_zone_aliases()) & canonical_time_zones()


@pytest.mark.parametrize(
    ("viewer", "event", "starts_at", "minutes", "expected"),
    [
        # A day long: the event's own span ends the next day, and says which.
        (
            "Asia/Tokyo",
            "UTC",
            datetime(2026, 12, 3, 23, 55, tzinfo=UTC),
            1440,
            "Friday 4 December 2026, 08:55 to Saturday 5 December 2026, 08:55 Tokyo time"
            " · Thursday 3 December, 23:55 to Fri 4 Dec, 23:55 UTC",
        ),
        # Past midnight only where the event is.
        (
            "Europe/Berlin",
            "Pacific/Pago_Pago",
            datetime(2026, 12, 25, 10, 30, tzinfo=UTC),
            60,
            "Friday 25 December 2026, 11:30 to 12:30 Berlin time"
            " · Thursday 24 December, 23:30 to Fri 25 Dec, 00:30 in Pago Pago",
        ),
    ],
)
def test_a_span_past_midnight_in_the_events_zone_names_the_day_it_ends(
    viewer, event, starts_at, minutes, expected
) -> None:
    from programs.timezones import moment_text

    text = moment_text(
        starts_at,
        viewer_zone=viewer,
        event_zone=event,
        end=starts_at + timedelta(minutes=minutes),
    )
    assert str(text) == expected
