"""Rooms on a real Janus: media flows after Start, and the server enforces Remove, End and webinars.

Each test starts its own Janus on spare loopback ports (`janus` fixture), and Chromium with
a fake camera and microphone using loopback ICE candidates only, so no media leaves
127.0.0.1. Host and attendee are two browser contexts.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sessions_app.media.janus import JanusBackend, credential_for, room_secret
from sessions_app.models import Attendance, SessionTheme
from sessions_app.tokens import join_token
from tests.factories import TEST_PASSWORD, RegistrationFactory, UserFactory, hosted_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REMOTE_VIDEOS = """() => Array.from(document.querySelectorAll('video[data-testid=remote-video]'))
  .map(video => [video.videoWidth, video.currentTime])"""


def remote_video_plays(page: object, *, within: float) -> float:
    """Waits until a remote <video> has a width and its time advances; answers when (s)."""
    started = time.monotonic()
    seen: float | None = None
    while time.monotonic() - started < within:
        try:
            playing = [t for width, t in page.evaluate(REMOTE_VIDEOS) if width > 0]
        except Exception:  # the waiting page moved into the room meanwhile
            page.wait_for_timeout(50)
            continue
        if playing:
            if seen is None:
                seen = max(playing)
            elif max(playing) > seen + 0.1:
                return time.monotonic() - started
        page.wait_for_timeout(50)
    try:
        seen_now = page.evaluate(REMOTE_VIDEOS)
    except Exception:  # the page is navigating
        seen_now = "?"
    raise AssertionError(f"no remote video played within {within} s (remote videos: {seen_now})")


def no_remote_video_plays(page: object, *, within: float) -> None:
    """Within `within` seconds the page plays no remote video (left, or its streams stopped)."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        try:
            first = [t for width, t in page.evaluate(REMOTE_VIDEOS) if width > 0]
            page.wait_for_timeout(300)
            later = [t for width, t in page.evaluate(REMOTE_VIDEOS) if width > 0]
        except Exception:  # the page navigated away between two reads
            continue
        if not later or (first and max(later) <= max(first)):
            return
    raise AssertionError(f"a remote video still played after {within} s")


class Responses:
    """Every response a browser context received, to check what a browser could read."""

    def __init__(self, context: object) -> None:
        self.seen: list[object] = []
        context.on("response", lambda response: self.seen.append(response))

    def texts(self) -> list[str]:
        texts = []
        for response in self.seen:
            headers = " ".join(f"{k}: {v}" for k, v in response.headers.items())
            try:
                body = response.body().decode("utf-8", "replace")
            except Exception:  # redirects and aborted requests have no body
                body = ""
            texts.append(f"{response.url}\n{headers}\n{body}")
        return texts


def host_context(browser: object, live_server: object, host: object) -> object:
    client = Client()
    assert client.login(username=host.email, password=TEST_PASSWORD)
    context = browser.new_context()
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return context


def attendee_enters(context: object, live_server: object, registration: object) -> object:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"{live_server.url}/join/{join_token(registration)}/")
    page.get_by_role("link", name="Join the session").click()
    page.get_by_role("button", name="Join the session").click()
    expect(page.get_by_role("heading", name="Waiting for host")).to_be_visible()
    return page


def _meeting(theme: str = SessionTheme.MEETING) -> tuple[object, object, object]:
    host = UserFactory(first_name="Hanna", last_name="Host")
    session = hosted_session(
        user=host,
        title="Interview",
        theme=theme,
        starts_at=timezone.now() + timedelta(minutes=5),
        is_recorded=False,
    )
    registration = RegistrationFactory(session=session, name="Ada Attendee")
    return host, session, registration


def _start(host_page: object, live_server: object, session: object) -> float:
    host_page.goto(f"{live_server.url}/sessions/{session.pk}/room/")
    started = time.monotonic()
    host_page.get_by_role("button", name="Start the session").click()
    return started


def test_after_start_host_and_attendee_receive_each_others_video(
    live_server, media_browser, janus
) -> None:
    from playwright.sync_api import expect

    host, session, registration = _meeting()
    attendee = media_browser.new_context()
    attendee_responses = Responses(attendee)
    page = attendee_enters(attendee, live_server, registration)
    hosting = host_context(media_browser, live_server, host)
    host_responses = Responses(hosting)
    host_page = hosting.new_page()
    started = _start(host_page, live_server, session)

    # The waiting attendee is placed in within 3 s, and video flows both ways within 5 s.
    expect(page.get_by_test_id("room-media")).to_be_visible(timeout=3000)
    remote_video_plays(page, within=5 - (time.monotonic() - started))
    remote_video_plays(host_page, within=5 - (time.monotonic() - started))
    people = host_page.get_by_role("complementary", name="Participants")
    expect(people).to_contain_text("In the room (2)", timeout=8000)

    # The room's secret and the admin secret reach no browser, in any response.
    session.refresh_from_db()
    secret = room_secret(session)
    texts = attendee_responses.texts() + host_responses.texts()
    assert any("/room/media/" in text for text in texts)  # the credential responses are in
    assert not [text.split("\n")[0] for text in texts if secret in text]
    assert not [text.split("\n")[0] for text in texts if janus.config.admin_secret in text]
    hosting.close()
    attendee.close()


