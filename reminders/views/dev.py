"""The dev outbox: what Convene sent, readable without a mail server (DEBUG or staff only)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage as ParsedEmail

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from reminders.models import CapturedEmail


def _require_dev_access(request: HttpRequest) -> None:
    if not (settings.DEBUG or (request.user.is_authenticated and request.user.is_staff)):
        raise Http404("The dev outbox is available with DEBUG on, or to staff.")


def _parts(captured: CapturedEmail) -> tuple[ParsedEmail, list[ParsedEmail]]:
    # From bytes: a body sent as 8-bit UTF-8 parsed from a str comes out as replacement
    # characters and escapes.
    parsed = email.message_from_bytes(captured.raw.encode(), policy=email.policy.default)
    return parsed, [part for part in parsed.walk() if not part.is_multipart()]


def dev_outbox(request: HttpRequest) -> HttpResponse:
    _require_dev_access(request)
    captured = CapturedEmail.objects.select_related("message").order_by("-created_at", "-id")
    page = Paginator(captured, 50).get_page(request.GET.get("page"))
    return render(request, "reminders/dev_outbox.html", {"page": page})


# The preview frame (srcdoc) inherits this page's policy, and e-mail HTML is styled inline
# (mail clients know no stylesheets). Its `sandbox` frame runs no script either way.
@csp_update({"style-src-attr": [UNSAFE_INLINE], "style-src-elem": [SELF, UNSAFE_INLINE]})  # type: ignore[arg-type]  # django-csp types one-argument views only
def dev_outbox_email(request: HttpRequest, captured_id: int) -> HttpResponse:
    _require_dev_access(request)
    captured = get_object_or_404(CapturedEmail.objects.select_related("message"), pk=captured_id)
    parsed, parts = _parts(captured)
    html = next(
        (part.get_content() for part in parts if part.get_content_type() == "text/html"), ""
    )
    text = next(
        (
            part.get_content()
            for part in parts
            if part.get_content_type() == "text/plain" and not part.get_filename()
        ),
        "",
    )
    attachments = [
        {
            "index": index,
            "name": part.get_filename() or f"part-{index}",
            "type": part.get("Content-Type", ""),
        }
        for index, part in enumerate(parts)
        if part.get_filename() or part.get_content_type() == "text/calendar"
    ]
    return render(
        request,
        "reminders/dev_outbox_email.html",
        {
            "captured": captured,
            "headers": parsed,
            "html": html,
            "text": text,
            "attachments": attachments,
        },
    )


def dev_outbox_part(request: HttpRequest, captured_id: int, index: int) -> HttpResponse:
    _require_dev_access(request)
    captured = get_object_or_404(CapturedEmail, pk=captured_id)
    _, parts = _parts(captured)
    if index >= len(parts):
        raise Http404("No such part.")
    part = parts[index]
    response = HttpResponse(part.get_payload(decode=True), content_type=part.get_content_type())
    response["Content-Disposition"] = (
        f'attachment; filename="{part.get_filename() or f"part-{index}"}"'
    )
    return response
