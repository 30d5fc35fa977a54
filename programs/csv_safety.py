"""Cells for CSV exports that a spreadsheet opens as plain text, never as a formula.

A participant's name like `=HYPERLINK("https://evil.example", "Click")` would otherwise run
when a host opens the export. Every CSV export writes its user-typed cells through `csv_cell`.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Written first in every CSV export: without it Excel reads UTF-8 as the local code page and
# garbles every name with an accent. Other spreadsheets and csv readers skip it.
UTF8_BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def csv_cell(value: str) -> str:
    """`value`, prefixed with an apostrophe when it starts like a formula."""
    if value and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value
