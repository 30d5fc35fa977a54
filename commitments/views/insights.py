"""The host's page for one commitment: every day with its check-in, rating and note, and the
answers given when it was made. Hosts of the commitment's program only (404 otherwise)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from commitments import selectors
from commitments.models import CheckIn, Commitment
from commitments.progress import commitment_progress
from programs.selectors import get_hosted_program_or_404


@login_required
def host_commitment(request: HttpRequest, program_id: int, commitment_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    commitment = (
        Commitment.objects.filter(pk=commitment_id, module__program=program)
        .select_related("module", "session")
        .first()
    )
    if commitment is None:
        raise Http404("No such commitment in this program.")
    checkins = list(CheckIn.objects.filter(commitment=commitment).order_by("day"))
    progress = commitment_progress(commitment=commitment, checkins=checkins, now=timezone.now())
    return render(
        request,
        "commitments/host/commitment_detail.html",
        {
            "program": program,
            "module": commitment.module,
            "commitment": commitment,
            "progress": progress,
            "answers": selectors.commitment_answers(commitment=commitment),
            "tab": "commitments",
        },
    )
