"""The commitment links that the session's Share page and the Program Overview tiles compose.

Pass sessions fetched with `select_related("module", "program")`: the panel then issues no
query, so a page of fifty tiles costs nothing more.
"""

from __future__ import annotations

from django import template
from django.urls import reverse

from commitments.models import CommitmentSource
from commitments.sources import source_query
from programs.links import public_url
from sessions_app.models import Session

register = template.Library()


def session_start_url(session: Session) -> str:
    return public_url(reverse("commitments:start"), program=session.program)


def _landing_url(session: Session, source: str) -> str:
    landing = reverse("commitments:session", kwargs={"code": session.code})
    return public_url(landing + source_query(source), program=session.program)


def session_direct_url(session: Session) -> str:
    """The direct link hosts share: the session's commitment landing page, marked as a link."""
    return _landing_url(session, CommitmentSource.DIRECT_LINK)


def session_qr_url(session: Session) -> str:
    """The address a QR code carries: the same landing page, marked as reached by QR code
    (`commitments.sources`), so commitments made from it are counted as "QR code"."""
    return _landing_url(session, CommitmentSource.QR_CODE)


def _share_context(session: Session) -> dict[str, object]:
    module = session.module
    is_open = module is not None and module.is_activated
    context: dict[str, object] = {
        "session": session,
        "has_module": module is not None,
        "is_open": is_open,
    }
    if is_open:
        qr_kwargs = {"program_id": session.program_id, "session_id": session.pk}
        context.update(
            {
                "display_code": session.display_code,
                "start_url": session_start_url(session),
                "direct_url": session_direct_url(session),
                "qr_url": session_qr_url(session),
                "qr_png_url": reverse(
                    "commitments:session_qr", kwargs={**qr_kwargs, "image_format": "png"}
                ),
                "qr_svg_url": reverse(
                    "commitments:session_qr", kwargs={**qr_kwargs, "image_format": "svg"}
                ),
                "commitments_url": reverse("commitments:session_commitments", kwargs=qr_kwargs),
            }
        )
    return context


@register.inclusion_tag("commitments/includes/share_panel.html")
def session_share_panel(session: Session) -> dict[str, object]:
    """The compact panel of a session tile (Program Overview)."""
    return _share_context(session)


@register.inclusion_tag("commitments/includes/commitment_share.html")
def session_commitment_share(session: Session) -> dict[str, object]:
    """The Session ID, start page, commitment link and QR code on the session's Share page."""
    return _share_context(session)
