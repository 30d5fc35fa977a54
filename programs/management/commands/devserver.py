"""`make run`: the web server, a Celery worker and beat in one command; Ctrl-C stops all three."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve on 127.0.0.1:8000 with a Celery worker and beat beside it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")

    def handle(self, *args: object, addrport: str, **options: object) -> None:
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
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}  # noqa: S603
        self.stdout.write(
            self.style.SUCCESS(
                f"Convene on http://{addrport}/ — Ctrl-C stops web, worker and beat."
            )
        )
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
