# giantatom: two commands do everything on a fresh machine.
#   make example   creates .venv on first use, then runs cases/sphere.toml
#   make test      creates .venv on first use, then runs the test suite
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.giantatom-installed
CASE  ?= cases/sphere.toml
RANKS ?= 2

.PHONY: venv example test lint format bench clean

venv: $(STAMP)

# A Python >= 3.12: python3.13/python3.12/python3 on PATH (each one tried, since a pyenv shim
# can exist without a usable interpreter behind it), else pyenv's installed versions.
$(STAMP): pyproject.toml
	@set -e; py=""; \
	for c in python3.13 python3.12 python3 \
	         $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  if command -v "$$c" >/dev/null 2>&1 && \
	     "$$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then py="$$c"; break; fi; \
	done; \
	if [ -z "$$py" ]; then echo "giantatom: no Python >= 3.12 found (looked on PATH and in pyenv)" >&2; exit 1; fi; \
	echo "giantatom: creating $(VENV) with $$($$py --version) ($$py)"; \
	[ -x $(BIN)/python ] || "$$py" -m venv $(VENV); \
	$(BIN)/pip install -q --upgrade pip; \
	$(BIN)/pip install -q -e '.[wheel,dev]'
	@touch $@

example: $(STAMP)
	$(BIN)/mpirun -n $(RANKS) $(BIN)/giantatom run $(CASE)

test: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest -q tests

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

# Timings against a bare DOLFINx Poisson solve (README "Performance"); e.g.
#   make bench BENCH="--radius 30 --ranks 2"   or   make bench BENCH="--sizes 0.5 0.35 0.25"
BENCH ?= --radius 10 --ranks 1 2
bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/giantatom bench $(BENCH)

clean:
	rm -rf results .pytest_cache .ruff_cache
