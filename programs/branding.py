"""Private label: a request on a program's own start host name shows that program's brand.

Those host names must also be in ALLOWED_HOSTS, or Django refuses the request before it gets
here (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.urls import reverse

from programs.models import Program

_ATTRIBUTE = "_convene_brand_program"


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
    """Served by `brand_views.brand_logo`, not as /media/ (recordings live under it too)."""
    if not program.brand_logo:
        return ""
    return reverse(
        "programs:brand_logo",
        kwargs={"program_id": program.pk, "name": os.path.basename(program.brand_logo.name)},
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
