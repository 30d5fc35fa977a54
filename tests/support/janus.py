"""A real Janus for tests: started on spare loopback ports with its own configuration."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from sessions_app.media.janus import JanusBackend
from sessions_app.media.janus_server import (
    JanusProcess,
    JanusServerConfig,
    janus_installed,
    spare_port,
)


def janus_process(tmp_path: Path) -> Iterator[JanusProcess]:
    if not janus_installed():
        message = "Janus is missing: apt-get install janus janus-tools ffmpeg"
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"required service missing: {message}")
        pytest.skip(message)
    rtp_low = 20000 + secrets.randbelow(400) * 100
    config = JanusServerConfig(
        folder=tmp_path / "janus",
        http_port=spare_port(),
        admin_port=spare_port(),
        admin_secret=secrets.token_hex(16),
        recordings_dir=tmp_path / "janus-recordings",
        rtp_port_range=f"{rtp_low}-{rtp_low + 99}",
    )
    process = JanusProcess(config)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


def use_janus(settings: object, process: JanusProcess) -> JanusBackend:
    """Point the project at `process` (pytest-django's `settings` fixture restores it)."""
    config = process.config
    settings.VIDEO_PROVIDER = "janus"
    settings.JANUS_URL = config.api_url
    settings.JANUS_ADMIN_URL = config.admin_url
    settings.JANUS_ADMIN_SECRET = config.admin_secret
    settings.JANUS_RECORDINGS_DIR = str(config.recordings_dir)
    settings.JANUS_ICE_SERVERS = []
    return JanusBackend.from_settings()
