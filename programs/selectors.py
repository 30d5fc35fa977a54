"""Reads for programs: every host page fetches through a helper that checks the user hosts it."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from programs.models import HostInvitation, HostRole, Module, Program, ProgramHost

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class ViewerRole(TypedDict):
    """What `get_hosted_program_or_404` annotates its program with."""

    viewer_is_owner: bool


def programs_hosted_by(*, user: User | AnonymousUser) -> QuerySet[Program]:
    if not user.is_authenticated:
        return Program.objects.none()
    return Program.objects.filter(host_roles__user=user)


def get_hosted_program_or_404(
    *, user: User | AnonymousUser, program_id: int
) -> WithAnnotations[Program, ViewerRole]:
    """The program, with `viewer_is_owner` set, if `user` hosts it; 404 otherwise.

    Another host's program answers 404 rather than 403 so that ids reveal nothing.
    """
    if not isinstance(user, User):
        raise Http404("No such program.")
    program = (
        programs_hosted_by(user=user)
        .annotate(
            viewer_is_owner=Exists(
                ProgramHost.objects.filter(program=OuterRef("pk"), user=user, role=HostRole.OWNER)
            )
        )
        .filter(pk=program_id)
        .first()
    )
    if program is None:
        raise Http404("No such program.")
    return program


_Row = TypeVar("_Row", bound=models.Model)


def get_in_hosted_program_or_404(
    model: type[_Row], *, user: User | AnonymousUser, program_id: int, pk: int
) -> _Row:
    """The `model` row `pk` of the program `program_id`, if `user` hosts it; 404 otherwise.

    The row's `program` is the one checked (with `viewer_is_owner`), so pages read it freely.
    """
    program = get_hosted_program_or_404(user=user, program_id=program_id)
    found = model._default_manager.filter(program=program, pk=pk).first()
    if found is None:
        raise Http404(f"No such {model._meta.verbose_name}.")
    found.program = program  # type: ignore[attr-defined]
    return found


def get_hosted_module_or_404(
    *, user: User | AnonymousUser, program_id: int, module_id: int
) -> Module:
    return get_in_hosted_program_or_404(Module, user=user, program_id=program_id, pk=module_id)


def program_list_for_dashboard(*, user: User) -> QuerySet[Program]:
    return (
        programs_hosted_by(user=user)
        .annotate(
            module_count=Count("modules", distinct=True),
            activated_module_count=Count(
                "modules", filter=Q(modules__is_activated=True), distinct=True
            ),
        )
        .order_by("name", "id")
    )


def program_modules(*, program: Program) -> list[Module]:
    return list(program.modules.order_by("position", "id"))


def program_host_roles(*, program: Program) -> list[ProgramHost]:
    return list(program.host_roles.select_related("user").order_by("role", "user__email"))


def program_open_invitations(*, program: Program) -> list[HostInvitation]:
    return list(
        program.invitations.filter(accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("email")
    )
