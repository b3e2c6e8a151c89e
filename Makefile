# paindiary — every set-up step lives here; README and CI use these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONSTRAINTS := .ci/constraints.txt
PORT   ?= 8501

.PHONY: run serve-clinic test test-fast bench bench-registry bench-pages lint demo system-deps venv clean-demo lock

venv: $(BIN)/python
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The project (editable) with its runtime dependencies, at the tested versions, and the
# distributed engine (paindiary analyze --engine dask).
$(VENV)/.run-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dask]"
	touch $@

# ... plus the test and lint tools.
$(VENV)/.dev-installed: pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $@ $(VENV)/.run-installed

demo: $(VENV)/.run-installed
	$(BIN)/paindiary init-demo

# python -m dashboard.serve is streamlit run dashboard/app.py with the upload gate in place
# before the server accepts anything (dashboard/serve.py).
run: demo
	$(BIN)/python -m dashboard.serve --server.headless true \
	  --browser.gatherUsageStats false --server.port $(PORT) --server.address localhost \
	  --client.toolbarMode minimal

# Phones on the clinic network, through a TLS-terminating reverse proxy on this machine
# (docs/operations.md): the app still listens on localhost only and also accepts the
# name the phones use, e.g. make serve-clinic HOST=diary.clinic.lan
serve-clinic: demo
	@test -n "$(HOST)" || { echo "Name the host the phones use: make serve-clinic HOST=diary.clinic.lan" >&2; exit 2; }
	$(BIN)/python -m dashboard.serve --server.headless true \
	  --browser.gatherUsageStats false --server.port $(PORT) --server.address localhost \
	  --client.toolbarMode minimal --server.allowedHosts localhost \
	  --server.allowedHosts 127.0.0.1 --server.allowedHosts $(HOST)

# System packages the tests drive: Debian's chromium (browser tests) and postgresql.
system-deps:
	@bash tests/system_deps.sh

# One test process per core (at most 4; a 2-core machine runs two). Each file's tests run
# in one process, in order: some browser tests build on the state an earlier one left.
# Files are handed out in the collection's order, the longest first (tests/conftest.py).
PYTEST_WORKERS ?= -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

# Every test, and lint alongside (the tests leave a core partly idle while they wait for
# browsers and servers); lint's report is printed after the tests', and either failing
# fails the target.
test: system-deps $(VENV)/.dev-installed
	@$(MAKE) --no-print-directory lint > $(VENV)/lint.log 2>&1 & lint=$$!; \
	$(BIN)/pytest $(PYTEST_WORKERS); tests=$$?; \
	wait $$lint; linted=$$?; \
	echo "--- make lint ---"; cat $(VENV)/lint.log; \
	if [ $$linted -ne 0 ]; then echo "make lint failed (above)" >&2; fi; \
	[ $$tests -eq 0 ] && [ $$linted -eq 0 ]

# The quick loop while working: no lint, no test marked slow (browser, PostgreSQL, Dask,
# several processes). `make test` still runs everything.
test-fast: $(VENV)/.dev-installed
	$(BIN)/pytest $(PYTEST_WORKERS) -m "not slow"

# Clinic scale (1k / 3k / 10k patients x 365 days): writes docs/performance.md in < 15 min.
# PAINDIARY_BENCH_SIZES=100,300 make bench  tries it on small clinics.
bench: system-deps $(VENV)/.dev-installed
	$(BIN)/python -m tests.benchmarks.run

# The Dask engine on a registry of 100,000 patients x 365 days, workers limited to 4 GB.
bench-registry: $(VENV)/.dev-installed
	$(BIN)/python -m tests.benchmarks.registry

# Page micro-benchmarks of the dashboard (pytest-benchmark), then the pages in Chromium
# (sign-in, a tap + Save, page switches; phone and desktop sizes, medians of 5 runs),
# written to docs/performance.md under "Pages in the browser".
bench-pages: system-deps $(VENV)/.dev-installed
	$(BIN)/pytest tests/dashboard -o python_files='bench_*.py' --benchmark-only \
	  --benchmark-columns=min,median,max,rounds
	$(BIN)/python -m tests.benchmarks.pages

# ruff (lint and format), import-linter (the layers of pyproject.toml), mypy.
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check analytics dashboard tests
	$(BIN)/ruff format --check analytics dashboard tests
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# Re-pin the tested versions after changing pyproject.toml.
lock: $(VENV)/.dev-installed
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > $(CONSTRAINTS)

clean-demo:
	rm -rf .data
