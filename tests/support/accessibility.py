"""axe-core in a Playwright page: the violations a page has, as short readable lines.

axe-core is a test asset taken from the npm registry (`npm pack axe-core@4.14.1`, MPL-2.0, its
licence beside it). It is evaluated through the DevTools protocol rather than added as a
<script>, so the page's Content-Security-Policy stays as strict as it is in use."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_SOURCE = Path(__file__).resolve().parent / "assets" / "axe-core-4.14.1.min.js"


@cache
def _axe_source() -> str:
    return AXE_SOURCE.read_text()


def axe_violations(page: object) -> list[str]:
    """One line per violation on the page as it is now: rule, impact and the first nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]
