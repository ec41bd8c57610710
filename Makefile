# Everything a fresh clone needs is installed by these targets: `make run`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# One pytest worker per core, a test file per worker at a time: a file's module fixtures (a
# portal, a browser, moto's server) are made once, and no two workers share a file's data.
PYTEST_WORKERS ?= auto
CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install run test lint format bench infra-check lambda-zip deploy clean provider-schemas

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "eduportal needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Node tools of the test suite (asl-validator, the random provider's schema in
# @cdktf/provider-random), exactly as package-lock.json pins them.
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

# The suite writes durably thousands of times (each file and directory fsynced, SQLite's
# checkpoints), and a slow disk makes every fsync cost milliseconds; no test pulls the power,
# so the test run's fsyncs are made no-ops by eatmydata (LD_PRELOAD; Debian builds do the same).
EATMYDATA := /usr/bin/eatmydata
$(EATMYDATA):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq eatmydata

test: $(STAMP) $(NODE_STAMP) $(CHROMIUM) $(EATMYDATA) checkov  ## Run the whole test suite, infrastructure checks included (installs chromium, eatmydata, the Node tools, checkov)
	$(EATMYDATA) $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# checkov in a virtual environment of its own (infrastructure/checkov-requirements.txt says why).
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
$(CHECKOV_STAMP): infrastructure/checkov-requirements.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r infrastructure/checkov-requirements.txt
	touch $@

.PHONY: checkov
checkov: $(CHECKOV_STAMP)  ## checkov on infrastructure/: 0 failed checks, every skip inline with its reason
	$(CHECKOV_VENV)/bin/checkov --directory infrastructure --framework terraform --skip-download --quiet --compact

infra-check: $(STAMP) $(NODE_STAMP) checkov  ## The Terraform checked offline: checkov, the provider schemas, fmt, every requirement value, the scaling model
	$(BIN)/python -m pytest tests/infrastructure $(PYTEST_ARGS)

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check src tests bench load-testing scripts
	$(BIN)/ruff format --check src tests bench load-testing scripts
	$(BIN)/mypy

format: $(STAMP)  ## Apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix src tests bench load-testing scripts
	$(BIN)/ruff format src tests bench load-testing scripts

bench: $(STAMP)  ## Benchmarks (not part of `make test`): optimizer, quality per image, placeholders, portal, hot paths, answer scoring, pipeline; bench/results/
	$(BIN)/python -m bench.optimizer
	$(BIN)/python -m bench.image_quality
	$(BIN)/python -m bench.placeholder
	command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk; }
	$(BIN)/python -m bench.portal
	$(BIN)/python -m bench.hot_paths
	$(BIN)/python -m bench.scoring
	$(BIN)/python -m bench.pipeline

# Not part of `make test`: pip downloads the wheels it has not cached. The tests build the zip's
# parts on a small folder, and once for real (tests/integration/test_lambda_zip_build.py).
lambda-zip: $(STAMP)  ## The pipeline's Lambda deployment package: build/lambda/eduportal-lambda.zip (pip fetches ~48 MB of wheels)
	$(BIN)/python -m scripts.lambda_zip

deploy: lambda-zip  ## Deploy to AWS with Terraform (scripts/deploy.sh; needs AWS credentials and terraform)
	scripts/deploy.sh

clean:  ## Remove the virtual environments, caches and build/
	rm -rf $(VENV) $(CHECKOV_VENV) build node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Not part of `make test`: the AWS provider's schema is kept in the repository, as its package
# is 390 MB unpacked (tests/support/provider_schema.py). Installed outside the project.
PROVIDER_AWS := @cdktf/provider-aws
PROVIDER_AWS_VERSION := 21.22.1
provider-schemas: $(STAMP)  ## Remake tests/data/provider-schemas/aws.json.gz from @cdktf/provider-aws (npm fetches ~55 MB)
	npm install --silent --no-save --no-audit --no-fund --prefix build/provider-schemas $(PROVIDER_AWS)@$(PROVIDER_AWS_VERSION)
	$(BIN)/python -m tests.support.provider_extract build/provider-schemas/node_modules/$(PROVIDER_AWS)
