"""Old addresses that moved: a permanent redirect to the named URL that serves them now.

Each app's URLconf keeps the old addresses under its own prefixes, unnamed (so `reverse()`
never builds one): `moved("app:name")` answers with the new address, built from the same
path arguments, and the query string kept. GET and HEAD get a 301; any other method a 308,
so a form posted from a page opened before the move is posted again to the new address.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import reverse


def moved(pattern_name: str) -> Callable[..., HttpResponse]:
    def redirect_to_new_address(request: HttpRequest, **kwargs: object) -> HttpResponse:
        target = reverse(pattern_name, kwargs=kwargs)
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(
            f"{target}?{query}" if query else target,
            preserve_request=request.method not in ("GET", "HEAD"),
        )

    return redirect_to_new_address