def test_removed_attendee_loses_media_and_cannot_return_until_let_back_in(
    live_server, media_browser, janus
) -> None:
    from playwright.sync_api import expect

    # Refused at the server from then on: that is what this test is about. The page's polls
    # and the media client's long-poll log those refusals in the console.
    media_browser.report.expect("htmx:afterRequest", "htmx:sendError", "/room/state/", "/janus/")
    host, session, registration = _meeting()
    attendee = media_browser.new_context()
    page = attendee_enters(attendee, live_server, registration)
    hosting = host_context(media_browser, live_server, host)
    host_page = hosting.new_page()
    started = _start(host_page, live_server, session)
    remote_video_plays(page, within=5 - (time.monotonic() - started))
    remote_video_plays(host_page, within=5)
    attendance = Attendance.objects.get(registration=registration)
    backend = JanusBackend.from_settings()
    credential = credential_for(attendance)
    assert backend.sessions_carrying({credential})

    # The attendee's page no longer hears from Convene (its heartbeat is cut): what stops
    # its streams is the media server alone.
    attendee.route("**/room/state/**", lambda route: route.abort())
    room_address = page.url
    host_page.get_by_role("button", name="Remove Ada Attendee").click()
    # At the server: no Janus session carries the credential, and it is no longer a token.
    deadline = time.monotonic() + 3
    while backend.sessions_carrying({credential}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not backend.sessions_carrying({credential})
    no_remote_video_plays(page, within=3)
    assert page.url == room_address  # still on the room page: the server stopped the media
    no_remote_video_plays(host_page, within=3)
    expect(host_page.get_by_role("list", name="Removed")).to_contain_text("Ada Attendee")

    # The same personal link in a fresh browser gets no media.
    fresh = media_browser.new_context()
    again = fresh.new_page()
    again.goto(f"{live_server.url}/join/{join_token(registration)}/")
    again.get_by_role("link", name="Join the session").click()
    again.get_by_role("button", name="Join the session").click()
    expect(again.get_by_text("A host removed you from this session.")).to_be_visible()
    assert again.get_by_test_id("room-media").count() == 0
    media = again.request.post(
        f"{live_server.url}/s/{session.code}/room/media/",
        headers={"X-CSRFToken": _csrf(fresh)},
    )
    assert media.status == 403
    # Nor does the old credential: the server refuses to open a session with it.
    refused = again.request.post(
        janus.config.api_url, data={"janus": "create", "transaction": "t1", "token": credential}
    )
    assert refused.json()["janus"] == "error"

    host_page.get_by_role("button", name="Let back in Ada Attendee").click()
    expect(host_page.get_by_role("list", name="Removed")).to_have_count(0)
    again.goto(f"{live_server.url}/s/{session.code}/enter/")
    again.get_by_role("button", name="Join the session").click()
    remote_video_plays(again, within=8)
    fresh.close()
    hosting.close()
    attendee.close()


def guest_enters(context: object, live_server: object, path: str, name: str) -> object:
    from playwright.sync_api import expect

    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    page.get_by_label("Your name as others see it").fill(name)
    # Guests come in with their microphone only: what is checked is what they receive.
    page.get_by_label("Join with my camera on").uncheck()
    page.get_by_role("button", name="Join the session").click()
    expect(page.get_by_role("heading", name="Waiting for host")).to_be_visible()
    return page


def test_a_removed_guest_cannot_return_with_the_guest_link_until_let_back_in(
    live_server, media_browser, janus
) -> None:
    from playwright.sync_api import expect

    from guests.selectors import guest_token
    from guests.services import guest_link_for

    # Refused at the server from then on: that is what this test is about.
    media_browser.report.expect("htmx:afterRequest", "htmx:sendError", "/room/state/", "/janus/")
    host, session, _ = _meeting()
    old_path = f"/g/{guest_token(guest_link_for(session=session))}/"
    removed = media_browser.new_context()
    grace = guest_enters(removed, live_server, old_path, "Grace Guest")
    # Gus came through the same link; a plain client (two media browsers are what a shared
    # 2-core machine carries), whose credential is checked at Janus itself.
    gus = Client()
    gus.get(old_path)
    gus.post(f"/g/{session.code}/enter/", {"name": "Gus Guest"})
    hosting = host_context(media_browser, live_server, host)
    host_page = hosting.new_page()
    _start(host_page, live_server, session)
    # The start-to-media time is another test's: here only that media flows at all.
    remote_video_plays(grace, within=30)
    credential = credential_for(Attendance.objects.get(name="Grace Guest"))
    backend = JanusBackend.from_settings()

    # Only the media server can stop Grace's streams: her page's heartbeat is cut.
    removed.route("**/room/state/**", lambda route: route.abort())
    host_page.get_by_role("button", name="Remove Grace Guest").click()
    removed_at = time.monotonic()
    no_remote_video_plays(grace, within=3)
    assert time.monotonic() - removed_at < 3.5
    assert not backend.sessions_carrying({credential})
    # The host is told, and the host room shows the new link.
    expect(
        host_page.get_by_text("The guest link they came in with no longer works")
    ).to_be_visible()
    new_path = f"/g/{guest_token(guest_link_for(session=session))}/"
    assert new_path != old_path
    assert new_path in host_page.get_by_label("For guests still to join").input_value()

    # The same guest link in a fresh browser gets no page and no media.
    fresh = media_browser.new_context()
    again = fresh.new_page()
    response = again.goto(f"{live_server.url}{old_path}")
    assert response.status == 410
    expect(again.get_by_role("heading", name="This link is no longer valid")).to_be_visible()
    again.goto(f"{live_server.url}/g/{session.code}/enter/")
    assert again.get_by_test_id("room-media").count() == 0
    media = again.request.post(
        f"{live_server.url}/s/{session.code}/room/media/", headers={"X-CSRFToken": _csrf(fresh)}
    )
    assert media.status == 403

    # Gus keeps his place: his room page, a credential, and Janus takes it.
    assert gus.get(f"/s/{session.code}/room/").status_code == 200
    grant = gus.post(f"/s/{session.code}/room/media/")
    assert grant.status_code == 200, grant.content
    opened = again.request.post(
        janus.config.api_url,
        data={"janus": "create", "transaction": "gus", "token": grant.json()["credential"]},
    )
    assert opened.json()["janus"] == "success", opened.json()

    # Let back in: Grace comes back from her browser and gets media again.
    removed.unroute("**/room/state/**")
    host_page.get_by_role("button", name="Let back in Grace Guest").click()
    expect(host_page.get_by_role("list", name="Removed")).to_have_count(0)
    grace.goto(f"{live_server.url}/s/{session.code}/enter/")
    grace.get_by_role("button", name="Join the session").click()
    remote_video_plays(grace, within=30)
    for context in (fresh, hosting, removed):
        context.close()


def _csrf(context: object) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")


def test_end_for_all_stops_every_stream_and_destroys_the_room_at_the_server(
    live_server, media_browser, janus
) -> None:
    # Refused at the server from then on: that is what this test is about. The page's polls
    # and the media client's long-poll log those refusals in the console.
    media_browser.report.expect("htmx:afterRequest", "htmx:sendError", "/room/state/", "/janus/")
    host, session, registration = _meeting()
    attendee = media_browser.new_context()
    page = attendee_enters(attendee, live_server, registration)
    hosting = host_context(media_browser, live_server, host)
    host_page = hosting.new_page()
    started = _start(host_page, live_server, session)
    remote_video_plays(page, within=5 - (time.monotonic() - started))
    backend = JanusBackend.from_settings()
    assert backend.room_exists(session=session)

    # Only the media server can stop the attendee's streams: its heartbeat is cut.
    attendee.route("**/room/state/**", lambda route: route.abort())
    room_address = page.url
    host_page.get_by_role("link", name="End meeting for all").click()
    host_page.get_by_role("button", name="End meeting for all").click()
    ended = time.monotonic()
    no_remote_video_plays(page, within=3)
    assert time.monotonic() - ended < 3
    assert page.url == room_address
    assert not backend.room_exists(session=session)
    credentials = {credential_for(a) for a in Attendance.objects.filter(session=session)}
    assert not backend.sessions_carrying(credentials)
    hosting.close()
    attendee.close()


def test_a_webinar_attendee_watches_and_the_server_refuses_their_publishing(
    live_server, media_browser, janus
) -> None:
    host, session, registration = _meeting(theme=SessionTheme.WEBINAR)
    attendee = media_browser.new_context()
    page = attendee_enters(attendee, live_server, registration)
    hosting = host_context(media_browser, live_server, host)
    host_page = hosting.new_page()
    started = _start(host_page, live_server, session)
    remote_video_plays(page, within=5 - (time.monotonic() - started))

    # The attendee calls the client library directly: join as a publisher with its own
    # credential. VideoRoom answers 433 (not in the room's allowed list).
    answer = page.evaluate(
        """() => new Promise(resolve => {
          const room = window.conveneRoom;
          room.janus.attach({
            plugin: "janus.plugin.videoroom",
            success: handle => handle.send({message: {
              request: "join", ptype: "publisher", room: room.config.room,
              display: "sneaky", token: room.config.credential}}),
            error: error => resolve({error: String(error)}),
            onmessage: message => resolve(message),
          });
        })"""
    )
    assert answer.get("error_code") == 433, answer
    assert JanusBackend.from_settings().room_participants(session=session)
    assert all(
        p["display"] != "sneaky" and (p["publisher"] is False or p["display"] == "Hanna Host")
        for p in JanusBackend.from_settings().room_participants(session=session)
    )
    assert page.evaluate("() => window.conveneRoom.config.canPublish") is False
    hosting.close()
    attendee.close()
