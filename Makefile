# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PO := $(wildcard locales/*/LC_MESSAGES/*.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint install locales extract update-locales check clean

run: install
	$(BIN)/baro run

# Lint first: a style or import-order error fails the build like a failing test.
# Two workers: the suite is most of CI's time, and each worker has its own database and Redis (tests/conftest.py).
test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2

install: $(STAMP) locales

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

locales: $(MO)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --input-file $< --output-file $@

# Translator workflow (see README): extract from flows and code, then merge into every catalogue.
# Two domains: `messages` (what people read on their phones, marked N_(context, text)) and `admin`
# (the staff interface, marked N_(text)). A module holds the texts of one domain only: the admin
# extraction would read a phone text's context as a message (see locales/babel-admin.cfg).
extract: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg --no-default-keywords -k N_:1c,2 -k pgettext:1c,2 --add-comments=Translators: --sort-by-file \
		--project=baro --version=1 --msgid-bugs-address=baro@localhost -o locales/messages.pot .
	$(BIN)/pybabel extract -F locales/babel-admin.cfg --add-comments=Translators: --sort-by-file \
		--project=baro --version=1 --msgid-bugs-address=baro@localhost -o locales/admin.pot .

update-locales: extract
	$(BIN)/pybabel update --domain messages --input-file locales/messages.pot --output-dir locales --width 100 --ignore-obsolete
	$(BIN)/pybabel update --domain admin --input-file locales/admin.pot --output-dir locales --width 100 --ignore-obsolete

lint: install
	$(BIN)/ruff check .

check: install
	$(BIN)/baro flows check

clean:
	rm -rf $(VENV) var
