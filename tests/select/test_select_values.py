"""Strategy values out of range are ConfigErrors, from a spec string or from Python alike."""

import contextlib
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trueneg.errors import ConfigError
from trueneg.select import (
    FILTERS,
    SAMPLERS,
    JudgeThreshold,
    Margin,
    MaxScore,
    MinScore,
    NearDuplicate,
    Percent,
    PositiveRank,
    RankWindow,
    SimANS,
    Softmax,
)

SETTINGS = settings(max_examples=80, deadline=None)
NOT_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"]


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("percent:2", "0 < P <= 1"),  # kept negatives scoring twice the positive
        ("percent:0", "0 < P <= 1"),
        ("percent:-0.5@judge", "0 < P <= 1"),
        ("max-score:nan", "finite"),  # dropped everything
        ("min-score:inf", "finite"),
        ("near-duplicate:1.5", "0 < T <= 1"),  # did nothing: a cosine is at most 1
        ("near-duplicate:0", "0 < T <= 1"),
        ("margin:-0.1", "M >= 0"),  # kept negatives scoring above the positive
        ("judge-threshold:nan", "finite"),
        ("judge-threshold:-inf", "finite"),
    ],
)
def test_out_of_range_filter_values_are_refused(spec, says):
    with pytest.raises(ConfigError, match=f"needs .*{says}") as info:
        FILTERS.resolve(spec)
    message = str(info.value)
    assert "received" in message and "expected" in message
    assert spec.split(":")[0] in message


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("softmax:0", "τ > 0"),
        ("softmax:-1", "τ > 0"),
        ("softmax:inf", "finite"),
        ("simans:-1", "A >= 0"),
        ("simans:nan", "finite"),
        ("simans:20,inf", "finite"),
        ("simans:20,nan", "finite"),
    ],
)
def test_out_of_range_sampler_values_are_refused(spec, says):
    with pytest.raises(ConfigError, match=f"needs .*{says}"):
        SAMPLERS.resolve(spec)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Percent(p=2),
        lambda: Percent(p=math.nan),
        lambda: Percent(p="0.9"),
        lambda: Margin(-0.05),
        lambda: MaxScore(math.inf),
        lambda: MinScore(math.nan),
        lambda: MaxScore(True),
        lambda: NearDuplicate(1.5),
        lambda: NearDuplicate(-0.2),
        lambda: JudgeThreshold(math.nan),
        lambda: Softmax(0),
        lambda: SimANS(a=-1),
        lambda: SimANS(b=math.inf),
        lambda: RankWindow(1.5, 10),
        lambda: Percent(0.9, on=""),
    ],
)
def test_python_instances_are_checked_too(build):
    with pytest.raises(ConfigError):
        build()


def test_valid_boundaries_and_specs_are_unchanged():
    assert FILTERS.resolve("percent:1").spec() == "percent:1.0"
    assert FILTERS.resolve("near-duplicate:1").spec() == "near-duplicate:1.0"
    assert FILTERS.resolve("margin:0").spec() == "margin:0.0"
    assert FILTERS.resolve("judge-threshold:-2.5@logit").spec() == "judge-threshold:-2.5@logit"
    assert FILTERS.resolve("max-score:-3").spec() == "max-score:-3.0"
    assert SAMPLERS.resolve("simans:0,-0.1").spec() == "simans:0.0,-0.1"
    assert FILTERS.resolve("percent") == Percent(0.95)
    assert FILTERS.resolve("near-duplicate") == NearDuplicate(0.95)


@pytest.mark.parametrize("value", ["²", "--5", "٣x", "1e3"])
def test_positive_rank_odd_digits_are_config_errors(value):
    with pytest.raises(ConfigError, match="positive-rank"):
        FILTERS.resolve(f"positive-rank:{value}")


# (name, strategy of in-range values, the column suffix the spec may carry)
finite = st.floats(allow_nan=False, allow_infinity=False)
IN_RANGE = [
    ("max-score", finite, "@judge"),
    ("min-score", finite, "@judge"),
    ("margin", st.floats(0, 1e6), "@judge"),
    ("percent", st.floats(0, 1, exclude_min=True), "@judge"),
    ("near-duplicate", st.floats(0, 1, exclude_min=True), "@cos"),
    ("judge-threshold", finite, "@logit"),
    ("softmax", st.floats(0, 1e6, exclude_min=True), "@judge"),
]
OUT_OF_RANGE = [
    ("margin", st.floats(max_value=0, exclude_max=True, allow_infinity=False)),
    ("percent", st.floats(1, exclude_min=True, allow_infinity=False)),
    ("percent", st.floats(max_value=0, allow_infinity=False)),
    ("near-duplicate", st.floats(1, exclude_min=True, allow_infinity=False)),
    ("near-duplicate", st.floats(max_value=0, allow_infinity=False)),
    ("softmax", st.floats(max_value=0, allow_infinity=False)),
    ("simans", st.floats(max_value=0, exclude_max=True, allow_infinity=False)),
]
NAMES = sorted({name for name, *_ in IN_RANGE} | {"simans"})


@st.composite
def valid_specs(draw):
    name, values, suffix = draw(st.sampled_from(IN_RANGE))
    spec = f"{name}:{draw(values)!r}"
    return spec + draw(st.sampled_from(["", suffix]))


@SETTINGS
@given(valid_specs())
def test_in_range_values_round_trip_through_their_spec(spec):
    registry = SAMPLERS if spec.startswith("softmax") else FILTERS
    strategy = registry.resolve(spec)
    assert strategy.spec() == spec
    assert registry.resolve(strategy.spec()) == strategy


@SETTINGS
@given(st.floats(0, 1e6), st.floats(allow_nan=False, allow_infinity=False))
def test_simans_in_range_round_trips(a, b):
    spec = f"simans:{a!r},{b!r}"
    assert SAMPLERS.resolve(spec).spec() == spec


@SETTINGS
@given(st.sampled_from(OUT_OF_RANGE).flatmap(lambda p: st.tuples(st.just(p[0]), p[1])))
def test_out_of_range_values_are_config_errors(case):
    name, value = case
    registry = SAMPLERS if name in ("softmax", "simans") else FILTERS
    with pytest.raises(ConfigError):
        registry.resolve(f"{name}:{value!r}")


@SETTINGS
@given(st.sampled_from(NAMES), st.sampled_from(NOT_FINITE))
def test_non_finite_values_are_config_errors(name, value):
    registry = SAMPLERS if name in ("softmax", "simans") else FILTERS
    with pytest.raises(ConfigError, match="finite"):
        registry.resolve(f"{name}:{value}")


@SETTINGS
@given(st.sampled_from(FILTERS.names() + SAMPLERS.names()), st.text(max_size=12))
def test_any_value_text_builds_or_is_a_config_error(name, value):
    registry = FILTERS if name in FILTERS.names() else SAMPLERS
    with contextlib.suppress(ConfigError):  # any other exception fails the test
        registry.resolve(f"{name}:{value}")


def test_positive_rank_instances_stay_whole_numbers():
    assert PositiveRank(3) == FILTERS.resolve("positive-rank:3")
