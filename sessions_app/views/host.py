"""Host pages for sessions. Every page fetches through a host-checked helper."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.views.decorators.http import require_http_methods, require_POST

from programs.csv_safety import CSV_CONTENT_TYPE, UTF8_BOM, csv_cell
from programs.links import public_url
from programs.requests import AuthenticatedHttpRequest
from programs.selectors import get_hosted_program_or_404, programs_hosted_by
from sessions_app import selectors, services
from sessions_app.forms import (
    HostEmailSettingsForm,
    ParticipantsAddForm,
    QuestionForm,
    QuestionFormSet,
    SessionForm,
    new_questions,
)
from sessions_app.ics import session_public_url
from sessions_app.models import (
    Registration,
    RegistrationAnswer,
    ReplanJob,
    Session,
    WaitlistEntry,
)
from sessions_app.replans import session_replan_shown
from sessions_app.tokens import feed_url

REGISTRATIONS_PER_PAGE = 50
SESSIONS_PER_PAGE = 25


def _dashboard_url(session: Session, anchor: str = "", *, page: str = "dashboard") -> str:
    """A page of the session's host pages (Overview unless `page` names another)."""
    url = reverse(f"sessions_app:{page}", kwargs={"session_id": session.pk})
    return f"{url}#{anchor}" if anchor else url


@login_required
def session_create(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = SessionForm(request.POST or None, program=program, now=timezone.now())
    # A post without the question editor (an older page, a script) schedules no questions.
    has_questions = "questions-TOTAL_FORMS" in request.POST
    questions = QuestionFormSet(request.POST if has_questions else None, prefix="questions")
    questions_valid = questions.is_valid() if has_questions else True
    if request.method == "POST" and form.is_valid() and questions_valid:
        session = services.session_create(
            program=program,
            created_by=request.user,
            questions=new_questions(questions) if has_questions else [],
            **form.service_arguments(),
        )
        messages.success(request, f"Session “{session.title}” scheduled.")
        return redirect(_dashboard_url(session))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "sessions_app/session_form.html",
        {"form": form, "questions": questions, "program": program, "session": None},
        status=status,
    )


@login_required
def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    if session.is_cancelled:
        messages.info(request, "A cancelled session cannot be changed.")
        return redirect(_dashboard_url(session))
    now = timezone.now()
    form = SessionForm(
        request.POST or None,
        program=session.program,
        now=now,
        session=session,
        registration_count=selectors.session_registration_count(session=session),
    )
    if request.method == "POST" and form.is_valid():
        try:
            rescheduled = services.session_update(
                session=session, now=now, **form.service_arguments()
            )
        except services.ScheduleError as error:
            form.add_error(None, str(error))
        else:
            if rescheduled:
                messages.success(
                    request,
                    "Session rescheduled: every registrant gets the updated invite "
                    "(the progress is shown below).",
                )
            else:
                messages.success(request, "Session saved.")
            return redirect(_dashboard_url(session))
    return render(
        request,
        "sessions_app/session_form.html",
        {"form": form, "program": session.program, "session": session},
        status=400 if form.errors else 200,
    )


@login_required
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    error = ""
    if request.method == "POST":
        try:
            services.session_cancel(session=session, now=timezone.now())
        except services.ScheduleError as refused:
            error = str(refused)
        else:
            messages.success(
                request,
                "Session cancelled: every registrant gets the cancellation "
                "(the progress is shown below).",
            )
            return redirect(_dashboard_url(session))
    return render(
        request,
        "sessions_app/session_cancel.html",
        {
            "session": session,
            "error": error,
            "registration_count": selectors.session_registration_count(session=session),
        },
        status=400 if error else 200,
    )


@login_required
def my_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "upcoming")
    if tab not in selectors.MY_SESSIONS_TABS:
        tab = "upcoming"
    sessions = selectors.my_sessions(user=request.user, tab=tab, now=timezone.now())
    if tab == "completed":
        sessions = sessions.prefetch_related("recordings")
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    feed = selectors.calendar_feed_of(user=request.user)
    return render(
        request,
        "sessions_app/my_sessions.html",
        {
            "tab": tab,
            "tabs": [(name, name.capitalize()) for name in selectors.MY_SESSIONS_TABS],
            "page": page,
            "programs": list(programs_hosted_by(user=request.user).order_by("name", "id")),
            "feed_url": feed_url(feed) if feed is not None else "",
        },
    )


@login_required
@require_POST
def calendar_feed_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The host's first calendar address (asking twice keeps the same one)."""
    services.calendar_feed_for(user=request.user)
    messages.success(request, "Your calendar address is ready: add it to your calendar app.")
    return redirect(f"{reverse('sessions_app:my_sessions')}#calendar-feed")


