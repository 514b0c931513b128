# zerodte: two commands do everything on a fresh machine with Python 3.11 and pip.
#   make demo   - set up, then run the main job on the embedded synthetic market
#   make test   - set up, then check notebooks/library sync, run nbdev_test and pytest
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.zerodte-installed
# pip prints a warning per package for this machine's unused local index folders; keep the log readable.
PIPQUIET := 2>&1 | grep -v "is neither a file nor a directory" || true

.PHONY: setup test demo bench sync clean-nbs export lab
setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt setup.py settings.ini
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH (or: make PYTHON=/path/to/python3.11)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing pinned dependencies into $(VENV) (first run: a few minutes)"
	@set -o pipefail; $(PY) -m pip install -q -r requirements.txt -c constraints.txt $(PIPQUIET)
	@$(PY) -c "import torch, pandas, nbdev, exchange_calendars, alpaca" || { echo "dependency install failed (see above)"; exit 1; }
	@$(PY) -m pip install -q --no-deps --no-build-isolation -e . $(PIPQUIET)
	@$(PY) -m ipykernel install --sys-prefix --name zerodte --display-name "zerodte (.venv)" >/dev/null
	@touch $(STAMP)
	@echo "setup done: $(VENV) ready, kernel 'zerodte' registered"

sync: setup
	@VENV=$(VENV) tools/check_sync.sh

test: setup sync
	@echo "== nbdev_test (slow cells skipped; 'make test-slow' runs them)"
	@$(BIN)/nbdev_test --n_workers 2 --timing
	@echo "== pytest"
	@$(BIN)/pytest -q tests

test-slow: setup
	@$(BIN)/nbdev_test --n_workers 2 --flags slow

demo: setup
	@$(BIN)/zerodte demo

bench: setup
	@mkdir -p bench
	@$(BIN)/python bench/run.py --out bench/results.json

export: setup
	@$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tools/readme.py

lab: setup
	@$(BIN)/jupyter lab --notebook-dir=nbs
