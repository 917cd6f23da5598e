# Quick start: `make run` opens the app, `make test` runs the whole suite headless,
# `make package` builds the one-folder application in dist/ARStudio and checks it (packaging/README.md).
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
TORCH  := torch==2.13.0

# $(call install,REQUIREMENT): a venv with torch from local disk first, then the package.
define install
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install --quiet $(TORCH)
	$(PIP) install --quiet -e "$(1)"
	touch $@
endef

.PHONY: run test lint package clean

$(VENV)/.installed-app: pyproject.toml
	$(call install,.)

$(VENV)/.installed-test: pyproject.toml
	$(call install,.[test])

$(VENV)/.installed-package: pyproject.toml
	$(call install,.[package])

run: $(VENV)/.installed-app
	$(VENV)/bin/arstudio

test: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(VENV)/.installed-test
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/lint-imports --no-cache

package: $(VENV)/.installed-package
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/arstudio.spec
	$(PY) packaging/check_bundle.py
	du -sh dist/ARStudio

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
