"""MineConfig checks every value against its field's annotation: one schema for TOML files,
the Python API and the command line."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import trueneg
from trueneg.cli.main import app
from trueneg.errors import ConfigError
from trueneg.select import Percent, Random
from trueneg.settings import MineConfig, check_types, describe_type, load_toml

runner = CliRunner()


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(text + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('seed = "abc"', r"seed must be an integer.*'abc' \(a string\).*--seed"),
        ("seed = 1.7", r"seed must be an integer.*1\.7 \(a float\)"),
        ("seed = true", r"seed must be an integer.*True \(a boolean\)"),
        ("filters = 5", r"filters must be a list of strings.*or a string.*--filter"),
        ("filter = [1, 2]", r"filters must be a list of strings"),
        ("extra = 5", r"extra must be a table.*TOML key extra\)"),
        ('num-negatives = "4"', r"num_negatives must be an integer.*--num-negatives"),
        ('false_negative_cost = "3"', r"false_negative_cost must be a number.*--false-neg"),
        ('auto_cost = "3"', r"false_negative_cost must be a number"),  # its old name
        ("[seed]\nx = 1", r"seed must be an integer.*\(a table\)"),
        ("retriever = 3", r"retriever must be a string"),
    ],
)
def test_toml_values_of_the_wrong_type_are_refused(tmp_path, text, says):
    with pytest.raises(ConfigError, match=says) as info:
        load_toml(toml(tmp_path, text))
    message = str(info.value)
    assert "received" in message and "expected" in message


def test_a_table_where_keys_belong_names_it(tmp_path):
    with pytest.raises(ConfigError, match=r"run\.toml has a \[table\].*\[mine\]") as info:
        load_toml(toml(tmp_path, '[mine]\nretriever = "bm25"'))
    assert "Move those keys" in str(info.value)
    with pytest.raises(ConfigError, match="Cannot parse"):
        load_toml(toml(tmp_path, "5"))  # a TOML document is always a table


def test_valid_toml_values_still_load(tmp_path):
    cfg = load_toml(
        toml(tmp_path, 'auto_cost = 3\nfilter = "percent:0.9"\n[extra]\ncache_dir = "c"\nx = 1')
    )
    assert (cfg.false_negative_cost, cfg.filters) == (3, ["percent:0.9"])
    assert (cfg.cache_dir, cfg.extra) == ("c", {"x": 1})  # extra's cache_dir is the field's


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"seed": "abc"}, "seed must be an integer"),
        ({"seed": 1.7}, "seed must be an integer"),
        ({"seed": True}, "seed must be an integer"),
        ({"num_negatives": 2.0}, "num_negatives must be an integer"),
        ({"filters": 5}, "filters must be"),
        ({"filters": [Percent]}, "filters must be"),  # a class, not an instance
        ({"sampler": 3}, "sampler must be a string or a Sampler object"),
        ({"extra": ["cache_dir"]}, "extra must be a table"),
        ({"judge_depth": "30"}, r"judge_depth must be an integer.*--judge-depth"),
        ({"judge_batch_size": 0.5}, r"judge_batch_size must be .*TOML key judge_batch_size\)"),
    ],
)
def test_the_python_api_gets_the_same_check(tmp_path, settings, says):
    with pytest.raises(ConfigError, match=says):
        trueneg.mine(tmp_path / "data", tmp_path / "out", **settings)
    with pytest.raises(ConfigError, match=says):
        MineConfig(data="d", out="o", **settings).validate()


def test_numbers_instances_and_paths_of_the_right_kind_pass():
    cfg = MineConfig(
        data=Path("d"),
        out=Path("o"),
        filters=[Percent(0.9), "near-duplicate:0.9"],
        sampler=Random(),
    ).validate()
    assert (cfg.data, cfg.out) == ("d", "o")
    cost = MineConfig(data="d", out="o", false_negative_cost=3).validate().false_negative_cost
    assert cost == 3
    assert cfg.filters[0] == Percent(0.9) and cfg.sampler == Random()
    assert MineConfig(data="d", out="o", filters="percent:0.9").validate().filters == [
        "percent:0.9"
    ]


def test_replace_keeps_strategy_instances():
    cfg = MineConfig(filters=[Percent(0.9)], sampler=Random()).replace(data="d", out="o")
    assert cfg.filters == [Percent(0.9)] and cfg.sampler == Random()


def test_the_cli_refuses_a_config_file_value_even_under_a_flag(tmp_path):
    config = toml(tmp_path, 'seed = "abc"')
    result = runner.invoke(
        app, ["mine", str(tmp_path / "data"), "-o", str(tmp_path / "o"), "--config", str(config)]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "seed must be an integer" in " ".join(result.output.split())
    result = runner.invoke(app, ["mine", "d", "-o", "o", "--config", str(config), "--seed", "3"])
    assert result.exit_code == 1 and "seed must be an integer" in " ".join(result.output.split())


def test_describe_type_words():
    assert describe_type(list[str] | str | None) == "a list of strings, or a string"
    assert describe_type(float | None) == "a number"
    assert describe_type(dict[str, int]) == "a table"


def test_check_types_names_the_table():
    with pytest.raises(ConfigError, match=r"\[mine\] batch_size must be an integer") as info:
        check_types({"batch_size": "64"}, MineConfig, "[mine]")
    assert "Set batch_size in [mine]" in str(info.value)
    check_types({"batch_size": 64, "unknown": object()}, MineConfig, "[mine]")  # left to caller
