from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat


def keep_existing_calendar_uids(apps, schema_editor) -> None:
    """Registrations made so far were invited under a UID of their own: their calendars hold
    that entry, so their later updates and cancellations must keep naming it."""
    Registration = apps.get_model("sessions_app", "Registration")
    domain = urlsplit(settings.PUBLIC_BASE_URL).hostname or "convene.invalid"
    Registration.objects.update(
        calendar_uid=Concat(
            Value("session-"),
            Cast("session_id", CharField()),
            Value("-registration-"),
            Cast("id", CharField()),
            Value(f"@{domain}"),
            output_field=CharField(),
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0005_replan_job"),
    ]

    operations = [
        migrations.AddField(
            model_name="registration",
            name="calendar_uid",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="registration",
            name="wants_reminders",
            field=models.BooleanField(default=True),
        ),
        migrations.RunPython(keep_existing_calendar_uids, migrations.RunPython.noop),
    ]
