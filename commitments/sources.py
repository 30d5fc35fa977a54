"""Where a commitment came from: the marker each way in carries to the commitment form.

The three ways in all end at the session's landing page, `/start/<code>/`, and from there at
its form. Each carries `?via=`: `id` after a typed Session ID (the lookup redirects with it),
`qr` in the address a QR code holds, `link` in the direct link hosts share and in the
"Create your commitment" buttons of Convene's own pages, except on a session page reached
from the "Type a Session ID" lookup (`/session-id/`), which redirects with `?via=id` and whose
button passes `id` on. The landing page passes the marker on
to the form, whose POST keeps it (the form posts to its own address). An address without a
marker (a QR code or a link handed out before markers existed) still works and makes a
commitment of source "unknown": it cannot be told apart.
"""

from __future__ import annotations

from django.http import HttpRequest

from commitments.models import CommitmentSource

VIA_PARAMETER = "via"

_MARKERS = {
    CommitmentSource.SESSION_ID: "id",
    CommitmentSource.QR_CODE: "qr",
    CommitmentSource.DIRECT_LINK: "link",
}
_SOURCES = {marker: source for source, marker in _MARKERS.items()}


def source_query(source: str) -> str:
    """`?via=<marker>` for a known source, "" for unknown."""
    marker = _MARKERS.get(CommitmentSource(source)) if source in CommitmentSource.values else None
    return f"?{VIA_PARAMETER}={marker}" if marker else ""


def source_from_request(request: HttpRequest) -> str:
    """The source the address of this request names; unknown when it names none."""
    return _SOURCES.get(request.GET.get(VIA_PARAMETER, ""), CommitmentSource.UNKNOWN)
