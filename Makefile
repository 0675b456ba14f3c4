# contacts311 - run `make help` to list the targets.
# The two commands a new user needs: `make run` and `make test` (see README.md).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DATA   ?= data/raw/sample
OUT    ?= reports
# Pinned versions (constraints.txt) also apply inside pip's isolated build environments.
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.DEFAULT_GOAL := help
NODE_STAMP := node_modules/.package-lock.json

.PHONY: help setup browser node run totals test test-fast lint format lab sample bench bench-report lock clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-11s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@echo "==> creating $(VENV) and installing pinned dependencies (constraints.txt)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "pip==$$(sed -n 's/^pip==//p' constraints.txt)"
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

setup: $(STAMP) ## Create .venv and install the pinned dependencies

browser: ## Install Debian's chromium for the browser tests (if missing)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "==> installing Debian's chromium (browser tests)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-dejavu-core poppler-utils >/dev/null; }

node: $(NODE_STAMP) ## Install the pinned JavaScript of the browser tests (axe-core, package-lock.json)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "==> installing Debian's nodejs and npm (accessibility audit)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup ## Set up, then run the main job (HTML reports) on the bundled sample data
	$(BIN)/contacts311 report $(DATA) --out $(OUT)

totals: setup ## Print fiscal-year totals for DATA (default: the bundled sample)
	$(BIN)/contacts311 totals $(DATA)

test: setup browser node ## Set up, then run the full test suite
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: setup ## Unit tests only
	$(BIN)/pytest tests/unit -q

lint: setup ## ruff lint + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup ## Apply ruff formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lab: setup ## Open JupyterLab on the notebooks
	$(BIN)/jupyter lab notebooks/

sample: setup ## Regenerate the bundled sample exports in data/raw/sample
	$(BIN)/contacts311 sample-data data/raw/sample --force

bench: setup ## Ingest benchmark (1M, 5M, 10M call records) - prints a table
	$(BIN)/python benchmarks/ingest.py

bench-report: setup ## Report-build benchmark (sample vs the notebooks' import floor) - prints a table
	$(BIN)/python benchmarks/report_build.py

lock: ## Re-resolve constraints.txt from pyproject.toml in a scratch venv
	rm -rf .lock-venv && env -u PIP_CONSTRAINT $(PYTHON) -m venv .lock-venv
	env -u PIP_CONSTRAINT .lock-venv/bin/python -m pip install --quiet --upgrade pip setuptools wheel
	env -u PIP_CONSTRAINT .lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -v '^contacts311' > constraints.txt
	rm -rf .lock-venv

clean: ## Remove caches and generated reports (keeps reports/.gitkeep)
	rm -rf .pytest_cache .ruff_cache .hypothesis tests/artifacts
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
