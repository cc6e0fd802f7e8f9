# One Makefile: CI runs the same targets a person runs.
#   make demo   - install the tool, then run the whole flow on the embedded chain
#   make test   - install the tool and the test tools (solc, anvil from npm), run every test
#                 but the long campaigns, then check the wheel as users get it (make wheel-check)
#   make test-long - the long campaigns (tests marked slow: random kills, contract invariants,
#                 a thousand random bundles, a million rows); CI runs it after make test
#   make dist   - build the sdist and the wheel into dist/ from a clean copy of the source
#   make bench  - benchmarks, as ratios against baselines measured in the same run
#   make contracts - recompile contracts/ into the committed artifact

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
EVIDENCE := $(VENV)/bin/evidence
DEMO_OUT ?= demo-out

.PHONY: all install install-dev node browser demo test test-long lint typecheck pytest wheel-check dist \
        bench contracts clean

all: test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[embedded]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PIP) install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
node: node_modules/.installed

# capture-web drives the system's Chromium (Debian's package; Playwright downloads nothing).
# Installed with apt when we are root on Debian; otherwise its tests are skipped, saying so.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || [ -n "$$EVIDENCE_CHROMIUM" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
	    || echo "warning: could not install chromium; capture-web and its tests need it"; \
	else echo "note: no Chromium found; capture-web needs one (apt-get install chromium)"; fi

demo: install browser
	rm -rf $(DEMO_OUT)
	$(EVIDENCE) demo --out $(DEMO_OUT)

lint: install-dev
	$(VENV)/bin/ruff check evidence cli tests benchmarks tools setup.py

typecheck: install-dev
	$(VENV)/bin/mypy

# --dist loadscope: each test module runs whole on one worker, so a module's shared fixtures
# (an anvil node, a deployment, a demo run) are set up once, not once per worker.
pytest: install-dev node browser
	$(PY) -m pytest -n 2 --dist loadscope -q -m "not slow"

test-long: install-dev node browser
	$(PY) -m pytest -n 2 -q -m slow

# Build the sdist, then the wheel from it (no warnings allowed), install the wheel into a
# fresh venv (not editable) and run `evidence --version`, `evidence demo` and the re-check
# script from a folder outside the repository; also the verifier without the [embedded]
# extra, and the sdist's own tests (tools/wheel_check.py says what and how).
wheel-check: install-dev
	$(PY) tools/wheel_check.py

dist: install-dev
	rm -rf dist
	$(PY) tools/wheel_check.py --dist-only dist

test: lint typecheck pytest wheel-check

bench: install-dev node
	$(PY) benchmarks/run.py

contracts: install-dev node
	$(PY) -m evidence.chain.build

clean:
	rm -rf $(VENV) node_modules $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
