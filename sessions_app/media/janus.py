"""Janus WebRTC Server (VideoRoom plugin), driven from the backend over its Admin API.

What the server enforces, and how (see docs/rooms.md for the reasoning):

- **Every browser request needs a credential we issued.** Janus runs with `token_auth`: the
  Janus API answers "unauthorized" to any request (create a session, attach, message,
  trickle, keep-alive) without a token the backend added through the Admin API
  (`add_token`, limited to the VideoRoom plugin). A credential is an HMAC of the
  attendance's id and `media_version`, so it names one attendance and nothing else.
- **The room's secret never leaves the backend.** Rooms are created, changed and destroyed
  through the Admin API's `message_plugin` with the room's `secret` (an HMAC of the session
  id under SECRET_KEY); browsers only ever get the room number and their own credential.
- **Only those who may publish can join as publishers.** The room is created with an
  `allowed` list (VideoRoom's ACL on joining as a publisher); the backend adds the
  credential of hosts, co-hosts, meeting attendees and guests, never that of a webinar
  attendee. VideoRoom refuses their publisher join with error 433 ("Unauthorized (not in the
  allowed list)"); they subscribe only.
- **Remove** takes the credential out of the core token list and the room's ACL, and
  destroys every Janus session whose handles carry it (found through `list_sessions`,
  `list_handles` and `handle_info`, which reports each handle's token): every
  PeerConnection of that browser stops at once, and no browser can start a new one with
  the same credential.
- **End for all** destroys the room (`destroy`, with the secret) and revokes every
  credential issued for the session the same way.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import salted_hmac

from sessions_app.media import Grant, MediaUnavailable
from sessions_app.models import Attendance, AttendanceRole, Session, SessionTheme

PLUGIN = "janus.plugin.videoroom"
ROOM_ALREADY_EXISTS = 427
NO_SUCH_ROOM = 426


def room_number(session: Session) -> int:
    """A stable, unguessable room number (52 bits of an HMAC of the session id)."""
    digest = salted_hmac("convene.media.janus.room", str(session.pk), algorithm="sha256")
    return int(digest.hexdigest()[:13], 16) + 1


def room_secret(session: Session) -> str:
    digest = salted_hmac("convene.media.janus.secret", str(session.pk), algorithm="sha256")
    return digest.hexdigest()


def credential_for(attendance: Attendance) -> str:
    """The attendance's credential: valid for it alone, and revoked by bumping its version."""
    digest = salted_hmac(
        "convene.media.janus.credential",
        f"{attendance.session_id}:{attendance.pk}:{attendance.media_version}",
        algorithm="sha256",
    )
    return digest.hexdigest()[:40]


def may_publish(*, session: Session, attendance: Attendance) -> bool:
    if attendance.role == AttendanceRole.HOST:
        return True
    return session.theme != SessionTheme.WEBINAR


