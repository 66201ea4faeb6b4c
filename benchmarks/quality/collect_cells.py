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

When a row's earlier seeds were collected and their run folders are gone (a fresh checkout), a new
seed joins them this way: put the collected cells back, make the table, collect every seed::

    python -m benchmarks.quality.collect_cells runs/compare/judge-verdict-scifact-cpu scifact \
        naive-top4-lists-4ep --restore compare_judge_verdict_scifact_cpu_naive-top4-lists-4ep.json
    trueneg compare CONFIG --report-only
    python -m benchmarks.quality.collect_cells ... --seed 0 --seed 1 --out ...

A restored cell holds its four JSON files and a ``run/manifest.json`` with ``auto``'s choice and
``restored_from``; ``trueneg compare`` counts it finished (``eval.json``) and never retrains it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, write_result

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


def restore(source: Path, root: Path, dataset: str, mining: str) -> list[Path]:
    """Write the cells collected in ``source`` back under ``root``; returns the seed folders.

    A seed whose folder already has an ``eval.json`` is left as it is (the run on disk wins).
    Raises ``ValueError`` when ``source`` holds another row's cells.
    """
    collected = json.loads(source.read_text())
    command = collected.get("command", "")
    if "--mining " not in command or "cells" not in collected:
        raise ValueError(f"{source} was not written by collect_cells (no row's cells in it)")
    row = command.split("--mining ", 1)[1].split(" ", 1)[0]
    if row != mining:
        raise ValueError(f"{source} holds the cells of row {row!r}, not {mining!r}")
    written = []
    for seed, files in collected["cells"].items():
        folder = root / dataset / mining / seed
        if (folder / "eval.json").is_file():
            continue
        (folder / "run").mkdir(parents=True, exist_ok=True)
        for name in CELL_FILES:
            (folder / f"{name}.json").write_text(json.dumps(files[name], indent=2))
        manifest = {"auto": files.get("auto"), "restored_from": str(source)}
        (folder / "run" / "manifest.json").write_text(json.dumps(manifest, indent=2))
        written.append(folder)
    return written


def _results_file(name: str) -> Path:
    path = Path(name)
    return path if path.is_file() else RESULTS / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the compare config's out folder")
    parser.add_argument("dataset")
    parser.add_argument("mining", help="the [[mining]] row's name")
    parser.add_argument("--seed", type=int, action="append")
    parser.add_argument("--out", help="file name under benchmarks/results/")
    parser.add_argument(
        "--restore",
        metavar="FILE",
        help="put the cells collected in FILE (a name under benchmarks/results/ or a path) back "
        "under ROOT instead of collecting",
    )
    args = parser.parse_args()
    if args.restore:
        source = _results_file(args.restore)
        if not source.is_file():
            parser.error(f"--restore {args.restore}: no such file here or under {RESULTS}")
        try:
            folders = restore(source, args.root, args.dataset, args.mining)
        except ValueError as error:
            parser.error(f"--restore: {error}; pass the file collected for {args.mining}")
        print(f"restored {len(folders)} cell(s): " + ", ".join(str(f) for f in folders))
        return
    if not args.seed or not args.out:
        parser.error("collecting needs --seed (one or more) and --out; or pass --restore FILE")
    write_result(args.out, collect(args.root, args.dataset, args.mining, args.seed))


if __name__ == "__main__":
    main()
