"""Public pages: a session by direct link or Session ID, registration, personal links, calendars.

Looking a session up by its ID invites guessing: every lookup goes through
`sessions_app.guard.session_guarded`, which rate-limits misses per client address.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from programs.timezones import viewer_time_zone_name
from reminders import personal_links
from reminders.personal_links import without_referrer
from reminders.ratelimit import client_address, mailbox_limit_hit, rate_limit_hit, wait_minutes
from sessions_app import ics, rooms, selectors, services
from sessions_app.forms import RegistrationForm, SessionIdForm
from sessions_app.guard import session_guarded, too_many_response
from sessions_app.models import Session
from sessions_app.tokens import (
    JOIN_LINK,
    feed_for_token,
    registration_for_token,
    registration_held,
    session_pages_path,
)

REGISTER_SCOPE = "session-register"
SEAT_SCOPE = "session-register-seat"
# The marker of a Session ID typed at the lookup (`commitments.sources` reads it).
TYPED_ID = "id"
FEED_PAST_DAYS = 60


def _public_context(session: Session) -> dict[str, object]:
    now = timezone.now()
    return {
        "session": session,
        "program": session.program,
        "is_open": session.is_open_for_registration(now=now),
        "is_over": session.is_over(now=now),
        "is_full": False,
        "room_entry": rooms.room_entry(session=session, now=now).value,
        "room_opens_at": rooms.room_opens_at(session),
        "google_calendar_url": ics.google_calendar_url(session),
        "outlook_calendar_url": ics.outlook_calendar_url(session),
        "ics_url": reverse("sessions_app:ics", kwargs={"code": session.code}),
    }


def session_lookup(request: HttpRequest) -> HttpResponse:
    """Type a Session ID, go to its page."""
    form = SessionIdForm(request.GET or None)
    if request.GET and form.is_valid():
        found = session_guarded(request, form.cleaned_data["code"])
        if isinstance(found, HttpResponse):
            return found
        # The way in travels on to the commitment button (commitments.sources): a typed ID.
        return redirect(
            reverse("sessions_app:public", kwargs={"code": found.code}) + f"?via={TYPED_ID}"
        )
    return render(request, "sessions_app/lookup.html", {"form": form})


def session_public(request: HttpRequest, code: str) -> HttpResponse:
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    if found.code != code:
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        return redirect(reverse("sessions_app:public", kwargs={"code": found.code}) + query)
    context = _public_context(found)
    # "Create your commitment" names how the visitor came: a typed Session ID, else this link.
    context["commitment_via"] = TYPED_ID if request.GET.get("via") == TYPED_ID else "link"
    if found.capacity is not None and context["is_open"]:
        context["is_full"] = selectors.session_registration_count(session=found) >= found.capacity
    return render(request, "sessions_app/session_public.html", context)


def session_register(request: HttpRequest, code: str) -> HttpResponse:
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    session = found
    context = _public_context(session)
    form = RegistrationForm(
        request.POST or None, questions=selectors.session_questions(session=session)
    )
    status = 200
    if request.method == "POST" and context["is_open"]:
        limited = rate_limit_hit(
            scope=REGISTER_SCOPE, key=client_address(request), limit=60, window_seconds=600
        )
        if not limited.allowed:
            return too_many_response(
                request, limited.retry_after_seconds, what="registrations were sent"
            )
        if form.is_valid():
            refusal = _registration_refusal(
                request, session=session, email=form.cleaned_data["email"]
            )
            if refusal:
                form.add_error(None, refusal)
                context["form"] = form
                return render(request, "sessions_app/register.html", context, status=429)
            try:
                outcome = services.registration_create(
                    session=session,
                    email=form.cleaned_data["email"],
                    name=form.cleaned_data["name"],
                    answers=form.answers(),
                    time_zone=viewer_time_zone_name(request),
                    now=timezone.now(),
                )
            except services.SessionFull:
                context["is_full"] = True
                status = 409
            except services.RegistrationClosed as closed:
                context["is_open"] = False
                context["closed_reason"] = str(closed)
                status = 409
            else:
                if isinstance(outcome, services.Waitlisted):
                    context["waitlist_place"] = outcome.place
                    return render(request, "sessions_app/waitlisted.html", context)
                # The same page whether the address was new or registered already: the
                # form must not tell a stranger who is registered.
                return redirect("sessions_app:registered", code=session.code)
        else:
            status = 400
    elif context["is_open"] and session.capacity is not None:
        context["is_full"] = (
            selectors.session_registration_count(session=session) >= session.capacity
        )
    context["form"] = form
    return render(request, "sessions_app/register.html", context, status=status)


def _registration_refusal(request: HttpRequest, *, session: Session, email: str) -> str:
    """Why this registration is refused for now, or "": seats taken from one client in one
    session, and e-mails to one mailbox, are limited per hour."""
    seats = rate_limit_hit(
        scope=SEAT_SCOPE,
        key=f"{client_address(request)}:{session.pk}",
        limit=settings.REGISTRATIONS_PER_CLIENT_PER_SESSION_PER_HOUR,
        window_seconds=3600,
    )
    if not seats.allowed:
        return (
            "Many people registered for this session from your connection already. "
            f"Please try again in {wait_minutes(seats)} minutes."
        )
    mail = mailbox_limit_hit(address=email)
    if not mail.allowed:
        return (
            "We have sent several e-mails to this address in the last hour. "
            f"Please try again in {wait_minutes(mail)} minutes."
        )
    return ""


def session_registered(request: HttpRequest, code: str) -> HttpResponse:
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "sessions_app/registered.html", _public_context(found))


@require_GET
def session_ics(request: HttpRequest, code: str) -> HttpResponse:
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    body = ics.sessions_ics(sessions=[found], now=timezone.now(), name=found.title)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{found.code}.ics"'
    return response


# Where a personal link leads once its token is a cookie: the registrant's page, the
# "cancel my registration" page (the link in every participant e-mail), or their own .ics.
JOIN_DESTINATIONS = {
    "": "sessions_app:my_registration",
    "cancel": "sessions_app:cancel_registration",
    "calendar": "sessions_app:my_calendar",
}


def join(request: HttpRequest, token: str, then: str = "") -> HttpResponse:
    """A personal join link: swap the token for a cookie, then go to a URL without it."""
    registration = registration_for_token(token)
    if registration is None:
        return without_referrer(render(request, "sessions_app/link_invalid.html", status=404))
    session = registration.session
    return personal_links.exchange(
        request,
        kind=JOIN_LINK,
        scope=session.pk,
        obj=registration,
        to=reverse(JOIN_DESTINATIONS[then], kwargs={"code": session.code}),
        path=session_pages_path(session),
    )


def my_registration(request: HttpRequest, code: str) -> HttpResponse:
    """The registrant's own page, reached through their personal link (now a cookie)."""
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    session = found
    registration = registration_held(request, session)
    if registration is None:
        response = render(
            request, "sessions_app/link_invalid.html", {"session": session}, status=403
        )
    else:
        registration.session = session
        context = _public_context(session)
        context["registration"] = registration
        context["ics_url"] = reverse("sessions_app:my_calendar", kwargs={"code": session.code})
        response = render(request, "sessions_app/my_registration.html", context)
    return without_referrer(response)


