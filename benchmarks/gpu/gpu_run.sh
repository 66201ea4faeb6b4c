#!/usr/bin/env bash
# The GPU benchmarks on a machine that has Python with torch, transformers and
# sentence-transformers but cannot download anything (see docs/benchmarks/gpu.md).
#
#   python -m benchmarks.gpu.gpu_pack                 # here: wheels, float16 MiniLM, data → .carry/gpu
#   benchmarks/gpu/gpu_run.sh STEP [STEP ...]         # there, from the repository root
#
# Steps:
#   check               the GPU, torch and trueneg as this script sees them
#   tests               the CUDA tests (fast encoder in bfloat16/float16, exact search on CUDA)
#   encode              python -m benchmarks.speed.encode --device cuda (trueneg's encoders vs ST)
#   scale               python -m benchmarks.speed.scale --part gpu (exact search on CUDA, to 10M docs)
#   compare:DATASET     the shipped reproduce_st_table.toml for one dataset, resumed from
#                       .carry/gpu/state and stopped after $STEP_LIMIT seconds (default 480);
#                       finished cells come back in compare-DATASET.tar.gz, to carry next time
#   table:DATASET[:CONFIG]
#                       every [[mining]] row of CONFIG (default: the shipped table) as its own
#                       `trueneg compare --mining ROW` process, all at once on the one GPU, each
#                       in its own folder; stopped after $STEP_LIMIT s; the cells' records
#                       (no models) and one log per row come back in table-DATASET-CONFIG.tar.gz;
#                       that file put in .carry/gpu/state/ before the next session's call
#                       carries its finished cells in (the next table is the sum of both)
#   st:DATASET          python -m benchmarks.quality.st_reference, seeds 0-2 in turn (sentence-
#                       transformers' own naive top-4 recipe); the three JSON files to $OUT
#   profile             python -m benchmarks.speed.encode_profile on the GPU: each part of encoding
#                       timed alone, tokenizer pools of 1-14 workers, attention implementations
#   search              python -m benchmarks.speed.gpu_search: exact search of every query over
#                       1M and 10M random docs, and mine_hard_negatives' loop on the same GPU
#   mine_big            benchmarks.gpu.big_corpus (1M distinct NFCorpus+SciFact docs, 100k
#                       queries) then `trueneg mine` on it, timed, with peak GPU memory and RSS
#   speed               encode, profile, search and mine_big in turn (the issue-30 GPU check)
#
# SIZES=tiny runs every speed step at toy sizes (a dry run, on a CPU too). Alone, a speed step
# is stopped after $STEP_LIMIT seconds; within `speed` after its share of SPEED_LIMITS (default
# "80 80 150 160" s), and the next one still runs; search rewrites its results after every row
# and mine_big returns the run's state.json, so a step cut short keeps what it finished.
#
# Works in $WORK (default /tmp/trueneg-gpu); results go to $OUT (default $WORK/out). The
# benchmarks write their JSON to $WORK/results, never to benchmarks/results, so a dry run here
# leaves the committed results as they are.
# COMPARE_ARGS adds options to the compare steps (e.g. "--seed 0 --mining auto");
# SKIP_WHEELS=1 uses the Python environment as it is (a machine that has trueneg's needs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CARRY=${CARRY:-$ROOT/.carry/gpu}
WORK=${WORK:-/tmp/trueneg-gpu}
OUT=${OUT:-$WORK/out}
# The benchmarks write here, not to benchmarks/results (a dry run keeps the committed files).
export TRUENEG_BENCH_RESULTS=${TRUENEG_BENCH_RESULTS:-$WORK/results}
PY=${PYTHON:-python3}
STEP_LIMIT=${STEP_LIMIT:-480}
if [ "${SIZES:-full}" = tiny ]; then
    ENC_LIMIT=64 ENC_SLICE=32 PROF_LIMIT=64 PROF_WORKERS=1,2 SEARCH_DOCS=3000,6000
    SEARCH_QUERIES=500 BIG_DOCS=120 BIG_QUERIES=40 DEVICE_ARG=auto
else
    ENC_LIMIT=20000 ENC_SLICE=5000 PROF_LIMIT=20000 PROF_WORKERS=1,2,4,8,14
    SEARCH_DOCS=1000000,10000000 SEARCH_QUERIES=100000 BIG_DOCS=1000000 BIG_QUERIES=100000
    DEVICE_ARG=cuda
fi
CONFIG=$ROOT/benchmarks/configs/reproduce_st_table.toml

