# Chọn số Online back office. `make run` starts everything, `make test` runs the suite.
# VENV=/some/where picks another virtualenv (created on first use).

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# pytest-xdist workers for make test (0: one process); the browser tests keep to one worker (--dist loadgroup).
TEST_WORKERS ?= 2

# pytest exits 5 when it collected no test: make fails on it like any non-zero exit; say why.
PYTEST_FN = run_pytest() { $(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup "$$@" $(PYTEST_ARGS); rc=$$?; \
	[ $$rc -ne 5 ] || echo "make test: pytest collected no tests, which counts as a failure" >&2; return $$rc; }

.DEFAULT_GOAL := help
.PHONY: help install translations translations-update run serve test lint migrate clean

help:
	@echo "make run          migrate, seed the demo data, start web + worker on http://127.0.0.1:\$${PORT:-5000}"
	@echo "make serve        one web process as production runs it (gunicorn.conf.py; DATABASE_URL, REDIS_URL, SECRET_KEY)"
	@echo "                  (WEB_SOCKETS=N open sockets it must hold, default 1000; docs/serving.md)"
	@echo "make test         the suite on SQLite + embedded Redis; again on PostgreSQL + Redis if TEST_DATABASE_URL is set"
	@echo "                  (TEST_WORKERS=N pytest-xdist workers, default $(TEST_WORKERS); PYTEST_ARGS=… more pytest arguments)"
	@echo "make install      create $(VENV) and install requirements-dev.txt (production: pip install -r requirements.txt)"
	@echo "make lint         ruff, then the import-linter contract (.importlinter), then mypy (mypy.ini)"
	@echo "make migrate      apply the database migrations (DATABASE_URL, default instance/portal.db)"
	@echo "make clean        remove caches and compiled translations (keeps $(VENV) and instance/)"
	@echo "make translations-update  extract every marked string into the English catalogue, list what is left to translate"

# Development installs requirements-dev.txt (production's requirements.txt plus the test and lint tools);
# a production install is `pip install -r requirements.txt` alone.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(STAMP)

# Compiled catalogs (*.mo) are not committed; compile them when there are any .po files.
translations: $(STAMP)
	@if ls portal/translations/*/LC_MESSAGES/*.po >/dev/null 2>&1; then \
		$(VENV)/bin/pybabel -q compile -d portal/translations; \
	fi

# New strings arrive empty in the English catalogue (no fuzzy guesses, no obsolete "#~" leftovers); the test
# tests/core/test_translations.py lists the same msgids until each is translated. portal/translations/README.md.
translations-update: $(STAMP)
	@pot=$$(mktemp); trap 'rm -f "$$pot"' EXIT; \
	$(VENV)/bin/pybabel -q extract -F babel.cfg --ignore-dirs='.*' -o "$$pot" . && \
	$(VENV)/bin/pybabel -q update -i "$$pot" -d portal/translations --no-fuzzy-matching --ignore-obsolete
	@$(PY) -c "from babel.messages.pofile import read_po; \
	c = read_po(open('portal/translations/en/LC_MESSAGES/messages.po', 'rb')); \
	todo = [m.id for m in c if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))]; \
	print(f'{len(todo)} to translate in portal/translations/en/LC_MESSAGES/messages.po:', *todo, sep='\n  ') \
	if todo else print('English catalogue: every string translated')"

run: $(STAMP) translations
	$(PY) -m portal.devstack

# One web process as production runs it: gunicorn's gthread worker with a thread per open socket (gunicorn.conf.py,
# docs/serving.md). Settings from the environment (DATABASE_URL, REDIS_URL, SECRET_KEY, PORTAL_ENV=production);
# the migrations applied first (make migrate); workers beside it: python worker.py.
serve: $(STAMP) translations
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

test: $(STAMP) translations
	@$(PYTEST_FN); \
	echo "==> tests, pass 1: SQLite + embedded Redis"; \
	(unset TEST_DATABASE_URL TEST_REDIS_URL; run_pytest) || exit $$?; \
	if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "==> tests, pass 2: PostgreSQL (TEST_DATABASE_URL) + Redis (TEST_REDIS_URL, else embedded), not browser"; \
		run_pytest -m "not browser"; \
	else \
		echo "==> tests, pass 2 skipped: set TEST_DATABASE_URL (and TEST_REDIS_URL) to run on PostgreSQL + Redis"; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

migrate: $(STAMP)
	$(PY) -m flask --app wsgi db upgrade

clean:
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .import_linter_cache .mypy_cache .hypothesis test-artifacts
	if [ -d portal/translations ]; then find portal/translations -name '*.mo' -delete; fi
