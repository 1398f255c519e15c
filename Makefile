# The README's commands. Every target bootstraps .venv on first use (offline-friendly: torch is
# pinned to the CPU build through constraints.txt); later runs reuse it and start at once.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export HF_HUB_OFFLINE := 1

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck pytest chromium bench bench-full fuzz mutate mutate-survivors mutate-report mutate-module clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

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

pytest: $(STAMP) chromium ## Run the test suite only
	$(BIN)/pytest

# The report's browser test (tests/test_report_browser.py) needs Debian's chromium. As root on a
# Debian machine (CI's fresh one) it is installed here, once: about 50 s with the download
# (measured on the 2-core machine). Otherwise, or with CHROMIUM=skip, that test is skipped.
CHROMIUM ?= install
chromium: ## Install Debian's chromium for the report's browser test (root only; CHROMIUM=skip)
	@if [ "$(CHROMIUM)" = skip ] || command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "make: chromium is missing (not root, or no apt-get): the browser test will be skipped"; \
	else \
	  echo "make: installing Debian's chromium for the report's browser test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium fonts-dejavu-core >/dev/null; } \
	  || { echo "make: installing chromium failed; CHROMIUM=skip tests without it"; exit 1; }; \
	fi

test: lint typecheck pytest ## Lint, type-check and run every test (what CI runs)

bench: $(STAMP) ## Quick benchmark suite (~20 s idle) into bench-out/quick
	$(BIN)/python -m benchmarks.suite --quick --out bench-out/quick

bench-full: $(STAMP) ## Full benchmark suite into bench-out/full
	$(BIN)/python -m benchmarks.suite --out bench-out/full

# Case generation is the bottleneck (one core): 60 cases per operation and 20 minutes give about
# 23,000 requests on the 2-core machine.
SEED ?= 1
EXAMPLES ?= 60
FUZZ_SECONDS ?= 1200
fuzz: $(STAMP) ## Long schemathesis pass on a real server (SEED=1 EXAMPLES=60 FUZZ_SECONDS=1200) into bench-out/fuzz-SEED
	$(BIN)/python -m benchmarks.fuzz --seed $(SEED) --max-examples $(EXAMPLES) \
		--max-time $(FUZZ_SECONDS) --out bench-out/fuzz-$(SEED)

# Mutation testing (docs/mutation.md): mutmut copies src/ and tests/ into ./mutants and runs
# each mutant against only the tests that reach the mutated function. Config: [tool.mutmut] in
# pyproject.toml. Results are cached in ./mutants: a second run retests only changed code.
# MUTATE selects mutants by name glob, e.g. make mutate MUTATE='matchsvc.assignment.*'.
MUTATE      ?=
MUTATE_JOBS ?= 2
# Workers are forked from a process that has run the model: thread pools (tokenizers, OpenMP)
# do not survive a fork, so a worker that uses them would hang and read as "timeout".
mutate mutate-survivors mutate-module: export TOKENIZERS_PARALLELISM := false
mutate mutate-survivors mutate-module: export OMP_NUM_THREADS := 1
mutate: $(STAMP) ## Mutation testing of assignment/, scoring/, explain.py (~1 h on 2 cores)
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(foreach p,$(MUTATE),'$(p)') > mutants.log 2>&1 \
		|| { tail -n 40 mutants.log; exit 1; }
	@$(MAKE) --no-print-directory mutate-report

mutate-survivors: $(STAMP) ## Re-test only the last run's surviving mutants (after adding tests)
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS) $$($(BIN)/mutmut results | awk -F': ' \
		'$$2 == "survived" || $$2 == "no tests" { sub(/^ +/, "", $$1); print $$1 }') \
		> mutants.log 2>&1 || { tail -n 40 mutants.log; exit 1; }
	@$(MAKE) --no-print-directory mutate-report

mutate-report: ## Score per package and the surviving mutants of the last `make mutate`
	@$(BIN)/mutmut results --all true | awk -F': ' 'NF == 2 { sub(/^ +/, "", $$1); \
		split($$1, part, "."); pkg = part[2]; n[pkg]++; st[pkg, $$2]++; \
		if ($$2 != "killed" && $$2 != "timeout" && $$2 != "not checked") print "  " $$2 ": " $$1 } \
		END { for (pkg in n) { done = n[pkg] - st[pkg, "not checked"]; if (!done) continue; \
		printf "%-11s %5d tested  %5.1f%% killed (%d timeout)  %d survived  %d without tests\n", \
		pkg, done, 100 * (st[pkg, "killed"] + st[pkg, "timeout"]) / done, st[pkg, "timeout"], \
		st[pkg, "survived"], st[pkg, "no tests"] } }'

# One module against its own tests, in its own cache (.mutate-runs/NAME): minutes, not hours.
# The [tool.mutmut] section is replaced by MODULES (source paths/globs) and TESTS (pytest
# paths); everything else is the project's. Re-running re-tests only changed functions and
# runs new tests for stats; SURVIVORS=1 re-tests the last survivors (after adding tests),
# SURVIVORS=timeout the mutants that timed out.
# e.g. make mutate-module NAME=peer_verify MODULES=src/matchsvc/assignment/_peer_verify.py \
#        TESTS='tests/assignment/test_peer_certificate.py tests/assignment/test_peer.py'
NAME      ?= module
MODULES   ?=
TESTS     ?=
SURVIVORS ?=
MUTATE_RUN = .mutate-runs/$(NAME)
mutate-module: $(STAMP) ## One module with its own tests (NAME= MODULES= TESTS=, SURVIVORS=1)
	@test -n "$(MODULES)" && test -n "$(TESTS)" || { echo "set MODULES= and TESTS= (see Makefile)"; exit 2; }
	@mkdir -p $(MUTATE_RUN) && rm -rf $(MUTATE_RUN)/src $(MUTATE_RUN)/tests $(MUTATE_RUN)/benchmarks
	@cp -r src tests benchmarks $(MUTATE_RUN)/
	@{ awk '/^\[/ { skip = ($$0 == "[tool.mutmut]") } !skip' pyproject.toml; \
		echo '[tool.mutmut]'; echo 'source_paths = ["src/"]'; \
		echo 'only_mutate = [$(foreach m,$(MODULES),"$(m)",)]'; \
		echo 'pytest_add_cli_args_test_selection = [$(foreach t,$(TESTS),"$(t)",)]'; \
		echo 'also_copy = ["benchmarks/"]'; echo 'pytest_add_cli_args = ["-p", "no:cacheprovider"]'; \
	} > $(MUTATE_RUN)/pyproject.toml
	cd $(MUTATE_RUN) && $(abspath $(BIN))/mutmut run --max-children $(MUTATE_JOBS) $(if $(SURVIVORS),$$($(abspath \
		$(BIN))/mutmut results --all true | awk -F': ' -v want='$(SURVIVORS)' '(want == "timeout" && $$2 == \
		"timeout") || (want != "timeout" && ($$2 == "survived" || $$2 == "no tests")) { sub(/^ +/, "", $$1); print $$1 }')) \
		> mutants.log 2>&1 || { tail -n 40 mutants.log; exit 1; }
	@cd $(MUTATE_RUN) && $(MAKE) --no-print-directory -f $(abspath Makefile) BIN=$(abspath $(BIN)) mutate-report

clean: ## Remove caches and build output (keeps .venv and data/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist src/*.egg-info mutants mutants.log .mutate-runs
