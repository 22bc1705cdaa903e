# Set-up, run and test on a Debian or Ubuntu machine (README, "Set-up, run, test"):
#   make report   check the system packages, create .venv, install the project, render the report
#   make test     the same set-up and the test packages, then the tests; pytest options go in ARGS:
#                 make test ARGS='-m "not slow"'   (pytest.ini runs the tests on every core: -n 0 for one process)
# pip runs again only when requirements*.txt or pyproject.toml changed (the stamps in .venv/).
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/python -m pip --disable-pip-version-check
ARGS ?=

.PHONY: report test

report: $(VENV)/installed.stamp
	$(VENV)/bin/python generate.py

test: $(VENV)/installed-test.stamp
	$(VENV)/bin/python -m pytest $(ARGS)

$(VENV)/installed.stamp: requirements.txt pyproject.toml
	@sh scripts/check-system.sh "$(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/installed-test.stamp: $(VENV)/installed.stamp requirements-test.txt
	@sh scripts/check-system.sh "$(PYTHON)" --test
	$(PIP) install -r requirements-test.txt
	touch $@
