from __future__ import annotations

from django.urls import path

from reminders.views import dev, public, webhooks

app_name = "reminders"

urlpatterns = [
    # The only webhooks routed (for the providers the settings name); django-anymail's own
    # URLs are not included.
    path("anymail/<slug:provider>/tracking/", webhooks.tracking_webhook, name="tracking_webhook"),
    path("anymail/<slug:provider>/inbound/", webhooks.inbound_webhook, name="inbound_webhook"),
    path("mail/unsubscribe/<slug:stream>/<str:token>/", public.unsubscribe, name="unsubscribe"),
    path("dev/outbox/", dev.dev_outbox, name="dev_outbox"),
    path("dev/outbox/<int:captured_id>/", dev.dev_outbox_email, name="dev_outbox_email"),
    path(
        "dev/outbox/<int:captured_id>/parts/<int:index>/",
        dev.dev_outbox_part,
        name="dev_outbox_part",
    ),
]
