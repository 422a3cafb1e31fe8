# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
CHROMIUM := /usr/bin/chromium
# --no-compile: pip would byte-compile every installed file inside the install (20 s here);
# `make test` compiles them on one core while the warm-up runs on the other (the bytecode
# target), and `make run` lets Python compile what the server imports, once.
PIP := $(PY) -m pip install --quiet --disable-pip-version-check --no-compile

.PHONY: run test bench lint warmup bytecode browser-deps clean

$(VENV)/.runtime: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	# The engine itself, editable: every process started from .venv imports it (Dask workers too).
	$(PIP) --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PIP) -r requirements-dev.txt
	touch $@

## Start the app on the bundled data (http://localhost:$(PORT)).
run: $(VENV)/.runtime
	$(PY) serve.py --server.headless true --server.port $(PORT)

## Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver; \
	fi

## Install everything and run every test (unit, property, UI, browser).
# Three strands at once (-j3), none needing another's result: Chromium's apt install; the
# runtime install, then the warm-up; the runtime install, then the test tools' install, ruff
# and the bytecode (else the test processes and servers starting together would each compile
# the same modules on import: 21 s against 8.6 s to import the stack here).
test:
	$(MAKE) --no-print-directory --output-sync=target -j3 browser-deps warmup lint bytecode
	$(PY) -m pytest -n 2 --dist loadfile --durations=25

## numba's machine code for UMAP and the bundled build, once: otherwise several test processes
## compile the same ~500 functions at the same time on a fresh clone (a minute each here).
warmup: $(VENV)/.runtime
	$(PY) -m cluster_core.warmup

bytecode: $(VENV)/.dev
	$(PY) -m compileall -qq $(VENV)/lib

## Benchmarks: one table with ratios against baselines measured in the same run.
bench: bytecode browser-deps
	$(PY) -m benchmarks

lint: $(VENV)/.dev
	$(PY) -m ruff check cluster_core pages app.py serve.py tests benchmarks

clean:
	rm -rf $(VENV) .cache .pytest_cache .hypothesis test-artifacts
