# 银发助手 — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Interpreters: PATH first (a pythonX.Y that really runs), then pyenv, then `uv python find`.
# Override with PY310=/path/to/python3.10 PY311=/path/to/python3.11. When one is missing and
# uv is installed, `make install` runs `uv python install X.Y` (README: troubleshooting).
find_python = $(or $(shell python$(1) -c 'import sys; print(sys.executable)' 2>/dev/null),$(shell ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$(1).*/bin/python 2>/dev/null | sort -V | tail -n1),$(shell uv python find $(1) 2>/dev/null))
PY310 ?= $(call find_python,3.10)
PY311 ?= $(call find_python,3.11)
PY310 := $(PY310)
PY311 := $(PY311)
APP_PY := $(PY311)
need_python = { echo "Python $(1) is needed ($(2)) and was not found: not as python$(1) on PATH, not in pyenv, not by 'uv python find $(1)'."; echo "Install one of: uv (then 'make install' runs 'uv python install $(1)'), pyenv ('pyenv install $(1)'), or your system's python$(1) with its venv module; or set PY$(subst .,,$(1))=/path/to/python$(1)."; exit 1; }

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
export YINFA_ACTION_TOKEN ?= dev-action-token
export YINFA_RASA_URL ?= http://$(RASA_HOST):$(RASA_PORT)
export ACTION_ENDPOINT_URL ?= http://$(YINFA_HOST):$(YINFA_PORT)/webhook
export RASA_TRACKER_URL ?= sqlite:///var/rasa_tracker.sqlite3
export PYTHONUNBUFFERED := 1
export RASA_TELEMETRY_ENABLED := false


.PHONY: run-rasa run-app
.PHONY: help install migrate run test test-stories lint format index model train validate eval eval-nlu bench lock clean system-deps shell
.PHONY: profile bench-load bench-memory run-cluster stop-cluster cluster-deps

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/app.txt requirements/dev.txt
	@py="$(APP_PY)"; \
	if [ -z "$$py" ] && command -v uv >/dev/null; then \
	  echo "Python 3.11 not found: installing it with 'uv python install 3.11'"; \
	  uv python install 3.11 && py=$$(uv python find 3.11); fi; \
	test -n "$$py" || $(call need_python,3.11,for the app); \
	test -x $(PY) || "$$py" -m venv $(VENV) || { echo "'$$py -m venv' failed: install your system's python3.11-venv package"; exit 1; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/app.txt -r requirements/dev.txt
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.txt
	@py="$(PY310)"; \
	if [ -z "$$py" ] && command -v uv >/dev/null; then \
	  echo "Python 3.10 not found: installing it with 'uv python install 3.10'"; \
	  uv python install 3.10 && py=$$(uv python find 3.10); fi; \
	test -n "$$py" || $(call need_python,3.10,for Rasa 3.6); \
	test -x $(RASA_PY) || "$$py" -m venv $(RASA_VENV) || { echo "'$$py -m venv' failed: install your system's python3.10-venv package"; exit 1; }
	$(RASA_PY) -m pip install -q --disable-pip-version-check -r requirements/rasa.txt
	touch $@

install: $(VENV)/.installed $(RASA_VENV)/.installed ## Create or update both environments (skipped when locks are unchanged)

lock: ## Recompile the locked requirement files (needs network to PyPI)
	$(PY) -m pip install -q uv
	cd requirements && ../$(VENV)/bin/uv pip compile rasa.in --python-version 3.10 -o rasa.txt --no-header
	cd requirements && ../$(VENV)/bin/uv pip compile app.in --python-version 3.11 -o app.txt --no-header --find-links /opt/wheels --index-strategy unsafe-best-match
	sed -i 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/' requirements/app.txt  # a plain pin any index serves
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

migrate: install ## Bring the app database to the newest schema (Alembic)
	@mkdir -p var
	$(PY) -m app.schema upgrade

run: install index model migrate ## Install, build, train if stale, migrate, start Rasa and the app
	@export RASA_MODEL=$$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null); \
	  ( $(PY) scripts/wait_ready.py --url http://$(YINFA_HOST):$(YINFA_PORT) & ); \
	  exec $(VENV)/bin/honcho start --no-colour

run-rasa: install model ## Start only Rasa (for restarting it while the app keeps running)
	@export RASA_MODEL=$$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null); \
	  exec $(VENV)/bin/honcho start --no-colour rasa

run-app: install index migrate ## Start only the app (pair with `make run-rasa` in another terminal)
	@( $(PY) scripts/wait_ready.py --url http://$(YINFA_HOST):$(YINFA_PORT) & ); \
	  exec $(VENV)/bin/honcho start --no-colour app

run-cluster: install cluster-deps index model ## Two apps, two Rasa, two workers, PostgreSQL, Redis, nginx on 127.0.0.1:8000, under supervisord
	@export RASA_MODEL=$$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null); \
	  exec $(PY) -m scripts.cluster run $(CLUSTER_ARGS)

