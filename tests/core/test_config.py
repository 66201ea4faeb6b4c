"""MineConfig: defaults, validation and TOML files."""

import pytest

from trueneg.errors import ConfigError
from trueneg.settings import MineConfig, load_toml


def test_defaults_leave_filters_and_sampler_to_auto():
    cfg = MineConfig(data="d", out="o").validate()
    assert cfg.auto_filters and cfg.auto_sampler
    assert cfg.to_dict()["filters"] == "auto" and cfg.to_dict()["sampler"] == "auto"


def test_explicit_auto_filter_is_the_default():
    cfg = MineConfig(data="d", out="o", filters=["auto"]).validate()
    assert cfg.auto_filters and cfg.auto_sampler
    with pytest.raises(ConfigError, match="'auto' cannot be combined"):
        MineConfig(data="d", out="o", filters=["auto", "percent:0.95"]).validate()


def test_given_filters_without_sampler_use_top():
    cfg = MineConfig(data="d", out="o", filters=["percent:0.95"]).validate()
    assert not cfg.auto_filters and not cfg.auto_sampler
    assert cfg.resolved_sampler() == "top"


def test_given_sampler_leaves_only_the_filters_to_auto():
    cfg = MineConfig(data="d", out="o", sampler="random").validate()
    assert cfg.auto_filters and not cfg.auto_sampler
    assert cfg.resolved_sampler() == "random"


def test_empty_filter_list_means_no_filter():
    cfg = MineConfig(data="d", out="o", filters=[]).validate()
    assert cfg.filters == [] and not cfg.auto_filters and cfg.resolved_sampler() == "top"


@pytest.mark.parametrize("field,value", [("num_negatives", 0), ("depth", -1), ("batch_size", 0)])
def test_non_positive_integers_are_refused(field, value):
    with pytest.raises(ConfigError, match=field):
        MineConfig(data="d", out="o", **{field: value}).validate()


def test_false_negative_cost_is_a_positive_number_for_auto_only():
    cfg = MineConfig(data="d", out="o", false_negative_cost=3).validate()
    assert cfg.false_negative_cost == 3 and cfg.to_dict()["false_negative_cost"] == 3
    assert MineConfig(data="d", out="o", sampler="random", false_negative_cost=0.5).validate()
    for bad in (0, -1.0, float("nan"), float("inf"), "3", True):
        with pytest.raises(ConfigError, match=r"false_negative_cost must be a (positive )?number"):
            MineConfig(data="d", out="o", false_negative_cost=bad).validate()
    for filters in (["percent:0.95"], ["none"]):
        with pytest.raises(ConfigError, match="only applies when auto chooses") as info:
            MineConfig(data="d", out="o", filters=filters, false_negative_cost=3).validate()
        assert "--false-negative-cost" in str(info.value)


def test_auto_cost_is_the_old_name_of_false_negative_cost(tmp_path):
    cfg = MineConfig(data="d", out="o").replace(auto_cost=3)
    assert cfg.false_negative_cost == 3 and "auto_cost" not in cfg.to_dict()
    assert MineConfig().replace(auto_cost=None, false_negative_cost=2).false_negative_cost == 2
    with pytest.raises(ConfigError, match=r"given twice.*auto_cost, its old name"):
        MineConfig().replace(auto_cost=3, false_negative_cost=2)
    path = tmp_path / "run.toml"
    path.write_text("auto-cost = 3\n")
    assert load_toml(path).false_negative_cost == 3


def test_cache_dir_of_extra_moves_into_the_field():
    cfg = MineConfig(extra={"cache_dir": "c", "x": 1})
    assert (cfg.cache_dir, cfg.extra) == ("c", {"x": 1})
    assert MineConfig(cache_dir="a", extra={"cache_dir": "b"}).cache_dir == "a"  # the field wins
    assert MineConfig(cache_dir="a").replace(extra={"cache_dir": "b"}).cache_dir == "a"
    legacy = {"cache_dir": "c"}
    assert MineConfig().replace(extra=legacy).cache_dir == "c" and legacy == {"cache_dir": "c"}


def test_unknown_device_lists_valid_ones():
    with pytest.raises(ConfigError, match="auto, cpu, cuda"):
        MineConfig(data="d", out="o", device="tpu").validate()


def test_depth_grows_to_num_negatives():
    assert MineConfig(data="d", out="o", depth=2, num_negatives=5).validate().depth == 5


def test_replace_ignores_none_and_refuses_unknown_keys():
    cfg = MineConfig(data="d", out="o", seed=3).replace(seed=None, sampler="random")
    assert cfg.seed == 3 and cfg.sampler == "random"
    with pytest.raises(ConfigError, match="Unknown setting"):
        cfg.replace(num_negativs=3)


def test_toml_round_trip(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        'data = "corpus"\nretriever = "bm25"\nnum-negatives = 7\n'
        'filter = ["rank-window:10-110"]\nsampler = "random"\n'
    )
    cfg = load_toml(path)
    assert (cfg.retriever, cfg.num_negatives, cfg.filters, cfg.sampler) == (
        "bm25",
        7,
        ["rank-window:10-110"],
        "random",
    )


def test_toml_errors_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("retriever = \n")
    with pytest.raises(ConfigError, match="Cannot parse"):
        load_toml(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("colour = 'red'\n")
    with pytest.raises(ConfigError, match="colour"):
        load_toml(unknown)
