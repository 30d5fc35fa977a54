"""Every URL's first path segment names the app that serves it (ARCHITECTURE.md, URLs); the
addresses that moved redirect permanently, and the links e-mailed or shared keep theirs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from commitments.emails import commitment_url
from commitments.templatetags.commitments_tags import (
    session_direct_url,
    session_qr_url,
    session_start_url,
)
from guests.selectors import guest_url
from guests.services import guest_link_for
from programs.emails import invitation_url
from programs.round_emails import member_status_url, opt_in_answer_url
from reminders.unsubscribe import unsubscribe_token, unsubscribe_url
from sessions_app.ics import session_public_url
from sessions_app.models import CalendarFeed
from sessions_app.tokens import cancel_url, feed_url, join_url, personal_ics_url
from tests.factories import (
    CommitmentFactory,
    HostInvitationFactory,
    MemberFactory,
    ModuleFactory,
    QuestionFactory,
    RegistrationFactory,
    RoundFactory,
    SessionFactory,
    hosted_program,
)

PROJECT_APPS = ("programs", "sessions_app", "guests", "commitments", "reminders")
# "config" stands for the project's own URLs and Django's (admin, auth) mounted by config/urls.py.
PREFIXES = {
    "config": {"", "healthz", "favicon.ico", "admin", "accounts"},
    "programs": {
        "programs",
        "brand",
        "planning",
        "insights",
        "rounds",
        "membership",
        "invitations",
        "signup",
        "time-zone",
    },
    "sessions_app": {"sessions", "s", "room", "session-id", "join", "calendar", "media"},
    "guests": {"g", "guests"},
    "commitments": {"start", "commitments"},
    "reminders": {"anymail", "mail", "dev"},
}


def _owner(urlconf: object, inherited: str) -> str:
    """The app of a URLconf: the project app whose module it is, else config (Django's own)."""
    if isinstance(urlconf, str):
        name = urlconf
    elif isinstance(urlconf, ModuleType):
        name = urlconf.__name__
    else:  # a list of patterns (the admin's): the URLconf that mounted it
        return inherited
    top = name.split(".", 1)[0]
    return top if top in PROJECT_APPS else "config"


def _patterns(
    resolver: URLResolver | None = None, prefix: str = "", owner: str = "config"
) -> Iterator[tuple[str, str]]:
    """(full route, owning app) for every URL pattern, recursing into includes."""
    resolver = resolver or get_resolver()
    owner = _owner(resolver.urlconf_name, owner)
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route, owner)
        elif isinstance(pattern, URLPattern):
            yield route.removesuffix("$"), owner


def _first_segment(route: str) -> str:
    segment = route.split("/", 1)[0]
    assert not set(segment) & set("<>()[]?*+\\"), f"{route}: the first segment is no literal"
    return segment


def test_each_first_path_segment_belongs_to_one_app() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    routes = list(_patterns())
    for route, owner in routes:
        owners[_first_segment(route)].add(owner)
    shared = {segment: apps for segment, apps in owners.items() if len(apps) > 1}
    assert shared == {}
    found: dict[str, set[str]] = defaultdict(set)
    for segment, apps in owners.items():
        found[apps.pop()].add(segment)
    assert found == PREFIXES
    assert len(routes) > 100  # the walk reached into every include, the admin's too


def test_the_walk_sees_a_segment_shared_by_two_apps() -> None:
    # The rule is not vacuous: an app's pattern under another's prefix is attributed to it.
    routes = dict(_patterns())
    assert routes["g/<str:code>/enter/"] == "guests"
    assert routes["s/<str:code>/guest/"] == "sessions_app"  # the old address, kept by s/'s app
    assert routes["accounts/signup/"] == "config"


@pytest.fixture
def world(host):
    program = hosted_program(user=host)
    module = ModuleFactory(program=program, is_activated=True)
    session = SessionFactory(program=program, module=module, created_by=host)
    return {
        "program": program,
        "module": module,
        "session": session,
        "question": QuestionFactory(module=module),
        "commitment": CommitmentFactory(module=module, session=session),
    }


