# The README's commands. Each installs what it needs into .venv (re-installing when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The local Dagster instance lives in .dagster_home/, configured by deploy/local/dagster.yaml
# (for the demo and the UI; tests make their own temporary instances).
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
INSTANCE := $(DAGSTER_HOME)/dagster.yaml
demo ui: export DAGSTER_HOME := $(DAGSTER_HOME)

.PHONY: demo test bench ui api mirror compose-cli

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

$(INSTANCE): deploy/local/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp deploy/local/dagster.yaml $@

demo: $(INSTALLED) $(INSTANCE)  ## the main job on embedded defaults: offline BSE mirror -> raw + clean, 60 trade dates
	$(PY) -m bse_platform.demo

test: $(INSTALLED) compose-cli  ## the test suite
	$(PY) -m pytest -q

# The deployment tests validate docker-compose.yml with `docker-compose config` (Debian's package;
# no Docker engine is needed). Installed when missing and we may; otherwise those tests skip, saying why.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose
compose-cli:
	@command -v docker-compose >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && { $(APT_INSTALL) || { apt-get update -qq && $(APT_INSTALL); }; } >/dev/null 2>&1; } \
	  || echo "docker-compose not installed: the compose tests will skip"

bench: $(INSTALLED)  ## benchmarks; e.g. make bench WHAT=ingest
	$(PY) -m bse_platform_tests.benchmarks $(WHAT)

# `dg dev` supersedes `dagster dev` for projects laid out for dg; its warning saying so is not for this one.
ui: $(INSTALLED) $(INSTANCE)  ## the Dagster UI on http://127.0.0.1:3000 (webserver and daemon)
	PYTHONWARNINGS='ignore:Function `dev_command` is superseded' $(VENV)/bin/dagster dev -w workspace.yaml

api: $(INSTALLED)  ## the feature lookup API on http://127.0.0.1:8000 (OpenAPI at /docs), on the same stores as the UI
	$(VENV)/bin/bse-platform api

mirror: $(INSTALLED)  ## serve a synthetic BSE on loopback (see README for BSE_BASE_URL)
	$(PY) -m bse_platform.mirror
