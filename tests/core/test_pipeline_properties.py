"""Properties of ``mine`` on random tiny BEIR folders (BM25, so no model is needed).

Hypothesis draws corpora with exact duplicates (a positive copied under another id, sometimes
with extra whitespace), queries with one to three positives and some judged non-relevant docs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trueneg
from fixtures import write_beir

WORDS = [
    "vitamin",
    "bone",
    "fracture",
    "coffee",
    "sleep",
    "sugar",
    "diabetes",
    "salt",
    "pressure",
    "fiber",
    "gut",
    "heart",
    "exercise",
    "tea",
    "obesity",
]
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
filter_specs = st.one_of(
    st.tuples(st.integers(1, 4), st.integers(1, 6)).map(lambda t: f"rank-window:{t[0]}-{sum(t)}"),
    st.floats(0.0, 8.0).map(lambda x: f"max-score:{x:.2f}"),
    st.floats(0.0, 4.0).map(lambda x: f"min-score:{x:.2f}"),
    st.floats(0.0, 2.0).map(lambda x: f"margin:{x:.2f}"),
    st.floats(0.5, 1.0).map(lambda x: f"percent:{x:.2f}"),
)


@st.composite
def beir_data(draw):
    """(corpus, queries, qrels) with at least one labeled positive per query."""
    n_docs = draw(st.integers(3, 14))
    corpus = [
        (f"d{i}", draw(st.sampled_from(["", "Title", "Bone"])), draw(words)) for i in range(n_docs)
    ]
    for j in range(draw(st.integers(0, 3))):  # exact duplicates under new ids
        _, title, text = corpus[draw(st.integers(0, n_docs - 1))]
        pad = draw(st.sampled_from(["", " "]))
        corpus.insert(draw(st.integers(0, len(corpus))), (f"dup{j}", title, text + pad))
    ids = [d for d, *_ in corpus]
    queries, qrels = [], []
    for q in range(draw(st.integers(1, 4))):
        queries.append((f"q{q}", draw(words)))
        positives = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        qrels += [(f"q{q}", d, 1) for d in positives]
        judged = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
        qrels += [(f"q{q}", d, 0) for d in judged if d not in positives]
    return corpus, queries, qrels


def _mine(corpus, queries, qrels, out: Path, **settings):
    data = out.parent / "beir"
    if not data.exists():
        write_beir(data, corpus, queries, qrels)
    return trueneg.mine(data, out, retriever="bm25", **settings)


def _survivors(run) -> set[tuple[str, str]]:
    """Rows that passed every filter (kept, or left out only by the sampler)."""
    return {
        (r["query_id"], r["doc_id"])
        for r in run.negatives().to_pylist()
        if r["reason"] in ("", "not-sampled")
    }


@SETTINGS
@given(
    beir_data(),
    st.lists(filter_specs, max_size=2),
    st.sampled_from(["top", "random"]),
    st.integers(1, 5),
    st.sampled_from(["keep-short", "drop", "backfill"]),
)
def test_no_kept_negative_is_a_positive_or_a_duplicate_of_one(data, filters, sampler, k, shortfall):
    corpus, queries, qrels = data
    key = {d: (title.strip(), text.strip()) for d, title, text in corpus}
    positives: dict[str, set[str]] = {}
    for q, d, rel in qrels:
        if rel > 0:
            positives.setdefault(q, set()).add(d)
    with tempfile.TemporaryDirectory() as tmp:
        run = _mine(
            corpus,
            queries,
            qrels,
            Path(tmp) / "run",
            filters=filters,
            sampler=sampler,
            num_negatives=k,
            shortfall=shortfall,
        )
        rows = run.negatives().to_pylist()
    per_query: dict[str, int] = {}
    for row in rows:
        q, d = row["query_id"], row["doc_id"]
        assert d in key and q in positives, "ids are the input's ids"
        assert d not in positives[q]
        assert key[d] not in {key[p] for p in positives[q]}, (q, d, "duplicates a positive")
        per_query[q] = per_query.get(q, 0) + row["kept"]
    assert all(n <= k for n in per_query.values())


@SETTINGS
@given(
    beir_data(),
    st.lists(filter_specs, max_size=2),
    st.sampled_from(["top", "random", "softmax:0.5", "simans:1,0"]),
    st.integers(0, 2**31),
)
def test_same_seed_gives_the_same_negatives(data, filters, sampler, seed):
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            _mine(
                *data,
                Path(tmp) / name,
                filters=filters,
                sampler=sampler,
                num_negatives=2,
                seed=seed,
            )
            for name in ("a", "b")
        ]
        assert runs[0].negatives().equals(runs[1].negatives())


@SETTINGS
@given(
    beir_data(),
    st.lists(filter_specs, max_size=2),
    filter_specs,
    st.sampled_from(["top", "random"]),
)
def test_adding_a_filter_never_adds_a_survivor(data, filters, extra, sampler):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        base = _survivors(_mine(*data, out, filters=filters, sampler=sampler, num_negatives=2))
        more = _survivors(
            _mine(*data, out, filters=[*filters, extra], sampler=sampler, num_negatives=2)
        )
        assert more <= base


def test_positive_of_a_query_with_the_same_text_is_never_a_negative(tmp_path):
    corpus = [
        ("d1", "", "green tea lowers blood pressure"),
        ("d2", "", "green tea lowers cholesterol"),
        ("d3", "", "coffee and green tea habits"),
    ]
    queries = [("q1", "does green tea help?"), ("q2", "does green tea help?")]
    qrels = [("q1", "d1", 1), ("q2", "d2", 1)]
    run = _mine(corpus, queries, qrels, tmp_path / "run", filters=[], num_negatives=2)
    kept = {(r["query_id"], r["doc_id"]) for r in run.negatives(kept_only=True).to_pylist()}
    assert ("q1", "d2") not in kept
    assert ("q2", "d1") not in kept
