"""The apps' imports point one way: reminders <- programs <- sessions_app <- guests, commitments,
and no app imports config/ (ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each app may import of the project's own packages.
ALLOWED = {
    "reminders": {"reminders"},
    "programs": {"reminders", "programs"},
    "sessions_app": {"reminders", "programs", "sessions_app"},
    "guests": {"reminders", "programs", "sessions_app", "guests"},
    "commitments": {"reminders", "programs", "sessions_app", "commitments"},
}
PROJECT = {*ALLOWED, "config"}


def _imported_packages(path: Path) -> set[tuple[int, str]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".", 1)[0]
            if top in PROJECT:
                found.add((node.lineno, top))
    return found


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_an_app_imports_only_the_apps_before_it(app: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {package}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, package in sorted(_imported_packages(path))
        if package not in ALLOWED[app]
    ]
    assert wrong == []


def test_the_rule_sees_an_import_of_config(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from config.headers import x\nimport sessions_app.rooms\n")
    assert _imported_packages(module) == {(1, "config"), (2, "sessions_app")}
