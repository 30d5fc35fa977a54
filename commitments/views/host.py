"""Host pages: a module's questions, the commitments of a module or a session, QR codes.

Every page fetches through a host-checked helper; another program's pages answer 404.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from commitments import selectors, services
from commitments.forms import QuestionForm
from commitments.models import Commitment, Question
from commitments.qr import CONTENT_TYPES, qr_etag, qr_image
from commitments.templatetags.commitments_tags import session_qr_url
from programs.csv_safety import CSV_CONTENT_TYPE, UTF8_BOM, csv_cell
from programs.models import Module
from programs.selectors import get_hosted_module_or_404

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from commitments.selectors import CheckinCounts


def _questions_url(module: Module) -> str:
    return reverse(
        "commitments:questions",
        kwargs={"program_id": module.program_id, "module_id": module.pk},
    )


def _render_questions(
    request: HttpRequest, module: Module, form: QuestionForm, status: int = 200
) -> HttpResponse:
    questions = selectors.module_questions(module=module, include_archived=True)
    context = {
        "program": module.program,
        "module": module,
        "active_questions": [q for q in questions if not q.is_archived],
        "archived_questions": [q for q in questions if q.is_archived],
        "form": form,
        "tab": "questions",
    }
    return render(request, "commitments/host/questions.html", context, status=status)


@login_required
def questions(request: HttpRequest, program_id: int, module_id: int) -> HttpResponse:
    module = get_hosted_module_or_404(user=request.user, program_id=program_id, module_id=module_id)
    form = QuestionForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _render_questions(request, module, form, status=400)
        question = services.question_create(module=module, **form.cleaned_data)
        messages.success(request, f"Question “{question.text}” added.")
        return redirect(_questions_url(module))
    return _render_questions(request, module, form)


def _hosted_question(
    request: HttpRequest, program_id: int, module_id: int, question_id: int
) -> tuple[Module, Question]:
    module = get_hosted_module_or_404(user=request.user, program_id=program_id, module_id=module_id)
    question = get_object_or_404(Question, module=module, pk=question_id)
    question.module = module
    return module, question


@login_required
def question_edit(
    request: HttpRequest, program_id: int, module_id: int, question_id: int
) -> HttpResponse:
    module, question = _hosted_question(request, program_id, module_id, question_id)
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        services.question_update(question=question, **form.cleaned_data)
        messages.success(
            request, "Question saved. The change applies to commitments made from now on."
        )
        return redirect(_questions_url(module))
    return render(
        request,
        "commitments/host/question_form.html",
        {"program": module.program, "module": module, "question": question, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def question_move(
    request: HttpRequest, program_id: int, module_id: int, question_id: int
) -> HttpResponse:
    module, question = _hosted_question(request, program_id, module_id, question_id)
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponse("direction must be 'up' or 'down'", status=400)
    if not services.question_move(question=question, direction=direction):
        messages.info(
            request,
            f"“{question.text}” is already at the {'top' if direction == 'up' else 'bottom'}.",
        )
    return redirect(_questions_url(module))


@login_required
@require_POST
def question_archive(
    request: HttpRequest, program_id: int, module_id: int, question_id: int
) -> HttpResponse:
    module, question = _hosted_question(request, program_id, module_id, question_id)
    services.question_set_archived(question=question, is_archived=not question.is_archived)
    if question.is_archived:
        messages.success(request, f"“{question.text}” archived: new commitments will not ask it.")
    else:
        messages.success(request, f"“{question.text}” restored.")
    return redirect(_questions_url(module))


def _csv_response(
    *,
    filename: str,
    commitments: list[WithAnnotations[Commitment, CheckinCounts]],
    questions: list[Question],
) -> HttpResponse:
    response = HttpResponse(UTF8_BOM, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    now = timezone.now()
    writer.writerow(
        [
            "name",
            "email",
            "session",
            "session_id",
            "time_zone",
            "created_at_utc",
            "starts_on",
            "ends_on",
            "duration_days",
            "days_done",
            "check_ins",
            "last_check_in",
            "status",
            "ended_early_at_utc",
            "reflection",
            *(csv_cell(question.text) for question in questions),
        ]
    )
    for commitment in commitments:
        answers = {answer.question_id: answer.value for answer in commitment.answers.all()}
        writer.writerow(
            [
                csv_cell(commitment.participant_name),
                csv_cell(commitment.participant_email),
                csv_cell(commitment.session.title),
                commitment.session.display_code,
                commitment.time_zone,
                commitment.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
                commitment.starts_on.isoformat(),
                commitment.ends_on.isoformat(),
                commitment.duration_days,
                commitment.done_count,
                commitment.checkin_count,
                commitment.last_checkin_on.isoformat() if commitment.last_checkin_on else "",
                _status(commitment, now=now),
                commitment.ended_early_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
                if commitment.ended_early_at
                else "",
                csv_cell(commitment.reflection),
                *(csv_cell(answers.get(question.pk, "")) for question in questions),
            ]
        )
    return response


def _status(commitment: Commitment, *, now: datetime) -> str:
    """`active`, `finished` (its last day has passed) or `ended_early` (by the participant)."""
    if commitment.has_ended_early:
        return "ended_early"
    if commitment.is_finished(now=now):
        return "finished"
    return "active"


def _commitment_rows(
    commitments: list[WithAnnotations[Commitment, CheckinCounts]],
) -> list[dict[str, object]]:
    now = timezone.now()
    rows = []
    for commitment in commitments:
        today = commitment.ended_early_on or commitment.today(now=now)
        elapsed = min(max((today - commitment.starts_on).days + 1, 0), commitment.duration_days)
        rows.append(
            {
                "commitment": commitment,
                "elapsed": elapsed,
                "percent": round(100 * commitment.done_count / commitment.duration_days),
                "status": _status(commitment, now=now),
            }
        )
    return rows


@login_required
def module_commitments(request: HttpRequest, program_id: int, module_id: int) -> HttpResponse:
    module = get_hosted_module_or_404(user=request.user, program_id=program_id, module_id=module_id)
    as_csv = request.GET.get("format") == "csv"
    commitments = list(selectors.commitments_for_host(module=module, with_answers=as_csv))
    if as_csv:
        return _csv_response(
            filename=f"commitments-{slugify(module.title) or module.pk}.csv",
            commitments=commitments,
            questions=selectors.module_questions(module=module, include_archived=True),
        )
    return render(
        request,
        "commitments/host/module_commitments.html",
        {
            "program": module.program,
            "module": module,
            "rows": _commitment_rows(commitments),
            "sessions": selectors.module_sessions(module=module),
            "tab": "commitments",
        },
    )


@login_required
def session_commitments(request: HttpRequest, program_id: int, session_id: int) -> HttpResponse:
    session = selectors.get_hosted_session_or_404(
        user=request.user, program_id=program_id, session_id=session_id
    )
    as_csv = request.GET.get("format") == "csv"
    commitments = list(selectors.commitments_for_host(session=session, with_answers=as_csv))
    if as_csv:
        questions = (
            selectors.module_questions(module=session.module, include_archived=True)
            if session.module
            else []
        )
        return _csv_response(
            filename=f"commitments-{session.code}.csv", commitments=commitments, questions=questions
        )
    return render(
        request,
        "commitments/host/session_commitments.html",
        {"program": session.program, "session": session, "rows": _commitment_rows(commitments)},
    )


@login_required
def session_qr(
    request: HttpRequest, program_id: int, session_id: int, image_format: str
) -> HttpResponse:
    """The QR code of the session's landing page (marked as reached by QR code), for hosts,
    while its module is activated."""
    session = selectors.get_hosted_session_or_404(
        user=request.user, program_id=program_id, session_id=session_id
    )
    if session.module is None or not session.module.is_activated:
        return HttpResponse(
            "The QR code is available only while the session's module is activated.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    data = session_qr_url(session)
    etag = qr_etag(data=data, image_format=image_format)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=86400"}
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=304, headers=headers)
    response = HttpResponse(
        qr_image(data=data, image_format=image_format),
        content_type=CONTENT_TYPES[image_format],
        headers=headers,
    )
    if request.GET.get("download"):
        response["Content-Disposition"] = (
            f'attachment; filename="session-{session.code}-qr.{image_format}"'
        )
    return response
