# Two commands: `make run` (console on the sandbox) and `make test` (everything).
# Both create .venv when missing and reinstall only when a requirements file changed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

TOOLS  := $(VENV)/tools

.PHONY: run test lint lab-check bench sandbox clean fuzz

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# setuptools first: pyproject.toml's SPDX license needs setuptools >= 77 (the venv's own is older).
$(VENV)/.runtime-installed: requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet setuptools==84.2.1
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null || $(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# checkov (infra/ security checks) in its own venv: its pins conflict with the project's.
$(TOOLS)/.installed: infra/requirements-tools.txt | $(PY)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/bin/python -m pip install --quiet -r infra/requirements-tools.txt
	touch $@

# `make run CONFIG=team.properties` starts every session on that config instead of the sandbox.
run: $(VENV)/.runtime-installed
	$(if $(CONFIG),WORKSHOP_CONFIG=$(abspath $(CONFIG)),) $(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

sandbox: $(VENV)/.runtime-installed
	$(PY) -m workshop sandbox

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

test: $(VENV)/.dev-installed $(TOOLS)/.installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# The fuzz suite with a long budget and random seeds (make test runs it with a small fixed one).
# FUZZ_EXAMPLES=N sets the examples per property (default 3000).
fuzz: $(VENV)/.dev-installed
	WORKSHOP_FUZZ_PROFILE=fuzz WORKSHOP_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),3000) $(PY) -m pytest tests/fuzz -q

# The lab's templates alone: cfn-lint, checkov, policies, moto deployment, lab config.
lab-check: $(VENV)/.dev-installed $(TOOLS)/.installed
	$(PY) -m pytest tests/lab -q

bench: $(VENV)/.dev-installed
	$(PY) bench/overhead.py
	$(PY) bench/sandbox_floor.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
