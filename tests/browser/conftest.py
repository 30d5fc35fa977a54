"""Headless Chromium through Playwright's sync API, against pytest-django's live server.

Every page the tests open reports its console; a CSP violation, a console error or an uncaught
error fails the test (`tests.support.browser_watch`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections

from tests.support.browser_watch import BrowserReport, WatchedBrowser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return path if shutil.which(path) else None


# Media tests: fake camera and microphone, no permission prompt, loopback ICE candidates.
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


def _launched(args: list[str]) -> Iterator[object]:
    path = _chromium_path()
    if path is None:
        if settings.REQUIRE_SERVICES:
            pytest.fail("Chromium is missing: install it or set CHROMIUM_PATH")
        pytest.skip("Chromium is missing: install it or set CHROMIUM_PATH")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still synchronous and safe.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=path, headless=True, args=args)
            report = BrowserReport()
            try:
                yield WatchedBrowser(chromium, report)
                # Any CSP violation, console error or uncaught error fails the test.
                report.assert_clean()
            finally:
                chromium.close()
                # ORM calls made while Playwright's greenlet is active get a connection of
                # their own (another context); close it, or the test database stays in use.
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser() -> Iterator[object]:
    yield from _launched(CHROMIUM_ARGS)


@pytest.fixture
def media_browser() -> Iterator[object]:
    yield from _launched(CHROMIUM_ARGS + MEDIA_ARGS)


@pytest.fixture
def janus(tmp_path, settings):
    """A real Janus on spare loopback ports; the project's settings point at it."""
    from tests.support.janus import janus_process, use_janus

    for process in janus_process(tmp_path):
        use_janus(settings, process)
        yield process
