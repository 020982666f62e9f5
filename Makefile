# csm-tui: every target sets up .venv itself, so a fresh clone needs only python3 (3.11+), make, git.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Two cores on CI: one pytest worker per core.
WORKERS ?= auto

.PHONY: demo test bench lint format venv clean postgres

demo: $(STAMP)
	$(BIN)/csm demo

test: $(STAMP) postgres
	$(BIN)/python -m pytest -n $(WORKERS) -p no:cacheprovider

# The PostgreSQL tests start a throwaway cluster from Debian's binaries (tests/pg.py), or use
# CSM_TEST_PG_URL. Install the binaries when they are missing and we may (root with apt).
postgres:
	@if [ -n "$$CSM_TEST_PG_URL" ] || command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql for the PostgreSQL tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	else \
		echo "PostgreSQL binaries not found: the PostgreSQL tests will be skipped (install postgresql or set CSM_TEST_PG_URL)"; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/macro_suggest.py
	$(BIN)/python bench/sla.py
	$(BIN)/python bench/sla_panel.py
	$(BIN)/python bench/terminal_bytes.py
	$(BIN)/python bench/knowledge.py

lint: $(STAMP)
	$(BIN)/ruff check csm_tui tests bench
	$(BIN)/ruff format --check csm_tui tests bench

format: $(STAMP)
	$(BIN)/ruff format csm_tui tests bench
	$(BIN)/ruff check --fix csm_tui tests bench

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "csm-tui needs Python 3.11 or newer; set PYTHON=python3.11 (or newer).")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
