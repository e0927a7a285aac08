# aidenum — the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WHEELHOUSE := $(VENV)/wheelhouse
DEMO_HOME ?= $(CURDIR)/out/demo

.PHONY: demo test install system-deps bench clean locale

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 introuvable ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# Offline wheel test (tests/test_packaging.py): every dependency as a wheel, plus spaCy's
	@# `catalogue` registry package whose import name aidenum must never take.
	$(BIN)/pip wheel --quiet -w $(WHEELHOUSE) . catalogue
	touch $(STAMP)

install: $(STAMP)

# LibreOffice converts drafts to PDF in the tests, Chromium runs the browser tests; both from Debian's packages when missing.
system-deps:
	@if ! command -v soffice >/dev/null 2>&1; then \
	  echo "Installation de LibreOffice (Debian)…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui fonts-dejavu-core >/dev/null; \
	fi
# LibreOffice Calc recalculates the synthesis workbook in the tests (its formulas, after a rate is changed).
	@if ! dpkg -s libreoffice-calc-nogui >/dev/null 2>&1; then \
	  echo "Installation de LibreOffice Calc (Debian)…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null; \
	fi
# Chromium (Debian's) runs the browser tests of the web application through Playwright.
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installation de Chromium (Debian)…"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; \
	fi

# Offline demo on the shipped data: load the catalogue, match the example plan, draft one file.
demo: $(STAMP)
	@mkdir -p $(DEMO_HOME)
	AIDENUM_HOME=$(DEMO_HOME) $(BIN)/aidenum catalogue import data/catalogue.jsonl
	AIDENUM_HOME=$(DEMO_HOME) $(BIN)/aidenum laureats import data/laureates-dgcl.jsonl.gz
	AIDENUM_HOME=$(DEMO_HOME) $(BIN)/aidenum match data/plans/plan-exemple.yaml --top 5
	@echo ""
	@echo "Dans le navigateur : lancez « AIDENUM_HOME=$(DEMO_HOME) $(BIN)/aidenum web » puis ouvrez http://127.0.0.1:8000"

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

# French for click's own words: recompile the shipped catalogue after editing the .po (GNU gettext).
LOCALE_PO := commands/locale/fr/LC_MESSAGES/aidenum.po
locale:
	msgfmt --check -o $(LOCALE_PO:.po=.mo) $(LOCALE_PO)

# tantivy (bench/requirements.txt) is the speed baseline of bench_matcher.py only, never a dependency.
bench: $(STAMP)
	$(BIN)/pip install --quiet -r bench/requirements.txt
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache
