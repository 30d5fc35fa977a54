"""axe-core (vendored from the npm registry's `axe-core` package, MPL-2.0, a test asset only)
run in a Playwright page: the violations it finds, as short lines a failure can print."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the browser tests skip where playwright is missing
    from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"

RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => v.id + " (" + v.impact + "): " +
    v.nodes.slice(0, 3).map(n => n.target.join(" ") + " " + n.failureSummary.replace(/\\s+/g, " ")).join(" | "));
}"""


@cache
def _source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Every axe-core violation on the page as it is now (colour contrast included).

    The script is evaluated through the DevTools protocol, not as a `<script>` tag, so the
    page's Content-Security-Policy is untouched (and still checked by `browser_watch`)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source() + "\n;undefined")
    return page.evaluate(RUN)
