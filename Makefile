# Two commands set up everything: `make run` (the site with a demo course and a worker) and `make test`.
# Both bootstrap .venv and the front-end assets; `bin/bootstrap` installs Debian packages when run as root.
PY := .venv/bin/python
STAMP := .venv/.bootstrap-stamp

.PHONY: run test test-slow setup assets lint bench clean

LABEXT := course_hub/labextension/package.json course_hub/labextension/package-lock.json $(wildcard course_hub/labextension/src/*.js)
$(STAMP): pyproject.toml requirements.lock package.json package-lock.json bin/bootstrap bin/build-labextension $(LABEXT)
	bin/bootstrap
	@touch $(STAMP)

setup: $(STAMP)

assets: $(STAMP)
	bin/vendor-assets

run: setup
	bin/run-dev

# `bin/test`: independent tests in parallel (pytest-xdist), then the browser and real-worker tests in one process.
test: setup
	PYTEST_ARGS="$(PYTEST_ARGS)" bin/test

test-slow: setup
	$(PY) -m pytest -m slow tests/assignments $(PYTEST_ARGS)

# ruff, import-linter's contracts (pyproject's [tool.importlinter]) and mypy (pyproject's [tool.mypy]).
lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
	.venv/bin/lint-imports --no-cache --no-logo
	.venv/bin/mypy

bench: setup
	$(PY) bench/grading_throughput.py

clean:
	rm -rf var staticfiles courseweb/static/vendor
