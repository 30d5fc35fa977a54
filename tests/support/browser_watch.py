"""Collect what a page reports in the browser — console messages, uncaught errors and
Content-Security-Policy violations — so a browser test fails on any of them."""

from __future__ import annotations

from dataclasses import dataclass, field

# Runs in every document (and frame) before its own scripts: a blocked script, style, frame
# or eval shows here even when the page goes on working without it.
VIOLATION_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.effectiveDirective + " blocked " +
    (event.blockedURI || "inline") + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


LOAD_FAILURE = "Failed to load resource"


@dataclass
class BrowserReport:
    console: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # Pages that answered 4xx on purpose (a 404 page, a 429 page): Chromium logs their status
    # as a console error, but the page itself is what the test looks at. A missing script,
    # style or image is still a problem.
    error_documents: set[str] = field(default_factory=set)

    # Console lines a test expects (a removed person's refused requests): substrings.
    expected: list[str] = field(default_factory=list)

    def expect(self, *substrings: str) -> None:
        """Console errors containing one of `substrings` are what the test is about."""
        self.expected.extend(substrings)

    def _on_response(self, response: object) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            self.error_documents.add(response.url)

    def watch_context(self, context: object) -> object:
        context.add_init_script(script=VIOLATION_LISTENER)
        context.on("console", self._on_console)
        context.on("response", self._on_response)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        return context

    def watch_page(self, page: object) -> object:
        page.add_init_script(script=VIOLATION_LISTENER)
        page.on("console", self._on_console)
        page.on("response", self._on_response)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        return page

    def _on_console(self, message: object) -> None:
        line = f"{message.type}: {message.text} ({message.location.get('url', '')})"
        self.console.append(line)
        text = message.text
        if (
            message.type == "error"
            or "Content Security Policy" in text
            or text.startswith("CSP violation")
        ):
            self.problems.append(line)

    def assert_clean(self) -> None:
        problems = [
            line
            for line in self.problems
            if not (
                LOAD_FAILURE in line
                and any(line.endswith(f"({url})") for url in self.error_documents)
            )
            and not any(substring in line for substring in self.expected)
        ]
        assert problems == [], "\n".join(problems)


class WatchedBrowser:
    """Playwright's Browser whose every new context and page reports to `report`."""

    def __init__(self, browser: object, report: BrowserReport) -> None:
        self._browser = browser
        self.report = report

    def new_context(self, **options: object) -> object:
        return self.report.watch_context(self._browser.new_context(**options))

    def new_page(self, **options: object) -> object:
        return self.report.watch_page(self._browser.new_page(**options))

    def __getattr__(self, name: str) -> object:
        return getattr(self._browser, name)
