"""Copy one compare row's trained cells into ``benchmarks/results/``.

``trueneg compare`` keeps its cells under the config's ``out`` folder (``runs/``, not committed).
This writes the row's table (``results.json``) and each seed's cell files (false negatives,
negatives, training, evaluation with per-query scores, ``auto``'s choice from the manifest)
into one results file, so later rows can be tested against them (``trueneg evaluate --compare``)
after the run folders are gone::

    python -m benchmarks.quality.collect_cells runs/compare/scifact-auto-cpu scifact auto-cost-3 \
        --seed 0 --seed 1 --seed 2 --out compare_scifact_auto_cost3_cpu.json

Run it after ``trueneg compare CONFIG --mining ROW`` without ``--seed`` (the table of every
seed) so ``results.json`` holds the row's seeds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.common import write_result

CELL_FILES = ("fn", "negatives", "train", "eval")


def cell(folder: Path) -> dict[str, Any]:
    """One seed's cell: its JSON files and ``auto``'s choice (None for a row with filters)."""
    out = {name: json.loads((folder / f"{name}.json").read_text()) for name in CELL_FILES}
    manifest = json.loads((folder / "run" / "manifest.json").read_text())
    out["auto"] = manifest.get("auto")
    return out


def collect(root: Path, dataset: str, mining: str, seeds: list[int]) -> dict[str, Any]:
    return {
        "command": f"trueneg compare CONFIG --mining {mining} (out = {root})",
        "results": json.loads((root / "results.json").read_text()),
        "cells": {f"seed-{s}": cell(root / dataset / mining / f"seed-{s}") for s in seeds},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the compare config's out folder")
    parser.add_argument("dataset")
    parser.add_argument("mining", help="the [[mining]] row's name")
    parser.add_argument("--seed", type=int, action="append", required=True)
    parser.add_argument("--out", required=True, help="file name under benchmarks/results/")
    args = parser.parse_args()
    write_result(args.out, collect(args.root, args.dataset, args.mining, args.seed))


if __name__ == "__main__":
    main()