def _moved(world) -> list[tuple[str, str]]:
    """(old address, new address) of every page that moved."""
    program, module, session = world["program"], world["module"], world["session"]
    question, commitment = world["question"], world["commitment"]
    p, m, s, q = program.pk, module.pk, session.pk, question.pk
    ids = {"program_id": p, "module_id": m}
    question_ids = {**ids, "question_id": q}
    session_ids = {"program_id": p, "session_id": s}
    return [
        # Pages visitors reach.
        (f"/s/{session.code}/guest/", reverse("guests:enter", kwargs={"code": session.code})),
        ("/accounts/signup/", reverse("programs:signup")),
        # Hosts' pages (bookmarks).
        (
            f"/programs/{p}/sessions/new/",
            reverse("sessions_app:session_create", kwargs={"program_id": p}),
        ),
        (
            f"/sessions/{s}/guest-link/regenerate/",
            reverse("guests:regenerate", kwargs={"session_id": s}),
        ),
        (f"/programs/{p}/modules/{m}/questions/", reverse("commitments:questions", kwargs=ids)),
        (
            f"/programs/{p}/modules/{m}/questions/{q}/edit/",
            reverse("commitments:question_edit", kwargs=question_ids),
        ),
        (
            f"/programs/{p}/modules/{m}/questions/{q}/move/",
            reverse("commitments:question_move", kwargs=question_ids),
        ),
        (
            f"/programs/{p}/modules/{m}/questions/{q}/archive/",
            reverse("commitments:question_archive", kwargs=question_ids),
        ),
        (
            f"/programs/{p}/modules/{m}/commitments/",
            reverse("commitments:module_commitments", kwargs=ids),
        ),
        (
            f"/programs/{p}/sessions/{s}/commitments/",
            reverse("commitments:session_commitments", kwargs=session_ids),
        ),
        (
            f"/programs/{p}/commitments/{commitment.pk}/",
            reverse(
                "commitments:host_commitment",
                kwargs={"program_id": p, "commitment_id": commitment.pk},
            ),
        ),
        (
            f"/programs/{p}/sessions/{s}/start-qr.png",
            reverse("commitments:session_qr", kwargs={**session_ids, "image_format": "png"}),
        ),
    ]


@pytest.mark.django_db
def test_each_old_address_redirects_permanently_to_its_new_one(world) -> None:
    client = Client()
    for old, new in _moved(world):
        assert old != new
        response = client.get(old)
        assert (response.status_code, response["Location"]) == (301, new), old
        response = client.get(f"{old}?via=qr&next=/x/")
        assert (response.status_code, response["Location"]) == (301, f"{new}?via=qr&next=/x/")
        assert client.head(old).status_code == 301
        assert resolve(new).url_name  # the new address is a named page, not another redirect


@pytest.mark.django_db
def test_a_form_posted_to_an_old_address_is_posted_again_to_the_new_one(world) -> None:
    for old, new in _moved(world):
        response = Client().post(old, {"direction": "up"})
        assert (response.status_code, response["Location"]) == (308, new), old


@pytest.mark.django_db
def test_the_moved_pages_answer_at_their_new_address(host_client: Client, world) -> None:
    host_client.get(guest_url(guest_link_for(session=world["session"])))  # the guest entry's key
    for old, new in _moved(world):
        response = host_client.get(old, follow=True)
        assert response.redirect_chain[0] == (new, 301)
        assert response.status_code in {200, 405}, old  # 405: a POST-only action


@pytest.mark.django_db
def test_links_emailed_or_shared_keep_their_address(world) -> None:
    """Every link that leaves the site (e-mails, the Share page, calendars, QR codes) is served
    where it always was: none of them needed a redirect."""
    session = world["session"]
    registration = RegistrationFactory(session=session)
    member = MemberFactory(program=world["program"])
    round_ = RoundFactory(program=world["program"])
    feed = CalendarFeed.objects.create(user=session.created_by)
    rounds_token = unsubscribe_token(stream="rounds", obj=member)
    links = {
        join_url(registration): "sessions_app:join",
        cancel_url(registration): "sessions_app:join_cancel",
        personal_ics_url(registration): "sessions_app:join_calendar",
        feed_url(feed): "sessions_app:calendar_feed",
        session_public_url(session): "sessions_app:public",
        guest_url(guest_link_for(session=session)): "guests:exchange",
        session_start_url(session): "commitments:start",
        session_direct_url(session): "commitments:session",
        session_qr_url(session): "commitments:session",
        commitment_url(world["commitment"]): "commitments:link",
        invitation_url(HostInvitationFactory(program=world["program"])): "programs:invitation",
        opt_in_answer_url(round_=round_, member=member, answer="yes"): "programs:opt_in_answer",
        member_status_url(member=member, action="pause"): "programs:member_self_service",
        unsubscribe_url(stream="rounds", token=rounds_token): "reminders:unsubscribe",
    }
    old_forms = {
        "sessions_app:join": "/join/",
        "sessions_app:join_cancel": "/join/",
        "sessions_app:join_calendar": "/join/",
        "sessions_app:calendar_feed": "/calendar/",
        "sessions_app:public": f"/s/{session.code}/",
        "guests:exchange": "/g/",
        "commitments:start": "/start/",
        "commitments:session": f"/start/{session.code}/",
        "commitments:link": "/commitments/link/",
        "programs:invitation": "/invitations/",
        "programs:opt_in_answer": f"/rounds/{round_.pk}/answer/",
        "programs:member_self_service": "/membership/",
        "reminders:unsubscribe": "/mail/unsubscribe/rounds/",
    }
    for url, name in links.items():
        path = urlsplit(url).path
        assert resolve(path).view_name == name, url
        assert path.startswith(old_forms[name]), url


@pytest.mark.django_db
def test_the_guest_cookie_covers_the_guest_entry(world) -> None:
    session = world["session"]
    response = Client().get(guest_url(guest_link_for(session=session)))
    entry = reverse("guests:enter", kwargs={"code": session.code})
    assert (response.status_code, response["Location"]) == (302, entry)
    cookie = response.cookies[f"convene_guest_{session.pk}"]
    assert entry.startswith(cookie["path"]) and cookie["httponly"]
