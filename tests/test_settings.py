"""Settings read from the environment the way the README writes them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.management.commands.devserver import _links_env
from config.settings.parsing import reminder_offsets

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", {}),
        ("day=120,hour=60,30min=30", {"day": 120, "hour": 60, "30min": 30}),
        ("day=120;hour=60", {"day": 120, "hour": 60}),
        (" hour = 60 , ", {"hour": 60}),
    ],
)
def test_reminder_offsets_read_the_readme_form(raw: str, expected: dict[str, int]) -> None:
    assert reminder_offsets(raw) == expected


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("day", "'day' is not moment=seconds"),
        ("week=60", "unknown moment 'week'; the moments are day, hour, 30min"),
        ("hour=soon", "hour='soon' is not a whole number of seconds above 0"),
        ("hour=0", "hour='0' is not a whole number of seconds above 0"),
        ("hour=-5", "hour='-5' is not a whole number"),
    ],
)
def test_bad_reminder_offsets_name_the_setting(raw: str, says: str) -> None:
    with pytest.raises(ImproperlyConfigured) as error:
        reminder_offsets(raw)
    assert str(error.value).startswith("SESSION_REMINDER_OFFSETS: ")
    assert says in str(error.value)


def test_a_command_with_bad_offsets_stops_with_the_settings_name(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "CONVENE_VAR_DIR": str(tmp_path),
        "SESSION_REMINDER_OFFSETS": "day=two",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: SESSION_REMINDER_OFFSETS: day='two'" in result.stderr


@pytest.mark.parametrize(
    ("addrport", "given", "expected"),
    [
        ("127.0.0.1:8001", None, {"PUBLIC_BASE_URL": "http://127.0.0.1:8001"}),
        ("0.0.0.0:9000", None, {"PUBLIC_BASE_URL": "http://127.0.0.1:9000"}),
        ("127.0.0.1:8001", "https://convene.example", {}),
    ],
)
def test_devserver_links_follow_the_port_unless_given(
    monkeypatch: pytest.MonkeyPatch, addrport: str, given: str | None, expected: dict[str, str]
) -> None:
    if given is None:
        monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("PUBLIC_BASE_URL", given)
    assert _links_env(addrport) == expected
