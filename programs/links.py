"""Absolute links for e-mails and QR codes, built from PUBLIC_BASE_URL, never from a request."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from programs.models import Program


def public_base_url(*, program: Program | None = None) -> str:
    """The site's base URL, or the program's own start host name when it has one."""
    base = settings.PUBLIC_BASE_URL
    if program is not None and program.start_host_name:
        scheme = urlsplit(base).scheme or "https"
        return f"{scheme}://{program.start_host_name}"
    return base


def public_url(path: str, *, program: Program | None = None) -> str:
    return f"{public_base_url(program=program)}{path}"
