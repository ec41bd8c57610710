# Everything a fresh clone needs is installed by these targets: `make run`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install run test lint format bench lambda-zip clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "eduportal needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Node tools of the test suite (asl-validator, the providers' schemas in @cdktf/provider-*),
# exactly as package-lock.json pins them.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --silent --no-audit --no-fund
	touch $@

# The end-to-end tests drive Debian's Chromium through Playwright; no browser is downloaded.
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

install: $(STAMP)  ## Create .venv and install eduportal with its development tools

run: $(STAMP)  ## Start eduportal on the embedded default (files under ./data)
	$(BIN)/eduportal serve

test: $(STAMP) $(NODE_STAMP) $(CHROMIUM)  ## Run the whole test suite (installs Debian's chromium and the Node tools if missing)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check src tests bench load-testing scripts
	$(BIN)/ruff format --check src tests bench load-testing scripts
	$(BIN)/mypy

format: $(STAMP)  ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests bench load-testing scripts
	$(BIN)/ruff format src tests bench load-testing scripts

bench: $(STAMP)  ## Benchmarks (not part of `make test`): optimizer, portal, hot paths, answer scoring, pipeline; bench/results/
	$(BIN)/python -m bench.optimizer
	command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.portal
	$(BIN)/python -m bench.hot_paths
	$(BIN)/python -m bench.scoring
	$(BIN)/python -m bench.pipeline

# Not part of `make test`: pip downloads the wheels it has not cached. The tests build the zip's
# parts on a small folder, and once for real (tests/integration/test_lambda_zip_build.py).
lambda-zip: $(STAMP)  ## The pipeline's Lambda deployment package: build/lambda/eduportal-lambda.zip (pip fetches ~48 MB of wheels)
	$(BIN)/python -m scripts.lambda_zip

clean:  ## Remove the virtual environment, caches and build/
	rm -rf $(VENV) build node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis
