# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv on first use and install vocnlp with its pinned dependencies.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first and pinned, so that nothing resolves an unpinned (CUDA) build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/vocnlp run data/sample/survey_sample.csv --out out/sample --segment segment --format xlsx --report

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy vocnlp
	bash tests/setup_browser.sh
	$(PY) -m pytest

bench: $(STAMP)
	$(VENV)/bin/vocnlp benchmark

clean:
	rm -rf out build dist .pytest_cache
