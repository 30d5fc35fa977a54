"""Layout checks for browser tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the browser tests skip where playwright is missing
    from playwright.sync_api import Page


def page_widths(page: Page, *, width: int) -> list[object]:
    """The page's width, then whatever in `main` sticks out past `width` (named in a failure)."""
    return page.evaluate(
        "(width) => [document.documentElement.scrollWidth, "
        "...[...document.querySelectorAll('main *')].filter("
        "e => e.getBoundingClientRect().right > width + 0.5).map(e => e.tagName + '.' + e.className)]",
        width,
    )
