# Two front doors for a fresh machine: `make demo` and `make test`. Both install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_DIR ?= demo-data

LINT_DEPS := tools/cypher-lint/node_modules/.package-lock.json

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[api,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Neo4j's own Cypher parser, which checks every query text the Neo4j backend sends (Node.js).
$(LINT_DEPS): tools/cypher-lint/package-lock.json
	cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error

install: $(STAMP)

demo: install
	$(BIN)/python -m dots.demo --dir $(DEMO_DIR)

test: install $(LINT_DEPS)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/ingest_bench.py

clean:
	rm -rf $(DEMO_DIR) .dots
