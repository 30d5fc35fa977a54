"""Every session has its guest link: issue one for the sessions made before links were issued
at creation (pages used to create them on GET; they now only read)."""

from __future__ import annotations

from django.db import migrations

BATCH = 1000


def issue_missing_guest_links(apps, schema_editor) -> None:
    Session = apps.get_model("sessions_app", "Session")
    GuestLink = apps.get_model("guests", "GuestLink")
    missing = (
        Session.objects.filter(guest_link__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=BATCH)
    )
    batch: list[object] = []
    for session_id in missing:
        batch.append(GuestLink(session_id=session_id))
        if len(batch) == BATCH:
            GuestLink.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    GuestLink.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("guests", "0001_initial"),
        ("sessions_app", "0004_attendance_recording"),
    ]

    operations = [
        # Backwards leaves the links: removing them would kill links hosts have shared.
        migrations.RunPython(issue_missing_guest_links, migrations.RunPython.noop),
    ]
