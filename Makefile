# The two commands: `make demo` (set up and run with the demo data) and `make test`;
# `make serve` runs the tracker as production does (README: Deployment).
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo serve serve-needs-a-secret-key test bench format install clean messages

# The demo runs with DEBUG on (no SECRET_KEY needed, static files served by runserver).
demo: export DEBUG ?= 1
# The demo's four logins sign in with a password only (README); other accounts follow the rule.
demo: export TWO_FACTOR_EXEMPT ?= admin,staff,reviewer,outsider
demo: $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	$(PY) manage.py load_demo
	@echo ""
	@echo "Tracker: http://127.0.0.1:$(PORT)/   (admin: http://127.0.0.1:$(PORT)/admin/)"
	@echo "Background worker: sends the mail (printed here, DEBUG's console backend)."
	@echo ""
	@# The worker runs beside the server and stops with it (Ctrl+C, or the server failing).
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# As production: DEBUG off, gunicorn with tracker/gunicorn.conf.py, hashed and compressed static
# files, JSON logs on stdout. Needs SECRET_KEY (and DATABASE_URL for PostgreSQL); answers the
# hosts in ALLOWED_HOSTS (this machine's names unless set) and expects HTTPS from a proxy in
# front (HTTPS=0 to try it over plain HTTP on this machine).
serve: export ALLOWED_HOSTS ?= 127.0.0.1,localhost
serve: export PORT := $(PORT)
serve: serve-needs-a-secret-key $(STAMP)
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input -v0
	@echo "Tracker (gunicorn): port $(PORT), hosts $$ALLOWED_HOSTS"
	exec $(VENV)/bin/gunicorn -c tracker/gunicorn.conf.py

# Before anything is installed or migrated.
serve-needs-a-secret-key:
	@if [ -z "$$SECRET_KEY" ]; then \
		echo "make serve runs as production does: set SECRET_KEY (a long random string, the same on every app server), e.g." >&2; \
		echo "  SECRET_KEY=\$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') make serve" >&2; \
		exit 1; \
	fi

# Tests run with DEBUG off, as production does; the key only signs test sessions. The test
# servers speak plain HTTP on loopback (HTTPS=0); tests/test_settings.py checks the HTTPS
# defaults themselves, and `check --deploy` runs with them.
# The test database is reused between runs (--reuse-db): named by a hash of the migrations, it
# is built anew when they change, and each run starts from its freshly migrated copy
# (tests/reused_database.py); `.venv/bin/pytest --reuse-db --create-db` builds it anew by hand.
test: export SECRET_KEY ?= insecure-key-for-tests-only
test: export HTTPS ?= 0
test: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	HTTPS=1 DEBUG=0 ALLOWED_HOSTS=tracker.example SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
		$(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py collectstatic --no-input -v0
	$(VENV)/bin/pytest --reuse-db

# Every page under load on PostgreSQL at 100,000 commitments (SIZE=1000000 make bench for the
# large run), beside the floors /healthz and /readyz; writes docs/benchmarks.md.
bench: $(STAMP)
	$(PY) -m scripts.bench

# For translators (needs GNU gettext): gather new strings into locale/es/LC_MESSAGES/django.po,
# then, once translated, compile the .mo that is committed beside it (tests/test_translations.py).
messages: $(STAMP)
	$(PY) manage.py makemessages -l es --no-obsolete --ignore='.venv/*' --ignore='staticfiles/*' \
		--ignore='tests/*' --ignore='scripts/*' --ignore='var/*'
	$(PY) manage.py compilemessages -l es --ignore='.venv/*'

install: $(STAMP)

$(STAMP): pyproject.toml scripts/find-python
	@python=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@mkdir -p var
	@touch $(STAMP)

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache *.egg-info
