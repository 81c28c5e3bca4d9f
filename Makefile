# The README shows two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.facegate-installed

.PHONY: run test lint install system-deps bench clean

# Debian packages the project needs: a CJK font for the PDFs, pdftotext to check them,
# Chromium for the browser tests of the web console and kiosk, PostgreSQL's server for the
# tests that run the store on a throwaway cluster (tests/postgres_cluster.py; the service only
# needs a server when FACEGATE_DATABASE_URL names one), with its client tools (pg_dump,
# pg_restore, psql: `facegate backup`/`restore` on PostgreSQL).
DEBIAN_PACKAGES := fonts-wqy-microhei poppler-utils chromium postgresql

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) system-deps

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "please install the Debian packages:$$missing (sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

run: install
	$(BIN)/facegate demo

lint: install
	$(BIN)/ruff check --no-cache
	$(BIN)/ruff format --check --no-cache
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# Benchmarks: the face_recognition library is the baseline we measure against. It is installed
# without its dependencies because it pins `dlib`, which would be compiled from source; the
# `dlib-bin` wheel we already have provides the same module.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python -m pip install --quiet --no-deps face_recognition==1.3.0
	$(BIN)/python bench/engine.py
	@echo "open-set identification (embeds 7,701 LFW images per system once, cached in bench/out/):"
	@echo "  $(BIN)/python bench/identification.py ../shared/datasets/lfw --baseline"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
