# perfxl: `make` runs the batch on input/ (on the samples in examples/ while input/ holds no workbook),
# `make test` runs lint and the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
# pip's notices and warnings go here, not to the screen; shown when an install fails
PIP_LOG := $(VENV)/pip.log
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# offline (intranet PCs): install from wheelhouse/ (made by `make wheelhouse`) when the folder is there
ifneq ($(wildcard wheelhouse),)
PIP += --no-index --find-links wheelhouse
endif
define pip_install
	@echo "正在安装 $(1)（详细信息见 $(PIP_LOG)）"
	@$(PIP) $(2) 2>>$(PIP_LOG) || { tail -n 30 $(PIP_LOG); echo "安装失败，详见 $(PIP_LOG)"; exit 1; }
endef

.PHONY: run test lint bench template samples wheelhouse mail selfeval-prepare selfeval clean

run: $(RUNTIME)
	@# exit 1 means "findings with 错误": already reported above, not a failure of make itself
	$(BIN)/perfxl run --examples input output || test $$? -eq 1

$(RUNTIME): pyproject.toml
	@# the Python version first (tools/bootstrap.py), so an old Python gives a Chinese message, not pip's log
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "未找到 $(PYTHON)：perfxl 需要 Python 3.11 或更高版本，请从 https://www.python.org/downloads/ 或软件中心安装；Windows 上请双击 perfxl.cmd"; exit 2; }
	@$(PYTHON) tools/bootstrap.py --check
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call pip_install,perfxl 及其依赖的软件包,-e .)
	@touch $@

$(DEV): $(RUNTIME) pyproject.toml
	$(call pip_install,测试所需的软件包,-e '.[test]')
	@touch $@

test: lint
	$(BIN)/pytest

# style, the import layers and circles (import-linter, see pyproject.toml), types (mypy, at its baseline)
lint: $(DEV)
	$(BIN)/ruff check perfxl tests tools bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# make bench [N=10000]: synthetic projects through the whole pipeline, against shared/bench/reference.py
N ?= 1000
bench: $(DEV)
	@# bytecode compiled ahead: where PYTHONDONTWRITEBYTECODE is set, every run would compile perfxl again
	$(BIN)/python -m compileall -q perfxl
	$(BIN)/python bench/run.py $(N)
	$(BIN)/python bench/selfeval.py $(N)

mail: $(RUNTIME)
	@# exit 1: a project was left out for errors, or a message was not sent; both are reported above
	$(BIN)/perfxl mail input output || test $$? -eq 1

# Year-end self-evaluation: one workbook per passed project of input/ into 自评/, then score the filled ones.
selfeval-prepare: $(RUNTIME)
	$(BIN)/perfxl selfeval prepare input --out 自评 || test $$? -eq 1

selfeval: $(RUNTIME)
	$(BIN)/perfxl selfeval run 自评 output || test $$? -eq 1

# the committed blank workbooks and Word templates of the built-in layouts
template: $(RUNTIME)
	$(BIN)/perfxl template --force --layout 上海2020
	$(BIN)/perfxl template --force --layout 上海2023
	$(BIN)/perfxl template --force --layout 上海2026
	$(BIN)/perfxl form-template --force --layout 上海2020
	$(BIN)/perfxl form-template --force --layout 上海2023
	$(BIN)/perfxl form-template --force --layout 上海2026

samples: $(RUNTIME)
	$(BIN)/python tools/make_samples.py examples

# wheels of perfxl and its dependencies for Windows and Linux, Python 3.11-3.13 (see README, 离线安装)
wheelhouse: $(RUNTIME)
	$(BIN)/python tools/wheelhouse.py wheelhouse

clean:
	rm -rf $(VENV) output/* .pytest_cache .ruff_cache
