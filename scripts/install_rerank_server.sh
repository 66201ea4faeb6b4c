#!/usr/bin/env bash
# Install the rerank server that tests/servers.py starts for the rerank-api judge's tests:
#   .servers/infinity/                      infinity-emb (MIT) in a venv of its own: its pins
#                                           (numpy<2, sentence-transformers<4, transformers<5)
#                                           would clash with .venv's
#   .models/ms-marco-MiniLM-L-12-v2-torch/  the PyTorch copy of the INT8 ms-marco judge that it
#                                           serves (scripts/dequantize_judge.py, run with $PY;
#                                           needs `make judges` and the dev extra's onnx first)
# Every package is pinned in scripts/rerank_server_requirements.txt; torch is the CPU wheel.
# About 75 s on 2 cores; does nothing when both are there and the pins have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
VENV=.servers/infinity
LOCK=scripts/rerank_server_requirements.txt
STAMP=$VENV/.installed
if [ ! -f "$STAMP" ] || [ "$LOCK" -nt "$STAMP" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  # the CPU wheel first, from the same pin as .venv's: the lock below then keeps it
  "$VENV/bin/pip" install --quiet torch==2.13.0
  "$VENV/bin/pip" install --quiet -r "$LOCK"
  "$VENV/bin/python" -c 'import torch; assert torch.version.cuda is None, "a CUDA build of torch"'
  touch "$STAMP"
  echo "rerank server (infinity-emb) in $VENV/"
fi
if [ ! -f .models/ms-marco-MiniLM-L-12-v2-torch/model.safetensors ]; then
  "$PY" scripts/dequantize_judge.py
fi
