"""What every ModelAdmin that writes through the services shares.

The admin writes only through the services, as the host pages do. A service that refuses a
change (a session that is live, a round already matched, a duplicate member) raises one of the
errors named in `ServiceAdminMixin.service_errors`; the change page then rolls the whole save
back and shows the reason instead of a server error.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


class ServiceAdminMixin:
    service_errors: tuple[type[Exception], ...] = (ValueError,)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, object] | None = None,
    ) -> HttpResponse:
        try:
            # The admin's own transaction wraps the save: a refusal undoes all of it.
            return super().changeform_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        except self.service_errors as error:
            messages.error(request, f"Nothing was saved: {error}")
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        except self.service_errors as error:
            messages.error(request, f"Nothing was deleted: {error}")
            return HttpResponseRedirect(request.get_full_path())


class ViewOnlyAdminMixin:
    """Rows only the services write (answers, matches): shown, never added, edited or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
