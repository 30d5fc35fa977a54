"""The start link: Session ID lookup, its guessing limit, and the private-label host name."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client

from sessions_app.guard import lookup_limits
from tests.factories import ModuleFactory, ProgramFactory, SessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_session():
    module = ModuleFactory(is_activated=True, title="Sleep well")
    return SessionFactory(program=module.program, module=module, title="Evening routines")


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: f"{code[:4]}-{code[4:]}".lower(),
        lambda code: f"  {code[:2]} {code[2:5]} - {code[5:]} ",
        # Phones and word processors turn "-" into a typographic dash; CJK keyboards type
        # full-width letters and digits.
        lambda code: f"{code[:4]}\u2013{code[4:]}",
        lambda code: f"{code[:4]}\u2014{code[4:]}",
        lambda code: "".join(chr(ord(c) + 0xFEE0) for c in code.lower()),
    ],
    ids=["stored", "lower-case", "dashed", "spaces-and-dashes", "en-dash", "em-dash", "full-width"],
)
def test_typing_the_session_id_in_any_form_lands_on_the_session(
    client: Client, open_session, typed
) -> None:
    response = client.post("/start/", {"code": typed(open_session.code)}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"/start/{open_session.code}/?via=id"
    page = response.content.decode()
    assert "Evening routines" in page
    assert "Create your commitment" in page


def test_session_time_is_shown_in_the_sessions_own_zone(client: Client) -> None:
    module = ModuleFactory(is_activated=True)
    session = SessionFactory(
        program=module.program,
        module=module,
        starts_at=datetime(2026, 7, 1, 16, 0, tzinfo=UTC),
        time_zone="America/New_York",
    )
    page = client.get(f"/start/{session.code}/").content.decode()
    assert "Wednesday 1 July 2026, 12:00" in page
    assert "America/New_York" in page


def test_a_session_id_typed_into_the_address_bar_redirects_to_the_canonical_address(
    client: Client, open_session
) -> None:
    response = client.get(f"/start/{open_session.code.lower()}/")
    assert response.status_code == 302
    assert response["Location"] == f"/start/{open_session.code}/"


def test_an_unknown_session_id_gets_a_clear_message(client: Client, open_session) -> None:
    response = client.post("/start/", {"code": "ZZZZ-9999"})
    assert response.status_code == 404
    assert "No session has the ID “ZZZZ-9999”" in response.content.decode()
    response = client.post("/start/", {"code": "not a code at all!"})
    assert response.status_code == 404
    assert response.status_code == client.get("/start/ZZZZ9999/").status_code


def test_an_empty_session_id_asks_for_one(client: Client) -> None:
    response = client.post("/start/", {"code": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_a_session_whose_module_is_not_activated_is_not_open_yet(client: Client) -> None:
    module = ModuleFactory(is_activated=False)
    session = SessionFactory(program=module.program, module=module)
    for path in (f"/start/{session.code}/", f"/start/{session.code}/commit/"):
        page = client.get(path).content.decode()
        assert "Not open yet" in page
        assert "Create your commitment" not in page
    response = client.post(
        f"/start/{session.code}/commit/",
        {"participant_name": "A", "participant_email": "a@example.org", "time_zone": "UTC"},
    )
    assert "Not open yet" in response.content.decode()
    assert session.commitments.count() == 0


def test_a_session_without_a_module_says_commitments_are_not_available(client: Client) -> None:
    session = SessionFactory(module=None)
    page = client.get(f"/start/{session.code}/").content.decode()
    assert "Commitments are not available" in page


def _miss(client: Client, number: int):
    return client.post("/start/", {"code": f"ZZZZ-{number:04d}".replace("0", "Z")})


def test_guessing_is_limited_per_client_with_a_clear_429_page(client: Client, open_session) -> None:
    for attempt in range(lookup_limits()[0]):
        assert _miss(client, attempt).status_code == 404
    response = _miss(client, 99)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    assert "Too many tries" in response.content.decode()
    assert "Please wait" in response.content.decode()
    # Once blocked, a right code is refused too, so hits cannot be told from misses.
    blocked = client.post("/start/", {"code": open_session.code})
    assert blocked.status_code == 429
    assert client.get(f"/start/{open_session.code}/").status_code == 429
    # Another client is not affected.
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert other.post("/start/", {"code": open_session.code}).status_code == 302


def test_right_codes_do_not_count_towards_the_limit(client: Client, open_session) -> None:
    for _ in range(lookup_limits()[0] * 2):
        assert client.get(f"/start/{open_session.code}/").status_code == 200


def test_the_guessing_limit_holds_on_redis(client: Client, open_session, redis_url: str) -> None:
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    for attempt in range(lookup_limits()[0]):
        assert _miss(client, attempt).status_code == 404
    assert _miss(client, 99).status_code == 429


def test_a_branded_host_name_shows_the_programs_brand(client: Client) -> None:
    program = ProgramFactory(
        brand_name="Habit Lab", brand_colour="#7c3aed", start_host_name="start.habitlab.example"
    )
    module = ModuleFactory(program=program, is_activated=True)
    session = SessionFactory(program=program, module=module)

    branded = client.get("/start/", HTTP_HOST="start.habitlab.example").content.decode()
    assert "Habit Lab" in branded
    assert "--brand: #7c3aed" in branded
    landing = client.get(f"/start/{session.code}/", HTTP_HOST="Start.HabitLab.example:443")
    assert "Habit Lab" in landing.content.decode()

    plain = client.get("/start/", HTTP_HOST="convene.example").content.decode()
    assert "Habit Lab" not in plain
    assert "--brand:" not in plain


def test_a_branded_host_names_its_brand_in_the_page_title(client: Client) -> None:
    ProgramFactory(brand_name="Habit Lab", start_host_name="start.habitlab.example")
    branded = client.get("/start/", HTTP_HOST="start.habitlab.example").content.decode()
    assert "<title>Join with a Session ID · Habit Lab</title>" in branded
    plain = client.get("/start/", HTTP_HOST="convene.example").content.decode()
    assert "<title>Join with a Session ID · Convene</title>" in plain
    # The brand in the header leads participants to the Session ID page, not to host sign-in.
    assert '<a class="brand" href="/start/">' in branded
    assert '<a class="brand" href="/">' in plain


def test_a_branded_host_name_finds_only_its_own_programs_sessions(client: Client) -> None:
    ProgramFactory(brand_name="Habit Lab", start_host_name="start.habitlab.example")
    module = ModuleFactory(is_activated=True)
    other_session = SessionFactory(program=module.program, module=module)
    response = client.post(
        "/start/", {"code": other_session.code}, HTTP_HOST="start.habitlab.example"
    )
    assert response.status_code == 404
    assert client.post("/start/", {"code": other_session.code}).status_code == 302


def test_the_landing_page_offers_the_session_itself_only_while_it_can_still_be_attended(
    client,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import ModuleFactory, SessionFactory

    module = ModuleFactory(is_activated=True)
    upcoming = SessionFactory(
        program=module.program, module=module, starts_at=timezone.now() + timedelta(days=1)
    )
    past = SessionFactory(
        program=module.program, module=module, starts_at=timezone.now() - timedelta(days=3)
    )
    assert "Want to attend the session itself?" in client.get(f"/start/{upcoming.code}/").text
    page = client.get(f"/start/{past.code}/").text
    assert "Create your commitment" in page
    assert "Want to attend the session itself?" not in page


def test_the_landing_page_says_when_the_session_was_cancelled(client, open_session) -> None:
    assert "was cancelled" not in client.get(f"/start/{open_session.code}/").text
    open_session.state = "cancelled"
    open_session.save(update_fields=["state"])
    page = client.get(f"/start/{open_session.code}/").text
    assert "This session was cancelled" in page
    assert "Want to attend the session itself?" not in page


def test_misses_on_session_pages_and_on_start_share_one_guessing_limit(client, settings) -> None:
    from tests.factories import ModuleFactory, SessionFactory

    settings.SESSION_LOOKUP_MISSES = 4
    session = SessionFactory(module=ModuleFactory(is_activated=True))
    for index in range(2):
        assert client.get(f"/s/ZZZZZZZ{index}/").status_code == 404
    for index in range(2):
        assert client.get(f"/start/ZZZZZZY{index}/").status_code == 404
    assert client.get("/start/ZZZZZZX0/").status_code == 429  # the fifth miss, on either page
    assert client.get(f"/start/{session.code}/").status_code == 429  # a real ID tells nothing now
    assert client.get(f"/s/{session.code}/").status_code == 429
