# salesalloc — developer commands. `make run` and `make test` are the two set-up commands.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev system-deps lint format migrations worker beat bench clean-demo messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, load the demo company (real Superstore orders) and serve it
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "  salesalloc is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

## test: install everything and run the whole suite (lint, migrations, unit, API, e2e;
## integration tests with a real Celery worker too when DATABASE_URL/REDIS_URL are set)
test: install-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## system-deps: Debian's chromium (browser tests), gettext (translations) and LibreOffice Calc
## (the plan-sheet round trip through soffice), when missing
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null 2>&1 || missing="$$missing gettext"; \
	command -v soffice >/dev/null 2>&1 || missing="$$missing libreoffice-calc-nogui"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "note: install$$missing (e.g. sudo apt-get install$$missing) for the browser/i18n/sheet tests"; \
	  fi; \
	fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations: install
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: install-dev
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

## worker / beat: background processing on Redis (set DATABASE_URL and REDIS_URL)
worker: install
	$(BIN)/celery -A salesalloc worker --loglevel=INFO

beat: install
	$(BIN)/celery -A salesalloc beat --loglevel=INFO --schedule=var/celerybeat-schedule

bench: install-dev
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/allocation_bench.py
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/recompute_bench.py
	$(BIN)/python bench/dashboard_bench.py
	$(BIN)/python bench/incentives_bench.py
