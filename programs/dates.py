"""The range of dates Convene accepts from users.

Python's dates stop at year 9999 and year 1: a wall time near either end moved to UTC (or a
period grown around it) overflows. Dates typed by people are kept well inside that range.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)


def date_in_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def validate_date_in_range(day: date) -> None:
    if not date_in_range(day):
        raise ValidationError(
            f"Choose a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}.",
            code="date_out_of_range",
        )
