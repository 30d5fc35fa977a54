"""Participant pages: the start link, a session's landing page, the commitment page.

None needs an account. A Session ID lookup goes through the guessing limit; the personal
commitment link is exchanged for a mark in the browser's session and then dropped from the URL.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from commitments import selectors, services
from commitments.forms import (
    CheckInForm,
    CommitmentForm,
    ReflectionForm,
    ReminderForm,
    StartForm,
)
from commitments.models import Commitment, CommitmentSource
from commitments.progress import commitment_progress
from commitments.sources import source_from_request, source_query
from programs.branding import brand_program_for_request
from programs.timezones import viewer_time_zone_name
from reminders import personal_links
from reminders.personal_links import LinkKind, without_referrer
from reminders.ratelimit import client_address, mailbox_limit_hit, rate_limit_hit
from sessions_app.codes import session_code_display
from sessions_app.guard import guess_blocked_seconds, guess_record_miss
from sessions_app.models import Session

# The participant's browser keeps their personal link's credential for the commitment's pages.
COMMITMENT_LINK = LinkKind("commitment", days=14, legacy_session=True)
CREATE_SCOPE = "commitment-create"


def _render(
    request: HttpRequest, template: str, context: dict[str, object], status: int = 200
) -> HttpResponse:
    return render(request, f"commitments/{template}", context, status=status)


def _too_many(request: HttpRequest, template: str, wait_seconds: int) -> HttpResponse:
    """A 429 page saying how many minutes to wait, with `Retry-After`."""
    minutes = max(1, -(-wait_seconds // 60))
    response = _render(request, template, {"wait_minutes": minutes}, status=429)
    response["Retry-After"] = str(wait_seconds)
    return response


def _lookup(request: HttpRequest, typed: str) -> Session | HttpResponse:
    """The session for a typed code, or the page to answer with (unknown code, too many tries)."""
    wait = guess_blocked_seconds(request)
    if wait:
        return _too_many(request, "too_many_tries.html", wait)
    session = selectors.session_for_code(typed=typed, program=brand_program_for_request(request))
    if session is None:
        wait = guess_record_miss(request, typed)
        if wait:
            return _too_many(request, "too_many_tries.html", wait)
        form = StartForm(initial={"code": typed})
        return _render(request, "start.html", {"form": form, "unknown_code": typed}, status=404)
    return session


def start(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        found = _lookup(request, form.cleaned_data["code"])
        if isinstance(found, HttpResponse):
            return found
        landing = reverse("commitments:session", kwargs={"code": found.code})
        return redirect(landing + source_query(CommitmentSource.SESSION_ID))
    return _render(request, "start.html", {"form": form}, status=400 if form.errors else 200)


def _session_or_response(request: HttpRequest, code: str) -> Session | HttpResponse:
    found = _lookup(request, code)
    if isinstance(found, Session) and code != found.code:
        # A code typed into the address bar in another form: show the canonical address,
        # keeping the query (the source marker).
        canonical = request.path.replace(f"/{code}/", f"/{found.code}/", 1)
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{canonical}?{query}" if query else canonical)
    return found


def _closed_page(request: HttpRequest, session: Session) -> HttpResponse | None:
    if session.module is None:
        return _render(request, "not_available.html", {"session": session})
    if not session.module.is_activated:
        return _render(request, "not_open.html", {"session": session})
    return None


def session_landing(request: HttpRequest, code: str) -> HttpResponse:
    found = _session_or_response(request, code)
    if isinstance(found, HttpResponse):
        return found
    closed = _closed_page(request, found)
    if closed is not None:
        return closed
    can_attend = found.state in ("scheduled", "live") and not found.is_over(now=timezone.now())
    context = {
        "session": found,
        "can_attend": can_attend,
        "source_query": source_query(source_from_request(request)),
    }
    return _render(request, "session_landing.html", context)


def commitment_new(request: HttpRequest, code: str) -> HttpResponse:
    found = _session_or_response(request, code)
    if isinstance(found, HttpResponse):
        return found
    session = found
    closed = _closed_page(request, session)
    if closed is not None:
        return closed
    questions = selectors.module_questions(module=session.module)
    form = CommitmentForm(
        request.POST or None,
        questions=questions,
        initial={"time_zone": viewer_time_zone_name(request) or session.time_zone},
    )
    if request.method == "POST":
        limited = rate_limit_hit(
            scope=CREATE_SCOPE, key=client_address(request), limit=60, window_seconds=600
        )
        if not limited.allowed:
            return _too_many(request, "too_many_commitments.html", limited.retry_after_seconds)
    if request.method == "POST" and form.is_valid():
        # Each new commitment e-mails its address: a few per mailbox an hour, however the
        # address is spelt (case, +tags) and shared with every other form that sends mail,
        # so the form cannot be used to flood somebody.
        limited = mailbox_limit_hit(address=form.cleaned_data["participant_email"])
        if not limited.allowed:
            return _too_many(request, "too_many_commitments.html", limited.retry_after_seconds)
        made = services.commitment_create(
            session=session,
            participant_name=form.cleaned_data["participant_name"],
            participant_email=form.cleaned_data["participant_email"],
            time_zone=form.cleaned_data["time_zone"],
            answers=form.answers(),
            source=source_from_request(request),
            now=timezone.now(),
        )
        commitment = made.commitment
        if not made.is_new:
            # No access for this browser: knowing an address must not open its commitment.
            if made.is_link_sent:
                messages.info(
                    request,
                    f"You already have a commitment for this session. We e-mailed your "
                    f"personal link to {commitment.participant_email} again: use it to open it.",
                )
            else:
                messages.info(
                    request,
                    f"You already have a commitment for this session, and we e-mailed its "
                    f"personal link to {commitment.participant_email} a few minutes ago. "
                    "Please check your inbox (and spam folder).",
                )
            return redirect("commitments:session", code=session.code)
        messages.success(
            request,
            f"Your commitment is made. We e-mailed your personal link to "
            f"{commitment.participant_email}: use it to come back here.",
        )
        return _with_access(
            request, commitment, redirect("commitments:detail", commitment_id=commitment.pk)
        )
    return _render(
        request,
        "commitment_form.html",
        {
            "session": session,
            "form": form,
            "source_query": source_query(source_from_request(request)),
        },
        status=400 if form.errors else 200,
    )


def _commitment_pages(commitment: Commitment) -> str:
    return reverse("commitments:detail", kwargs={"commitment_id": commitment.pk})


def _with_access(
    request: HttpRequest, commitment: Commitment, response: HttpResponse
) -> HttpResponse:
    return personal_links.grant(
        request,
        response,
        kind=COMMITMENT_LINK,
        scope=commitment.pk,
        obj=commitment,
        path=_commitment_pages(commitment),
    )


def commitment_link(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link from the e-mail: swap the token for a cookie for the commitment's pages."""
    commitment = selectors.commitment_from_token(token)
    if commitment is None:
        return without_referrer(_render(request, "link_invalid.html", {}, status=404))
    return personal_links.exchange(
        request,
        kind=COMMITMENT_LINK,
        scope=commitment.pk,
        obj=commitment,
        to=_commitment_pages(commitment),
        path=_commitment_pages(commitment),
    )


