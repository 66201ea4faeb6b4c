"""Pack what the GPU benchmarks need into ``.carry/gpu`` for a machine that cannot download.

The GPU machine has torch, transformers, sentence-transformers, pyarrow, pandas and numba, but
not the rest of trueneg's needs, the shared datasets or the bundled model, and a call may carry
at most 64 MiB with the working tree. This writes:

* ``wheels/``: the missing pure-Python and CPython 3.12 manylinux wheels (``WHEELS``),
  downloaded from the package registry without their dependencies;
* ``minilm/``: the bundled all-MiniLM-L6-v2 with its weights stored as float16 (45 MB instead
  of 90 MB); ``benchmarks/gpu/gpu_run.sh`` restores float32 before anything loads it, so training
  starts from the upstream weights rounded to float16 (SciFact zero-shot nDCG@10 is checked
  there against 0.645);
* ``data.tar.gz``: SciFact and NFCorpus from ``../shared/data`` (5 MB).

Run here, then carry ``.carry/gpu`` (see docs/benchmarks/gpu.md):

    python -m benchmarks.gpu.gpu_pack            # → .carry/gpu, prints what travels
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

from benchmarks.common import ROOT, shared_data

OUT = ROOT / ".carry" / "gpu"
LIMIT_MB = 64.0
# Missing on the GPU image (its own list: torch, transformers, sentence-transformers, pyarrow,
# pandas, numba, scipy, rich, typer, tqdm, xxhash, fsspec, huggingface-hub are there).
WHEELS = [
    "bm25s==0.3.16",
    "datasets==5.2.0",
    "dill==0.4.1",
    "multiprocess==0.70.19",
    "ranx==0.3.21",
    "ir-datasets==0.6.3",
    "orjson==3.13.0",
    "lz4==4.4.5",
    "cbor2==6.3.0",
    "fastparquet==2026.9.0",
    "cramjam==2.14.0",
]
PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_27_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux1_x86_64",
]
DATASETS = ("scifact", "nfcorpus")


def download_wheels(dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
        "--python-version",
        "3.12",
        "--implementation",
        "cp",
        "-d",
        str(dest),
    ]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    subprocess.run(command + WHEELS, check=True)


def half_model(dest: Path) -> None:
    """The default model's folder with its safetensors weights cast to float16."""
    from trueneg.encode.models import default_model_path

    cast_model(
        Path(default_model_path()), dest, "float16", skip=("*.bin", "*.onnx", "onnx", "README.md")
    )


def restore_model(source: Path, dest: Path) -> None:
    """The packed model with float32 weights again (what the GPU run loads and trains)."""
    cast_model(source, dest, "float32")


def cast_model(source: Path, dest: Path, dtype: str, skip: tuple[str, ...] = ()) -> None:
    """Copy a model folder with every floating-point safetensors weight cast to ``dtype``
    (written beside ``dest`` first, so an interrupted copy is never taken for a model)."""
    import torch
    from safetensors.torch import load_file, save_file

    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(source, tmp, ignore=shutil.ignore_patterns("*.safetensors", *skip))
    for weights in source.rglob("*.safetensors"):
        tensors = {
            k: v.to(getattr(torch, dtype)) if v.is_floating_point() else v
            for k, v in load_file(weights).items()
        }
        target = tmp / weights.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        save_file(tensors, target, metadata={"format": "pt"})
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)


def pack_data(path: Path) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name in DATASETS:
            tar.add(shared_data() / name, arcname=name)


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def tree_mb() -> float:
    """What travels besides the carry: tracked files and untracked files git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    return (
        sum(
            (ROOT / f.decode()).stat().st_size
            for f in listed
            if f and (ROOT / f.decode()).is_file()
        )
        / 2**20
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--restore",
        nargs=2,
        type=Path,
        metavar=("PACKED", "DEST"),
        help="write the packed float16 model back as float32 (on the GPU machine)",
    )
    args = parser.parse_args()
    if args.restore:
        restore_model(*args.restore)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    download_wheels(args.out / "wheels")
    half_model(args.out / "minilm")
    pack_data(args.out / "data.tar.gz")
    carry, tree = size_mb(args.out), tree_mb()
    print(
        f"{args.out}: {carry:.1f} MB (wheels {size_mb(args.out / 'wheels'):.1f}, model "
        f"{size_mb(args.out / 'minilm'):.1f}, data "
        f"{(args.out / 'data.tar.gz').stat().st_size / 2**20:.1f}); working tree "
        f"{tree:.1f} MB; together {carry + tree:.1f} of {LIMIT_MB:.0f} MiB"
    )
    if carry + tree > LIMIT_MB:
        raise SystemExit("Too large to travel: drop a dataset or a wheel.")


if __name__ == "__main__":
    main()
