import numpy as np
import pytest

from trueneg.errors import ConfigError
from trueneg.select import SAMPLERS, Random, SimANS, Softmax, Top
from trueneg.select.random import splitmix64, uniform

SAMPLERS_UNDER_TEST = [Top(), Random(), SimANS(), Softmax()]


@pytest.fixture
def big(make_frame):
    """6 queries with 0..12 candidates; s⁺ unknown for the last one."""
    rng = np.random.default_rng(7)
    return make_frame(
        [sorted(rng.uniform(-0.2, 0.9, n), reverse=True) for n in (12, 9, 0, 3, 12, 7)],
        positive=[0.85, 0.6, 0.7, 0.5, 0.95, np.nan],
    )


def per_query(frame, mask):
    return np.bincount(frame.query_index()[mask], minlength=frame.num_queries)


def test_splitmix64_matches_the_reference_generator():
    # first output of the reference splitmix64 generator seeded with 0
    assert int(splitmix64(np.array([0], dtype=np.uint64))[0]) == 0xE220A8397B1DCDAF


def test_uniform_is_in_the_open_unit_interval():
    u = uniform(np.arange(10_000, dtype=np.uint64), seed=3)
    assert u.min() > 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.02


@pytest.mark.parametrize("sampler", SAMPLERS_UNDER_TEST, ids=lambda s: s.name)
@pytest.mark.parametrize("k", [1, 4, 20])
def test_picks_min_k_eligible_per_query_and_only_eligible(sampler, k, big):
    eligible = splitmix64(big.row_key) % np.uint64(3) != 0  # about two thirds eligible
    picked = sampler.sample(big, eligible, k, seed=1)
    assert not (picked & ~eligible).any()
    expected = np.minimum(per_query(big, eligible), k)
    assert per_query(big, picked).tolist() == expected.tolist()


@pytest.mark.parametrize("sampler", SAMPLERS_UNDER_TEST[1:], ids=lambda s: s.name)
def test_same_seed_same_picks_other_seed_differs(sampler, big):
    eligible = np.ones(big.num_rows, dtype=bool)
    a = sampler.sample(big, eligible, 3, seed=11)
    assert np.array_equal(a, sampler.sample(big, eligible, 3, seed=11))
    draws = {tuple(sampler.sample(big, eligible, 3, seed=s)) for s in range(20)}
    assert len(draws) > 1


@pytest.mark.parametrize("sampler", SAMPLERS_UNDER_TEST, ids=lambda s: s.name)
def test_picks_do_not_depend_on_row_order_or_other_queries(sampler, make_frame, rows_of):
    scores = [[0.8, 0.7, 0.6, 0.5, 0.4], [0.9, 0.3], [0.6, 0.55, 0.5, 0.2]]
    keys = [[10, 11, 12, 13, 14], [20, 21], [30, 31, 32, 33]]
    full = make_frame(scores, [0.85, 0.9, 0.65], keys=keys)
    swapped = make_frame(scores[::-1], [0.65, 0.9, 0.85], keys=keys[::-1])
    alone = make_frame(scores[2:], [0.65], keys=keys[2:])
    picks = [
        rows_of(f, sampler.sample(f, np.ones(f.num_rows, dtype=bool), 2, seed=5))
        for f in (full, swapped, alone)
    ]
    assert picks[0] == picks[1]
    assert picks[2] == {k for k in picks[0] if k >= 30}


def test_top_takes_the_first_eligible_by_rank(make_frame):
    frame = make_frame([[0.9, 0.8, 0.7, 0.6]])
    eligible = np.array([False, True, True, True])
    assert Top().sample(frame, eligible, 2, seed=0).tolist() == [False, True, True, False]


def test_simans_without_positive_score_takes_the_lowest_ranked(make_frame):
    frame = make_frame([[0.9, 0.8, 0.7, 0.6, 0.5]], positive=[np.nan])
    eligible = np.array([True, True, True, True, False])
    assert SimANS().sample(frame, eligible, 2, seed=0).tolist() == [False, False, True, True, False]


def test_simans_prefers_scores_near_the_peak(make_frame):
    # s⁺ = 0.8, peak at s⁺ + b = 0.7: d3 (0.70) is the most ambiguous candidate
    frame = make_frame([[0.95, 0.85, 0.70, 0.40, 0.10]], positive=[0.8])
    eligible = np.ones(5, dtype=bool)
    hits = sum(SimANS(a=50, b=-0.1).sample(frame, eligible, 1, s) for s in range(400))
    assert hits.argmax() == 2 and hits[4] == 0


def test_gumbel_top_k_follows_the_weights(make_frame):
    # softmax τ = 1/ln 3: weights 3:1 between the two candidates
    frame = make_frame([[1.0, 0.0]])
    tau = 1 / np.log(3)
    hits = sum(Softmax(tau).sample(frame, np.ones(2, dtype=bool), 1, s) for s in range(4000))
    assert 0.72 < hits[0] / 4000 < 0.78


def test_random_is_uniform(make_frame):
    frame = make_frame([[0.9, 0.8, 0.7, 0.6]])
    hits = sum(Random().sample(frame, np.ones(4, dtype=bool), 1, s) for s in range(4000))
    assert np.all(np.abs(hits - 1000) < 120)


def test_sampler_values_parse():
    assert SAMPLERS.resolve("simans:5,-0.05") == SimANS(5.0, -0.05)
    assert SAMPLERS.resolve("simans:50") == SimANS(50.0, 0.0)
    assert SAMPLERS.resolve("softmax") == Softmax(0.05)
    for s in (SimANS(5, 0.1, on="judge"), Softmax(0.1), Top(), Random()):
        assert SAMPLERS.resolve(s.spec()) == s


BAD_SPECS = ["top:3", "random:1", "softmax:0", "simans:-1", "simans:x", "mcmc"]


@pytest.mark.parametrize("spec", BAD_SPECS)
def test_bad_sampler_specs_are_config_errors(spec):
    with pytest.raises(ConfigError):
        SAMPLERS.resolve(spec)