setup() {
    mkdir -p "$WORK" "$OUT" "$TRUENEG_BENCH_RESULTS"
    if [ -z "${SKIP_WHEELS:-}" ] && [ ! -f "$WORK/site/.installed" ]; then
        "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$WORK/site" "$CARRY"/wheels/*.whl
        touch "$WORK/site/.installed"
    fi
    export PYTHONPATH="$WORK/site:$ROOT/src:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
    if [ ! -d "$WORK/data/scifact" ]; then
        mkdir -p "$WORK/data" && tar xzf "$CARRY/data.tar.gz" -C "$WORK/data"
    fi
    if [ ! -f "$WORK/minilm/model.safetensors" ]; then
        "$PY" -m benchmarks.gpu.gpu_pack --restore "$CARRY/minilm" "$WORK/minilm"
    fi
    export TRUENEG_DEFAULT_MODEL="$WORK/minilm" TRUENEG_SHARED_DATA="$WORK/data"
    export TRUENEG_CACHE="$WORK/cache" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
    touch "$WORK/.started"
}

fresh() {  # copy the results named $1_*.json written by this invocation (not stale ones) to $OUT
    find "$TRUENEG_BENCH_RESULTS" -name "$1_*.json" -newer "$WORK/.started" -exec cp {} "$OUT/" \;
}

step_check() {
    nvidia-smi -L || true
    "$PY" - <<'EOF'
import torch, transformers, sentence_transformers, trueneg
print("torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
print("transformers", transformers.__version__, "sentence-transformers",
      sentence_transformers.__version__, "trueneg", trueneg.__version__)
EOF
}

step_tests() {
    "$PY" -m pytest -q -p no:cacheprovider -rs tests/encode/test_fast_cuda.py \
        tests/retrieve/test_exact.py tests/encode/test_models.py tests/core/test_pipeline.py \
        tests/train/test_memory.py \
        2>&1 | tee "$OUT/tests_cuda.log"
}

step_encode() {
    timeout "$STEP_LIMIT" "$PY" -m benchmarks.speed.encode --device "$DEVICE_ARG" \
        --limit "$ENC_LIMIT" --slice "$ENC_SLICE" 2>&1 | tee "$OUT/encode.log"
    fresh encode_backends
}

step_profile() {
    timeout "$STEP_LIMIT" "$PY" -m benchmarks.speed.encode_profile --device "$DEVICE_ARG" \
        --limit "$PROF_LIMIT" --workers "$PROF_WORKERS" \
        --attention sdpa,eager,flash_attention_2,flex_attention 2>&1 | tee "$OUT/profile.log"
    fresh encode_profile
}

step_search() {
    timeout "$STEP_LIMIT" "$PY" -m benchmarks.speed.gpu_search --docs "$SEARCH_DOCS" \
        --queries "$SEARCH_QUERIES" 2>&1 | tee "$OUT/search.log"
    fresh search
}

step_mine_big() {
    local data=$WORK/big run=$WORK/big-run
    rm -rf "$run" "$WORK/big-cache"
    [ -f "$data/corpus.jsonl" ] || "$PY" -m benchmarks.gpu.big_corpus "$data" \
        --docs "$BIG_DOCS" --queries "$BIG_QUERIES" | tee "$OUT/mine_big.log"
    timeout "$STEP_LIMIT" "$PY" -m benchmarks.speed.mine_big "$data" "$run" \
        --cache "$WORK/big-cache" 2>&1 | tee -a "$OUT/mine_big.log"
    cp "$run/state.json" "$OUT/mine_big_state.json" 2>/dev/null || true  # stages done in time
    fresh mine_big
}

step_speed() {
    local step limit status=0
    step_check 2>&1 | tee "$OUT/check.log"
    # seconds per step (SPEED_LIMITS="encode profile search mine_big"): about 8 minutes in all
    read -r -a limits <<<"${SPEED_LIMITS:-80 80 150 160}"
    set -- encode profile search mine_big
    for limit in "${limits[@]}"; do
        step=$1; shift
        echo "== $step (at most $limit s)"
        STEP_LIMIT=$limit "step_$step" || { status=$?; echo "$step: exit $status"; }
    done
    return "$status"
}

step_scale() {
    "$PY" -m benchmarks.speed.scale --part gpu 2>&1 | tee "$OUT/scale.log"
    cp "$TRUENEG_BENCH_RESULTS/scale_gpu.json" "$OUT/"
}

step_compare() {
    local dataset=$1 out=$WORK/compare
    mkdir -p "$out"
    if [ -f "$CARRY/state/compare-$dataset.tar.gz" ]; then
        tar xzf "$CARRY/state/compare-$dataset.tar.gz" -C "$out"
    fi
    local status=0
    timeout "$STEP_LIMIT" "$PY" -m trueneg compare "$CONFIG" --dataset "$dataset" \
        --out "$out" --data "$dataset=$WORK/data/$dataset" -q ${COMPARE_ARGS:-} || status=$?
    # Finished cells (eval.json with its train/fn records and the mining manifest) travel back.
    (cd "$out" && find "$dataset" \( -name eval.json -o -name train.json -o -name fn.json \
        -o -path '*/run/manifest.json' \) -print0 | tar czf "$OUT/compare-$dataset.tar.gz" \
        --null -T -)
    cp "$out"/results.json "$OUT/compare-$dataset-results.json" 2>/dev/null || true
    cp "$out"/results.md "$OUT/compare-$dataset-results.md" 2>/dev/null || true
    "$PY" -m trueneg compare "$CONFIG" --dataset "$dataset" --out "$out" \
        --data "$dataset=$WORK/data/$dataset" --dry-run | tail -3
    return "$status"
}

