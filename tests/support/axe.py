"""axe-core in the browser tests: inject the vendored script and list what it finds.

The page must come from a context made with `bypass_csp=True`: the site's policy refuses the
injected script, as it should refuse any script it does not serve itself."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the browser tests skip where playwright is missing
    from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parent / "axe" / "axe.min.js"


def axe_violations(page: Page) -> list[str]:
    """Each violation as 'rule-id (impact): the first offending element', for a failure."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in violations
    ]
