# Clearinghouse: `make run` to try it, `make test` for the whole suite. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: run serve test test-sqlite test-postgres lint bench chromium db demo clean \
	translations-extract translations-update translations-compile translations-init

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## Translations: the public pages' catalogues, translations/<lang>/LC_MESSAGES/messages.po.
## The compiled .mo files are built here, never committed.
TRANSLATIONS := translations
POT := $(TRANSLATIONS)/messages.pot
CATALOGUES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_

## Collect every wrapped string of the code and templates into the template catalogue.
translations-extract: $(VENV)/.runtime
	$(BIN)/pybabel --quiet extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs=".* __pycache__" \
	  --no-location --sort-output \
	  --add-comments=Translators: --project=Clearinghouse --msgid-bugs-address=privacy@district.example \
	  -o $(POT) .

## Merge new and changed strings into every language's catalogue (then translate the empty ones).
translations-update: translations-extract
	$(BIN)/pybabel update -i $(POT) -d $(TRANSLATIONS) --ignore-obsolete --ignore-pot-creation-date

## Start a catalogue for a new language: make translations-init NEW_LANGUAGE=fr (then add it to LANGUAGES).
translations-init: translations-extract
	@test -n "$(NEW_LANGUAGE)" || { echo "Name the language: make translations-init NEW_LANGUAGE=fr"; exit 1; }
	$(BIN)/pybabel init -i $(POT) -d $(TRANSLATIONS) -l $(NEW_LANGUAGE)

translations-compile: $(COMPILED)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.runtime
	$(BIN)/pybabel compile --statistics -i $< -o $@

db: $(VENV)/.runtime translations-compile
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-taxonomy

demo: db
	$(BIN)/flask demo-data --if-empty

## Development: migrate, load demo data when the database is empty, serve on 127.0.0.1:$(PORT)
## with the daily scheduler inside this single process. E-mail is printed here, not sent, and its
## links point at this port (unless BASE_URL says otherwise).
run: demo
	PORT=$(PORT) MAIL_TO_CONSOLE=1 SCHEDULER_IN_PROCESS=1 $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## Production shape on one machine: gunicorn workers plus one scheduler process.
serve: db
	$(BIN)/python -m clearinghouse.serve --port $(PORT)

## Debian's Chromium for the browser tests (installed when missing and running as root).
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package (sudo apt-get install chromium)"; exit 1; fi; \
	fi

## The whole suite on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL: the two runs side by side
## (two cores: nearly half the time of one after the other), each one's output printed whole when it ends.
test: $(VENV)/.dev chromium translations-compile
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== the suite on SQLite and on PostgreSQL ($$TEST_DATABASE_URL), side by side"; \
	  $(MAKE) --no-print-directory --jobs=2 --output-sync=target test-sqlite test-postgres; \
	else \
	  $(MAKE) --no-print-directory test-sqlite; \
	fi

test-sqlite: $(VENV)/.dev chromium translations-compile
	@echo "== the suite on SQLite"
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider

test-postgres: $(VENV)/.dev chromium translations-compile
	@echo "== the suite on PostgreSQL ($${TEST_DATABASE_URL:-postgresql://127.0.0.1/test})"
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://127.0.0.1/test} $(BIN)/python -m pytest -p no:cacheprovider

lint: $(VENV)/.dev
	$(BIN)/ruff check clearinghouse tests bench migrations wsgi.py
	$(BIN)/ruff format --check clearinghouse tests bench migrations wsgi.py

bench: $(VENV)/.dev
	$(BIN)/python bench/directory.py

clean:
	rm -rf $(VENV) .pytest_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
