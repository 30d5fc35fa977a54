"""Host pages about a registration's e-mails, and removing a registration."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from reminders.selectors import recipient_history
from sessions_app import selectors, services
from sessions_app.models import Registration, Session


def _hosted_registration(
    request: HttpRequest, session_id: int, registration_id: int
) -> tuple[Session, Registration]:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    registration = session.registrations.filter(pk=registration_id).first()
    if registration is None:
        raise Http404("No such registration.")
    return session, registration


@login_required
def registration_messages(
    request: HttpRequest, session_id: int, registration_id: int
) -> HttpResponse:
    """One participant's message history: every e-mail planned for them, with its events."""
    session, registration = _hosted_registration(request, session_id, registration_id)
    history = recipient_history(
        topic=services.session_topic(session), email=registration.email
    ).prefetch_related("events")
    return render(
        request,
        "sessions_app/registration_messages.html",
        {"session": session, "registration": registration, "history": history},
    )


@login_required
@require_POST
def registration_remove(
    request: HttpRequest, session_id: int, registration_id: int
) -> HttpResponse:
    session, registration = _hosted_registration(request, session_id, registration_id)
    services.registration_cancel(registration=registration, now=timezone.now())
    messages.success(
        request,
        f"{registration.email} is no longer registered; their pending e-mails are cancelled.",
    )
    return redirect(
        reverse("sessions_app:session_people", kwargs={"session_id": session.pk}) + "#registrations"
    )