@require_GET
def my_calendar(request: HttpRequest, code: str) -> HttpResponse:
    """The registrant's own calendar entry: the same UID as their e-mailed invite."""
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    registration = registration_held(request, found)
    if registration is None:
        return without_referrer(
            render(request, "sessions_app/link_invalid.html", {"session": found}, status=403)
        )
    body = ics.registration_ics(session=found, registration=registration, now=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{found.code}.ics"'
    return without_referrer(response)


def cancel_registration(request: HttpRequest, code: str) -> HttpResponse:
    """The registrant cancels their own registration (through their personal link's cookie)."""
    found = session_guarded(request, code)
    if isinstance(found, HttpResponse):
        return found
    registration = registration_held(request, found)
    if registration is None:
        return render(request, "sessions_app/link_invalid.html", {"session": found}, status=403)
    if request.method == "POST":
        services.registration_cancel(registration=registration, now=timezone.now())
        response = render(request, "sessions_app/registration_cancelled.html", {"session": found})
        return personal_links.forget(
            response, kind=JOIN_LINK, scope=found.pk, path=session_pages_path(found)
        )
    return render(
        request,
        "sessions_app/cancel_registration.html",
        {"session": found, "registration": registration},
    )


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A host's subscription feed: every session of the programs they host or co-host."""
    feed = feed_for_token(token)
    if feed is None or not feed.user.is_active:
        raise Http404("No such calendar.")
    now = timezone.now()
    sessions = selectors.calendar_feed_sessions(
        user=feed.user, since=now - timedelta(days=FEED_PAST_DAYS)
    )
    body = ics.sessions_ics(sessions=sessions, now=now, name="Convene sessions")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Referrer-Policy"] = "no-referrer"
    return response