@login_required
@require_POST
def calendar_feed_reset(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.calendar_feed_reset(user=request.user, now=timezone.now())
    messages.success(request, "Your calendar feed has a new address; the old one no longer works.")
    return redirect(f"{reverse('sessions_app:my_sessions')}#calendar-feed")


@login_required
def email_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Which e-mails a host gets: the host reminders of each program, off or back on."""
    programs = selectors.host_reminder_programs(user=request.user)
    # Every box unticked posts nothing but the token: still a submitted form.
    form = HostEmailSettingsForm(
        request.POST if request.method == "POST" else None, programs=programs
    )
    if request.method == "POST" and form.is_valid():
        services.host_reminders_settings_save(
            user=request.user,
            programs=programs,
            on=set(form.cleaned_data["reminded_programs"]),
            now=timezone.now(),
        )
        messages.success(request, "Your e-mail settings are saved.")
        return redirect("sessions_app:email_settings")
    return render(request, "sessions_app/email_settings.html", {"form": form, "programs": programs})


@login_required
@require_POST
def waitlist_change(request: HttpRequest, session_id: int, entry_id: int) -> HttpResponse:
    """Move somebody up or down the waitlist, or take them off it (host-checked)."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    entry = get_object_or_404(WaitlistEntry, pk=entry_id, session=session)
    action = request.POST.get("action", "")
    if action not in ("up", "down", "remove"):
        return HttpResponseBadRequest("Unknown action.")
    try:
        if action == "remove":
            services.waitlist_remove(entry=entry, now=timezone.now())
            messages.success(request, f"{entry.name} is no longer on the waitlist.")
        else:
            services.waitlist_move(entry=entry, direction=action)
    except services.WaitlistClosed as closed:
        messages.error(request, str(closed))
    return redirect(_dashboard_url(session, "waitlist", page="session_people"))


def _replan_context(job: ReplanJob | None) -> dict[str, object]:
    if job is None:
        return {"job": None}
    return {"job": job, "done_text": f"{job.done:,}", "total_text": f"{job.total:,}"}


@login_required
def replan_progress(request: HttpRequest, session_id: int) -> HttpResponse:
    """The progress card, polled by htmx while the session's registrants are replanned."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    job = session_replan_shown(session=session, now=timezone.now())
    return render(request, "sessions_app/includes/replan_progress.html", _replan_context(job))


# The session's pages by task: (URL name, label). Each is a page of its own with the same
# navigation, so a host reaches each task directly (docs/product.md, "Host pages by task").
SESSION_SECTIONS = (
    ("dashboard", "Overview"),
    ("session_people", "People"),
    ("session_questions", "Questions"),
    ("session_emails", "E-mails"),
    ("session_room", "Room & recordings"),
    ("session_share", "Share"),
)


def _session_page(
    request: HttpRequest,
    *,
    session: Session,
    section: str,
    template: str,
    context: dict[str, object] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    sections = [
        (
            reverse(f"sessions_app:{name}", kwargs={"session_id": session.pk}),
            label,
            name == section,
        )
        for name, label in SESSION_SECTIONS
    ]
    base = {
        "session": session,
        "program": session.program,
        "sections": sections,
        "section_label": dict(SESSION_SECTIONS)[section],
        "status_label": session.listed_status(now=now),
        "is_over": session.is_over(now=now),
        "is_open": session.is_open_for_registration(now=now),
    }
    return render(request, template, {**base, **(context or {})}, status=status)


@login_required
def session_dashboard(request: HttpRequest, session_id: int) -> HttpResponse:
    """Overview: the details, the live room's state and the one action it calls for."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    now = timezone.now()
    context = {
        "co_hosts": list(session.co_hosts.order_by("email")),
        "registration_count": selectors.session_registration_count(session=session),
        "question_count": session.questions.count(),
        **_replan_context(session_replan_shown(session=session, now=now)),
    }
    return _session_page(
        request,
        session=session,
        section="dashboard",
        template="sessions_app/session_overview.html",
        context=context,
    )


def _render_people(
    request: HttpRequest,
    *,
    session: Session,
    participants_form: ParticipantsAddForm | None = None,
    status: int = 200,
) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    registrations = selectors.session_registrations(session=session, search=search)
    page = Paginator(registrations, REGISTRATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "registration_count": selectors.session_registration_count(session=session),
        "page": page,
        "search": search,
        "participants_form": participants_form or ParticipantsAddForm(),
        "waitlist": list(session.waitlist.order_by("position", "id")),
        "declines": list(session.declines.all()[:50]),
    }
    return _session_page(
        request,
        session=session,
        section="session_people",
        template="sessions_app/session_people.html",
        context=context,
        status=status,
    )


@login_required
def session_people(request: HttpRequest, session_id: int) -> HttpResponse:
    """People: registrations (search, add, resend, remove), waitlist, declines, guests."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    return _render_people(request, session=session)


def _render_questions(
    request: HttpRequest,
    *,
    session: Session,
    question_form: QuestionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "questions": selectors.session_questions(session=session),
        "question_form": question_form or QuestionForm(),
    }
    return _session_page(
        request,
        session=session,
        section="session_questions",
        template="sessions_app/session_questions.html",
        context=context,
        status=status,
    )


@login_required
def session_questions(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    return _render_questions(request, session=session)


@login_required
def session_emails(request: HttpRequest, session_id: int) -> HttpResponse:
    """What the outbox planned and sent about the session, per kind and status."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    return _session_page(
        request,
        session=session,
        section="session_emails",
        template="sessions_app/session_emails.html",
        context=_replan_context(session_replan_shown(session=session, now=timezone.now())),
    )


