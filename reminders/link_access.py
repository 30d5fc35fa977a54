"""Personal e-mail links exchanged for a mark in the browser's Django session.

A link carrying a token is opened once: the view checks the token, records
(kind, object id, token version) here and redirects to a token-free address, sending
`Referrer-Policy: no-referrer` on that redirect only. The page at the token-free address is
served under the site's default policy, so browsers send a real `Origin` with its forms and
Django's CSRF origin check accepts them (with `no-referrer`, Chromium sends `Origin: null`).
Bumping the object's token version revokes the mark along with the links.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

SESSION_KEY = "link_access"


def link_access_grant(request: HttpRequest, *, kind: str, object_id: int, version: int) -> None:
    access = dict(request.session.get(SESSION_KEY, {}))
    access[f"{kind}:{object_id}"] = version
    request.session[SESSION_KEY] = access


def link_access_has(request: HttpRequest, *, kind: str, object_id: int, version: int) -> bool:
    return request.session.get(SESSION_KEY, {}).get(f"{kind}:{object_id}") == version


def without_referrer(response: HttpResponse) -> HttpResponse:
    """For the response to a token-carrying address: the token must not leak onwards."""
    response["Referrer-Policy"] = "no-referrer"
    return response
