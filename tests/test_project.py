"""Project-level checks: deploy settings, the compose file, the admin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.contrib import admin

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "k3V!x9_q-LmZ2rT8&pW4#sYb7@nC1^dF6*hJ0%gE5+aQ(uR)oI=vB~tK",
        "ALLOWED_HOSTS": "convene.example",
        "CONVENE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        "VIDEO_PROVIDER": "janus",
        "JANUS_ADMIN_SECRET": "a-long-random-admin-secret-for-janus",
    }


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    # The public meet.jit.si is for demos only: a deployment on it is warned.
    env["VIDEO_PROVIDER"] = "jitsi"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "sessions_app.W001" in result.stdout + result.stderr


PRODUCTION_REQUEST = """
import django
django.setup()
from django.test import Client
response = Client().get("/healthz", secure=True, HTTP_HOST="convene.example")
for name in ("Content-Security-Policy", "Permissions-Policy", "Cache-Control",
             "Strict-Transport-Security", "X-Frame-Options"):
    print(f"{name}: {response.get(name, '')}")
"""


def test_production_responses_carry_the_security_headers(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_REQUEST],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    headers = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    # django-csp writes the directives in no fixed order: read them one by one.
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Frame-Options"] == "DENY"


def test_load_demo_refuses_production_settings(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "load_demo refuses to run under production settings" in result.stderr
    assert "convene-demo" not in result.stdout + result.stderr
    users = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth.models import User; print(User.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert users.stdout.strip().splitlines()[-1] == "0", users.stdout + users.stderr


def test_compose_file_brings_up_every_service_with_its_command() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailcatcher", "janus", "coturn"} <= set(
        services
    )
    assert "gunicorn config.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert environment["EMAIL_URL"] == "smtp://mailcatcher:1025"
        assert set(services[name]["depends_on"]) == {"postgres", "redis"}
    assert (ROOT / "Dockerfile").read_text().count("requirements.lock") >= 2
    # Media: Janus's API for browsers, its Admin API only on the compose network, recordings
    # on a volume the worker reads; TURN for participants behind NAT.
    janus = services["janus"]
    assert "8088:8088" in janus["ports"]
    assert not [port for port in janus["ports"] if "7088" in str(port)]
    assert any("janus-recordings:" in volume for volume in janus["volumes"])
    assert any("janus-recordings:" in volume for volume in services["worker"]["volumes"])
    for name in ("web", "worker"):
        environment = services[name]["environment"]
        assert environment["VIDEO_PROVIDER"] == "janus"
        assert environment["JANUS_ADMIN_URL"] == "http://janus:7088/admin"
    assert any(str(port).startswith("3478:3478") for port in services["coturn"]["ports"])


@pytest.mark.parametrize(
    "model",
    [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"programs", "sessions_app", "guests", "commitments", "reminders"}
    ],
    ids=lambda m: m.__name__,
)
def test_every_model_is_in_the_admin_with_columns_filters_and_search(model: type) -> None:
    model_admin = admin.site._registry.get(model)
    assert model_admin is not None, f"{model.__name__} is not in the admin"
    assert len(model_admin.list_display) >= 3
    assert model_admin.list_filter
    assert model_admin.search_fields


def test_pages_name_an_icon_and_favicon_ico_leads_to_it(client, db) -> None:
    page = client.get("/accounts/login/")
    assert 'rel="icon"' in page.text
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("/favicon.svg")
    from django.contrib.staticfiles import finders

    assert "<svg" in Path(finders.find("favicon.svg")).read_text()
