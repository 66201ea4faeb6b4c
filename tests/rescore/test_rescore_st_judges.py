"""sentence-transformers judges, built from the bundled all-MiniLM-L6-v2 folder.

No cross-encoder weights are available offline, so the CrossEncoder test builds a real
``CrossEncoder`` from MiniLM with a randomly initialised one-label head: its scores mean
nothing, but the plumbing (detection, loading, sigmoid, shapes, fingerprint) is the real one.
"""

from __future__ import annotations

import numpy as np
import pytest

from trueneg.rescore import load_judge

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def random_head_cross_encoder(minilm_path, tmp_path_factory):
    from sentence_transformers import CrossEncoder

    folder = tmp_path_factory.mktemp("random-head-ce")
    CrossEncoder(str(minilm_path), num_labels=1, device="cpu").save(str(folder))
    return folder


def test_cross_encoder_folder_loads_and_scores_probabilities(random_head_cross_encoder):
    judge = load_judge(str(random_head_cross_encoder), device="cpu", batch_size=2)
    assert judge.kind == "cross-encoder"
    queries = ["what is rain?", "who wrote hamlet?", "what is rain?"]
    docs = ["water falling from clouds", "shakespeare", "a long " * 40 + "document"]
    scores = judge.score(queries, docs)
    assert scores.shape == (3,) and scores.dtype == np.float32
    assert np.all((scores >= 0) & (scores <= 1))
    np.testing.assert_allclose(judge.score(queries[:1], docs[:1]), scores[:1], atol=1e-5)


def test_sentence_transformers_bi_encoder_prefers_relevant_doc(minilm_path):
    judge = load_judge(str(minilm_path), device="cpu")
    assert judge.kind == "bi-encoder"
    scores = judge.score(
        ["what causes rain?", "what causes rain?"],
        ["Rain forms when water vapour condenses into droplets.", "Hamlet is a play."],
    )
    assert scores.dtype == np.float32
    assert scores[0] > scores[1]
    assert np.all(np.abs(scores) <= 1.0 + 1e-5)