def _commitment_or_response(request: HttpRequest, commitment_id: int) -> Commitment | HttpResponse:
    commitment = personal_links.held(
        request,
        kind=COMMITMENT_LINK,
        scope=commitment_id,
        queryset=selectors.commitments_for_page(),
    )
    if commitment is None:
        return _render(request, "link_invalid.html", {}, status=404)
    return commitment


def _render_detail(
    request: HttpRequest,
    commitment: Commitment,
    *,
    checkin_form: CheckInForm | None = None,
    reminder_form: ReminderForm | None = None,
    reflection_form: ReflectionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    checkins = selectors.commitment_checkins(commitment=commitment)
    progress = commitment_progress(commitment=commitment, checkins=checkins, now=timezone.now())
    today_checkin = next((c for c in checkins if c.day == progress.today), None)
    if checkin_form is None:
        initial = {}
        if today_checkin is not None:
            initial = {
                "is_done": "yes" if today_checkin.is_done else "no",
                "rating": today_checkin.rating,
                "note": today_checkin.note,
            }
        checkin_form = CheckInForm(initial=initial)
    context = {
        "commitment": commitment,
        "session": commitment.session,
        "progress": progress,
        "today_checkin": today_checkin,
        "answers": selectors.commitment_answers(commitment=commitment),
        "checkin_form": checkin_form,
        "reminder_form": reminder_form
        or ReminderForm(initial={"reminder_time": commitment.reminder_time}),
        "reflection_form": reflection_form
        or ReflectionForm(initial={"reflection": commitment.reflection}),
        "display_code": session_code_display(commitment.session.code),
    }
    # No `no-referrer` here: the address carries no token, and Chromium would send
    # `Origin: null` with the page's forms, which Django's CSRF check refuses.
    return _render(request, "commitment_detail.html", context, status=status)


def commitment_detail(request: HttpRequest, commitment_id: int) -> HttpResponse:
    found = _commitment_or_response(request, commitment_id)
    if isinstance(found, HttpResponse):
        return found
    return _render_detail(request, found)


def _back(commitment: Commitment, anchor: str) -> HttpResponse:
    return redirect(
        f"{reverse('commitments:detail', kwargs={'commitment_id': commitment.pk})}#{anchor}"
    )


@require_POST
def checkin(request: HttpRequest, commitment_id: int) -> HttpResponse:
    found = _commitment_or_response(request, commitment_id)
    if isinstance(found, HttpResponse):
        return found
    form = CheckInForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, found, checkin_form=form, status=400)
    try:
        services.checkin_record(commitment=found, now=timezone.now(), **form.cleaned_data)
    except services.CheckInClosed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Checked in. See you tomorrow!")
    return _back(found, "check-in")


