"""Response headers every page gets unless its view says otherwise.

The Content-Security-Policy comes from django-csp (`CONTENT_SECURITY_POLICY` in settings);
this middleware adds what that library does not cover: a Permissions-Policy that turns the
powerful features off (`programs.headers`; room pages set their own,
`sessions_app.room_access.room_page`), and
`Cache-Control: private, no-store` on every response that does not choose its own caching,
because nearly every page and download carries somebody's name, address or answers.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

from programs.headers import permissions_policy


class PrivatePagesMiddleware:
    """Permissions-Policy and `Cache-Control: private, no-store` unless the view chose its own.

    A response that already says `no-store` gains `private` too. Responses that choose to be
    cached (static files, brand logos, QR codes) keep their header: they carry no personal data.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = permissions_policy()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.policy
        cache_control = response.get("Cache-Control", "")
        if not cache_control:
            response["Cache-Control"] = "private, no-store"
        elif "no-store" in cache_control and "private" not in cache_control:
            patch_cache_control(response, private=True)
        return response
