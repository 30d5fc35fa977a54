"""The pre-join form: the name shown in the room and, for meetings, camera and microphone."""

from __future__ import annotations

from typing import Any

from django import forms

from reminders.text import CheckedForm
from sessions_app.models import Session, SessionTheme


class PrejoinForm(CheckedForm):
    name = forms.CharField(
        label="Your name as others see it",
        max_length=200,
        error_messages={"required": "Type the name others should see."},
    )
    camera_on = forms.BooleanField(label="Join with my camera on", required=False, initial=True)
    microphone_on = forms.BooleanField(
        label="Join with my microphone on", required=False, initial=True
    )

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        if session.theme == SessionTheme.WEBINAR:
            # A webinar stage: attendees watch and listen, nothing to check.
            del self.fields["camera_on"]
            del self.fields["microphone_on"]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Type the name others should see.")
        return name


class RecordingUploadForm(CheckedForm):
    file = forms.FileField(
        label="Recording (.mp4)",
        widget=forms.ClearableFileInput(attrs={"accept": ".mp4,video/mp4"}),
    )
