# Two front doors for a fresh machine: `make demo` and `make test`. Both install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_DIR ?= demo-data

LINT_DEPS := tools/cypher-lint/node_modules/.package-lock.json
WEB_DEPS := web/node_modules/.package-lock.json
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install web chromium demo test lint bench screenshots clean neo4j neo4j-stop

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[api,worlds,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# Neo4j's own Cypher parser, which checks every query text the Neo4j backend sends (Node.js).
$(LINT_DEPS): tools/cypher-lint/package-lock.json
	cd tools/cypher-lint && npm ci --no-audit --no-fund --loglevel=error

# The browser libraries the pages serve as static files (cytoscape.js), from the committed lock file.
$(WEB_DEPS): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error

# Debian's Chromium for the pages' browser tests and screenshots (Playwright drives it; no browser
# download by a test tool). Installed once; needs root, as on CI.
$(CHROMIUM):
	$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# The pages `dots serve` serves load cytoscape.js from web/node_modules: without it the person page's
# network does not draw (404), so install fetches it too (Node.js's npm, as make demo and make test).
install: $(STAMP) $(WEB_DEPS)

web: $(WEB_DEPS)

chromium: $(CHROMIUM)

demo: install
	DOTS_DEMO=1 $(BIN)/python -m worlds.demo --dir $(DEMO_DIR)

# The graph suite runs on both engines: the tests start a real local Neo4j once for the session
# (tools/neo4j_local.py; or NEO4J_URI's scratch database) and, here, fail rather than skip without one.
test: install $(LINT_DEPS) $(WEB_DEPS) $(CHROMIUM)
	$(BIN)/ruff check .
	DOTS_NEO4J=$${DOTS_NEO4J:-require} $(BIN)/python -m pytest

# PNGs of every page over the pages' sample world, for the README.
screenshots: install $(WEB_DEPS) $(CHROMIUM)
	DOTS_DEMO=1 $(BIN)/python -m worlds.screenshots --out docs/screenshots

# A local, real Neo4j (Community 5 LTS + Graph Data Science, from Maven Central through
# tools/neo4j-server/pom.xml) on 127.0.0.1 at a free port; prints NEO4J_URI/USER/PASSWORD lines.
# Data, logs and the password live in $(NEO4J_HOME), never in the repository.
NEO4J_HOME ?= $(or $(DOTS_HOME),.dots)/neo4j
neo4j: install
	@$(BIN)/python tools/neo4j_local.py start --home $(NEO4J_HOME)

neo4j-stop: install
	@$(BIN)/python tools/neo4j_local.py stop --home $(NEO4J_HOME)

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/ingest_bench.py

clean:
	rm -rf $(DEMO_DIR) .dots
