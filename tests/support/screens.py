"""The pages `make screenshots` photographs and the browser tests check with axe, at each width.

One list for every area: add a `Screen` to `SCREENS` (a name for the PNG and a function that
finds the page's address in the demo data that `load_demo` made) and it is photographed at
1280 and 390 px into `var/screenshots/<name>-<width>.png` and checked with axe-core at both
widths by `tests/browser/test_screens.py`. Pages are opened as the demo host, or signed out
as the visitor would: a guest, a participant or a program member comes in by their personal
link (made here by the app's own link functions from the demo rows), whose exchange redirects
to the page; `then` is what they do there before the photograph (follow a link, send a form).
Each screen and width gets a browser of its own, so no visitor's cookies reach another's page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.urls import reverse

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

WIDTHS = (1280, 390)
HEIGHTS = {1280: 900, 390: 844}
SCREENSHOTS_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@dataclass(frozen=True)
class Screen:
    name: str
    # The page's path (and query), looked up in the demo data; runs in the test's database.
    path: Callable[[], str]
    # Opened as the demo host (signed in), or as a visitor with no account.
    signed_in: bool = True
    # What the visitor does on the page before it is photographed; the response it leads to.
    then: Callable[[Page], Response | None] | None = None


def _history_program():
    from commitments.demo_insights import DEMO_HISTORY_PROGRAM
    from programs.models import Program

    return Program.objects.get(name=DEMO_HISTORY_PROGRAM)


def _program_insights() -> str:
    return reverse("programs:program_insights", args=[_history_program().pk]) + "?range=90"


def _all_insights() -> str:
    return reverse("programs:insights") + "?range=90"


def _commitment() -> str:
    from commitments.models import Commitment

    program = _history_program()
    # The first one with a reflection that was not ended early: every part of the page shows.
    commitment = (
        Commitment.objects.filter(module__program=program, ended_early_at__isnull=True)
        .exclude(reflection="")
        .order_by("created_at", "pk")
        .first()
    )
    return reverse("commitments:host_commitment", args=[program.pk, commitment.pk])


def _round_preview() -> str:
    from programs.models import Round, RoundState

    round_ = (
        # An open round first ("open" sorts before "scheduled"): it has people opted in.
        Round.objects.filter(state__in=[RoundState.SCHEDULED, RoundState.OPEN])
        .order_by("state", "match_at", "pk")
        .first()
    )
    return reverse("programs:round_grouping", args=[round_.program_id, round_.pk])


def _habits_lab():
    from config.management.commands.load_demo import DEMO_PROGRAM
    from programs.models import Program

    return Program.objects.get(name=DEMO_PROGRAM)


def _habits_session():
    """The Habits Lab session with the most registrations (the People page has rows)."""
    from django.db.models import Count

    from sessions_app.models import Session

    return (
        Session.objects.filter(program=_habits_lab())
        .annotate(people=Count("registrations"))
        .order_by("-people", "starts_at", "pk")
        .first()
    )


def _upcoming_session():
    from django.utils import timezone

    from sessions_app.models import Session

    return (
        Session.objects.filter(program=_habits_lab(), starts_at__gt=timezone.now())
        .order_by("starts_at", "pk")
        .first()
    )


def _session_page(name: str) -> Callable[[], str]:
    return lambda: reverse(f"sessions_app:{name}", args=[_habits_session().pk])


def _program_page(name: str) -> Callable[[], str]:
    return lambda: reverse(f"programs:{name}", args=[_habits_lab().pk])


def _matching_program():
    from programs.models import Round

    return Round.objects.order_by("pk").first().program


def _round_detail() -> str:
    from programs.models import Round

    round_ = Round.objects.filter(program=_matching_program()).order_by("-match_at", "pk").first()
    return reverse("programs:round_detail", args=[round_.program_id, round_.pk])


def _public(name: str) -> Callable[[], str]:
    return lambda: reverse(f"sessions_app:{name}", kwargs={"code": _upcoming_session().code})


def _path(url: str) -> str:
    """The path of a personal link the app made (absolute, for e-mails)."""
    return urlsplit(url).path


def _about_to_start():
    """The session the demo starts a few minutes ahead: its room is open for entry now."""
    from commitments.demo_actionable import ABOUT_TO_START
    from sessions_app.models import Session

    return Session.objects.filter(program=_habits_lab(), title=ABOUT_TO_START).latest("starts_at")


def _week_ahead():
    """A Habits Lab session some days ahead: its room does not open yet."""
    from config.management.commands.load_demo import DEMO_SESSIONS
    from sessions_app.models import Session

    return Session.objects.get(program=_habits_lab(), title=DEMO_SESSIONS[1][0])


def _guest_link() -> str:
    from guests.selectors import guest_link_of, guest_url

    return _path(guest_url(guest_link_of(_about_to_start())))


def _join_link(session) -> str:
    from sessions_app.tokens import join_url

    return _path(join_url(session.registrations.order_by("pk").first()))


def _member_answer_link(*, matched: bool) -> str:
    """The e-mailed "Yes" link of a member of the insights program: of the open round, as one
    who said No so far (the page asks to confirm the change), or of the last matched round, as
    one who was matched."""
    from programs.models import Match, OptIn, OptInAnswer, Round, RoundState
    from programs.round_emails import opt_in_answer_url

    program = _history_program()
    if matched:
        round_ = Round.objects.filter(program=program, state=RoundState.MATCHED).latest("match_at")
        match = Match.objects.filter(round=round_).order_by("number").first()
        member = match.members.order_by("pk").first()
    else:
        round_ = Round.objects.get(program=program, state=RoundState.OPEN)
        member = (
            OptIn.objects.filter(round=round_, answer=OptInAnswer.NO).order_by("member_id").first()
        ).member
    return _path(opt_in_answer_url(round_=round_, member=member, answer="yes"))


def _member_pause_link() -> str:
    from programs.models import Member
    from programs.round_emails import member_status_url

    member = Member.objects.filter(program=_matching_program()).order_by("pk").first()
    return _path(member_status_url(member=member, action="pause"))


def _invitation_link() -> str:
    from programs.emails import invitation_url
    from programs.models import HostInvitation

    invitation = HostInvitation.objects.get(program=_habits_lab(), accepted_at__isnull=True)
    return _path(invitation_url(invitation))


def _commitment_link() -> str:
    """A participant's personal link to the Habits Lab commitment still running, checked in
    on some days but not today."""
    from commitments.emails import commitment_url
    from commitments.models import Commitment

    commitment = (
        Commitment.objects.filter(module__program=_habits_lab(), ended_early_at__isnull=True)
        .order_by("created_at", "pk")
        .first()
    )
    return _path(commitment_url(commitment))


def _click(role: str, name: str | re.Pattern[str]) -> Callable[[Page], Response | None]:
    def follow(page: Page) -> Response | None:
        with page.expect_navigation() as navigation:
            page.get_by_role(role, name=name, exact=True).click()  # type: ignore[arg-type]
        return navigation.value

    return follow


def _join_as(name: str | None) -> Callable[[Page], Response | None]:
    """Pre-join: keep the name (a registrant's is filled in) or type one, then join."""

    def join(page: Page) -> Response | None:
        if name is not None:
            page.get_by_label("Your name as others see it").fill(name)
        return _click("button", "Join the session")(page)

    return join


def _prejoin_then_wait(page: Page) -> Response | None:
    _click("link", "Join the session")(page)
    return _join_as(None)(page)


def _check_in(page: Page) -> Response | None:
    page.get_by_label("Yes, done").check()
    page.get_by_label("How did it go? (optional)").select_option("8")
    page.get_by_label("Note (optional)").fill("Ten minutes before breakfast")
    # "Update check-in" once the demo's own check-in of today is there (after 20:00).
    return _click("button", re.compile(r"^(Check in|Update check-in)$"))(page)


SCREENS: list[Screen] = [
    # Hosts: programs, sessions by task, rounds, planning.
    Screen("programs", lambda: reverse("programs:dashboard")),
    Screen("program-overview", _program_page("overview")),
    Screen(
        "session-create", lambda: reverse("sessions_app:session_create", args=[_habits_lab().pk])
    ),
    Screen("session-overview", _session_page("dashboard")),
    Screen("session-people", _session_page("session_people")),
    Screen("session-questions", _session_page("session_questions")),
    Screen("session-emails", _session_page("session_emails")),
    Screen("session-room", _session_page("session_room")),
    Screen("session-share", _session_page("session_share")),
    Screen("my-sessions", lambda: reverse("sessions_app:my_sessions")),
    Screen("email-settings", lambda: reverse("sessions_app:email_settings")),
    Screen("members", lambda: reverse("programs:member_list", args=[_matching_program().pk])),
    Screen("rounds", lambda: reverse("programs:round_list", args=[_matching_program().pk])),
    Screen("round", _round_detail),
    Screen("planning", lambda: reverse("programs:planning")),
    # Participants: the session page, registration, a commitment's start.
    Screen("public-session", _public("public"), signed_in=False),
    Screen("public-register", _public("register"), signed_in=False),
    Screen("public-start", lambda: reverse("commitments:start"), signed_in=False),
    Screen("session-id", lambda: reverse("sessions_app:lookup"), signed_in=False),
    # A registrant's personal link: their registration, then the pre-join and waiting room of
    # the session about to start (no media server is needed before the host starts it).
    Screen(
        "participant-registration",
        lambda: _join_link(_week_ahead()),
        signed_in=False,
    ),
    Screen(
        "participant-prejoin",
        lambda: _join_link(_about_to_start()),
        signed_in=False,
        then=_click("link", "Join the session"),
    ),
    Screen(
        "participant-waiting",
        lambda: _join_link(_about_to_start()),
        signed_in=False,
        then=_prejoin_then_wait,
    ),
    # A participant's commitment from its e-mailed link, and today's check-in sent.
    Screen("commitment", _commitment_link, signed_in=False),
    Screen("commitment-checked-in", _commitment_link, signed_in=False, then=_check_in),
    Screen(
        "commitment-end",
        _commitment_link,
        signed_in=False,
        then=_click("link", "End this commitment"),
    ),
    # Guests: the guest link's pre-join, then waiting for the host.
    Screen("guest-entry", _guest_link, signed_in=False),
    Screen("guest-waiting", _guest_link, signed_in=False, then=_join_as("Sam Guest")),
    # Program members, from their e-mails: a round's Yes link, after matching, pausing.
    Screen("member-round-answer", lambda: _member_answer_link(matched=False), signed_in=False),
    Screen("member-round-matched", lambda: _member_answer_link(matched=True), signed_in=False),
    Screen("member-pause", _member_pause_link, signed_in=False),
    # Someone invited to co-host a program, without an account yet.
    Screen("host-invitation", _invitation_link, signed_in=False),
    # Insights.
    Screen("insights-program", _program_insights),
    Screen("insights-all-programs", _all_insights),
    Screen("insights-commitment", _commitment),
    Screen("insights-round-preview", _round_preview),
]


def screenshot_path(screen: Screen, width: int, directory: Path | None = None) -> Path:
    return (directory or SCREENSHOTS_DIR) / f"{screen.name}-{width}.png"
