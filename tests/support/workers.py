"""Start real Celery workers and beat in subprocesses against the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def worker_redis_url(redis_url: str) -> str:
    """A Redis database of the workers' own (15 for db 0, 14 for db 1, …), so tasks left over
    from other runs never reach these workers, and two checkouts testing side by side on
    different databases do not share a broker."""
    parts = urlsplit(redis_url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(
        (parts.scheme, parts.netloc, f"/{15 - database}", parts.query, parts.fragment)
    )


def test_database_url() -> str:
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


class CeleryProcesses:
    """Worker and beat processes, each in its own process group so SIGKILL takes the whole worker."""

    def __init__(self, *, redis_url: str, var_dir: Path, extra_env: dict[str, str]) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": worker_redis_url(redis_url),
            "CONVENE_VAR_DIR": str(var_dir),
            "EMAIL_BACKEND": "tests.support.backends.SlowCapturingBackend",
            "OUTBOX_DISPATCH_INTERVAL_SECONDS": "1",
            "PYTHONPATH": str(ROOT),
            **extra_env,
        }
        self.var_dir = var_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def flush_broker(self) -> None:
        import redis

        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()

    def start(self, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        log = (self.var_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        return process

    def start_worker(self, name: str = "worker", concurrency: int = 2) -> subprocess.Popen[bytes]:
        return self.start(
            name,
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
        )

    def start_beat(self) -> subprocess.Popen[bytes]:
        return self.start(
            "beat", "beat", "--loglevel=INFO", f"--schedule={self.var_dir / 'beat-schedule'}"
        )

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group: the worker and its pool children die mid-task."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in self.var_dir.glob("*.log")
        )


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
