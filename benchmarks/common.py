"""Helpers shared by the benchmark scripts: data location, sentence-transformers' mining and
result files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
# TRUENEG_BENCH_RESULTS moves the results elsewhere (the GPU kit writes to its own folder, so
# a dry run here leaves the committed ones alone).
RESULTS = Path(os.environ.get("TRUENEG_BENCH_RESULTS") or ROOT / "benchmarks" / "results")
CACHE = ROOT / "benchmarks" / ".cache"


def shared_data() -> Path:
    """The real BEIR datasets (../shared/data beside the repo, or $TRUENEG_SHARED_DATA)."""
    path = Path(os.environ.get("TRUENEG_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (path / "scifact").is_dir():
        raise SystemExit(f"Real datasets not found at {path}; set TRUENEG_SHARED_DATA.")
    return path


class STPairs(NamedTuple):
    pairs: Any  # datasets.Dataset with columns anchor, positive
    query_ids: list[str]  # the query of each row
    queries: dict[str, str]  # query text by id
    docs: dict[str, str]  # document text (title + " " + text) by id, in corpus order


def st_pairs(data: Path) -> STPairs:
    """A BEIR folder's train split as sentence-transformers' ``(anchor, positive)`` dataset,
    one row per labeled positive: the input ``mine_hard_negatives`` takes."""
    from datasets import Dataset

    import trueneg

    ds = trueneg.load_dataset(data, split="train")
    queries = dict(
        zip(ds.queries["query_id"].to_pylist(), ds.queries["text"].to_pylist(), strict=True)
    )
    docs = dict(zip(ds.corpus["doc_id"].to_pylist(), ds.doc_texts(), strict=True))
    pos = ds.positives()
    query_ids = pos["query_id"].to_pylist()
    pairs = Dataset.from_dict(
        {
            "anchor": [queries[q] for q in query_ids],
            "positive": [docs[d] for d in pos["doc_id"].to_pylist()],
        }
    )
    return STPairs(pairs, query_ids, queries, docs)


def st_mine_top(
    data: Path,
    model,
    k: int,
    cache: Path,
    *,
    output_format: str,
    verbose: bool,
    relative_margin: float | None = None,
) -> tuple[object, STPairs]:
    """sentence-transformers' top-``k`` mining of a BEIR folder's train split (the full corpus
    as candidates, batch 64, embeddings cached in ``cache``): the mined dataset and the pairs it
    was mined from. Naive unless ``relative_margin`` is given (0.05: negatives scoring under 95%
    of the positive, the reference table's positive-aware row; every other argument at
    ``mine_hard_negatives``' default)."""
    from sentence_transformers.util import mine_hard_negatives

    st = st_pairs(data)
    mined = mine_hard_negatives(
        st.pairs,
        model,
        corpus=list(st.docs.values()),
        num_negatives=k,
        sampling_strategy="top",
        relative_margin=relative_margin,
        output_format=output_format,
        batch_size=64,
        cache_folder=str(cache),
        verbose=verbose,
    )
    return mined, st


def environment() -> dict[str, object]:
    import torch

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "sentence-transformers": _version("sentence-transformers"),
        "transformers": _version("transformers"),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "git": _git_head(),
        "date": time.strftime("%Y-%m-%d"),
    }


def write_result(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(
        json.dumps({**payload, "environment": environment()}, indent=2) + "\n", encoding="utf-8"
    )
    return path


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
