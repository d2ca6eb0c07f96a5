# Everything runs from a virtual environment in .venv; `make demo` and `make test` create it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: the dashboard and the command line need only the package (RUNTIME); tests, lint and
# the benchmarks also need the test extra (STAMP: browser driver, type checker, ...).
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed
# The demo has its own database, so it never touches db/tracker.db; DEMO_PORT if 8501 is taken.
DEMO_DATABASE_URL ?= sqlite:///$(CURDIR)/db/demo.db
DEMO_PORT ?= 8501

.PHONY: demo test test-postgres lint format docs bench clean

$(RUNTIME): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The versions the tests passed with (constraints.txt), so every machine installs the same ones.
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,docs]'
	touch $(STAMP)

## demo: set up, load the Republic of Korea example into db/demo.db and serve the dashboard on 127.0.0.1
demo: $(RUNTIME)
	@# When demo rows hold someone's edits, the demo is not loaded again (the message names them)
	@# and the dashboard starts on the data as it is.
	-TRACKER_DATABASE_URL=$(DEMO_DATABASE_URL) $(BIN)/tracker demo
	TRACKER_DATABASE_URL=$(DEMO_DATABASE_URL) TRACKER_AUTH=off $(BIN)/tracker dashboard --port $(DEMO_PORT)

## test: set up and run every test (PostgreSQL too when TRACKER_TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

## test-postgres: the suite again on the local PostgreSQL server
test-postgres: $(STAMP)
	TRACKER_TEST_POSTGRES_URL=$${TRACKER_TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -n 2 -q -k postgresql

## lint: formatter, linter and type checks (CI runs it before the tests)
lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

## format: rewrite the tree in the project's style and apply safe lint fixes
format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## docs: the documentation site from docs/ into site/, failing on any broken link or missing page
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build site *.egg-info