@require_POST
def reminder(request: HttpRequest, commitment_id: int) -> HttpResponse:
    found = _commitment_or_response(request, commitment_id)
    if isinstance(found, HttpResponse):
        return found
    form = ReminderForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, found, reminder_form=form, status=400)
    reminder_time = form.cleaned_data["reminder_time"]
    try:
        services.commitment_set_reminder(
            commitment=found, reminder_time=reminder_time, now=timezone.now()
        )
    except services.CommitmentEnded as error:
        messages.error(request, str(error))
        return _back(found, "progress-heading")
    if reminder_time is None:
        messages.success(request, "Daily reminder turned off.")
    else:
        messages.success(
            request,
            f"We will remind you each day at {reminder_time:%H:%M} ({found.time_zone}) "
            "unless you have already checked in.",
        )
    return _back(found, "reminder")


@require_POST
def reflection(request: HttpRequest, commitment_id: int) -> HttpResponse:
    found = _commitment_or_response(request, commitment_id)
    if isinstance(found, HttpResponse):
        return found
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, found, reflection_form=form, status=400)
    try:
        services.commitment_reflect(
            commitment=found, reflection=form.cleaned_data["reflection"], now=timezone.now()
        )
    except services.ReflectionNotOpen as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Thank you for your reflection.")
    return _back(found, "reflection")


@require_http_methods(["GET", "HEAD", "POST"])
def commitment_end(request: HttpRequest, commitment_id: int) -> HttpResponse:
    """ "End this commitment": GET asks to confirm and writes nothing; POST ends it."""
    found = _commitment_or_response(request, commitment_id)
    if isinstance(found, HttpResponse):
        return found
    now = timezone.now()
    if request.method == "POST":
        try:
            services.commitment_end_early(commitment=found, now=now)
        except services.CommitmentEnded as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, "Your commitment has ended. Its daily reminders are cancelled."
            )
        return _back(found, "progress-heading")
    context = {
        "commitment": found,
        "session": found.session,
        "has_finished": found.is_finished(now=now),
    }
    return _render(request, "commitment_end.html", context)
