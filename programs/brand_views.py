"""The program's private label: brand name, colour, logo and its own start host name."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from programs import selectors
from programs.forms import ProgramBrandForm


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
