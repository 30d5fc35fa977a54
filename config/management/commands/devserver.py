"""`make run`: the web server, a Celery worker and beat in one command; Ctrl-C stops all three.

When Debian's `janus` is installed (and VIDEO_PROVIDER is not set), a Janus of its own runs
beside them on 127.0.0.1 with a configuration written under var/janus/, and the three get
VIDEO_PROVIDER=janus; without it, rooms say that video is not set up.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sessions_app.media.janus_server import (
    JanusProcess,
    JanusServerConfig,
    janus_installed,
    spare_port,
)


def _port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            return spare_port()
    return preferred


def _janus() -> tuple[JanusProcess | None, dict[str, str]]:
    """Start a local Janus when installed; answers it and the environment for the children."""
    if "VIDEO_PROVIDER" in os.environ:
        return None, {}
    if not janus_installed():
        return None, {"VIDEO_PROVIDER": "none"}
    folder = settings.VAR_DIR / "janus"
    folder.mkdir(parents=True, exist_ok=True)
    secret_file = folder / "admin-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_hex(24))
        secret_file.chmod(0o600)
    config = JanusServerConfig(
        folder=folder,
        http_port=_port(8088),
        admin_port=_port(7088),
        admin_secret=secret_file.read_text().strip(),
        recordings_dir=settings.VAR_DIR / "janus-recordings",
    )
    process = JanusProcess(config)
    process.wait_ready()
    return process, {
        "VIDEO_PROVIDER": "janus",
        "JANUS_URL": config.api_url,
        "JANUS_ADMIN_URL": config.admin_url,
        "JANUS_ADMIN_SECRET": config.admin_secret,
        "JANUS_RECORDINGS_DIR": str(config.recordings_dir),
    }


def _links_env(addrport: str) -> dict[str, str]:
    """PUBLIC_BASE_URL for the children, following the port served, unless it is set.

    Every link in an e-mail or a QR code is built from PUBLIC_BASE_URL: left at its default
    while serving on another port, they would all lead to :8000.
    """
    if "PUBLIC_BASE_URL" in os.environ:
        return {}
    host, _, port = addrport.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):  # noqa: S104 (a link needs an address to reach)
        host = "127.0.0.1"
    return {"PUBLIC_BASE_URL": f"http://{host}:{port}"}


class Command(BaseCommand):
    help = "Serve on 127.0.0.1:8000 (or --port) with a Celery worker and beat beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--addrport", default="", help="host:port; overrides --port")

    def handle(self, *args: Any, addrport: str, port: int, **options: object) -> None:
        addrport = addrport or f"127.0.0.1:{port}"
        python = sys.executable
        commands = {
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
            ],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
            "web": [python, "manage.py", "runserver", addrport],
        }
        janus, media_env = _janus()
        links_env = _links_env(addrport)
        environment = {**os.environ, **media_env, **links_env}
        processes = {
            name: subprocess.Popen(command, env=environment)  # noqa: S603
            for name, command in commands.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"Convene on http://{addrport}/ — Ctrl-C stops web, worker and beat."
            )
        )
        public_base_url = links_env.get("PUBLIC_BASE_URL", os.environ.get("PUBLIC_BASE_URL"))
        self.stdout.write(f"Links in e-mails and QR codes start with {public_base_url}.")
        if janus is not None:
            self.stdout.write(f"Janus on {janus.config.api_url} (127.0.0.1 only).")
        elif media_env.get("VIDEO_PROVIDER") == "none":
            self.stdout.write("No video: apt-get install janus janus-tools ffmpeg for live rooms.")
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            if janus is not None:
                janus.stop()
