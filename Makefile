# omnishop: `make run` to try it, `make test` to test it. Both need only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# With DATABASE_URL unset (here and in .env), commands run on the embedded PostgreSQL in .pgdata/
# (started, then stopped).
DATABASE_URL ?= $(shell sed -n 's/^DATABASE_URL=//p' .env 2>/dev/null)
DB := $(if $(DATABASE_URL),,$(BIN)/python -m omnishop.embedded_pg run --)

.DEFAULT_GOAL := help
.PHONY: help run test venv venv-dev migrate seed lint bench clean db-start db-stop

help:
	@echo "make run    set up .venv, migrate, seed demo data, serve http://$(HOST):$(PORT)"
	@echo "make test   run the test suite (on DATABASE_URL when set, else on an embedded PostgreSQL)"
	@echo "make lint   ruff, import-linter, makemigrations --check"
	@echo "make db-start / db-stop   keep the embedded PostgreSQL up between commands / stop it"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "omnishop needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.runtime
venv-dev: $(VENV)/.dev

migrate: venv
	$(DB) $(BIN)/python manage.py migrate --noinput

seed: venv
	$(DB) sh -c '$(BIN)/python manage.py migrate --noinput && $(BIN)/python manage.py seed_demo'

# One database session for migrate, seed and the server: Ctrl-C stops the server, then the database.
# Every run issues a new demo API key (a key is shown only when created), printed last before the URLs.
run: venv
	$(DB) sh -c '$(BIN)/python manage.py migrate --noinput && $(BIN)/python manage.py seed_demo --new-api-key \
		&& echo "" \
		&& echo "  omnishop is starting on http://$(HOST):$(PORT)/" \
		&& echo "  admin:    http://$(HOST):$(PORT)/admin/   (demo logins printed above)" \
		&& echo "  store:    http://$(HOST):$(PORT)/store/   (store console: store@omnishop.demo, queue of KROK Westfield Arkadia)" \
		&& echo "  API:      http://$(HOST):$(PORT)/api/v1/products/   (API key printed just above; examples in docs/api.md)" \
		&& echo "  docs:     http://$(HOST):$(PORT)/api/docs/   http://$(HOST):$(PORT)/api/redoc/" \
		&& echo "" \
		&& exec $(BIN)/python manage.py runserver $(HOST):$(PORT)'

test: venv-dev
	$(DB) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(DB) $(BIN)/python manage.py makemigrations --check --dry-run

db-start: venv
	$(BIN)/python -m omnishop.embedded_pg start

db-stop: venv
	$(BIN)/python -m omnishop.embedded_pg stop

bench: venv-dev
	$(BIN)/python bench/run.py $(NAME) $(BENCH_ARGS)

clean:
	-[ -x $(BIN)/python ] && $(BIN)/python -m omnishop.embedded_pg stop
	rm -rf $(VENV) .pgdata staticfiles .pytest_cache .ruff_cache
