"""Wall-clock times typed into a form, read in a zone the way every form reads them.

A time the clocks skip (spring forward) is refused with a clear message; a time that happens
twice (the clocks go back) is asked about: the form gains a "Which 02:30?" question naming
both offsets, and the answer decides. The session form and the round form share this, so the
same typed time means the same instant in both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django import forms

EARLIER, LATER = "first", "second"


def offset_text(offset: timedelta | None) -> str:
    """UTC+2, UTC+5:30, UTC-3, UTC."""
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def exists(naive: datetime, zone: ZoneInfo) -> bool:
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def is_ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    return (
        naive.replace(tzinfo=zone, fold=0).utcoffset()
        != naive.replace(tzinfo=zone, fold=1).utcoffset()
    )


def which_field(naive: datetime, zone: ZoneInfo) -> forms.ChoiceField:
    """The question asked when a wall time happens twice."""
    earlier, later = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    return forms.ChoiceField(
        label=f"Which {naive:%H:%M}?",
        choices=[
            (
                EARLIER,
                f"The earlier one, before the clocks go back "
                f"({earlier:%Z}, {offset_text(earlier.utcoffset())})",
            ),
            (
                LATER,
                f"The later one, after the clocks go back "
                f"({later:%Z}, {offset_text(later.utcoffset())})",
            ),
        ],
        widget=forms.RadioSelect,
        help_text=f"{naive:%H:%M} happens twice that night in {zone.key}.",
    )


class AmbiguousLocalTime(forms.ValidationError):
    def __init__(self, naive: datetime, zone: ZoneInfo) -> None:
        super().__init__(
            f"{naive:%H:%M} happens twice on {naive.day} {naive:%B %Y} in {zone.key} (the "
            "clocks go back): choose which one you mean.",
            code="ambiguous",
        )
        self.naive = naive


def local_instant(naive: datetime, zone: ZoneInfo, *, which: str = "") -> datetime:
    """The UTC instant of a wall time in `zone`.

    A time skipped by a daylight-saving change raises a ValidationError; one that happens
    twice raises `AmbiguousLocalTime` unless `which` (EARLIER or LATER) says which is meant.
    """
    if not exists(naive, zone):
        raise forms.ValidationError(
            f"{naive:%H:%M} does not exist on {naive.day} {naive:%B %Y} in {zone.key}: the "
            "clocks skip that hour. Choose another time.",
            code="nonexistent",
        )
    if not is_ambiguous(naive, zone):
        return naive.replace(tzinfo=zone).astimezone(UTC)
    if which in (EARLIER, LATER):
        return naive.replace(tzinfo=zone, fold=int(which == LATER)).astimezone(UTC)
    raise AmbiguousLocalTime(naive, zone)


if TYPE_CHECKING:
    _FormBase = forms.Form
else:
    _FormBase = object


class LocalTimeFormMixin(_FormBase):
    """For forms that read wall times: `_local_instant` adds the "Which?" question when
    needed, right after the field it is about."""

    def _ask_which(self, *, name: str, naive: datetime, zone: ZoneInfo) -> str:
        which_name = f"{name}_which"
        fields: dict[str, forms.Field] = {}
        for key, field in self.fields.items():
            if key != which_name:
                fields[key] = field
            if key == name:
                fields[which_name] = which_field(naive, zone)
        self.fields = fields
        return which_name

    def _local_instant(self, *, name: str, naive: datetime, zone: ZoneInfo) -> datetime | None:
        """`naive` (typed into field `name`) read in `zone`; None after adding the errors."""
        which = str(self.data.get(f"{name}_which", ""))
        try:
            return local_instant(naive, zone, which=which)
        except AmbiguousLocalTime as error:
            which_name = self._ask_which(name=name, naive=naive, zone=zone)
            self.add_error(name, error)
            self.add_error(which_name, "Choose the earlier or the later one.")
        except forms.ValidationError as error:
            self.add_error(name, error)
        return None

    def _ask_which_initially(self, *, name: str, local: datetime) -> None:
        """An edit form showing an instant whose wall time happens twice asks which, with the
        stored one chosen, so saving it unchanged keeps it."""
        zone = local.tzinfo
        naive = local.replace(tzinfo=None)
        if isinstance(zone, ZoneInfo) and is_ambiguous(naive, zone):
            which_name = self._ask_which(name=name, naive=naive, zone=zone)
            self.initial[which_name] = LATER if local.fold else EARLIER
