# Quick start: `make run` opens the app, `make test` runs the whole suite headless.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
TORCH  := torch==2.13.0

.PHONY: run test lint clean

$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e ".[$*]"
	touch $@

$(VENV)/.installed-base: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e .
	touch $@

run: $(VENV)/.installed-base
	$(VENV)/bin/arstudio

test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(PY) -m ruff check arstudio tests
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(VENV)/.installed-test
	$(PY) -m ruff check arstudio tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
