"""Host pages of the roster: the list, adding one member, status changes, CSV upload."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from programs import members, round_selectors
from programs.models import MemberStatus
from programs.round_forms import MemberForm, MemberUploadForm
from programs.selectors import get_hosted_program_or_404

UPLOAD_SESSION_KEY = "member_uploads"
PAGE_SIZE = 100


@login_required
def member_list(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = members.member_create(program=program, now=timezone.now(), **form.cleaned_data)
        except members.MemberError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, f"{member.name} added to the roster.")
            return redirect("programs:member_list", program_id=program.pk)
    search = request.GET.get("q", "").strip()[:100]
    page = Paginator(round_selectors.program_members(program=program, search=search), PAGE_SIZE)
    context = {
        "program": program,
        "form": form,
        "upload_form": MemberUploadForm(),
        "page": page.get_page(request.GET.get("page")),
        "search": search,
        "counts": round_selectors.member_status_counts(program=program),
        "active_tab": "members",
    }
    return render(request, "programs/member_list.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def member_status(request: HttpRequest, program_id: int, member_id: int) -> HttpResponse:
    member = round_selectors.get_hosted_member_or_404(
        user=request.user, program_id=program_id, member_id=member_id
    )
    status = request.POST.get("status", "")
    if status not in (MemberStatus.ACTIVE, MemberStatus.DEACTIVATED):
        return HttpResponse("Hosts can deactivate or reactivate a member.", status=400)
    members.member_set_status(member=member, status=status, now=timezone.now())
    verb = "reactivated" if status == MemberStatus.ACTIVE else "deactivated"
    messages.success(request, f"{member.name} {verb}.")
    return redirect(reverse("programs:member_list", kwargs={"program_id": program_id}))


@login_required
def member_upload(request: HttpRequest, program_id: int) -> HttpResponse:
    """Step 1: parse the file and show every row with what importing it does (refused rows
    with their reasons); nothing is saved yet."""
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = MemberUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = members.member_csv_parse(program=program, content=form.cleaned_data["file"])
        key = secrets.token_urlsafe(12)
        uploads = request.session.get(UPLOAD_SESSION_KEY, {})
        # Keep only the newest upload per program so the session never grows without bound.
        uploads = {k: v for k, v in uploads.items() if v["program"] != program.pk}
        uploads[key] = {"program": program.pk, "upload": upload.to_session()}
        request.session[UPLOAD_SESSION_KEY] = uploads
        return render(
            request,
            "programs/member_upload_preview.html",
            {"program": program, "upload": upload, "key": key, "active_tab": "members"},
            status=200 if upload.valid_rows else 400,
        )
    return render(
        request,
        "programs/member_upload.html",
        {"program": program, "form": form, "active_tab": "members"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def member_upload_confirm(request: HttpRequest, program_id: int) -> HttpResponse:
    """Step 2: save the previewed valid rows in one transaction; refused rows are skipped."""
    program = get_hosted_program_or_404(user=request.user, program_id=program_id)
    uploads = request.session.get(UPLOAD_SESSION_KEY, {})
    stored = uploads.get(request.POST.get("key", ""))
    if stored is None or stored["program"] != program.pk or "upload" not in stored:
        messages.error(request, "That upload has expired: please upload the file again.")
        return redirect("programs:member_upload", program_id=program.pk)
    upload = members.ParsedUpload.from_session(stored["upload"])
    try:
        result = members.member_import(program=program, upload=upload, now=timezone.now())
    except members.MemberError as error:
        messages.error(request, str(error))
        return redirect("programs:member_upload", program_id=program.pk)
    uploads.pop(request.POST["key"], None)
    request.session[UPLOAD_SESSION_KEY] = uploads
    refused = (
        f" {result.refused} refused row{pluralize(result.refused)} not imported."
        if result.refused
        else ""
    )
    messages.success(
        request,
        f"Roster saved: {result.created} added, {result.updated} updated, "
        f"{result.unchanged} unchanged.{refused}",
    )
    return redirect("programs:member_list", program_id=program.pk)
