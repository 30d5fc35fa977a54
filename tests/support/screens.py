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


SCREENS: list[Screen] = [
    Screen("insights-program", _program_insights),
    Screen("insights-all-programs", _all_insights),
    Screen("insights-commitment", _commitment),
    Screen("insights-round-preview", _round_preview),
]


def screenshot_path(screen: Screen, width: int, directory: Path | None = None) -> Path:
    return (directory or SCREENSHOTS_DIR) / f"{screen.name}-{width}.png"
