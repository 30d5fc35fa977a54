"""Round e-mails are about their member (opt-in, no match) or group (match), not the round.

Rows planned before (any status, so a member's or group's history is complete) move over:
the round goes into the payload, the member or group becomes what the row is about. Each
kind is one UPDATE; SQL evaluates every SET from the old row, so `object_id` still names
the round where the payload reads it.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import F
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, JSONObject


def _content_type(apps, model: str, *, create: bool):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if create:
        return ContentType.objects.get_or_create(app_label="programs", model=model)[0]
    return ContentType.objects.filter(app_label="programs", model=model).first()


def forwards(apps, schema_editor) -> None:
    round_type = _content_type(apps, "round", create=False)
    if round_type is None:
        return
    Message = apps.get_model("reminders", "Message")
    old = Message.objects.filter(content_type=round_type, kind__in=["opt_in", "match"])
    if not old.exists():
        return
    member_type = _content_type(apps, "member", create=True)
    match_type = _content_type(apps, "match", create=True)
    member_id = Cast(KT("payload__member_id"), models.PositiveBigIntegerField())
    grouped = old.filter(kind="match", payload__match_id__isnull=False).exclude(
        payload__match_id=None
    )
    grouped.update(
        content_type=match_type,
        object_id=Cast(KT("payload__match_id"), models.PositiveBigIntegerField()),
        payload=JSONObject(round_id=F("object_id"), member_id=member_id),
    )
    old.update(
        content_type=member_type,
        object_id=member_id,
        payload=JSONObject(round_id=F("object_id"), member_id=member_id),
    )


def backwards(apps, schema_editor) -> None:
    round_type = _content_type(apps, "round", create=True)
    Message = apps.get_model("reminders", "Message")
    about_groups = Message.objects.filter(
        kind="match", content_type__app_label="programs", content_type__model="match"
    )
    about_groups.update(
        content_type=round_type,
        object_id=Cast(KT("payload__round_id"), models.PositiveBigIntegerField()),
        payload=JSONObject(
            member_id=Cast(KT("payload__member_id"), models.PositiveBigIntegerField()),
            match_id=F("object_id"),
        ),
    )
    Message.objects.filter(
        kind__in=["opt_in", "match"],
        content_type__app_label="programs",
        content_type__model="member",
    ).update(
        content_type=round_type,
        object_id=Cast(KT("payload__round_id"), models.PositiveBigIntegerField()),
        payload=JSONObject(member_id=F("object_id")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("programs", "0003_matching"),
        ("reminders", "0006_no_content_type_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
