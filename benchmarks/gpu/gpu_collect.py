"""Turn what ``benchmarks/gpu/gpu_run.sh table:…`` brought back into a results file.

The GPU machine returns one ``table-DATASET-CONFIG.tar.gz`` per dataset (every finished cell's
records, no models) and ``check.log`` (the GPU and library versions). This unpacks the tables
of one config into ``runs/gpu/CONFIG`` (the compare layout), writes their results table with
``trueneg compare --report-only`` (unfinished cells are left out and counted), and saves the
table with every cell's records to ``benchmarks/results/NAME``::

    tar xzf gpu.tar.gz -C /tmp/gpu-out
    python -m benchmarks.gpu.gpu_collect /tmp/gpu-out benchmarks/configs/reproduce_st_table.toml \
        --out compare_st_table_gpu.json

After ``gpu_run.sh speed`` it copies the speed results instead (``encode_backends_cuda``,
``encode_profile_cuda``, ``search_cuda``, ``mine_big_cuda``), each with the GPU's check log::

    python -m benchmarks.gpu.gpu_collect /tmp/gpu-out --speed
"""

from __future__ import annotations

import argparse
import json
import tarfile
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, shared_data, write_result
from benchmarks.quality.collect_cells import cell


def unpack(folder: Path, stem: str, dest: Path) -> list[str]:
    """Unpack every ``table-*-STEM.tar.gz`` of ``folder`` into ``dest``; the datasets found."""
    found = []
    for archive in sorted(folder.glob(f"table-*-{stem}.tar.gz")):
        found.append(archive.name[len("table-") : -len(f"-{stem}.tar.gz")])
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                parts = Path(member.name).parts  # "./" is dropped: (ROW, DATASET, …)
                if len(parts) <= 2 or not member.isfile():  # ROW/ and its results table
                    continue
                member.name = str(Path(*parts[1:]))  # ROW/DATASET/… → DATASET/…
                tar.extract(member, dest, filter="data")
    if not found:
        raise SystemExit(f"no table-*-{stem}.tar.gz in {folder}")
    return found


def cells(root: Path, dataset: str, rows: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        folder = root / dataset / row
        if (folder / "eval.json").is_file():  # zero-shot: evaluated once, nothing mined
            out[row] = {"eval": json.loads((folder / "eval.json").read_text())}
            continue
        seeds = sorted(p for p in folder.glob("seed-*") if (p / "eval.json").is_file())
        out[row] = {p.name: cell(p) for p in seeds}
    return out


SPEED_RESULTS = ("encode_backends", "encode_profile", "search", "mine_big")


def collect_speed(folder: Path) -> None:
    """Every ``*_cuda.json`` speed result of ``folder`` into ``benchmarks/results/``, with the
    machine's check log; a missing one is named (its step failed or ran out of time)."""
    check = folder / "check.log"
    ran_on = check.read_text().splitlines() if check.is_file() else None
    for name in SPEED_RESULTS:
        source = folder / f"{name}_cuda.json"
        if not source.is_file():
            print(f"missing: {source.name} (see the step's log in {folder})")
            continue
        payload = json.loads(source.read_text())
        payload["gpu_environment"] = payload.pop("environment", None)  # write_result adds ours
        print(f"→ {write_result(source.name, {**payload, 'ran_on': ran_on})}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="gpu_run.sh's unpacked $OUT")
    parser.add_argument("config", type=Path, nargs="?", help="the compare config the tables ran")
    parser.add_argument("--out", help="file name under benchmarks/results/")
    parser.add_argument("--speed", action="store_true", help="collect `gpu_run.sh speed`")
    args = parser.parse_args()
    if args.speed:
        collect_speed(args.folder)
        return
    if args.config is None or args.out is None:
        parser.error("a compare config and --out are needed (or --speed)")

    from trueneg.compare import load_config, restrict, run_comparison

    stem = args.config.stem
    root = ROOT / "runs" / "gpu" / stem
    datasets = unpack(args.folder, stem, root)
    config = restrict(
        load_config(args.config),
        datasets=datasets,
        out=root,
        data={name: shared_data() / name for name in datasets},
    )
    result = run_comparison(config, report_only=True)
    rows = [m.name for m in config.mining]
    check = args.folder / "check.log"
    payload = {
        "command": f"benchmarks/gpu/gpu_run.sh table:DATASET:{args.config} (one process per row), "
        f"then python -m benchmarks.gpu.gpu_collect OUT {args.config} --out {args.out}",
        "ran_on": check.read_text().splitlines() if check.is_file() else None,
        "missing_cells": result.counts.get("missing", 0),
        "results": json.loads((root / "results.json").read_text()),
        "cells": {name: cells(root, name, rows) for name in datasets},
    }
    print(f"→ {write_result(args.out, payload)}; table in {root / 'results.md'}")


if __name__ == "__main__":
    main()
