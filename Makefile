# `make run` and `make test` set themselves up: a virtual environment in .venv,
# rebuilt whenever pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
FRAMEWORK := tests/cloudformation/.framework
FRAMEWORK_JS := $(FRAMEWORK)/node_modules/serverless/bin/serverless.js

.PHONY: run test lint bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sockgate dev examples/chat --host $(HOST)

# `make lint` first: seconds, and it fails before the suite's minutes.
test: lint browser $(FRAMEWORK_JS)
	$(BIN)/python -m pytest

# The browser tests drive Debian's Chromium; install it when missing (as root, or with sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo "sudo -n" ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	  || echo "note: could not install chromium; browser tests will be skipped"; }

# tests/cloudformation compares `sockgate package` with Serverless Framework 3's `serverless
# package`: install it with npm once, into a folder that ignores itself in git. Without npm
# those tests skip; if the install fails they try again and fail with npm's message.
$(FRAMEWORK_JS):
	@command -v npm >/dev/null 2>&1 || { echo "note: npm is missing; the serverless package comparison will be skipped"; exit 0; }; \
	mkdir -p $(FRAMEWORK) && printf '*\n' > $(FRAMEWORK)/.gitignore && \
	npm install --prefix $(FRAMEWORK) --no-audit --no-fund --loglevel=error serverless@3 \
	|| echo "note: npm install serverless@3 failed; the serverless package comparison will fail"

# ruff (lint, format, complexity), mypy (strict, on src/) and import-linter (the layers of
# DESIGN.md's map); all configured in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache
