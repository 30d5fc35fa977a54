"""Host pages for programs and modules. Every page fetches through a host-checked helper."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import PasswordResetView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from programs import selectors, services
from programs.emails import INVITATION_TOKEN_PURPOSE
from programs.forms import HostInviteForm, ModuleForm, ProgramForm, SignUpForm, TimeZoneForm
from programs.models import HostInvitation, Program, ProgramHost
from programs.requests import AuthenticatedHttpRequest
from programs.timezones import CHOSEN, SESSION_KEY, request_viewer_zone, zone_phrase
from reminders import personal_links
from reminders.personal_links import LinkKind, without_referrer
from reminders.tokens import token_object


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("programs:dashboard")
    return redirect("login")


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    programs = list(selectors.program_list_for_dashboard(user=request.user))
    return render(request, "programs/dashboard.html", {"programs": programs})


@login_required
def program_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        program = services.program_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Program “{program.name}” created.")
        return redirect("programs:overview", program_id=program.pk)
    return render(request, "programs/program_form.html", {"form": form, "program": None})


@login_required
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = ProgramForm(request.POST or None, instance=program)
    if request.method == "POST" and form.is_valid():
        services.program_update(program=program, **form.cleaned_data)
        messages.success(request, "Program saved.")
        return redirect("programs:overview", program_id=program.pk)
    return render(request, "programs/program_form.html", {"form": form, "program": program})


@login_required
def program_overview(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_hosted_program_or_404(user=request.user, program_id=program_id)
    return _render_overview(request, program=program, invite_form=HostInviteForm())


def _render_overview(
    request: HttpRequest, *, program: Program, invite_form: HostInviteForm, status: int = 200
) -> HttpResponse:
    context = {
        "program": program,
        "modules": selectors.program_modules(program=program),
        "host_roles": selectors.program_host_roles(program=program),
        "invitations": selectors.program_open_invitations(program=program),
        "invite_form": invite_form,
    }
    return render(request, "programs/program_overview.html", context, status=status)


@login_required
def module_create(request: HttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_hosted_program_or_404(user=request.user, program_id=program_id)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        module = services.module_create(program=program, **form.cleaned_data)
        messages.success(request, f"Module “{module.title}” added.")
        return redirect("programs:overview", program_id=program.pk)
    return render(
        request, "programs/module_form.html", {"form": form, "program": program, "module": None}
    )


@login_required
def module_edit(request: HttpRequest, program_id: int, module_id: int) -> HttpResponse:
    module = selectors.get_hosted_module_or_404(
        user=request.user, program_id=program_id, module_id=module_id
    )
    form = ModuleForm(request.POST or None, instance=module)
    if request.method == "POST" and form.is_valid():
        services.module_update(module=module, **form.cleaned_data)
        messages.success(request, "Module saved.")
        return redirect("programs:overview", program_id=program_id)
    return render(
        request,
        "programs/module_form.html",
        {"form": form, "program": module.program, "module": module},
    )


@login_required
@require_POST
def module_move(request: HttpRequest, program_id: int, module_id: int) -> HttpResponse:
    module = selectors.get_hosted_module_or_404(
        user=request.user, program_id=program_id, module_id=module_id
    )
    direction = request.POST.get("direction", "")
    if direction not in ("up", "down"):
        return HttpResponse("direction must be 'up' or 'down'", status=400)
    if not services.module_move(module=module, direction=direction):
        messages.info(
            request,
            f"“{module.title}” is already at the {'top' if direction == 'up' else 'bottom'}.",
        )
    return redirect(f"{reverse('programs:overview', kwargs={'program_id': program_id})}#modules")


@login_required
@require_POST
def module_toggle(request: HttpRequest, program_id: int, module_id: int) -> HttpResponse:
    module = selectors.get_hosted_module_or_404(
        user=request.user, program_id=program_id, module_id=module_id
    )
    services.module_set_activated(module=module, is_activated=not module.is_activated)
    state = "activated" if module.is_activated else "deactivated"
    messages.success(request, f"“{module.title}” {state}.")
    return redirect(f"{reverse('programs:overview', kwargs={'program_id': program_id})}#modules")


@login_required
@require_POST
def host_invite(request: AuthenticatedHttpRequest, program_id: int) -> HttpResponse:
    program = selectors.get_hosted_program_or_404(user=request.user, program_id=program_id)
    if not program.viewer_is_owner:
        return HttpResponse("Only the program's owners can invite hosts.", status=403)
    form = HostInviteForm(request.POST)
    if not form.is_valid():
        return _render_overview(request, program=program, invite_form=form, status=400)
    outcome, _ = services.host_invite(
        program=program, invited_by=request.user, now=timezone.now(), **form.cleaned_data
    )
    email = form.cleaned_data["email"]
    text = {
        "added": f"{email} is now a host of this program; we e-mailed them.",
        "already": f"{email} already hosts this program.",
        "invited": f"Invitation sent to {email}.",
    }[outcome]
    messages.success(request, text)
    return redirect(f"{reverse('programs:overview', kwargs={'program_id': program.pk})}#hosts")


@login_required
@require_POST
def host_remove(request: HttpRequest, program_id: int, host_role_id: int) -> HttpResponse:
    program = selectors.get_hosted_program_or_404(user=request.user, program_id=program_id)
    if not program.viewer_is_owner:
        return HttpResponse("Only the program's owners can remove hosts.", status=403)
    host_role = (
        ProgramHost.objects.filter(program=program, pk=host_role_id).select_related("user").first()
    )
    if host_role is None:
        raise Http404("No such host.")
    try:
        services.host_remove(program=program, host_role=host_role, now=timezone.now())
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{host_role.user.email} no longer hosts this program.")
    return redirect(f"{reverse('programs:overview', kwargs={'program_id': program.pk})}#hosts")


def _invitation_from_token(token: str) -> HostInvitation | None:
    return token_object(
        token,
        queryset=HostInvitation.objects.select_related("program"),
        purpose=INVITATION_TOKEN_PURPOSE,
    )


# The invited host's browser keeps the invitation link's credential for its accept page.
INVITATION_LINK = LinkKind("invitation", days=14, legacy_session=True)


def _invitation_invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "programs/invitation_invalid.html", status=404)


def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation e-mail: swap the token for a mark, then drop it from the URL."""
    found = _invitation_from_token(token)
    if found is None or not found.is_open:
        return without_referrer(_invitation_invalid(request))
    page = reverse("programs:invitation_page", kwargs={"invitation_id": found.pk})
    return personal_links.exchange(
        request, kind=INVITATION_LINK, scope=found.pk, obj=found, to=page, path=page
    )


