#!/usr/bin/env bash
# Issue 29's table (benchmarks/configs/compare_judge_verdict.toml: what to do with the judge's
# verdict) on one GPU. Every [[mining]] row runs as its own process on the one GPU (gpu_run.sh's
# table step), the judge as a PyTorch CrossEncoder on CUDA.
#
# Here, once:
#   python scripts/dequantize_judge.py          # the judge as PyTorch (133 MB, stays here)
#   python -m benchmarks.gpu.judge_pack         # → .carry/judge (23 MiB)
#   python -m benchmarks.gpu.gpu_pack           # → .carry/gpu (MiniLM, data, wheels)
# There, calls back to back on the same warm machine (one call carries at most 64 MiB and runs
# at most 10 minutes; $WORK stays while the machine is held):
#   benchmarks/gpu/judge_verdict.sh judge              # carry .carry/judge: → $WORK/judge
#   benchmarks/gpu/judge_verdict.sh table scifact      # carry .carry/gpu: 15 rows x 3 seeds
#   benchmarks/gpu/judge_verdict.sh table nfcorpus     # (carry .carry/gpu again)
# A row stopped by STEP_LIMIT (default 540 s) resumes from its finished cells when the same
# call is made again on the same machine, or in a later session when the returned
# table-DATASET-compare_judge_verdict.tar.gz is put in .carry/gpu/state/ before the call.
# The results come back as $OUT/table-DATASET-compare_judge_verdict.tar.gz; unpack them into
# runs/compare/judge-verdict here and `trueneg compare ... ` writes the table without training.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/trueneg-gpu}
PY=${PYTHON:-python3}
CONFIG=$ROOT/benchmarks/configs/compare_judge_verdict.toml

case "${1:-}" in
    judge)
        cd "$ROOT"
        "$PY" -m benchmarks.gpu.judge_pack --restore "$ROOT/.carry/judge" "$WORK/judge"
        ;;
    table)
        [ -f "$WORK/judge/model.safetensors" ] || {
            echo "no judge in $WORK/judge: run '$0 judge' first (same warm machine)" >&2
            exit 2
        }
        # The config names the judge ../../.models/ms-marco-MiniLM-L-12-v2: there it is the
        # restored PyTorch copy, which trueneg loads as a CrossEncoder on the GPU.
        link=$ROOT/.models/ms-marco-MiniLM-L-12-v2
        if [ -e "$link" ] && [ ! -L "$link" ]; then
            echo "$link is a real folder (the ONNX judge?): move it away first" >&2
            exit 2
        fi
        mkdir -p "$ROOT/.models"
        ln -sfn "$WORK/judge" "$link"
        STEP_LIMIT=${STEP_LIMIT:-540} "$ROOT/benchmarks/gpu/gpu_run.sh" "table:${2:?dataset}:$CONFIG"
        ;;
    *)
        sed -n '2,19p' "$0"
        exit 2
        ;;
esac
