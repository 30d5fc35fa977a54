"""Jitsi Meet embedded in an iframe: the public meet.jit.si, your own with token auth, or
8x8's Jitsi as a Service (JaaS).

Without `JITSI_APP_SECRET` the room is the old embed (anyone who knows the room name gets
in; meet.jit.si cuts embedded calls after 5 minutes: `manage.py check --deploy` warns). With
it, each admitted attendance gets a JWT (HS256, the secret of Jitsi Meet's token
authentication, prosody `app_secret`) bound to the room, valid `JITSI_JWT_SECONDS`, with
`moderator` true for hosts and co-hosts only. JaaS (`VIDEO_PROVIDER=jaas`) takes the same
per-attendance token in its own shape, signed RS256 with the account's API key
(`jaas_jwt`). Jitsi itself enforces the token; Convene cannot kick at a Jitsi server (there
is no server API for it), so Remove only refuses a new token.
"""

from __future__ import annotations

import time
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

from sessions_app.media import Grant, NoMedia
from sessions_app.models import Attendance, AttendanceRole, Session, SessionTheme


def room_name(session: Session) -> str:
    """Unguessable and stable: an HMAC of the session id under SECRET_KEY, not the code."""
    digest = salted_hmac("convene.room.name", str(session.pk), algorithm="sha256").hexdigest()
    return f"convene-{digest[:32]}"


def _fragment_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return quote(f'"{value}"', safe="")


def iframe_src(
    *,
    session: Session,
    display_name: str,
    is_host: bool,
    camera_on: bool = True,
    microphone_on: bool = True,
    jwt: str = "",
    base_url: str = "",
) -> str:
    """The provider URL: the room name in the path, the name and options in the fragment.

    The fragment never reaches the provider's server logs. A webinar attendee gets a stage:
    no camera or microphone, and no device prompt.
    """
    stage_only = session.theme == SessionTheme.WEBINAR and not is_host
    options: dict[str, object] = {
        "userInfo.displayName": display_name,
        "config.subject": session.title,
        "config.prejoinConfig.enabled": False,
        "config.startWithAudioMuted": stage_only or not microphone_on,
        "config.startWithVideoMuted": stage_only or not camera_on,
    }
    if stage_only:
        options["config.disableInitialGUM"] = True
        options["config.toolbarButtons"] = "[]"
    fragment = "&".join(
        f"{key}={'[]' if value == '[]' else _fragment_value(value)}"
        for key, value in options.items()
    )
    query = f"?jwt={jwt}" if jwt else ""
    base = base_url or settings.VIDEO_PROVIDER_BASE_URL
    return f"{base}/{room_name(session)}{query}#{fragment}"


def iframe_allow(*, session: Session, is_host: bool) -> str:
    if session.theme == SessionTheme.WEBINAR and not is_host:
        return "autoplay; fullscreen"
    return "camera; microphone; display-capture; autoplay; fullscreen"


def jitsi_jwt(*, session: Session, attendance: Attendance, now: float | None = None) -> str:
    """A JWT for one admitted attendance: this room only, short-lived, moderator = host."""
    try:
        import jwt  # PyJWT
    except ImportError as missing:  # pragma: no cover - depends on the installation
        raise ImproperlyConfigured("Jitsi token authentication needs PyJWT installed.") from missing
    issued = int(now if now is not None else time.time())
    is_moderator = attendance.role == AttendanceRole.HOST
    claims = {
        "aud": "jitsi",
        "iss": settings.JITSI_APP_ID,
        "sub": urlsplit(settings.VIDEO_PROVIDER_BASE_URL).hostname or "*",
        "room": room_name(session),
        "iat": issued,
        "nbf": issued - 10,
        "exp": issued + settings.JITSI_JWT_SECONDS,
        "moderator": is_moderator,
        "context": {
            "user": {
                "id": f"attendance-{attendance.pk}",
                "name": attendance.name,
                "moderator": is_moderator,
            }
        },
    }
    return jwt.encode(claims, settings.JITSI_APP_SECRET, algorithm="HS256")


JAAS_FEATURES = ("livestreaming", "outbound-call", "sip-outbound-call", "transcription")


