# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates the project-local venv (.venv) on first use and reinstalls when pyproject changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
DATA ?= ../shared/data/ibims1/ibims1_val.jsonl
OUT ?= demo-out

.PHONY: demo test lint install browser clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[train,dev]"
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/depthlm demo --out $(OUT) --data $(DATA)

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The web page's test drives Debian's chromium (Playwright's own browser download needs the
# internet). Installed here when missing and possible; without it that test is skipped locally
# and fails in CI (.ci/run sets DEPTHLM_REQUIRE_BROWSER=1).
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "chromium not found and not root: apt-get install chromium for the page test"; exit 0; fi; \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; } || \
	  echo "could not install chromium: the page test will not run"; }

test: lint browser
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .ruff_cache .hypothesis
