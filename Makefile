# Quick start: `make run` serves the demo force; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat setup.cfg pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install models lint bench clean

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# Train and promote the default risk and intent models from training/data if none is promoted.
models: install
	$(BIN)/switchboard models ensure-defaults

run: models
	$(BIN)/switchboard serve

# axe-core for the accessibility audits in the browser tests (pinned in tests/browser/package-lock.json)
tests/browser/node_modules/axe-core/axe.min.js: tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix tests/browser --no-audit --no-fund --silent; \
	else echo "npm not found: browser accessibility audits will be skipped"; fi

test: install tests/browser/node_modules/axe-core/axe.min.js
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data build *.egg-info