class JanusBackend:
    name = "janus"
    makes_recordings = True

    def __init__(
        self,
        *,
        api_url: str,
        admin_url: str,
        admin_secret: str,
        recordings_dir: Path,
        ice_servers: list[dict[str, object]],
        timeout: float = 5.0,
    ) -> None:
        self.api_url = api_url
        self.admin_url = admin_url.rstrip("/")
        self.admin_secret = admin_secret
        self.recordings_dir = recordings_dir
        self.ice_servers = ice_servers
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> JanusBackend:
        return cls(
            api_url=settings.JANUS_URL,
            admin_url=settings.JANUS_ADMIN_URL,
            admin_secret=settings.JANUS_ADMIN_SECRET,
            recordings_dir=Path(settings.JANUS_RECORDINGS_DIR),
            ice_servers=settings.JANUS_ICE_SERVERS,
        )

    # --- the Admin API ---------------------------------------------------------------------

    def _admin(self, body: dict[str, object], path: str = "") -> dict[str, Any]:
        payload = {**body, "transaction": secrets.token_hex(8), "admin_secret": self.admin_secret}
        request = urllib.request.Request(
            f"{self.admin_url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                reply = json.load(answer)
        except (OSError, ValueError) as error:
            raise MediaUnavailable(f"The video server does not answer: {error}") from error
        return reply

    def _admin_ok(self, body: dict[str, object], path: str = "") -> dict[str, Any]:
        reply = self._admin(body, path)
        if reply.get("janus") != "success":
            raise MediaUnavailable(f"The video server refused {body.get('janus')}: {reply}")
        return reply

    def _videoroom(self, request: dict[str, object]) -> dict[str, Any]:
        """A synchronous VideoRoom request, sent as the backend (no browser session)."""
        reply = self._admin_ok({"janus": "message_plugin", "plugin": PLUGIN, "request": request})
        return reply.get("response") or {}

    # --- the seam ----------------------------------------------------------------------------

    def room_create_request(self, session: Session) -> dict[str, object]:
        request: dict[str, object] = {
            "request": "create",
            "room": room_number(session),
            "secret": room_secret(session),
            "description": f"Convene session {session.pk}",
            "is_private": True,
            "permanent": False,
            "allowed": [],
            "publishers": 16,
            "audiocodec": "opus",
            "videocodec": "vp8",
            "notify_joining": False,
            "lock_record": True,
            "record": bool(session.is_recorded),
        }
        if session.is_recorded:
            request["rec_dir"] = str(self.session_recordings_dir(session))
        return request

    def session_recordings_dir(self, session: Session) -> Path:
        return self.recordings_dir / f"session-{session.pk}"

    def room_open(self, *, session: Session) -> None:
        response = self._videoroom(self.room_create_request(session))
        error_code = response.get("error_code")
        if error_code not in (None, ROOM_ALREADY_EXISTS):
            raise MediaUnavailable(f"The video server refused the room: {response.get('error')}")

    def room_exists(self, *, session: Session) -> bool:
        response = self._videoroom({"request": "exists", "room": room_number(session)})
        return bool(response.get("exists"))

    def grant(
        self,
        *,
        session: Session,
        attendance: Attendance,
        camera_on: bool = True,
        microphone_on: bool = True,
    ) -> Grant:
        credential = credential_for(attendance)
        can_publish = may_publish(session=session, attendance=attendance)
        if not self.room_exists(session=session):
            self.room_open(session=session)
        reply = self._admin({"janus": "add_token", "token": credential, "plugins": [PLUGIN]})
        if reply.get("janus") != "success" and "already" not in json.dumps(reply).lower():
            raise MediaUnavailable(f"The video server refused the credential: {reply}")
        if can_publish:
            self._videoroom(
                {
                    "request": "allowed",
                    "room": room_number(session),
                    "secret": room_secret(session),
                    "action": "add",
                    "allowed": [credential],
                }
            )
        return Grant(
            provider=self.name,
            can_publish=can_publish,
            server_url=self.api_url,
            room=room_number(session),
            credential=credential,
            display_name=attendance.name,
            ice_servers=self.ice_servers,
            camera_on=camera_on and can_publish,
            microphone_on=microphone_on and can_publish,
        )

    def participant_remove(self, *, session: Session, attendance: Attendance) -> None:
        self._revoke(session=session, credentials={credential_for(attendance)})

    def room_close(self, *, session: Session) -> None:
        attendances = Attendance.objects.filter(session=session).only(
            "pk", "session_id", "media_version"
        )
        credentials = {credential_for(attendance) for attendance in attendances}
        response = self._videoroom(
            {"request": "destroy", "room": room_number(session), "secret": room_secret(session)}
        )
        if response.get("error_code") not in (None, NO_SUCH_ROOM):
            raise MediaUnavailable(f"The video server kept the room: {response.get('error')}")
        self._revoke(session=session, credentials=credentials, in_room=False)

    def _revoke(self, *, session: Session, credentials: set[str], in_room: bool = True) -> None:
        """No new requests with these credentials, and every session carrying them gone."""
        for credential in credentials:
            self._admin({"janus": "remove_token", "token": credential})
        if in_room:
            self._videoroom(
                {
                    "request": "allowed",
                    "room": room_number(session),
                    "secret": room_secret(session),
                    "action": "remove",
                    "allowed": sorted(credentials),
                }
            )
        for session_id in self.sessions_carrying(credentials):
            self._admin({"janus": "destroy_session"}, f"/{session_id}")

    def sessions_carrying(self, credentials: set[str]) -> list[int]:
        """Janus sessions with a handle attached under one of `credentials`."""
        found = []
        sessions = self._admin_ok({"janus": "list_sessions"}).get("sessions") or []
        for session_id in sessions:
            handles = self._admin({"janus": "list_handles"}, f"/{session_id}").get("handles") or []
            for handle_id in handles:
                info = self._admin({"janus": "handle_info"}, f"/{session_id}/{handle_id}")
                if (info.get("info") or {}).get("token") in credentials:
                    found.append(session_id)
                    break
        return found

    def room_participants(self, *, session: Session) -> list[dict[str, object]]:
        response = self._videoroom({"request": "listparticipants", "room": room_number(session)})
        return list(response.get("participants") or [])

    def recordings_collect(self, *, session: Session) -> list[Path]:
        folder = self.session_recordings_dir(session)
        return sorted(folder.glob("*.mjr")) if folder.is_dir() else []

    def connect_origins(self) -> list[str]:
        parts = urlsplit(self.api_url)
        return [f"{parts.scheme}://{parts.netloc}"]

    def frame_origins(self) -> list[str]:
        return []
