"""The real INT8 ONNX judges (ms-marco-MiniLM-L-12-v2 reranker, bge-small-en) on tiny inputs.

Short texts and few pairs: the reranker runs a few pairs/s at 512 tokens on a busy CPU.
"""

from __future__ import annotations

import numpy as np
import pytest

from trueneg.rescore import load_judge, rescore

pytestmark = pytest.mark.slow

BERLIN_Q = "How many people live in Berlin?"
BERLIN_POP = (
    "Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 "
    "square kilometers."
)
UNRELATED = "New York City is famous for the Metropolitan Museum of Art."

# (query, relevant, irrelevant but on a nearby topic)
TRIPLES = [
    (
        "What causes rain?",
        "Rain forms when water vapour condenses into droplets heavy enough to fall.",
        "Umbrellas were first used in ancient Egypt to shade nobles from the sun.",
    ),
    (
        "Who wrote Hamlet?",
        "Hamlet is a tragedy written by William Shakespeare around 1600.",
        "Denmark is a Nordic country whose capital is Copenhagen.",
    ),
    (
        "Does vitamin D reduce fracture risk?",
        "In a randomized trial, vitamin D supplements lowered the rate of hip fractures.",
        "Vitamin C is found in citrus fruits such as oranges and lemons.",
    ),
]


def test_reranker_berlin_sanity_check(reranker):
    assert reranker.kind == "onnx-cross-encoder"
    logits = reranker.logits([BERLIN_Q, BERLIN_Q], [BERLIN_POP, UNRELATED])[:, 0]
    assert logits[0] == pytest.approx(9.5, abs=0.5)  # data README: 9.5 and -11.2
    assert logits[1] == pytest.approx(-11.2, abs=0.5)
    prob = reranker.score([BERLIN_Q, BERLIN_Q], [BERLIN_POP, UNRELATED])
    assert prob.dtype == np.float32 and prob.shape == (2,)
    assert prob[0] > 0.99
    assert prob[1] < 0.01


def test_reranker_prefers_relevant_docs_in_one_cross_query_batch(reranker):
    queries = [q for q, _, _ in TRIPLES for _ in range(2)]
    docs = [d for _, rel, irr in TRIPLES for d in (rel, irr)]
    scores = reranker.score(queries, docs).reshape(-1, 2)
    assert np.all(scores[:, 0] > scores[:, 1])
    assert np.all((scores >= 0) & (scores <= 1))


def test_reranker_scores_do_not_depend_on_batch_mates_or_padding(judge_model_dir):
    # The INT8 graph picks one activation scale per input tensor; batched, these pairs' logits
    # moved by up to 0.44 with their neighbours. Scored one pair at a time they cannot move.
    alone = load_judge(str(judge_model_dir), batch_size=1, device="cpu")
    batched = load_judge(str(judge_model_dir), batch_size=8, device="cpu")
    assert alone.alone and batched.alone
    queries = [q for q, _, _ in TRIPLES for _ in range(2)] + [BERLIN_Q]
    docs = [d for _, rel, irr in TRIPLES for d in (rel, irr)] + [BERLIN_POP]
    reference = alone.logits(queries, docs)
    np.testing.assert_array_equal(batched.logits(queries, docs), reference)
    np.testing.assert_array_equal(batched.logits(queries[::-1], docs[::-1]), reference[::-1])
    np.testing.assert_array_equal(batched.score(queries, docs), alone.score(queries, docs))
    assert alone.fingerprint == batched.fingerprint  # batch size does not change scores


def test_per_pair_scoring_is_part_of_the_fingerprint(judge_model_dir, reranker):
    # Scores cached before pairs ran alone were batch-dependent: a new fingerprint, a fresh cache.
    from trueneg.rescore.cache import folder_digest, make_fingerprint

    batched = make_fingerprint(
        "onnx-cross-encoder",
        folder_digest(judge_model_dir),
        max_length=reranker.max_length,
        score="sigmoid",
    )
    assert reranker.fingerprint != batched


def test_fingerprint_changes_with_max_length(judge_model_dir, reranker):
    short = load_judge(str(judge_model_dir), max_length=128, device="cpu")
    assert short.fingerprint != reranker.fingerprint


def test_rescore_with_the_real_reranker_caches(reranker, tmp_path):
    qtext = {"berlin": BERLIN_Q}
    dtext = {"pop": BERLIN_POP, "nyc": UNRELATED}
    first = rescore(reranker, ["berlin", "berlin"], ["pop", "nyc"], qtext, dtext, tmp_path)
    again = rescore(reranker, ["berlin"], ["nyc"], qtext, dtext, tmp_path)
    assert first.scores[0] > 0.99 and first.scores[1] < 0.01
    assert again.pairs_cached == 1 and again.scores[0] == first.scores[1]


def test_bge_bi_encoder_prefers_relevant_docs(bge_model_dir):
    judge = load_judge(str(bge_model_dir), device="cpu")
    assert judge.kind == "onnx-bi-encoder"
    assert judge.query_prompt.startswith("Represent this sentence")
    queries = [q for q, _, _ in TRIPLES for _ in range(2)]
    docs = [d for _, rel, irr in TRIPLES for d in (rel, irr)]
    scores = judge.score(queries, docs).reshape(-1, 2)
    assert np.all(scores[:, 0] > scores[:, 1])
    assert np.all(np.abs(scores) <= 1.0 + 1e-5)


def test_bge_vectors_do_not_depend_on_the_texts_encoded_beside_them(bge_model_dir):
    judge = load_judge(str(bge_model_dir), device="cpu", batch_size=4)
    assert judge.alone  # the INT8 export quantizes its activations per input tensor
    texts = [d for _, rel, irr in TRIPLES for d in (rel, irr)] + [BERLIN_POP, UNRELATED]
    together = judge.encode(texts, is_query=False)
    one_by_one = np.concatenate([judge.encode([t], is_query=False) for t in texts])
    np.testing.assert_array_equal(together, one_by_one)


def test_bge_query_prompt_is_part_of_the_fingerprint(bge_model_dir):
    default = load_judge(str(bge_model_dir), device="cpu")
    bare = load_judge(str(bge_model_dir), device="cpu", query_prompt="")
    assert bare.query_prompt == ""
    assert bare.fingerprint != default.fingerprint