def jaas_private_key() -> str:
    """The JaaS API key's RSA private key (PEM): `JAAS_PRIVATE_KEY`, else the file named by
    `JAAS_PRIVATE_KEY_PATH` (read at each signing, so a rotated file needs no restart)."""
    if settings.JAAS_PRIVATE_KEY:
        return settings.JAAS_PRIVATE_KEY
    if settings.JAAS_PRIVATE_KEY_PATH:
        try:
            with open(settings.JAAS_PRIVATE_KEY_PATH, encoding="ascii") as key_file:
                return key_file.read()
        except OSError as unreadable:
            raise ImproperlyConfigured(
                f"JAAS_PRIVATE_KEY_PATH cannot be read: {unreadable}"
            ) from unreadable
    raise ImproperlyConfigured("JaaS needs JAAS_PRIVATE_KEY or JAAS_PRIVATE_KEY_PATH.")


def jaas_jwt(*, session: Session, attendance: Attendance, now: float | None = None) -> str:
    """A JaaS token for one admitted attendance, in the shape 8x8 documents.

    Header `kid` "<AppID>/<key id>", RS256. Claims: `aud` "jitsi", `iss` "chat", `sub` the
    AppID, `room` this session's room only, short-lived (`JITSI_JWT_SECONDS`), and a
    `context.user` whose `moderator` is "true" for hosts and co-hosts only. Features are
    strings too: hosts may record, nobody streams, dials out or transcribes (JaaS bills them).
    """
    import jwt  # PyJWT, with `cryptography` for RS256

    issued = int(now if now is not None else time.time())
    is_moderator = attendance.role == AttendanceRole.HOST
    features = {name: "false" for name in JAAS_FEATURES}
    features["recording"] = "true" if is_moderator else "false"
    claims = {
        "aud": "jitsi",
        "iss": "chat",
        "sub": settings.JAAS_APP_ID,
        "room": room_name(session),
        "iat": issued,
        "nbf": issued - 10,
        "exp": issued + settings.JITSI_JWT_SECONDS,
        "context": {
            "user": {
                "id": f"attendance-{attendance.pk}",
                "name": attendance.name,
                "avatar": "",
                "email": "",
                "moderator": "true" if is_moderator else "false",
            },
            "features": features,
        },
    }
    return jwt.encode(
        claims,
        jaas_private_key(),
        algorithm="RS256",
        headers={"kid": f"{settings.JAAS_APP_ID}/{settings.JAAS_API_KEY_ID}"},
    )


class JitsiBackend(NoMedia):
    """Jitsi keeps no state Convene can drive: rooms, removals and recordings are no-ops
    (NoMedia's); only the grant and the frame's origin are its own."""

    name = "jitsi"
    # The room page embeds the provider's own page (`Grant.iframe_src`).
    embeds_frame = True

    @classmethod
    def from_settings(cls) -> JitsiBackend:
        return cls()

    def base_url(self) -> str:
        return settings.VIDEO_PROVIDER_BASE_URL

    def token(self, *, session: Session, attendance: Attendance) -> str:
        if not settings.JITSI_APP_SECRET:
            return ""
        return jitsi_jwt(session=session, attendance=attendance)

    def grant(
        self,
        *,
        session: Session,
        attendance: Attendance,
        camera_on: bool = True,
        microphone_on: bool = True,
    ) -> Grant:
        is_host = attendance.role == AttendanceRole.HOST
        token = self.token(session=session, attendance=attendance)
        return Grant(
            provider=self.name,
            can_publish=is_host or session.theme != SessionTheme.WEBINAR,
            display_name=attendance.name,
            iframe_src=iframe_src(
                session=session,
                display_name=attendance.name,
                is_host=is_host,
                camera_on=camera_on,
                microphone_on=microphone_on,
                jwt=token,
                base_url=self.base_url(),
            ),
            iframe_allow=iframe_allow(session=session, is_host=is_host),
        )

    def frame_origins(self) -> list[str]:
        parts = urlsplit(self.base_url())
        return [f"{parts.scheme}://{parts.netloc}"]


class JaasBackend(JitsiBackend):
    """8x8's Jitsi as a Service: rooms live under the AppID (`<JAAS_BASE_URL>/<AppID>/<room>`),
    every admitted attendance gets an RS256 token, and recordings arrive through JaaS's
    webhook (`sessions_app.jaas`)."""

    name = "jaas"

    @classmethod
    def from_settings(cls) -> JaasBackend:
        return cls()

    def base_url(self) -> str:
        return f"{settings.JAAS_BASE_URL}/{settings.JAAS_APP_ID}"

    def token(self, *, session: Session, attendance: Attendance) -> str:
        return jaas_jwt(session=session, attendance=attendance)
