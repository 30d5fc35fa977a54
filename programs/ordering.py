"""Rows kept in order among their siblings (modules, both kinds of questions, a waitlist):
where a new one goes, and moving one up or down."""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Max


def next_position(siblings: models.QuerySet, *, first_position: int = 0) -> int:
    """The position after the last of `siblings`, `first_position` when there are none. Call it
    with the parent row locked (`select_for_update`), so two rows added at once do not take the
    same position."""
    last = siblings.aggregate(last=Max("position"))["last"]
    return first_position if last is None else last + 1


def position_swap(
    *, siblings: models.QuerySet, pk: int, direction: str, first_position: int = 0
) -> bool:
    """Swap row `pk` with its neighbour above ("up") or below ("down") among `siblings`.

    False at the edge, or when `pk` is not among them. The siblings are locked and renumbered
    from `first_position` first, so gaps or ties left by deletions never block a move.
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be 'up' or 'down', not {direction!r}")
    with transaction.atomic():
        rows = list(siblings.select_for_update().order_by("position", "id"))
        index = next((i for i, row in enumerate(rows) if row.pk == pk), None)
        if index is None:
            return False
        other = index - 1 if direction == "up" else index + 1
        if other < 0 or other >= len(rows):
            return False
        rows[index], rows[other] = rows[other], rows[index]
        for position, row in enumerate(rows, start=first_position):
            row.position = position
        siblings.model.objects.bulk_update(rows, ["position"])
        return True
