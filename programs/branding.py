"""Private label: a request on a program's own start host name shows that program's brand.

Those host names must also be in ALLOWED_HOSTS, or Django refuses the request before it gets
here (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.urls import reverse

from programs.models import Program
from reminders.emails import EmailBrand

_ATTRIBUTE = "_convene_brand_program"
BRAND_COLOUR = re.compile(r"#[0-9a-f]{6}")
# WCAG AA for normal text: white text on the brand colour, and the colour as text on white.
MIN_CONTRAST = 4.5


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_with_white(hex_colour: str) -> float:
    return 1.05 / (_relative_luminance(hex_colour) + 0.05)


def brand_program_for_request(request: HttpRequest) -> Program | None:
    """The program whose start host name the request came in on, looked up once per request."""
    if not hasattr(request, _ATTRIBUTE):
        domain, _port = split_domain_port(request.get_host())
        program = None
        if domain and domain != urlsplit(settings.PUBLIC_BASE_URL).hostname:
            program = Program.objects.filter(start_host_name__iexact=domain).first()
        setattr(request, _ATTRIBUTE, program)
    return getattr(request, _ATTRIBUTE)


def brand_logo_url(program: Program) -> str:
    """Served by `views.brand.brand_logo`, not as /media/ (recordings live under it too)."""
    if not program.brand_logo:
        return ""
    return reverse(
        "programs:brand_logo",
        kwargs={"program_id": program.pk, "name": os.path.basename(program.brand_logo.name or "")},
    )


def brand_context(request: HttpRequest) -> dict[str, object]:
    program = brand_program_for_request(request)
    if program is None:
        return {"brand": None}
    return {
        "brand": {
            "name": program.brand_name or program.name,
            "colour": program.brand_colour,
            "logo_url": brand_logo_url(program),
        }
    }


def brand(request: HttpRequest) -> dict[str, object]:
    """Context processor: every page on a program's own host name carries its brand."""
    return brand_context(request)


def program_email_brand(program: Program) -> EmailBrand | None:
    """The brand of the e-mails a program's participants get, or None for Convene's own.

    A program is branded when it has a brand name, or its own start host name (whose pages
    then show the program's name as the brand, so its e-mails do too). Called by the
    renderers with the program the dispatcher loaded for the batch: no query of its own.
    A colour set before the contrast check existed (or through the shell) is left out.
    """
    if not (program.brand_name or program.start_host_name):
        return None
    colour = program.brand_colour.lower()
    if not (BRAND_COLOUR.fullmatch(colour) and contrast_with_white(colour) >= MIN_CONTRAST):
        colour = ""
    return EmailBrand(name=program.brand_name or program.name, colour=colour)
