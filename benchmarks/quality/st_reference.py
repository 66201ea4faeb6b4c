"""The reference recipe with sentence-transformers alone, on this machine.

The reference table (``../shared/data/README.md``) trains all-MiniLM-L6-v2 on negatives from
``sentence_transformers.util.mine_hard_negatives``. This script runs that recipe with
sentence-transformers' own code and nothing of trueneg's in the loop: ``mine_hard_negatives``
(naive top-4, or with ``--mining percent-0.95`` the reference's 95%-of-positive row,
``relative_margin=0.05``; triplet rows, the full corpus as candidates),
``SentenceTransformerTrainer`` with MNRL and only the recipe's settings (1 epoch, batch 64,
lr 2e-5, the seed; every other argument at sentence-transformers' default), then test nDCG@10
with ``trueneg.evaluate`` (whose zero-shot number equals the published one). The train split
is the hidden-qrels split ``trueneg compare`` uses (one labeled positive per query,
``HIDDEN_SEED``), so the triplets can be set beside trueneg's export of the same rule and seed:
the script counts how many are the same. Run:

    python -m benchmarks.quality.st_reference [--dataset scifact] [--seed 0] [--mining naive-top4]

Writes benchmarks/results/st_reference_<dataset>[_<mining>]_seed<S>_<device>[_<tag>].json
(no mining in the name for naive top-4), with the library versions it ran under (``--tag``
names a run under other versions, e.g. from another virtual environment).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from benchmarks.common import CACHE, shared_data, st_mine_top, write_result

K = 4
RECIPE = {"loss": "mnrl", "epochs": 1, "batch_size": 64, "lr": 2e-5, "num_negatives": K}
# mining → (mine_hard_negatives' relative_margin, trueneg's filters for the same rule)
MININGS = {"naive-top4": (None, []), "percent-0.95": (0.05, ["percent:0.95"])}


def hidden_split(data: Path, dest: Path) -> dict[str, list[str]]:
    from trueneg.compare.hidden import hide_extra_positives
    from trueneg.compare.runner import HIDDEN_SEED

    return hide_extra_positives(data, "train", dest, seed=HIDDEN_SEED)


def st_triplets(folder: Path, model, cache: Path, relative_margin: float | None = None):
    """sentence-transformers' top-4 triplets, and their (query id, doc id) pairs."""
    mined, st = st_mine_top(
        folder,
        model,
        K,
        cache,
        output_format="triplet",
        verbose=True,
        relative_margin=relative_margin,
    )
    query_by_text = {st.queries[q]: q for q in st.query_ids}
    id_by_text: dict[str, str] = {}
    for doc_id, text in st.docs.items():
        id_by_text.setdefault(text, doc_id)
    ids = [(query_by_text[r["anchor"]], id_by_text[r["negative"]]) for r in mined]
    return mined, ids


def trueneg_triplets(
    folder: Path, work: Path, seed: int, mining: str = "naive-top4"
) -> list[tuple[str, str]]:
    import trueneg

    _, filters = MININGS[mining]
    run = trueneg.mine(
        folder,
        work / f"trueneg-{mining}-seed{seed}",
        filters=filters,
        sampler="top",
        num_negatives=K,
        seed=seed,
        cache_dir=str(work / "trueneg-embeddings"),
    )
    kept = run.training_negatives()
    return list(zip(kept["query_id"].to_pylist(), kept["doc_id"].to_pylist(), strict=True))


def train(mined, model, out: Path, seed: int) -> dict:
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    args = SentenceTransformerTrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=RECIPE["epochs"],
        per_device_train_batch_size=RECIPE["batch_size"],
        learning_rate=RECIPE["lr"],
        seed=seed,
        save_strategy="no",
        report_to="none",
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=mined,
        loss=MultipleNegativesRankingLoss(model),
    )
    start = time.perf_counter()
    output = trainer.train()
    model.save(str(out / "model"))
    return {
        "seconds": time.perf_counter() - start,
        "steps": output.global_step,
        "train_loss": output.training_loss,
        "device": str(model.device),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("sentence-transformers", "transformers", "torch")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="scifact")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mining", choices=sorted(MININGS), default="naive-top4")
    parser.add_argument("--work", type=Path, default=CACHE / "st_reference")
    parser.add_argument(
        "--tag", default="", help="suffix of the result file and model folder (another version)"
    )
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from trueneg.encode.models import default_model_path
    from trueneg.evaluate import evaluate

    data = shared_data() / args.dataset
    work = args.work / args.dataset
    folder = work / "hidden"
    hidden = hidden_split(data, folder)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(default_model_path(), device=device)

    margin, _ = MININGS[args.mining]
    mined, st_pairs = st_triplets(folder, model, work / "st-embeddings", margin)
    ours = trueneg_triplets(folder, work, args.seed, args.mining)
    lookup = {q: set(d) for q, d in hidden.items()}
    st_fn = sum(1 for q, d in st_pairs if d in lookup.get(q, ()))
    same = sum((Counter(st_pairs) & Counter(ours)).values())

    suffix = f"_{args.tag}" if args.tag else ""
    mining = "" if args.mining == "naive-top4" else f"{args.mining}_"
    out = work / f"{mining}seed{args.seed}{suffix}"
    trained = train(mined, model, out, args.seed)
    result = evaluate(out / "model", data, split="test", device=device, name=f"st-{args.mining}")
    payload = {
        "dataset": args.dataset,
        "mining": args.mining,
        "relative_margin": margin,
        "seed": args.seed,
        "versions": versions(),
        "recipe": RECIPE,
        "triplets": len(st_pairs),
        "false_negatives": st_fn,
        "fn_rate": st_fn / len(st_pairs),
        "trueneg_triplets": len(ours),
        "same_triplets": same,
        "train": trained,
        "test": result.scores,
        "test_seconds": result.seconds,
    }
    name = f"st_reference_{args.dataset}_{mining}seed{args.seed}_{device}{suffix}.json"
    path = write_result(name, payload)
    print(json.dumps(payload, indent=2))
    print(f"→ {path}")


if __name__ == "__main__":
    main()