def invitation_page(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Accept a host invitation: signed in, with one click; otherwise by creating an account."""
    found = personal_links.held(
        request,
        kind=INVITATION_LINK,
        scope=invitation_id,
        queryset=HostInvitation.objects.select_related("program"),
    )
    if found is None or not found.is_open:
        return _invitation_invalid(request)
    if request.user.is_authenticated:
        if not services.invitation_is_for(invitation=found, user=request.user):
            context = {"invitation": found, "form": None, "is_other_account": True}
            return render(request, "programs/invitation.html", context, status=403)
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=found, user=request.user, now=timezone.now())
            except services.InvitationClosed:
                return _invitation_invalid(request)
            messages.success(request, f"You now host “{found.program.name}”.")
            return redirect("programs:overview", program_id=found.program_id)
        return render(request, "programs/invitation.html", {"invitation": found, "form": None})
    form = SignUpForm(request.POST or None, fixed_email=found.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_sign_up_and_accept(
                invitation=found,
                name=form.cleaned_data["name"],
                password=form.cleaned_data["password"],
                now=timezone.now(),
            )
        except services.InvitationClosed:
            return _invitation_invalid(request)
        except services.AccountExists:
            return _account_exists(request)
        login(request, user, backend="programs.backends.EmailBackend")
        messages.success(request, f"Welcome! You now host “{found.program.name}”.")
        return redirect("programs:overview", program_id=found.program_id)
    return render(
        request,
        "programs/invitation.html",
        {"invitation": found, "form": form},
        status=400 if form.errors else 200,
    )


def sign_up(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        raise Http404("Sign-up is closed: ask an administrator for an account.")
    if request.user.is_authenticated:
        return redirect("programs:dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.host_sign_up(**form.cleaned_data)
        except services.AccountExists:
            return _account_exists(request)
        login(request, user, backend="programs.backends.EmailBackend")
        messages.success(request, "Welcome to Convene. Create your first program.")
        return redirect("programs:dashboard")
    return render(request, "registration/signup.html", {"form": form})


def _account_exists(request: HttpRequest) -> HttpResponse:
    messages.info(request, "An account with this e-mail address exists already: please sign in.")
    return redirect(f"{reverse('login')}?next={request.path}")


def _time_zone_return(request: HttpRequest, target: str) -> str:
    """Where to go after choosing a zone: `target` if it is a page of this site, else "/".

    The footer's "Change time zone" link on the zone page itself wraps that page in itself:
    unwrap it back to the page the visitor started from. Each step is checked with Django's
    `url_has_allowed_host_and_scheme` before it is taken apart, so a `next` that is no URL at
    all (`http://[`) is refused like one of another site's.
    """
    zone_page = reverse("programs:set_time_zone")
    for _ in range(5):
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return "/"
        parts = urlsplit(target)
        if not parts.path.startswith("/"):  # `-1`, `page`: not a page of this site either
            return "/"
        if parts.path != zone_page:
            return target
        target = parse_qs(parts.query).get("next", ["/"])[0]
    return "/"


def set_time_zone(request: HttpRequest) -> HttpResponse:
    """The zone switcher: every page shows times in the zone chosen here, for this browser."""
    target = _time_zone_return(request, request.POST.get("next") or request.GET.get("next") or "/")
    viewer = request_viewer_zone(request)
    current = viewer[0] if viewer else "UTC"
    if request.method == "POST" and request.POST.get("follow_browser"):
        request.session.pop(SESSION_KEY, None)
        messages.success(request, "Times now follow your browser's zone.")
        return HttpResponseRedirect(target)
    form = TimeZoneForm(request.POST or None, initial={"time_zone": current, "next": target})
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["time_zone"]
        request.session[SESSION_KEY] = chosen
        messages.success(request, f"Times are now shown in {zone_phrase(chosen)} ({chosen}).")
        # Not `redirect()`, which reads a target without a slash as a view name to reverse.
        return HttpResponseRedirect(target)
    context = {
        "form": form,
        "is_chosen": bool(viewer and viewer[1] == CHOSEN),
        "next": target,
    }
    return render(request, "programs/time_zone.html", context, status=400 if form.errors else 200)


class PasswordResetWithRequestView(PasswordResetView):
    """Django's reset view, handing the request to the form for its rate limit."""

    def get_form_kwargs(self) -> dict[str, object]:
        return {**super().get_form_kwargs(), "request": self.request}
