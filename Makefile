# 银发助手 — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY310 ?= $(shell ls -d /root/.pyenv/versions/3.10.*/bin/python 2>/dev/null | tail -n1 || command -v python3.10)
PY311 ?= $(shell ls -d /root/.pyenv/versions/3.11.*/bin/python 2>/dev/null | tail -n1 || command -v python3.11)
APP_PY := $(if $(PY311),$(PY311),$(PY310))

VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
RASA_PY := $(RASA_VENV)/bin/python

# Local defaults; override in the environment or in .env (see README).
export YINFA_HOST ?= 127.0.0.1
export YINFA_PORT ?= 8000
export RASA_HOST ?= 127.0.0.1
export RASA_PORT ?= 5005
export YINFA_RASA_TOKEN ?= dev-rasa-token
export YINFA_RASA_URL ?= http://$(RASA_HOST):$(RASA_PORT)
export ACTION_ENDPOINT_URL ?= http://$(YINFA_HOST):$(YINFA_PORT)/webhook
export RASA_TRACKER_URL ?= sqlite:///var/rasa_tracker.sqlite3
export PYTHONUNBUFFERED := 1
export RASA_TELEMETRY_ENABLED := false


.PHONY: run-rasa run-app
.PHONY: help install run test test-stories lint format index model train validate eval bench lock clean system-deps shell

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/app.txt requirements/dev.txt
	@test -n "$(APP_PY)" || { echo "Python 3.11 or 3.10 is needed (see README: troubleshooting)"; exit 1; }
	test -x $(PY) || $(APP_PY) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/app.txt -r requirements/dev.txt
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt
	@test -n "$(PY310)" || { echo "Python 3.10 is needed for Rasa 3.6 (see README: troubleshooting)"; exit 1; }
	test -x $(RASA_PY) || $(PY310) -m venv $(RASA_VENV)
	$(RASA_PY) -m pip install -q --disable-pip-version-check -r requirements/rasa.txt
	touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed ## Create or update both environments (skipped when locks are unchanged)

lock: ## Recompile the locked requirement files (needs network to PyPI)
	$(PY) -m pip install -q uv
	cd requirements && ../$(VENV)/bin/uv pip compile rasa.in --python-version 3.10 -o rasa.txt --no-header
	cd requirements && ../$(VENV)/bin/uv pip compile app.in --python-version 3.11 -o app.txt --no-header --find-links /opt/wheels --index-strategy unsafe-best-match
	cd requirements && ../$(VENV)/bin/uv pip compile dev.in --python-version 3.11 -o dev.txt --no-header --find-links /opt/wheels

index: install ## Build the knowledge index if missing or stale
	$(PY) -m knowledge ensure

model: install ## Train the Rasa model if config, domain or bot/ changed
	$(RASA_PY) scripts/train_if_stale.py >/dev/null

train: model ## Alias of model

validate: install ## Validate the Rasa training data
	$(RASA_VENV)/bin/rasa data validate --data bot/data --domain domain.yml --fail-on-warnings

test-stories: install model ## Rasa end-to-end test stories (also run by pytest in `make test`)
	$(RASA_VENV)/bin/rasa test core --e2e --model $$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null) --stories tests/stories --fail-on-prediction-errors --out var/eval/stories --no-plot

run: install index model ## Install, build, train if stale, start Rasa and the app
	@mkdir -p var
	@export RASA_MODEL=$$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null); \
	  ( $(PY) scripts/wait_ready.py --url http://$(YINFA_HOST):$(YINFA_PORT) & ); \
	  exec $(VENV)/bin/honcho start --no-colour

run-rasa: install model ## Start only Rasa (for restarting it while the app keeps running)
	@export RASA_MODEL=$$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null); \
	  exec $(VENV)/bin/honcho start --no-colour rasa

run-app: install index ## Start only the app (pair with `make run-rasa` in another terminal)
	@( $(PY) scripts/wait_ready.py --url http://$(YINFA_HOST):$(YINFA_PORT) & ); \
	  exec $(VENV)/bin/honcho start --no-colour app

shell: install model ## Talk to the bot in the terminal (needs the app running for actions)
	$(RASA_VENV)/bin/rasa shell --model $$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null) --endpoints endpoints.yml

test: install system-deps index model ## Install what is missing and run every test
	$(RASA_VENV)/bin/rasa data validate --data bot/data --domain domain.yml --fail-on-warnings
	$(PY) -m pytest

lint: install ## ruff (check and format check) and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## Format the code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

eval: install index ## Retrieval and NLU evaluation tables
	$(PY) -m knowledge eval tests/eval/questions.yml
	$(RASA_PY) scripts/nlu_cross_validation.py --folds 5

bench: install index model ## Benchmarks: print speed and memory numbers
	$(PY) scripts/bench_knowledge.py
	$(PY) scripts/bench_dialogue.py
	$(PY) scripts/bench_alerts.py

system-deps: ## Debian packages for browser tests (chromium, a CJK font) and axe-core from npm
	@dpkg -s chromium chromium-driver fonts-wqy-microhei >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null; }
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

clean: ## Remove built artefacts (keeps environments)
	rm -rf var/index var/models var/screenshots
