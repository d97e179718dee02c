# Two commands do everything on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
MEDIA := .cache/media
VTEST := $(MEDIA)/vtest.avi

.PHONY: demo test lint venv system-deps services media benchmarks clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev,osm,dask]'
	touch $(STAMP)

system-deps:
	bash scripts/install-system-deps.sh

services:
	bash scripts/start-services.sh

# Real street surveillance footage shipped by Debian's opencv-doc; extracted, never committed.
media: system-deps $(VTEST)

$(VTEST):
	mkdir -p $(MEDIA)
	src=$$(dpkg -L opencv-doc | grep -E '/vtest\.avi(\.gz)?$$' | head -1); \
	case "$$src" in *.gz) gunzip -c "$$src" > $@ ;; *) cp "$$src" $@ ;; esac

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Schemathesis CLI against a real `safecity serve` first, then pytest (its summary closes the run).
test: venv system-deps media services lint
	MAX_TIME=60 bash scripts/api-schemathesis.sh
	$(VENV)/bin/pytest -q -p no:cacheprovider; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 1; fi; exit $$rc

# The whole chain (scripts/demo.sh): plans a demo-sized rollout on the built-in city (the
# plan's full 200,000 is `safecity plan --target 200000 --out ...`), imports it into a local
# API database, sweeps local test streams with the monitor, runs an assessment, and writes
# plan map, district table and assessment bulletin to out/ (a few minutes on 2 cores).
DEMO_TARGET ?= 20000
demo: venv media
	DEMO_TARGET=$(DEMO_TARGET) OUT=out VENV=$(VENV) bash scripts/demo.sh

benchmarks: venv system-deps media services
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf out .cache test-output .pytest_cache .mypy_cache .ruff_cache
