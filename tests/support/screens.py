"""The pages `make screenshots` photographs and the browser tests check with axe, at each width.

One list for every area: add a `Screen` to `SCREENS` (a name for the PNG and a function that
finds the page's address in the demo data that `load_demo` made) and it is photographed at
1280 and 390 px into `var/screenshots/<name>-<width>.png` and checked with axe-core at both
widths by `tests/browser/test_screens.py`. Pages are opened as the demo host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.urls import reverse

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
    # Insights.
    Screen("insights-program", _program_insights),
    Screen("insights-all-programs", _all_insights),
    Screen("insights-commitment", _commitment),
    Screen("insights-round-preview", _round_preview),
]


def screenshot_path(screen: Screen, width: int, directory: Path | None = None) -> Path:
    return (directory or SCREENSHOTS_DIR) / f"{screen.name}-{width}.png"
