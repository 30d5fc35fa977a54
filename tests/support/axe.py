"""axe-core in a Playwright page: the accessibility check of the browser tests.

`axe.min.js` is axe-core 4.14.1 as published on npm (MPL-2.0, `LICENSE` beside it), kept in the
repository so the tests need no network. It is evaluated through the DevTools protocol, which the
page's Content-Security-Policy does not govern: no inline script is added to the page.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the browser tests skip where playwright is missing
    from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).with_name("axe") / "axe.min.js"


@cache
def _source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Every axe violation on the page as it is now, one line each (rule, impact, the first
    offending elements): an empty list is a clean page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    results = page.evaluate("async () => await window.axe.run(document)")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
    ]
