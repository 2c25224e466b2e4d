# Two commands set up everything: `make run` (the site with a demo course and a worker) and `make test`.
# Both bootstrap .venv and the front-end assets; `bin/bootstrap` installs Debian packages when run as root.
PY := .venv/bin/python
STAMP := .venv/.bootstrap-stamp

.PHONY: run test test-slow setup assets lint bench clean

$(STAMP): pyproject.toml requirements.lock package.json package-lock.json bin/bootstrap
	bin/bootstrap
	@touch $(STAMP)

setup: $(STAMP)

assets: $(STAMP)
	bin/vendor-assets

run: setup
	bin/run-dev

# Independent tests run in parallel (pytest-xdist, one database and broker per test process); an assignment's
# engine-graded tests share one process (xdist_group) so its submissions are graded in one warm batch.
PYTEST_WORKERS ?= 2

test: setup
	$(PY) -m pytest -m "not slow" -n $(PYTEST_WORKERS) --dist loadgroup --durations=30 $(PYTEST_ARGS)

test-slow: setup
	$(PY) -m pytest -m slow tests/assignments $(PYTEST_ARGS)

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	$(PY) bench/grading_throughput.py

clean:
	rm -rf var staticfiles courseweb/static/vendor
