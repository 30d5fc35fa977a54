"""Personal links that become cookies: the token leaves the URL on the first visit."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from sessions_app.models import Registration, Session
from sessions_app.tokens import registration_for_token


def join_cookie_name(session: Session) -> str:
    return f"convene_join_{session.pk}"


def cookie_registration(request: HttpRequest, session: Session) -> Registration | None:
    """The registration whose personal link this browser opened for `session`, still valid."""
    token = request.COOKIES.get(join_cookie_name(session), "")
    registration = registration_for_token(token) if token else None
    if registration is None or registration.session_id != session.pk:
        return None
    return registration


def token_cookie_redirect(
    request: HttpRequest,
    *,
    response: HttpResponse,
    session: Session,
    cookie_name: str,
    token: str,
    days: int,
) -> HttpResponse:
    """Keep `token` in a cookie scoped to the session's pages and answer with `response`.

    The response is a redirect to a URL without the token; it sends no Referer and is not
    cached, so the token lingers neither in history nor in another site's logs.
    """
    response.set_cookie(
        cookie_name,
        token,
        max_age=days * 24 * 3600,
        path=reverse("sessions_app:public", kwargs={"code": session.code}),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return token_page_headers(response)


def token_page_headers(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
