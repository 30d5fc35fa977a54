"""The Permissions-Policy values of our pages, for the middleware and for the room pages.

They live in an app, not in `config/`, because an app's views (the room's) build one too and no
app imports `config/`.
"""

from __future__ import annotations

# Features no page of ours uses; the room pages allow the camera, microphone and screen share.
PERMISSIONS_POLICY_OFF = (
    "accelerometer",
    "camera",
    "display-capture",
    "geolocation",
    "gyroscope",
    "magnetometer",
    "microphone",
    "payment",
    "usb",
)
ROOM_FEATURES = ("camera", "microphone", "display-capture")


def permissions_policy(*, allowed: dict[str, str] | None = None) -> str:
    """`feature=()` for each feature we never use; `allowed` maps a feature to its allowlist."""
    allowed = allowed or {}
    return ", ".join(
        f"{feature}=({allowed[feature]})" if feature in allowed else f"{feature}=()"
        for feature in PERMISSIONS_POLICY_OFF
    )


def room_permissions_policy(*, provider_origins: list[str]) -> str:
    """The room page (and a media provider's frame) may use the camera, microphone and screen."""
    allowlist = " ".join(["self", *(f'"{origin}"' for origin in provider_origins)])
    return permissions_policy(allowed=dict.fromkeys(ROOM_FEATURES, allowlist))
