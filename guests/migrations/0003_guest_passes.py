"""Guest passes: each guest entry names the link version it came through and may be revoked.

Until now a guest's identity held while the guest link kept the version it came in with.
Entries made before their link was last regenerated were ended by that regeneration: they
are revoked here, so they stay ended; the others came through the current version.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery


def passes_from_link_versions(apps, schema_editor) -> None:
    GuestEntry = apps.get_model("guests", "GuestEntry")
    GuestLink = apps.get_model("guests", "GuestLink")
    link = GuestLink.objects.filter(pk=OuterRef("guest_link_id"))
    GuestEntry.objects.update(link_version=Subquery(link.values("token_version")[:1]))
    regenerated = GuestLink.objects.filter(
        pk=OuterRef("guest_link_id"), regenerated_at__gt=OuterRef("created_at")
    )
    GuestEntry.objects.filter(
        guest_link__regenerated_at__gt=F("created_at"), revoked_at__isnull=True
    ).update(revoked_at=Subquery(regenerated.values("regenerated_at")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("guests", "0002_issue_guest_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="guestentry",
            name="link_version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="guestentry",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(passes_from_link_versions, migrations.RunPython.noop),
    ]
