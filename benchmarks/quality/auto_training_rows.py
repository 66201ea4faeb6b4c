"""Does a comparison's ``auto`` row train on exactly the rows of an explicit row?

``auto`` mines every query and, where most labeled positives rank below the mining model's top
100, trains only on its training queries (the others). The benchmark configs also hold that
choice written out (``auto``'s window + ``positive-rank:100`` with ``auto``'s sampler, or an
``all_queries`` twin), and some of their cells were trained under that explicit name. This
script mines both rows of a config, for each seed, the way ``trueneg compare`` does (same hidden
split, [mine] table, seed, embedding and judge caches), and checks that the training exports are
identical, so those cells are ``auto``'s. Mining only, no training: about a minute a seed once
the config's embeddings are cached (judged rows need the judge scores too: `make judges`).

    python -m benchmarks.quality.auto_training_rows \\
        benchmarks/configs/compare_nfcorpus_auto_cpu.toml \\
        auto-window-positive-rank-100 --seed 0 --seed 1 --seed 2
    # → results/auto_training_rows_nfcorpus.json
    python -m benchmarks.quality.auto_training_rows \\
        benchmarks/configs/compare_scifact_auto_cpu.toml \\
        auto-judge-all-queries --auto auto-judge --seed 0 --seed 1 --seed 2
    # → results/auto_training_rows_scifact_auto-judge.json
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import trueneg
from benchmarks.common import write_result
from trueneg.compare import hide_extra_positives, load_config
from trueneg.compare.runner import HIDDEN_SEED


def mine_row(config, dataset, row, data: Path, out: Path, seed: int) -> trueneg.Run:
    """Mine one [[mining]] row as ``trueneg compare`` does (no training)."""
    filters = row.filters
    return trueneg.mine(
        data,
        out,
        split=dataset.train_split,
        filters=[filters] if isinstance(filters, str) else filters,
        sampler=row.sampler,
        num_negatives=row.num_negatives,
        seed=seed,
        cache_dir=str(config.out / dataset.name / "cache"),
        model=config.model,
        device=config.device,
        **{**config.mine, **row.mine_overrides},
    )


def check(config_path: str, explicit: str, seeds: list[int], auto: str = "auto") -> dict:
    config = load_config(config_path)
    (dataset,) = config.datasets
    rows = {m.name: m for m in config.mining}
    data = config.out / dataset.name / "data"
    hide_extra_positives(dataset.path, dataset.train_split, data, seed=HIDDEN_SEED)
    out = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            runs = {
                name: mine_row(config, dataset, rows[name], data, Path(tmp) / name, seed)
                for name in (auto, explicit)
            }
            tables = {
                name: run.export("triplet", all_queries=rows[name].all_queries)
                for name, run in runs.items()
            }
            choice = runs[auto].manifest["auto"]
            out.append(
                {
                    "seed": seed,
                    "auto_filters": choice["filters"],
                    "auto_sampler": choice["sampler"],
                    "train_queries": choice["train_queries"],
                    "explicit_filters": runs[explicit].manifest["config"]["filters"],
                    "rows": {name: t.num_rows for name, t in tables.items()},
                    "identical": tables[auto].equals(tables[explicit]),
                }
            )
            print(out[-1])
    return {
        "config": config_path,
        "dataset": dataset.name,
        "auto_row": auto,
        "explicit_row": explicit,
        "seeds": out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config")
    parser.add_argument("explicit", help="the [[mining]] row that writes auto's choice out")
    parser.add_argument("--auto", default="auto", help="the auto row (default: auto)")
    parser.add_argument("--seed", type=int, action="append", required=True)
    args = parser.parse_args()
    result = check(args.config, args.explicit, args.seed, auto=args.auto)
    suffix = "" if args.auto == "auto" else f"_{args.auto}"
    path = write_result(f"auto_training_rows_{result['dataset']}{suffix}.json", result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