stop-cluster: ## Stop `make run-cluster` (also one left running in the background)
	@$(PY) -m scripts.cluster stop $(CLUSTER_ARGS)

cluster-deps: ## Debian packages of the cluster: postgresql, redis-server, nginx
	@$(call apt_install,postgresql redis-server nginx)

shell: install model ## Talk to the bot in the terminal (needs the app running for actions)
	$(RASA_VENV)/bin/rasa shell --model $$($(RASA_PY) scripts/train_if_stale.py 2>/dev/null) --endpoints endpoints.yml

test: install system-deps index model ## Install what is missing and run every test
	$(RASA_VENV)/bin/rasa data validate --data bot/data --domain domain.yml --fail-on-warnings
	$(PY) -m pytest

lint: install ## ruff (check and format check), mypy and the layer contracts (import-linter)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install ## Format the code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

eval: install index model ## Retrieval tables (dev, frozen test, ablation), calibration, end-to-end on the real stack
	$(PY) -m knowledge eval tests/eval/dev/questions.yml --ablation
	$(PY) -m knowledge eval tests/eval/dev/e2e.yml --ablation
	$(PY) -m knowledge eval tests/eval/test/questions.yml --ablation
	$(PY) -m knowledge calibrate tests/eval/dev/questions.yml tests/eval/dev/e2e.yml
	$(PY) scripts/eval_e2e.py --set dev --set test

eval-nlu: install ## 5-fold NLU cross-validation per intent (about 10 minutes)
	$(RASA_PY) scripts/nlu_cross_validation.py --folds 5

bench: install index model ## Benchmarks: print speed and memory numbers
	$(PY) scripts/bench_knowledge.py
	$(PY) scripts/bench_dialogue.py
	$(PY) scripts/bench_alerts.py
	$(RASA_PY) scripts/bench_action_validation.py
	$(PY) scripts/bench_long_conversation.py

profile: install index model ## py-spy over a short load on a stack of its own: flame graphs and top functions in var/profile/
	$(PY) scripts/profile_load.py $(PROFILE_ARGS)

bench-load: install index model ## Locust load test (closed 1/20/50 users, open 300): throughput, p50/p95/p99, errors, RSS
	$(PY) scripts/bench_load.py $(LOAD_ARGS)

bench-memory: install index model ## RSS of every process over 10,000 messages: app growth within 10 %, Rasa at most 1.3 GB
	$(PY) scripts/bench_memory.py $(MEMORY_ARGS)

# Install the Debian/Ubuntu packages of $(1) that are missing (as root, or with sudo).
apt_install = . /etc/os-release 2>/dev/null || true; \
	case " $${ID:-} $${ID_LIKE:-} " in *" debian "*|*" ubuntu "*) ;; \
	  *) echo "this target knows Debian and Ubuntu only. Install yourself: $(1)"; exit 1;; esac; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ -n "$$sudo" ] && ! command -v sudo >/dev/null; then echo "run as root to install:" $$missing; exit 1; fi; \
	  echo "installing:" $$missing; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null || exit 1; fi

system-deps: cluster-deps ## Test packages (Debian/Ubuntu): chromium, a CJK font, npm, and the cluster's; axe-core and uplot from npm
	@. /etc/os-release 2>/dev/null || true; \
	case " $${ID:-} $${ID_LIKE:-} " in *" debian "*|*" ubuntu "*) ;; \
	  *) echo "system-deps knows Debian and Ubuntu only. Install yourself: Chromium as /usr/bin/chromium, the font WenQuanYi Micro Hei, Node.js with npm; then run 'npm ci'."; exit 1;; esac; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	want="fonts-wqy-microhei"; [ "$$ID" = ubuntu ] || want="$$want chromium"; command -v npm >/dev/null || want="$$want npm"; \
	missing=$$(for p in $$want; do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ -n "$$sudo" ] && ! command -v sudo >/dev/null; then echo "system-deps: run as root to install:" $$missing; exit 1; fi; \
	  echo "installing:" $$missing; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null || exit 1; fi; \
	if [ ! -x /usr/bin/chromium ]; then \
	  echo "Ubuntu's chromium package is a snap wrapper: using Playwright's Chromium as /usr/bin/chromium"; \
	  $(VENV)/bin/playwright install --with-deps chromium >/dev/null || exit 1; \
	  $$sudo ln -sf "$$($(PY) -c 'from playwright.sync_api import sync_playwright as p; s = p().start(); print(s.chromium.executable_path); s.stop()')" /usr/bin/chromium; fi
	@test -f node_modules/axe-core/axe.min.js -a -f node_modules/uplot/package.json || npm ci --no-audit --no-fund --silent

clean: ## Remove built artefacts (keeps environments)
	rm -rf var/index var/models var/screenshots