@login_required
def session_room(request: HttpRequest, session_id: int) -> HttpResponse:
    """Room & recordings: start, join, end or complete the live room; attach recordings."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    return _session_page(
        request,
        session=session,
        section="session_room",
        template="sessions_app/session_room.html",
    )


@login_required
def session_share(request: HttpRequest, session_id: int) -> HttpResponse:
    """Share: each link named by who it is for (registration, commitments, guests)."""
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    # Participants of a session that needs registration get the form itself; of an open
    # session, its page, where they join with a name.
    if session.is_registration_required:
        path = reverse("sessions_app:register", kwargs={"code": session.code})
        participant_url = public_url(path, program=session.program)
    else:
        participant_url = session_public_url(session)
    context: dict[str, object] = {"participant_url": participant_url}
    return _session_page(
        request,
        session=session,
        section="session_share",
        template="sessions_app/session_share.html",
        context=context,
    )


@login_required
@require_http_methods(["GET", "POST"])
def participants_add(request: AuthenticatedHttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    if request.method == "GET":
        # A list refused shows its errors at this address; opened again (a reload after
        # leaving, a bookmark) it is the People page, where the form lives.
        return redirect(_dashboard_url(session, "registrations", page="session_people"))
    form = ParticipantsAddForm(request.POST)
    if not form.is_valid():
        return _render_people(request, session=session, participants_form=form, status=400)
    result = services.participants_add(
        session=session,
        people=form.cleaned_data["people"],
        added_by=request.user,
        now=timezone.now(),
    )
    if result.added:
        messages.success(
            request,
            f"Added {len(result.added)} {'person' if len(result.added) == 1 else 'people'}; "
            "each gets the confirmation with their personal link.",
        )
    if result.already:
        messages.info(
            request,
            f"Already registered (use “Resend link” to send theirs again): "
            f"{', '.join(result.already)}.",
        )
    if result.refused:
        messages.error(request, f"Not added ({result.reason}): {', '.join(result.refused)}.")
    return redirect(_dashboard_url(session, "registrations", page="session_people"))


@login_required
@require_POST
def registration_resend(
    request: HttpRequest, session_id: int, registration_id: int
) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    registration = Registration.objects.filter(session=session, pk=registration_id).first()
    if registration is None:
        raise Http404("No such registration.")
    revoke = request.POST.get("revoke") == "1"
    try:
        services.registration_resend_link(
            registration=registration, now=timezone.now(), revoke=revoke
        )
    except services.RegistrationRefused as refused:
        messages.error(request, str(refused))
    else:
        text = "A new link was sent to" if revoke else "The link was sent again to"
        extra = "; the old link no longer works" if revoke else ""
        messages.success(request, f"{text} {registration.email}{extra}.")
    return redirect(_dashboard_url(session, "registrations", page="session_people"))


@login_required
@require_POST
def question_add(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        return _render_questions(request, session=session, question_form=form, status=400)
    services.question_create(session=session, **form.cleaned_data)
    messages.success(request, "Question added to the registration page.")
    return redirect(_dashboard_url(session, "questions", page="session_questions"))


@login_required
@require_POST
def question_delete(request: HttpRequest, session_id: int, question_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    question = session.questions.filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question.")
    services.question_delete(question=question)
    messages.success(request, f"Question “{question.label}” removed; answers given keep it.")
    return redirect(_dashboard_url(session, "questions", page="session_questions"))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_rows(session: Session) -> Iterator[list[str]]:
    labels = selectors.session_answer_labels(session=session)
    yield [
        "Name",
        "E-mail",
        f"Registered at ({session.time_zone})",
        "How",
        *(csv_cell(label) for label in labels),
    ]
    registrations = session.registrations.order_by("created_at", "id").prefetch_related(
        Prefetch("answers", queryset=RegistrationAnswer.objects.order_by("id"))
    )
    for registration in registrations.iterator(chunk_size=500):
        by_label = {answer.question_label: answer.value for answer in registration.answers.all()}
        registered_at = registration.created_at.astimezone(session.zone)
        yield [
            csv_cell(registration.name),
            csv_cell(registration.email),
            date_format(registered_at, "Y-m-d H:i"),
            registration.get_source_display(),
            *(csv_cell(by_label.get(label, "")) for label in labels),
        ]


@login_required
def registrations_csv(request: HttpRequest, session_id: int) -> StreamingHttpResponse:
    session = selectors.get_hosted_session_or_404(user=request.user, session_id=session_id)
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in _csv_rows(session))
    response = StreamingHttpResponse(
        itertools.chain([UTF8_BOM], lines), content_type=CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = (
        f'attachment; filename="registrations-{session.display_code}.csv"'
    )
    return response
