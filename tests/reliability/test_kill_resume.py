"""kill -9 at random write points of every stage, then the same command again: the run equals
an uninterrupted one byte for byte (every table and every vector), and nothing is left half
written.

The write points are the atomic replaces of one recorded run (see ``killer.py``); for each
stage and seed one of that stage's points is drawn, and the process is killed just before or
just after it.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from reliability.conftest import cli, env

pytestmark = pytest.mark.slow

KILLER = Path(__file__).with_name("killer.py")
STAGE_OF = {
    "data": "load",
    "embeddings": "encode",
    "candidates.parquet": "retrieve",
    "query_stats.parquet": "retrieve",
    "positives.parquet": "retrieve",
    "judge": "rescore",
    "judge_scores.parquet": "rescore",
    "judge_positives.parquet": "rescore",
    "judge_positive_pairs.parquet": "rescore",
    "negatives.parquet": "select",
    "query_stats_selected.parquet": "select",
    "manifest.json": "finish",
}
STAGES = ["load", "encode", "retrieve", "rescore", "select"]
SEEDS = [0, 1]


def mine_args(data: Path, out: Path, judge: Path) -> list[str]:
    return [
        *("mine", str(data), "--out", str(out), "-k", "2", "--judge", str(judge), "-q"),
        *("--cache-dir", "run"),  # the vectors and judge scores inside the run, compared too
    ]


def killer(mode: str, log: Path, args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(KILLER), mode, str(log), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env(),
    )


@pytest.fixture(scope="module")
def recorded(tiny, judge_model_dir, tmp_path_factory):
    """One uninterrupted run (the reference) and the stage of each of its write points."""
    root = tmp_path_factory.mktemp("kill")
    log = root / "replaces.jsonl"
    result = killer("record", log, mine_args(tiny, root / "reference", judge_model_dir))
    assert result.returncode == 0, result.stderr
    stages, stage = [], "load"
    for line in log.read_text().splitlines():
        relative = Path(json.loads(line)).relative_to(root / "reference")
        stage = STAGE_OF.get(relative.parts[0], stage)  # state.json: the stage it records
        stages.append(stage)
    return root / "reference", stages


def contents(run: Path) -> dict[str, bytes]:
    """Every table and vector file of a run, by relative path."""
    files = [*run.glob("*.parquet"), *run.glob("data/*.parquet"), *run.glob("embeddings/*.npy")]
    return {str(p.relative_to(run)): p.read_bytes() for p in files}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stage", STAGES)
def test_kill_9_then_resume_equals_an_uninterrupted_run(
    tiny, judge_model_dir, recorded, tmp_path, stage, seed
):
    reference, stages = recorded
    points = [i + 1 for i, s in enumerate(stages) if s == stage]
    assert points, f"no write point recorded for {stage}"
    rng = random.Random(f"{stage}-{seed}")
    mode = f"{rng.choice(['before', 'after'])}:{rng.choice(points)}"
    out = tmp_path / "run"
    killed = killer(mode, tmp_path / "log", mine_args(tiny, out, judge_model_dir))
    assert killed.returncode == -9, (mode, killed.returncode, killed.stderr)
    assert not (out / "manifest.json").exists()

    resumed = cli(*mine_args(tiny, out, judge_model_dir))
    assert resumed.returncode == 0, (mode, resumed.stderr)
    assert contents(out) == contents(reference), mode
    assert not [p for p in out.rglob("*.tmp")], mode  # no half-written file left behind
    export = cli("export", out, "--format", "n-tuple", "--to", tmp_path / "t.jsonl")
    assert export.returncode == 0, export.stderr
