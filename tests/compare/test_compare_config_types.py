"""`trueneg compare` TOML: a value of the wrong type is a ConfigError naming its table and key,
checked against the same annotations as everything else (trueneg.settings.check_types)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from trueneg.compare.config import parse_config
from trueneg.errors import ConfigError

RAW = {
    "experiment": {"name": "tiny", "out": "out", "seeds": [0]},
    "dataset": [{"name": "tiny", "path": "beir"}],
    "mining": [{"name": "naive", "filters": "none", "sampler": "top", "num_negatives": 2}],
    "train": {"max_steps": 1, "batch_size": 4},
    "mine": {"retriever": "bm25"},
}


def edited(table: str, key: str, value: object) -> dict:
    raw = copy.deepcopy(RAW)
    target = raw[table][0] if isinstance(raw[table], list) else raw[table]
    target[key] = value
    return raw


def test_the_base_config_parses(tmp_path: Path):
    cfg = parse_config(RAW, base=tmp_path)
    assert cfg.train.batch_size == 4 and cfg.mining[0].num_negatives == 2
    assert parse_config(edited("train", "epochs", 2), base=tmp_path).train.epochs == 2  # int ok


@pytest.mark.parametrize(
    ("table", "key", "value", "says"),
    [
        ("train", "epochs", "1", r"\[train\] epochs must be a number"),
        ("train", "batch_size", 4.5, r"\[train\] batch_size must be an integer"),
        ("train", "lr", True, r"\[train\] lr must be a number.*True \(a boolean\)"),
        ("train", "rows", 3, r"\[train\] rows must be a string"),
        ("mine", "batch_size", "64", r"\[mine\] batch_size must be an integer"),
        ("mine", "depth", [100], r"\[mine\] depth must be an integer.*\(a list\)"),
        ("mine", "retriever", {"name": "bm25"}, r"\[mine\] retriever must be a string"),
        ("experiment", "name", 5, r"\[experiment\] name must be a string"),
        ("experiment", "model", 1, r"\[experiment\] model must be a string"),
        ("experiment", "seeds", ["a"], r"\[experiment\] seeds must be"),
        ("dataset", "hide_extra_positives", "yes", r"\[\[dataset\]\] 'tiny' hide_extra_p.*true"),
        ("dataset", "name", 7, r"\[\[dataset\]\] 7 name must be a string"),
        ("dataset", "test_split", 1, r"\[\[dataset\]\] 'tiny' test_split must be a string"),
        ("mining", "num_negatives", "2", r"\[\[mining\]\] 'naive' num_negatives must be an int"),
        ("mining", "filters", 5, r"\[\[mining\]\] 'naive' filters must be a list of strings"),
        ("mining", "sampler", 1, r"\[\[mining\]\] 'naive' sampler must be a string"),
        ("mining", "name", 3, r"\[\[mining\]\] 3 name must be a string"),
    ],
)
def test_wrong_types_name_the_table_and_key(tmp_path: Path, table, key, value, says):
    with pytest.raises(ConfigError, match=says) as info:
        parse_config(edited(table, key, value), base=tmp_path)
    message = str(info.value)
    assert "received" in message and "expected" in message and key in message


def test_a_mining_row_takes_auto_cost_as_the_old_name(tmp_path: Path):
    raw = copy.deepcopy(RAW)
    raw["mining"] = [{"name": "auto", "auto_cost": 3}]
    spec = parse_config(raw, base=tmp_path).mining[0]
    assert spec.false_negative_cost == 3 and spec.mine_overrides == {"false_negative_cost": 3}


def test_defaults_are_those_of_mine_and_train(tmp_path: Path):
    from trueneg.compare.config import MiningSpec, TrainSpec
    from trueneg.settings import MineConfig, TrainSettings

    row, mine = MiningSpec("row"), MineConfig()
    assert (row.filters, row.sampler, row.num_negatives, row.false_negative_cost) == (
        mine.filters,
        mine.sampler,
        mine.num_negatives,
        mine.false_negative_cost,
    )
    assert TrainSpec().settings() == TrainSettings()
    cfg = parse_config(RAW, base=tmp_path)
    assert cfg.train.settings(seed=2).replace(seed=0) == TrainSettings(max_steps=1, batch_size=4)


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("sampler", "mixx:0.5", r"\[\[mining\]\] 'naive': Unknown sampler 'mixx'.*expected: mix"),
        ("sampler", "mix:2", r"\[\[mining\]\] 'naive': mix needs 0 <= H <= 1"),
        ("filters", ["percnt:0.95"], r"\[\[mining\]\] 'naive': Unknown filter 'percnt'"),
        ("filters", "percent:abc", r"\[\[mining\]\] 'naive': 'percent' needs a number"),
    ],
)
def test_unknown_strategies_fail_when_the_config_is_read(tmp_path: Path, key, value, says):
    """A typo in a row's filters or sampler fails before any row mines, not after the rows
    before it have trained."""
    with pytest.raises(ConfigError, match=says):
        parse_config(edited("mining", key, value), base=tmp_path)


def test_a_judge_strategy_needs_a_judge_in_the_row_or_the_mine_table(tmp_path: Path):
    raw = edited("mining", "filters", ["judge-threshold:0.5"])
    with pytest.raises(ConfigError, match=r"'naive' reads judge scores but has no judge") as info:
        parse_config(raw, base=tmp_path)
    assert "judge-threshold:0.5" in str(info.value) and "[mine]" in str(info.value)
    raw["mining"][0]["judge"] = "a-judge-name"
    assert parse_config(raw, base=tmp_path).mining[0].judge == "a-judge-name"
    raw["mining"][0].pop("judge")
    raw["mine"]["judge"] = "a-judge-name"
    assert parse_config(raw, base=tmp_path).mining[0].filters == ["judge-threshold:0.5"]


@pytest.mark.parametrize(
    "special", [{"filters": "none"}, {"filters": "auto"}, {"sampler": "auto"}, {"sampler": "none"}]
)
def test_none_auto_and_zero_shot_rows_pass_the_strategy_check(tmp_path: Path, special):
    raw = copy.deepcopy(RAW)
    raw["mining"] = [{"name": "row", **special}]
    assert parse_config(raw, base=tmp_path).mining[0].name == "row"
