"""Does an in-domain fine-tune of the reranker help when its negatives are *other queries'*
labeled positives? NFCorpus dev (never NFCorpus train, whose hidden positives the judge is
measured on).

The fine-tunes in ``docs/judges.md`` ("An in-domain judge without an LLM") take their
negatives from the retriever's ranks (30-100, 1000-1100). Here each training query gets its
own labeled positives against documents labeled for other dev queries and not for it: papers
of the same collection on a nearby topic, which a judge must tell apart, without the
retriever's unlabeled relevant documents. ``--negatives cross-query+random`` replaces one of
every three with a random corpus document. Binary cross-entropy (positives weighted by the
three negatives each has), the PyTorch copy of the bundled reranker (``make servers`` writes
it), batches of 16 pairs, 10% warm-up, seed 0. Run, then measure the judge as the others:

    python -m benchmarks.quality.judge_cross_query --negatives cross-query+random \
        --out .models/ms-marco-nfcorpus-dev-cross-query-random
    python -m benchmarks.quality.judge_quality --queries 200 --judge-sample 400 \
        --judges .models/ms-marco-nfcorpus-dev-cross-query-random \
        --out judge_quality_nfcorpus_q200_cross_query_random.json
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from benchmarks.common import ROOT, shared_data
from trueneg.data.beir import iter_qrels
from trueneg.data.jsonl import iter_jsonl

BASE = ROOT / ".models" / "ms-marco-MiniLM-L-12-v2-torch"
NEGATIVES = ("cross-query", "cross-query+random")
PER_POSITIVE = 3  # negatives per positive
BATCH = 16


def dev_labels(data: Path) -> dict[str, set[str]]:
    """Each dev query's labeled positives (score > 0)."""
    labels: dict[str, set[str]] = {}
    for query, doc, score in iter_qrels(data / "qrels" / "dev.tsv"):
        if score > 0:
            labels.setdefault(query, set()).add(doc)
    return labels


def describe(data: Path) -> str:
    """How close the negatives are to random documents: the share of the corpus labeled for
    some dev query, and how much a dev query's positives overlap its closest neighbour's."""
    labels = dev_labels(data)
    labeled = set().union(*labels.values())
    corpus = sum(1 for _ in iter_jsonl(data / "corpus.jsonl"))
    closest = [
        max(len(mine & other) / len(mine | other) for o, other in labels.items() if o != q)
        for q, mine in labels.items()
    ]
    return (
        f"{len(labels)} dev queries; their positives cover {len(labeled):,} of the {corpus:,} "
        f"documents; median Jaccard with the closest other query: {statistics.median(closest):.2f}"
    )


def training_pairs(data: Path, negatives: str, pairs: int, seed: int) -> dict[str, list]:
    """``pairs`` labeled (query, document) pairs: a random dev query's random positive, then
    ``PER_POSITIVE`` documents not labeled for it: other dev queries' positives (all of them
    for ``cross-query``; the last one a random corpus document for ``cross-query+random``)."""
    queries = {r["_id"]: r["text"] for _, r in iter_jsonl(data / "queries.jsonl")}
    docs = {
        r["_id"]: f"{r.get('title', '')} {r['text']}".strip()
        for _, r in iter_jsonl(data / "corpus.jsonl")
    }
    labels = dev_labels(data)
    labeled = sorted({d for ds in labels.values() for d in ds})
    corpus = sorted(docs)
    rng = random.Random(seed)
    rows: dict[str, list] = {"query": [], "doc": [], "label": []}

    def add(query: str, doc: str, label: float) -> None:
        rows["query"].append(queries[query])
        rows["doc"].append(docs[doc])
        rows["label"].append(label)

    last_random = negatives == "cross-query+random"
    while len(rows["label"]) < pairs:
        query = rng.choice(sorted(labels))
        add(query, rng.choice(sorted(labels[query])), 1.0)
        for i in range(PER_POSITIVE):
            pool = corpus if last_random and i == PER_POSITIVE - 1 else labeled
            doc = rng.choice(pool)
            while doc in labels[query]:
                doc = rng.choice(pool)
            add(query, doc, 0.0)
    return {name: column[:pairs] for name, column in rows.items()}


def fine_tune(rows: dict[str, list], out: Path, steps: int, lr: float, seed: int) -> float:
    """Train a copy of the bundled reranker on ``rows``; the seconds it took."""
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import CrossEncoder, CrossEncoderTrainer
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from sentence_transformers.cross_encoder.training_args import CrossEncoderTrainingArguments

    if not BASE.is_dir():
        raise SystemExit(f"{BASE} is missing: `make servers` writes it")
    torch.manual_seed(seed)
    model = CrossEncoder(str(BASE), max_length=192)
    loss = BinaryCrossEntropyLoss(model, pos_weight=torch.tensor(float(PER_POSITIVE)))
    args = CrossEncoderTrainingArguments(
        output_dir=str(out) + ".checkpoints",
        per_device_train_batch_size=BATCH,
        max_steps=steps,
        learning_rate=lr,
        warmup_ratio=0.1,
        save_strategy="no",
        logging_steps=20,
        seed=seed,
        report_to=[],
    )
    start = time.perf_counter()
    trainer = CrossEncoderTrainer(
        model=model, args=args, train_dataset=Dataset.from_dict(rows), loss=loss
    )
    trainer.train()
    model.save_pretrained(str(out))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--negatives", choices=NEGATIVES, default="cross-query")
    parser.add_argument("--steps", type=int, default=120, help="optimizer steps of 16 pairs")
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="folder for the fine-tuned judge")
    args = parser.parse_args()
    data = shared_data() / "nfcorpus"
    print(describe(data))
    rows = training_pairs(data, args.negatives, args.steps * BATCH, args.seed)
    seconds = fine_tune(rows, args.out, args.steps, args.lr, args.seed)
    print(f"{args.out}: {len(rows['label'])} pairs, {args.steps} steps in {seconds:.0f}s")


if __name__ == "__main__":
    main()
