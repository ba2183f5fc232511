# perfxl: `make` runs the batch on input/, `make test` runs lint and the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev

.PHONY: run test lint bench template samples mail selfeval-prepare selfeval clean

run: $(RUNTIME)
	@# exit 1 means "findings with 错误": already reported above, not a failure of make itself
	$(BIN)/perfxl run input output || test $$? -eq 1

$(RUNTIME): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(DEV): $(RUNTIME) pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

test: $(DEV)
	$(BIN)/ruff check perfxl tests tools bench
	$(BIN)/pytest

lint: $(DEV)
	$(BIN)/ruff check perfxl tests tools bench

# make bench [N=10000]: synthetic projects through the whole pipeline, against shared/bench/reference.py
N ?= 1000
bench: $(DEV)
	$(BIN)/python bench/run.py $(N)

mail: $(RUNTIME)
	$(BIN)/perfxl mail input output

# Year-end self-evaluation: one workbook per passed project of input/ into 自评/, then score the filled ones.
selfeval-prepare: $(RUNTIME)
	$(BIN)/perfxl selfeval prepare input --out 自评 || test $$? -eq 1

selfeval: $(RUNTIME)
	$(BIN)/perfxl selfeval run 自评 output || test $$? -eq 1

template: $(RUNTIME)
	$(BIN)/perfxl template templates/绩效目标申报表.xlsx

samples: $(RUNTIME)
	$(BIN)/python tools/make_samples.py input

clean:
	rm -rf $(VENV) output/* .pytest_cache .ruff_cache
