"""Run a Janus WebRTC Server of our own: its configuration, written to a folder, and the process.

Used by `manage.py devserver` (make run), the browser tests and `benchmarks/room.py`. The
configuration keeps everything on the loopback interface: the HTTP transport (Janus API and
Admin API) binds 127.0.0.1, ICE gathers candidates on `lo` only, and only the VideoRoom plugin
and the HTTP transport are loaded. Production deployments write their own configuration (see
docker-compose.yml and docs/rooms.md); the settings below are what the backend relies on:
`token_auth` (every browser request carries a credential the backend added) and an admin
secret that only the backend knows.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

JANUS_BINARY = "janus"
LIB_DIR = Path("/usr/lib/x86_64-linux-gnu/janus")
PLUGINS_KEPT = {"libjanus_videoroom.so"}
TRANSPORTS_KEPT = {"libjanus_http.so"}


def janus_installed() -> bool:
    return shutil.which(JANUS_BINARY) is not None


def _lib_dir() -> Path:
    """Where the distribution put Janus's plugins (Debian's multiarch path, or /usr/lib)."""
    for candidate in (LIB_DIR, Path("/usr/lib/janus"), Path("/opt/janus/lib/janus")):
        if (candidate / "plugins").is_dir():
            return candidate
    return LIB_DIR


def _others(folder: Path, kept: set[str]) -> str:
    names = sorted(p.name for p in folder.glob("*.so") if p.name not in kept)
    return ",".join(names)


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class JanusServerConfig:
    folder: Path
    http_port: int
    admin_port: int
    admin_secret: str
    recordings_dir: Path
    rtp_port_range: str = "20000-40000"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/janus"

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}/admin"


def janus_config_write(config: JanusServerConfig) -> Path:
    """Write janus.jcfg and the two plugin/transport files into `config.folder`."""
    lib = _lib_dir()
    config.folder.mkdir(parents=True, exist_ok=True)
    config.recordings_dir.mkdir(parents=True, exist_ok=True)
    (config.folder / "janus.jcfg").write_text(
        f"""general: {{
  configs_folder = "{config.folder}"
  plugins_folder = "{lib / "plugins"}"
  transports_folder = "{lib / "transports"}"
  events_folder = "{lib / "events"}"
  loggers_folder = "{lib / "loggers"}"
  debug_level = 3
  admin_secret = {json.dumps(config.admin_secret)}
  token_auth = true
  session_timeout = 30
  protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr"]
}}
media: {{
  rtp_port_range = "{config.rtp_port_range}"
}}
nat: {{
  nice_debug = false
  ice_enforce_list = "lo"
  ice_ipv6 = false
}}
plugins: {{
  disable = "{_others(lib / "plugins", PLUGINS_KEPT)}"
}}
transports: {{
  disable = "{_others(lib / "transports", TRANSPORTS_KEPT)}"
}}
events: {{
  broadcast = false
  disable = "{_others(lib / "events", set())}"
}}
loggers: {{
  disable = "{_others(lib / "loggers", set())}"
}}
"""
    )
    (config.folder / "janus.transport.http.jcfg").write_text(
        f"""general: {{
  json = "plain"
  base_path = "/janus"
  http = true
  port = {config.http_port}
  ip = "127.0.0.1"
  https = false
}}
admin: {{
  admin_base_path = "/admin"
  admin_http = true
  admin_port = {config.admin_port}
  admin_ip = "127.0.0.1"
  admin_https = false
}}
cors: {{
}}
"""
    )
    (config.folder / "janus.plugin.videoroom.jcfg").write_text(
        "general: {\n  string_ids = false\n  lock_rtp_forward = true\n}\n"
    )
    return config.folder / "janus.jcfg"


class JanusProcess:
    """A Janus started on its own configuration; `stop()` ends exactly that process."""

    def __init__(self, config: JanusServerConfig) -> None:
        self.config = config
        janus_config_write(config)
        self.log_path = config.folder / "janus.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                JANUS_BINARY,
                "--configs-folder",
                str(config.folder),
                "--config",
                str(config.folder / "janus.jcfg"),
                "--disable-colors",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"janus exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.config.api_url}/info", timeout=1) as answer:
                    if json.load(answer).get("janus") == "server_info":
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"janus did not answer: {self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
