"""The host's "Regenerate link" for a session's guest link."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from guests import selectors, services
from sessions_app.selectors import get_hosted_session_or_404


def guest_link_regenerate(request: HttpRequest, session_id: int) -> HttpResponse:
    """Confirm, then revoke the guest link and issue a new one (nothing is written on GET).

    A session that has no link yet (made in the admin) gets its first one by the same POST.
    """
    session = get_hosted_session_or_404(user=request.user, session_id=session_id)
    if request.method == "POST":
        guest_link = selectors.guest_link_of(session)
        if guest_link is None:
            services.guest_link_for(session=session)
            messages.success(request, "Guest link created.")
        else:
            services.guest_link_regenerate(guest_link=guest_link, now=timezone.now())
            messages.success(request, "New guest link issued; the old one no longer works.")
        share = reverse("sessions_app:session_share", kwargs={"session_id": session.pk})
        return redirect(f"{share}#guest-link")
    return render(request, "guests/regenerate_confirm.html", {"session": session})
