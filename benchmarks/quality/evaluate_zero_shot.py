"""Zero-shot retrieval quality of the bundled all-MiniLM-L6-v2 on BEIR test splits.

Exact search over the whole corpus, ranx metrics (nDCG@10, Recall@100, MRR@10). Published
nDCG@10 for this model (MTEB / sentence-transformers): SciFact 0.645, NFCorpus 0.315. Run:

    python -m benchmarks.quality.evaluate_zero_shot [--datasets scifact nfcorpus]

Document embeddings come from ``benchmarks/.cache/fn-<name>/embeddings`` when that cache exists
(``fn_protocol`` encoded the same corpus with the same model, so the cache key matches);
otherwise they are encoded into ``benchmarks/.cache/eval-<name>/embeddings`` (SciFact: about 8
minutes on 2 CPU cores). Writes benchmarks/results/zero_shot.json and prints a Markdown table;
``--datasets`` reruns those datasets and keeps the file's other rows (each row carries the
environment it was measured in).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from benchmarks.common import CACHE, RESULTS, environment, shared_data, write_result

PUBLISHED_NDCG10 = {"scifact": 0.645, "nfcorpus": 0.315}


def cache_for(name: str) -> Path:
    mined = CACHE / f"fn-{name}" / "embeddings"
    return mined if mined.is_dir() else CACHE / f"eval-{name}" / "embeddings"


def doc_cache_hit(data: Path, cache: Path) -> bool:
    """Whether the corpus vectors of the bundled model are already complete in ``cache``."""
    from trueneg.data import load_dataset
    from trueneg.encode import EmbeddingCache, SentenceTransformerEncoder

    dataset = load_dataset(data, split="test")
    store = EmbeddingCache(cache)
    key = store.key(SentenceTransformerEncoder(None), dataset.doc_texts(), "document", "float32")
    return store.is_complete(key)


def run_dataset(name: str) -> dict[str, object]:
    from trueneg.evaluate import evaluate

    data = shared_data() / name
    cache = cache_for(name)
    hit = doc_cache_hit(data, cache)
    result = evaluate(None, data, split="test", cache_dir=cache, show_progress=True)
    return {
        **result.to_dict(),
        "doc_cache": str(cache.relative_to(CACHE.parent.parent)),
        "doc_cache_hit": hit,
        "published_ndcg@10": PUBLISHED_NDCG10.get(name),
        "environment": environment(),  # per row: --datasets reruns some and keeps the others
    }


def _earlier_results(rerun: set[str]) -> dict[str, dict]:
    """The datasets of an earlier zero_shot.json that this call does not rerun, so that
    ``--datasets scifact`` updates SciFact's row without dropping NFCorpus's."""
    path = RESULTS / "zero_shot.json"
    if not path.exists():
        return {}
    earlier = json.loads(path.read_text(encoding="utf-8")).get("results", {})
    return {name: row for name, row in earlier.items() if name not in rerun}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(PUBLISHED_NDCG10))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    results = {name: run_dataset(name) for name in args.datasets}
    kept = _earlier_results(set(results))
    path = write_result(
        "zero_shot.json",
        {"model": "all-MiniLM-L6-v2 (bundled)", "split": "test", "results": {**kept, **results}},
    )
    if kept:
        print(f"kept the earlier results of {', '.join(sorted(kept))}")
    print(f"wrote {path}\n")
    print(
        "| dataset | nDCG@10 | published | Recall@100 | MRR@10 | queries | docs | cache hit "
        "| s |\n|---|---|---|---|---|---|---|---|---|"
    )
    for name, r in results.items():
        print(
            f"| {name} | {r['ndcg@10']:.4f} | {r['published_ndcg@10']} | "
            f"{r['recall@100']:.4f} | {r['mrr@10']:.4f} | {r['num_queries']} | "
            f"{r['num_docs']} | {r['doc_cache_hit']} | {r['seconds']:.1f} |"
        )


if __name__ == "__main__":
    main()
