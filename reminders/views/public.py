"""Recipients' pages: one-click unsubscribe from a stream of e-mail."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from reminders.personal_links import without_referrer
from reminders.unsubscribe import stream_for as unsubscribe_stream_for
from reminders.unsubscribe import unsubscribe_object


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, stream: str, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe: a POST stops the stream; a GET asks first.

    No login and no CSRF token: mail providers POST `List-Unsubscribe=One-Click` from their own
    servers. Only the personal token decides, and all it can do is stop its own stream.
    """
    found = unsubscribe_stream_for(stream)
    obj = None if found is None else unsubscribe_object(stream=found, token=token)
    if found is None or obj is None:
        response = render(request, "reminders/unsubscribe_invalid.html", status=404)
    else:
        done = request.method == "POST"
        if done:
            found.stop(obj, timezone.now())
        context = {
            "done": done,
            "what": found.describe(obj),
            "turn_back_on_url": found.turn_back_on(obj) if found.turn_back_on else "",
        }
        response = render(request, "reminders/unsubscribe.html", context)
    return without_referrer(response)
