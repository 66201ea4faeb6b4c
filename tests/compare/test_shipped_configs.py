"""Every comparison config the project ships (benchmarks/configs, examples) reads without an
error, so a typo in a GPU-only table is found here, not on a GPU machine after the rows before
it have run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from trueneg.compare.config import load_config
from trueneg.compare.runner import plan

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    [*(ROOT / "benchmarks" / "configs").glob("*.toml"), *(ROOT / "examples").rglob("*.toml")]
)


def _is_comparison(path: Path) -> bool:
    return "experiment" in tomllib.loads(path.read_text(encoding="utf-8"))


def _judges(path: Path) -> list[Path]:
    """The judge folders a config names by path, resolved as the config resolves them."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    tables = [raw.get("mine", {}), *raw.get("mining", [])]
    named = [t["judge"] for t in tables if str(t.get("judge", "")).startswith(("./", "../"))]
    return [(path.parent / judge).resolve() for judge in named]


def test_the_shipped_configs_are_found():
    names = {p.name for p in CONFIGS if _is_comparison(p)}
    assert {"compare_judge_verdict.toml", "tiny.toml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_shipped_config_reads_and_plans(path: Path):
    if not _is_comparison(path):
        pytest.skip(f"{path.name} is not a comparison config (no [experiment] table)")
    missing = [judge for judge in _judges(path) if not judge.exists()]
    if missing:
        pytest.skip(f"{path.name} names judges not installed here ({missing[0]}): `make judges`")
    config = load_config(path)
    steps = plan(config)
    trained = sum(not row.zero_shot for row in config.mining)
    zero_shot = len(config.mining) - trained  # evaluated once, whatever the seeds
    cells = len(config.datasets) * (trained * len(config.seeds) + zero_shot)
    assert len(steps) == cells > 0
    assert {step.mining.name for step in steps} == {row.name for row in config.mining}
