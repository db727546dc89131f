# overfit_nb: the two commands of the README are `make demo` and `make test`; each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_NB ?= 03_consensus.ipynb
NB_TIMEOUT ?= 1500

.PHONY: install demo test nbtest pytest export readme bench docs docs-check

$(STAMP): settings.ini setup.py .ci/install-data.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e ".[dev]" > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	$(BIN)/python -c "import overfit_nb, torch, torchvision, nbdev, papermill"
	bash .ci/install-data.sh $(BIN)/python
	touch $(STAMP)

install: $(STAMP)

# The main job: the consensus notebook on the quick profile, executed by papermill into a fresh run directory.
demo: install
	@run="runs/demo-$$(date +%Y%m%d-%H%M%S)"; mkdir -p "$$run"; \
	OVERFIT_NB_OUT="$$PWD/$$run" $(BIN)/papermill "nbs/$(DEMO_NB)" "$$run/$(DEMO_NB)" --cwd nbs -k python3 && \
	echo "executed notebook: $$run/$(DEMO_NB)" && echo "figures:           $$run/figures/" && ls "$$run/figures"

# The whole test suite: every notebook under nbdev_test (IN_TEST=1, the test profile), then pytest.
test: install nbtest pytest

nbtest: install
	OMP_NUM_THREADS=1 timeout $(NB_TIMEOUT) $(BIN)/nbdev_test --n_workers 2 --timing

pytest: install
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -o tmp_path_retention_policy=failed tests

export: install
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean && $(BIN)/python tools/readme.py --write

readme: install
	$(BIN)/python tools/readme.py --write

bench: install
	$(BIN)/python benchmarks/bench_engine.py --quick

# The docs site: Quarto's real site where Quarto is installed; otherwise nbdev's processing rendered to HTML.
docs: install
	@if command -v quarto >/dev/null 2>&1; then $(BIN)/nbdev_docs; \
	else echo "Quarto is not installed: building the HTML fallback into _docs_html/"; $(BIN)/python tools/docs.py html; fi

# The HTML fallback's pages with a headless-Chromium screenshot of each (_docs_html/*.png), to look at before a
# release: sidebar, tables, figures (installs Debian's Chromium where it can).
docs-check: install
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || echo "cannot install chromium here"
	$(BIN)/python tools/docs.py screenshots
