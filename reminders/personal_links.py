"""Personal links: a token in an address, exchanged once for a credential in the browser.

Every personal link (join, guest, host invitation, membership, commitment, round answer)
works the same way:

1. `exchange`: the view checks the link's token, gives the browser a credential for the
   object and redirects to an address without the token. That redirect goes out under
   `without_referrer`, so the token reaches neither another site (Referer) nor a cache.
2. The pages at token-free addresses read the credential back with `held`, which checks the
   object's `token_version`: bumping it (a new link, a regenerated guest link) refuses every
   browser that exchanged an older link at its next request.
3. Those pages are served under the site's default referrer policy, so browsers send a real
   `Origin` with their forms and Django's CSRF origin check accepts them (under
   `no-referrer` Chromium sends `Origin: null`). Only pages that show the token's holder
   their own details without a form, and "link not valid" pages, use `without_referrer`.

The credential is an HttpOnly, `SameSite=Lax` cookie named after the kind and its scope
(`convene_join_<session id>`), sent only to the token-free pages (`path`). It holds no link:
its value is a token for another purpose (`browser.<kind>`), so it cannot be pasted as an
address, and it is signed with its name, so it cannot be moved to another scope. A browser
keeps one credential per scope: the link opened last wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from reminders.tokens import token_make, token_object

ModelT = TypeVar("ModelT", bound=Model)
LEGACY_SESSION_KEY = "link_access"


@dataclass(frozen=True)
class LinkKind:
    """A kind of personal link: its name (in the cookie's) and how long a browser keeps it."""

    name: str
    days: int
    # What browsers were given before this module, read as before until it expires: join and
    # guest cookies held the link's own token (purpose `legacy_purpose`, 120 days at most);
    # commitment, invitation and member links left a mark `<name>:<id>` -> token version in
    # the Django session (`legacy_session`, two weeks at most).
    legacy_purpose: str = ""
    legacy_session: bool = False

    def cookie_name(self, scope: int) -> str:
        return f"convene_{self.name}_{scope}"

    @property
    def purpose(self) -> str:
        return f"browser.{self.name}"


class Versioned(Protocol):
    @property
    def pk(self) -> Any: ...

    @property
    def token_version(self) -> int: ...


def grant(
    request: HttpRequest,
    response: HttpResponse,
    *,
    kind: LinkKind,
    scope: int,
    obj: Versioned,
    path: str,
) -> HttpResponse:
    """Give the browser `response` goes to the credential for `obj` within `scope`."""
    response.set_signed_cookie(
        kind.cookie_name(scope),
        token_make(purpose=kind.purpose, object_id=obj.pk, version=obj.token_version),
        salt=kind.purpose,
        max_age=kind.days * 24 * 3600,
        path=path,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


def exchange(
    request: HttpRequest, *, kind: LinkKind, scope: int, obj: Versioned, to: str, path: str
) -> HttpResponse:
    """The answer to a valid token-carrying address: the credential and a redirect to `to`.

    `to` (a token-free address) and the pages it links to must lie under `path`.
    """
    return without_referrer(
        grant(request, redirect(to), kind=kind, scope=scope, obj=obj, path=path)
    )


def held(
    request: HttpRequest, *, kind: LinkKind, scope: int, queryset: QuerySet[ModelT]
) -> ModelT | None:
    """The object of `queryset` this browser holds a credential for within `scope`, while
    the object's token version is still the one the browser was given."""
    name = kind.cookie_name(scope)
    token = request.get_signed_cookie(name, default=None, salt=kind.purpose)
    if token:
        return token_object(token, queryset=queryset, purpose=kind.purpose)
    if kind.legacy_purpose and request.COOKIES.get(name):
        return token_object(request.COOKIES[name], queryset=queryset, purpose=kind.legacy_purpose)
    if kind.legacy_session:
        version = request.session.get(LEGACY_SESSION_KEY, {}).get(f"{kind.name}:{scope}")
        found = None if version is None else queryset.filter(pk=scope).first()
        if found is not None and getattr(found, "token_version", None) == version:
            return found
    return None


def forget(response: HttpResponse, *, kind: LinkKind, scope: int, path: str) -> HttpResponse:
    response.delete_cookie(kind.cookie_name(scope), path=path, samesite="Lax")
    return response


def without_referrer(response: HttpResponse) -> HttpResponse:
    """For a response to a token-carrying address, and for pages that show a link holder
    their own details: no Referer onwards, no copy in any cache."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
