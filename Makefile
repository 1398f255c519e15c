# The README's commands. Every target bootstraps .venv on first use (offline-friendly: torch is
# pinned to the CPU build through constraints.txt); later runs reuse it and start at once.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export HF_HUB_OFFLINE := 1

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck pytest bench bench-full clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# The ray extra is installed too, so that `make test` (CI) runs the Ray tests. `matchsvc prepare`
# exports the model to ONNX (./data/onnx) and compiles the solvers once, so `make run` is ready
# within seconds.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,bench,ray]'
	$(BIN)/matchsvc prepare
	@touch $(STAMP)

install: $(STAMP) ## Create .venv, install matchsvc with its dev tools and the ray extra, prepare the model

run: $(STAMP) ## Start the service on 127.0.0.1:8000 (bundled model, SQLite in ./data)
	$(BIN)/matchsvc serve

lint: $(STAMP) ## ruff lint + format check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP) ## mypy --strict on src/
	$(BIN)/mypy

pytest: $(STAMP) ## Run the test suite only
	$(BIN)/pytest

test: lint typecheck pytest ## Lint, type-check and run every test (what CI runs)

bench: $(STAMP) ## Quick benchmark suite (~20 s idle) into bench-out/quick
	$(BIN)/python -m benchmarks.suite --quick --out bench-out/quick

bench-full: $(STAMP) ## Full benchmark suite into bench-out/full
	$(BIN)/python -m benchmarks.suite --out bench-out/full

clean: ## Remove caches and build output (keeps .venv and data/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info
