"""Reads for commitments; host pages fetch through the host-checked helpers here."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import Http404

from commitments.models import Answer, CheckIn, Commitment, Question
from programs.models import Module, Program
from reminders.tokens import token_object
from sessions_app import selectors as sessions_selectors
from sessions_app.models import Session

COMMITMENT_TOKEN_PURPOSE = "commitment"


def session_for_code(*, typed: str, program: Program | None = None) -> Session | None:
    """The session a typed Session ID names; on a branded host, only that program's sessions."""
    return sessions_selectors.session_by_code(typed=typed, program=program)


def get_hosted_session_or_404(
    *, user: User | AnonymousUser, program_id: int, session_id: int
) -> Session:
    """The session under `program_id`, for its program's hosts and its co-hosts (else 404).

    The host check is sessions_app's own; this only insists on the program in the URL.
    """
    session = sessions_selectors.get_hosted_session_or_404(user=user, session_id=session_id)
    if session.program_id != int(program_id):
        raise Http404("No such session.")
    return session


def module_sessions(*, module: Module) -> list[Session]:
    return list(Session.objects.filter(module=module).order_by("starts_at", "id"))


def module_questions(*, module: Module | None, include_archived: bool = False) -> list[Question]:
    if module is None:
        return []
    questions = Question.objects.filter(module=module)
    if not include_archived:
        questions = questions.filter(is_archived=False)
    return list(questions.order_by("is_archived", "position", "id"))


def commitment_from_token(token: str) -> Commitment | None:
    return token_object(token, queryset=Commitment.objects.all(), purpose=COMMITMENT_TOKEN_PURPOSE)


def commitments_for_page() -> QuerySet[Commitment]:
    return Commitment.objects.select_related("session", "module", "session__program")


def commitment_checkins(*, commitment: Commitment) -> list[CheckIn]:
    return list(CheckIn.objects.filter(commitment=commitment).order_by("day"))


def commitment_answers(*, commitment: Commitment) -> list[Answer]:
    return list(Answer.objects.filter(commitment=commitment).order_by("position", "id"))


class CheckinCounts(TypedDict):
    """What `commitments_for_host` annotates each commitment with."""

    done_count: int
    checkin_count: int
    last_checkin_on: date | None


def commitments_for_host(
    *, module: Module | None = None, session: Session | None = None, with_answers: bool = False
) -> QuerySet[WithAnnotations[Commitment, CheckinCounts]]:
    """Commitments of a module or a session with their check-in counts, in a fixed number of queries."""
    commitments = Commitment.objects.all()
    if module is not None:
        commitments = commitments.filter(module=module)
    if session is not None:
        commitments = commitments.filter(session=session)
    commitments = (
        commitments.select_related("session")
        .annotate(
            done_count=Count("checkins", filter=Q(checkins__is_done=True)),
            checkin_count=Count("checkins"),
            last_checkin_on=Max("checkins__day"),
        )
        .order_by("-created_at", "-id")
    )
    if with_answers:
        commitments = commitments.prefetch_related(
            Prefetch("answers", queryset=Answer.objects.order_by("position", "id"))
        )
    return commitments
