"""Insights figures about e-mail: per kind sent, delivered, bounced, complained, failed, and
the addresses that need attention.

A message belongs to the programs when its outbox topic is one of theirs (`session:<id>`,
`round:<id>`, `commitment:<id>`, `program:<id>`: each app answers its topics to
`programs.signals.insight_topics_wanted`), and to the period when it was created in it.
*Delivered* counts the provider's delivery reports (opened and clicked imply delivered);
*bounced* includes rejections.
"""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from programs.insights import Figure, Scope, Section, program_topics_q
from reminders.models import DeliveryStatus, Message, MessageStatus

ATTENTION_ROWS = 50

DELIVERED = Q(
    delivery_status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.OPENED, DeliveryStatus.CLICKED]
)
BOUNCED = Q(delivery_status__in=[DeliveryStatus.BOUNCED, DeliveryStatus.REJECTED])
COMPLAINED = Q(delivery_status=DeliveryStatus.COMPLAINED)
FAILED = Q(status=MessageStatus.FAILED)


def messages_in_scope(scope: Scope) -> QuerySet[Message]:
    return Message.objects.filter(
        program_topics_q(scope.program_ids),
        created_at__gte=scope.start,
        created_at__lt=scope.end,
    )


def per_kind(scope: Scope) -> list[dict]:
    return list(
        messages_in_scope(scope)
        .order_by()
        .values("kind")
        .annotate(
            sent=Count("pk", filter=Q(status=MessageStatus.SENT)),
            delivered=Count("pk", filter=DELIVERED),
            bounced=Count("pk", filter=BOUNCED),
            complained=Count("pk", filter=COMPLAINED),
            failed=Count("pk", filter=FAILED),
        )
        .order_by("kind")
    )


def addresses_needing_attention(scope: Scope) -> list[dict]:
    return list(
        messages_in_scope(scope)
        .filter(BOUNCED | COMPLAINED | FAILED)
        .order_by()
        .values("recipient_email")
        .annotate(
            bounced=Count("pk", filter=BOUNCED),
            complained=Count("pk", filter=COMPLAINED),
            failed=Count("pk", filter=FAILED),
            last=Max("updated_at"),
        )
        .order_by("-last", "recipient_email")[: ATTENTION_ROWS if scope.is_page else None]
    )


def kind_label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def email_section(scope: Scope) -> Section:
    kinds = per_kind(scope)
    attention = addresses_needing_attention(scope)
    keys = ("sent", "delivered", "bounced", "complained", "failed")
    totals = {key: sum(row[key] for row in kinds) for key in keys}
    return Section(
        slug="email",
        title="E-mail",
        summary=[(key.capitalize(), totals[key]) for key in keys],
        figures=[
            Figure(
                slug="per-kind",
                title="Per kind of e-mail",
                columns=["Kind", "Sent", "Delivered", "Bounced", "Complained", "Failed"],
                rows=[[kind_label(row["kind"]), *(row[key] for key in keys)] for row in kinds],
                chart="bars",
                series=[1, 2, 3, 4, 5],
            ),
            Figure(
                slug="attention",
                title="Addresses that need attention",
                columns=["Address", "Bounced", "Complained", "Failed", "Last report"],
                rows=[
                    [
                        row["recipient_email"],
                        row["bounced"],
                        row["complained"],
                        row["failed"],
                        timezone.localtime(row["last"], scope.zone).strftime("%Y-%m-%d %H:%M"),
                    ]
                    for row in attention
                ],
            ),
        ],
    )
