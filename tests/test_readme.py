"""The README's shell blocks, run as a newcomer would, in a throwaway copy of the repository.

Before each ```sh / ```bash block an HTML comment says what to do with each of its commands,
in order: `<!-- readme-check: run serve daemon skip -->` (one word for the whole block, or
one per command; `skip (why)` for blocks that are not about configuring or starting Convene).

- run: must exit 0 within a minute or two;
- serve: must answer 200 on `/` (on the port the command names, or 8000), then is stopped;
- daemon: must still be running after a few seconds, then is stopped.

The copy has its own `var/` (SQLite database and broker) and reuses the current virtualenv
through `VENV=`/`STAMP=` in MAKEFLAGS, so nothing is installed. Ports are moved to spare ones
(so two runs, or someone's own `make run`, never collide), and Janus is left out
(`VIDEO_PROVIDER=none`): tests/sessions_app covers it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MODES = {"run", "serve", "daemon", "skip"}
FENCE = re.compile(r"^```(?:sh|bash)\n(?P<body>.*?)^```", re.M | re.S)
MARKER = re.compile(r"<!-- readme-check: (?P<modes>[^>]*?) -->\n$")
SERVE_SECONDS = 180
DAEMON_SECONDS = 6


@dataclass(frozen=True)
class Step:
    mode: str
    command: str
    line: int


def _commands(body: str) -> list[str]:
    """Shell commands of a block: continuation lines joined, comment lines dropped."""
    commands, pending = [], ""
    for raw in body.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append(pending + line)
        pending = ""
    return commands


def readme_blocks(text: str) -> list[list[Step]]:
    blocks = []
    for fence in FENCE.finditer(text):
        line = text.count("\n", 0, fence.start()) + 1
        marker = MARKER.search(text[: fence.start()][-200:])
        assert marker, f"README.md line {line}: a shell block without <!-- readme-check: … -->"
        modes = re.sub(r"\([^)]*\)", "", marker["modes"]).split()
        assert set(modes) <= MODES, f"README.md line {line}: unknown mode in {marker['modes']!r}"
        commands = _commands(fence["body"])
        if len(modes) == 1:
            modes = modes * len(commands)
        assert len(modes) == len(commands), (
            f"README.md line {line}: {len(modes)} modes for {len(commands)} commands"
        )
        blocks.append([Step(m, c, line) for m, c in zip(modes, commands, strict=True)])
    return blocks


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _moved_to_spare_port(command: str) -> tuple[str, int]:
    """The command with the port it serves on replaced by a spare one, and that port."""
    port = _spare_port()
    if re.search(r"\bPORT=\d+", command):
        return re.sub(r"\bPORT=\d+", f"PORT={port}", command), port
    if re.search(r"--bind \S+:\d+", command):
        return re.sub(r"--bind \S+:\d+", f"--bind 127.0.0.1:{port}", command), port
    if re.search(r"\bmake run\b", command):
        return command.replace("make run", f"make run PORT={port}"), port
    raise AssertionError(f"no port to serve on in {command!r}")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's files as a clone would have them (tracked and new, not ignored)."""
    target = tmp_path_factory.mktemp("readme") / "convene"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (item.decode() for item in listed)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "var").mkdir()
    (target / "var" / "installed").touch()  # newer than requirements.lock: nothing to install
    return target


def _environment(clone: Path) -> dict[str, str]:
    venv = Path(sys.prefix)
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
    env["MAKEFLAGS"] = f"-- VENV={venv} STAMP={clone / 'var' / 'installed'}"
    env["VIDEO_PROVIDER"] = "none"
    # What the production block says it needs from its environment ("see Configuration"):
    # SQLite and the embedded broker stand in for PostgreSQL and Redis, plain HTTP for TLS.
    env["SECRET_KEY"] = "readme-check-k3V!x9_q-LmZ2rT8&pW4#sYb7@nC1^dF6*hJ0%gE5+aQ(uR)o"
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["SECURE_SSL_REDIRECT"] = "off"
    return env


def _answers(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _stop(process: subprocess.Popen[str]) -> str:
    """Ctrl-C to the command's process group (what a person does), then its output."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    output, _ = process.communicate(timeout=10)
    return output


def _check(step: Step, *, cwd: Path, env: dict[str, str]) -> None:
    where = f"README.md line {step.line}: {step.command}"
    if step.command.startswith("export "):
        for assignment in shlex.split(step.command[len("export ") :], comments=True):
            name, _, value = assignment.partition("=")
            env[name] = value
        return
    if step.mode == "run":
        result = subprocess.run(
            ["bash", "-c", step.command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, f"{where}\n{result.stdout}\n{result.stderr}"
        return
    command, port = (
        _moved_to_spare_port(step.command) if step.mode == "serve" else (step.command, 0)
    )
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        if step.mode == "serve":
            deadline, status = time.monotonic() + SERVE_SECONDS, None
            while time.monotonic() < deadline and process.poll() is None:
                status = _answers(port)
                if status is not None:
                    break
                time.sleep(0.5)
        else:
            time.sleep(DAEMON_SECONDS)
            status = 200 if process.poll() is None else None
    finally:
        output = _stop(process)
    assert status == 200, f"{where}: {status or 'no answer'}\n{output[-4000:]}"
    if "make run" in step.command:
        # The links in e-mails and QR codes follow the port served.
        assert f"Links in e-mails and QR codes start with http://127.0.0.1:{port}." in output


def test_every_shell_block_of_the_readme_says_how_it_is_checked() -> None:
    blocks = readme_blocks(README.read_text())
    steps = [step for block in blocks for step in block]
    assert any("make run" in s.command and s.mode == "serve" for s in steps)
    assert not [s for s in steps if "make test" in s.command and s.mode != "skip"]


def test_the_readme_names_pages_a_clone_has() -> None:
    text = README.read_text()
    assert "../shared" not in text
    for link in re.findall(r"\]\(([^)#:]+)\)", text):
        assert (ROOT / link).exists(), link


@pytest.mark.parametrize(
    "block",
    [b for b in readme_blocks(README.read_text()) if any(s.mode != "skip" for s in b)],
    ids=lambda block: f"line-{block[0].line}",
)
def test_the_readme_commands_work_in_a_fresh_clone(clone: Path, block: list[Step]) -> None:
    env = _environment(clone)
    for step in block:
        if step.mode != "skip":
            _check(step, cwd=clone, env=env)
