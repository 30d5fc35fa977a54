"""The media-server seam: what the room code asks of whatever carries audio and video.

`media_backend()` answers the backend `VIDEO_PROVIDER` names ("janus", "jitsi", "jaas" or
"none").
The room code (`sessions_app.rooms`, the room views, the recordings task) talks to it only
through `MediaBackend`; nothing else in the project names a provider.

1. `room_open(session)` when a host starts (creates the room at the server, recording on if
   the session records);
2. `grant(session, attendance)` for one admitted attendance: what its browser needs (server
   address, room, a credential valid for that attendance only, whether it may publish);
3. `participant_remove(session, attendance)` kicks and revokes at the server;
4. `room_close(session)` ends every stream and removes the room;
5. `recordings_collect(session)` names the raw recordings the server made, for the task that
   turns them into one .mp4 (`sessions_app.media.recording`).

A server that cannot be reached raises `MediaUnavailable`; the room code turns that into a
message on the page and carries on (the session's state is Convene's, not the server's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from sessions_app.models import Attendance, Session


class MediaUnavailable(Exception):
    """The media server could not be reached or refused a request of the backend."""


@dataclass(frozen=True)
class Grant:
    """What one admitted browser needs to take part; rendered into its room page."""

    provider: str
    can_publish: bool
    # Janus: the Janus API address, the room number and the attendance's credential.
    server_url: str = ""
    room: int = 0
    credential: str = ""
    display_name: str = ""
    ice_servers: list[dict[str, object]] = field(default_factory=list)
    camera_on: bool = True
    microphone_on: bool = True
    # Jitsi: the iframe's address (the JWT in its query when token authentication is on).
    iframe_src: str = ""
    iframe_allow: str = ""


class MediaBackend(Protocol):
    name: str

    def room_open(self, *, session: Session) -> None: ...

    def grant(
        self,
        *,
        session: Session,
        attendance: Attendance,
        camera_on: bool = True,
        microphone_on: bool = True,
    ) -> Grant: ...

    def participant_remove(self, *, session: Session, attendance: Attendance) -> None: ...

    def room_close(self, *, session: Session) -> None: ...

    def recordings_collect(self, *, session: Session) -> list[Path]: ...

    def connect_origins(self) -> list[str]: ...

    def frame_origins(self) -> list[str]: ...


class NoMedia:
    """No media server configured: rooms say so, everything else works."""

    name = "none"

    def room_open(self, *, session: Session) -> None:
        return None

    def grant(
        self,
        *,
        session: Session,
        attendance: Attendance,
        camera_on: bool = True,
        microphone_on: bool = True,
    ) -> Grant:
        return Grant(provider=self.name, can_publish=False)

    def participant_remove(self, *, session: Session, attendance: Attendance) -> None:
        return None

    def room_close(self, *, session: Session) -> None:
        return None

    def recordings_collect(self, *, session: Session) -> list[Path]:
        return []

    def connect_origins(self) -> list[str]:
        return []

    def frame_origins(self) -> list[str]:
        return []


def media_backend() -> MediaBackend:
    provider = settings.VIDEO_PROVIDER
    if provider == "janus":
        from sessions_app.media.janus import JanusBackend

        return JanusBackend.from_settings()
    if provider == "jitsi":
        from sessions_app.media.jitsi import JitsiBackend

        return JitsiBackend.from_settings()
    if provider == "jaas":
        from sessions_app.media.jitsi import JaasBackend

        return JaasBackend.from_settings()
    return NoMedia()
