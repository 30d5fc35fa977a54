"""The program's private label: brand name, colour, logo and its own start host name."""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from programs import selectors
from programs.forms import LOGO_CONTENT_TYPES, ProgramBrandForm
from programs.models import Program


@login_required
def program_brand(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = ProgramBrandForm(request.POST or None, request.FILES or None, instance=program)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Branding saved.")
        return redirect("programs:overview", program_id=program.pk)
    status = 400 if form.errors else 200
    return render(
        request, "programs/program_brand.html", {"form": form, "program": program}, status=status
    )


@require_GET
def brand_logo(request: HttpRequest, program_id: int, name: str) -> FileResponse:
    """A program's logo, for its branded pages.

    Uploaded files are not served as `/media/` (recordings live there too), so the logo has a
    view of its own. Its stored name is in the URL: a new logo gets a new URL, and the old one
    can be cached for long.
    """
    program = Program.objects.filter(pk=program_id).exclude(brand_logo="").first()
    if program is None or os.path.basename(program.brand_logo.name or "") != name:
        raise Http404("No such logo.")
    extension = os.path.splitext(name)[1].lower()
    try:
        logo = program.brand_logo.open("rb")
    except FileNotFoundError:
        raise Http404("The logo is no longer stored.") from None
    response = FileResponse(logo, content_type=LOGO_CONTENT_TYPES.get(extension, "image/png"))
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
