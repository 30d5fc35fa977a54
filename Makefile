# Two commands do all the set-up on a fresh machine with only Python 3.11+:
#   make run   — install, migrate, load demo data, serve with a Celery worker and beat
#   make test  — install, lint, type-check, and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run PORT=8001` serves on another port; links in e-mails and QR codes follow it unless
# PUBLIC_BASE_URL is set.
PORT ?= 8000

.PHONY: install run test lint typecheck format lock clean screenshots

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py devserver --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with django-stubs over the apps and config (the files are listed in pyproject.toml).
typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# PNGs of every page in tests/support/screens.py at 1280 and 390 px into var/screenshots/, from
# the demo data, each checked with axe-core (Chromium: CHROMIUM_PATH, default /usr/bin/chromium).
screenshots: install
	mkdir -p var/screenshots
	SCREENSHOTS_DIR=$(CURDIR)/var/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_screens.py $(PYTEST_ARGS)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Regenerate requirements.lock from pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .mypy_cache
