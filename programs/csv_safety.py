"""Cells for CSV exports that a spreadsheet opens as plain text, never as a formula.

A participant's name like `=HYPERLINK("https://evil.example", "Click")` would otherwise run
when a host opens the export. Every CSV export writes its user-typed cells through `csv_cell`.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """`value`, prefixed with an apostrophe when it starts like a formula."""
    if value and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