step_table() {
    local dataset=$1 config=${2:-$CONFIG}
    local tag; tag=$dataset-$(basename "$config" .toml)
    local root=$WORK/table/$tag names pid status=0 pids=()
    mkdir -p "$root" "$OUT/logs"
    restore_table "$tag" "$root"
    names=$("$PY" -c 'import sys; from trueneg.compare.config import load_config
print(" ".join(m.name for m in load_config(sys.argv[1]).mining))' "$config")
    for name in $names; do
        timeout "$STEP_LIMIT" "$PY" -m trueneg compare "$config" --dataset "$dataset" \
            --mining "$name" --out "$root/$name" --data "$dataset=$WORK/data/$dataset" -q \
            >"$OUT/logs/$tag-$name.log" 2>&1 &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do wait "$pid" || status=$?; done
    # Each row's folder has the compare layout (DATASET/ROW/seed-S/...): unpacked into one
    # folder, they are one comparison that `trueneg compare` reports without training again.
    (cd "$root" && find . \( -name model -o -name cache -o -name data -o -name '*.checkpoints' \) \
        -prune -o \( -name '*.json' -o -name '*.md' \) -print0 |
        tar czf "$OUT/table-$tag.tar.gz" --null -T -)
    echo "table $tag: exit $status, $(find "$root" -name eval.json | wc -l) cells evaluated"
    return "$status"
}

restore_table() {  # an earlier session's finished cells ($CARRY/state/table-TAG.tar.gz)
    local archive=$CARRY/state/table-$1.tar.gz root=$2 tmp cell
    [ -f "$archive" ] || return 0
    tmp=$(mktemp -d) && tar xzf "$archive" -C "$tmp"
    # only cells with eval.json: an unfinished one has records but neither model nor tables
    while IFS= read -r -d '' cell; do
        mkdir -p "$root/$cell" && cp -r "$tmp/$cell/." "$root/$cell/"
    done < <(cd "$tmp" && find . -name eval.json -printf '%h\0')
    rm -rf "$tmp"
    echo "table $1: $(find "$root" -name eval.json | wc -l) finished cells carried in"
}

step_st() {
    local seed
    for seed in 0 1 2; do
        "$PY" -m benchmarks.quality.st_reference --dataset "$1" --seed "$seed" --work "$WORK/st" \
            >"$OUT/st_reference_$1_seed$seed.log" 2>&1 || return $?
        cp "$TRUENEG_BENCH_RESULTS/st_reference_$1_seed${seed}_cuda.json" "$OUT/"
    done
}

cd "$ROOT"
[ "$#" -gt 0 ] || { sed -n '2,40p' "$0"; exit 2; }
setup
for step in "$@"; do
    echo "== $step"
    case "$step" in
        check) step_check ;;
        tests) step_tests ;;
        encode) step_encode ;;
        scale) step_scale ;;
        compare:*) step_compare "${step#compare:}" ;;
        table:*:*) rest=${step#table:}; step_table "${rest%%:*}" "${rest#*:}" ;;
        table:*) step_table "${step#table:}" ;;
        st:*) step_st "${step#st:}" ;;
        profile|search|mine_big|speed) "step_$step" ;;
        *) echo "unknown step $step" >&2; exit 2 ;;
    esac
done
