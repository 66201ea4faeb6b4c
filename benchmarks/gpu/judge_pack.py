"""Pack the bundled judge for the GPU machine in 34 MB, and restore it there as PyTorch.

The judge the benchmarks use (ms-marco-MiniLM-L-12-v2, INT8 ONNX from ``make judges``) needs
onnxruntime, which the GPU image lacks, and its float PyTorch copy
(``scripts/dequantize_judge.py``) is 133 MB, over what one call may carry. Every weight of that
copy is an INT8 value times a per-tensor scale, so it has at most 256 distinct values: stored as
a 256-entry codebook and one byte per weight it is exact and a quarter of the size. Tensors with
more distinct values (LayerNorm, biases) are stored as float32.

    python scripts/dequantize_judge.py                         # here, once: the PyTorch copy
    python -m benchmarks.gpu.judge_pack                        # → .carry/judge (prints its size)
    python -m benchmarks.gpu.judge_pack --restore .carry/judge DEST   # there: DEST loads as a
                                                               # sentence-transformers CrossEncoder

Only numpy and safetensors are needed on either side (both are on the GPU image).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT

SOURCE = ROOT / ".models" / "ms-marco-MiniLM-L-12-v2-torch"
OUT = ROOT / ".carry" / "judge"
CODES = "weights.npz"
FILES = (
    "config.json",
    "README.md",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)


def encode(tensor: np.ndarray) -> dict[str, np.ndarray]:
    """A codebook and uint8 codes when ``tensor`` has at most 256 values, else the floats."""
    values, codes = np.unique(tensor, return_inverse=True)
    if values.size <= 256:
        return {"codebook": values.astype(np.float32), "codes": codes.astype(np.uint8)}
    return {"float": tensor.astype(np.float32)}


def pack(source: Path, out: Path) -> int:
    """Write ``out`` from the PyTorch judge in ``source``; returns its size in bytes."""
    from safetensors.numpy import load_file

    weights = load_file(str(source / "model.safetensors"))
    arrays: dict[str, np.ndarray] = {}
    for name, tensor in weights.items():
        arrays[f"{name}|shape"] = np.asarray(tensor.shape, dtype=np.int64)
        for part, value in encode(tensor).items():
            arrays[f"{name}|{part}"] = value
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / CODES, **arrays)
    for name in FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, out / name)
    return sum(p.stat().st_size for p in out.iterdir())


def restore(packed: Path, dest: Path) -> None:
    """Rebuild ``model.safetensors`` (float32, exact) and copy the other files into ``dest``."""
    from safetensors.numpy import save_file

    data = np.load(packed / CODES)
    names = sorted({key.split("|")[0] for key in data.files})
    weights = {}
    for name in names:
        shape = tuple(data[f"{name}|shape"])
        if f"{name}|float" in data.files:
            weights[name] = data[f"{name}|float"].reshape(shape)
        else:
            weights[name] = data[f"{name}|codebook"][data[f"{name}|codes"]].reshape(shape)
    dest.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(dest / "model.safetensors"))
    for name in FILES:
        if (packed / name).is_file():
            shutil.copy2(packed / name, dest / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--restore", nargs=2, type=Path, metavar=("PACKED", "DEST"))
    args = parser.parse_args()
    if args.restore:
        restore(*args.restore)
        print(f"restored the judge into {args.restore[1]}")
        return
    if not (args.source / "model.safetensors").is_file():
        raise SystemExit(f"{args.source} has no model.safetensors: run scripts/dequantize_judge.py")
    size = pack(args.source, args.out)
    print(f"{args.out}: {size / 2**20:.1f} MiB (a call carries at most 64 MiB)")


if __name__ == "__main__":
    main()
