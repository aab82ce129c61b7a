# kramar: `make run` starts the whole shop here; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench services migrate demo help messages compilemessages gettext chromium

help:
	@echo "make run    - the whole shop on this machine (web, worker, beat) with demo data"
	@echo "make test   - lint + the whole test suite on real PostgreSQL and Redis"
	@echo "make lint   - ruff, formatting and missing-migration checks"
	@echo "make bench  - benchmarks (see bench/README.md)"
	@echo "make messages - update locale/uk/*.po from the code and compile them (then translate the new entries)"

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "kramar needs Python 3.11 (Django 5.2 LTS); found " + sys.version.split()[0]'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

services:
	@scripts/ensure-services.sh

run: $(STAMP) services compilemessages
	@scripts/run.sh

gettext:
	@scripts/ensure-gettext.sh

chromium:
	@scripts/ensure-chromium.sh

# Extract marked strings into locale/uk/{django,djangojs}.po and compile them. New entries come
# in untranslated: translate them in the same commit (make lint fails otherwise).
messages: $(STAMP) gettext
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py messages

compilemessages: $(STAMP) gettext
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py messages --compile

lint: $(STAMP) gettext
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py makemigrations --check --dry-run > /dev/null
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py messages --check

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(STAMP) services lint compilemessages chromium
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: $(STAMP) services
	$(PY) bench/checkout.py
	$(PY) bench/webhooks.py
	$(PY) bench/ledger.py
	$(PY) bench/admin.py
	$(PY) bench/labels.py
