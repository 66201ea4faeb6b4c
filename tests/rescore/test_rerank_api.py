"""The rerank-api judge against a real infinity server on 127.0.0.1 serving the ms-marco
cross-encoder (tests/servers.py starts it; ``make servers`` installs it).

The server serves the PyTorch copy of the INT8 ONNX judge, so its probabilities match that
copy run locally almost exactly and the ONNX judge's closely (INT8 activations differ).
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from servers import (
    RERANK_KEY,
    RERANK_MODEL_DIR,
    FlakyProxy,
    RerankServer,
    free_port,
    rerank_server,
)
from trueneg.errors import ConfigError, ModelError
from trueneg.rescore import load_judge, rescore
from trueneg.rescore.remote.rerank_api import (
    RerankApiJudge,
    public_url,
    query_groups,
    read_answer,
    rerank_endpoint,
)

__all__ = ["rerank_server"]  # the fixture, imported for the tests below

KEY_ENV = "TRUENEG_TEST_RERANK_KEY"
BERLIN = "How many people live in Berlin?"
FRANCE = "what is the capital of france"
FLU = "symptoms of flu"
POPULATION = (
    "Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 square "
    "kilometers."
)
# (query, doc, relevant?) — the relevant ones answer the query
PAIRS = [
    (BERLIN, POPULATION, True),
    (BERLIN, "Berlin is the capital of Germany and the seat of the Bundestag.", False),
    (BERLIN, "New York City is famous for the Metropolitan Museum of Art.", False),
    (FRANCE, "Paris is the capital and largest city of France.", True),
    (FRANCE, "France borders Spain, Italy, Switzerland and Germany.", False),
    (FRANCE, "The mitochondria is the powerhouse of the cell.", False),
    (FLU, "Fever, cough, sore throat and muscle aches are common flu symptoms.", True),
    (FLU, "The flu vaccine is updated every year to match circulating strains.", False),
    (FLU, POPULATION, False),
]
QUERIES = [q for q, _, _ in PAIRS]
DOCS = [d for _, d, _ in PAIRS]
RELEVANT = np.array([r for _, _, r in PAIRS])

slow = pytest.mark.slow


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, RERANK_KEY)


def judge(server: RerankServer, **options) -> RerankApiJudge:
    settings = {"key_env": KEY_ENV, "retries": 1, "backoff": 0.01, **options}
    return RerankApiJudge(settings.pop("url", server.url), server.model, **settings)


def per_query_order(scores: np.ndarray) -> list[list[int]]:
    return [list(np.argsort(-scores[i : i + 3])) for i in range(0, len(scores), 3)]


@slow
def test_scores_agree_with_the_local_judges(rerank_server: RerankServer, reranker) -> None:
    scores = judge(rerank_server).score(QUERIES, DOCS)
    assert scores.dtype == np.float32 and scores.shape == (len(PAIRS),)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert scores[RELEVANT].min() > 0.5 > scores[~RELEVANT].max()
    local_torch = load_judge(str(RERANK_MODEL_DIR), device="cpu").score(QUERIES, DOCS)
    np.testing.assert_allclose(scores, local_torch, atol=1e-4)
    local_onnx = reranker.score(QUERIES, DOCS)  # the INT8 ONNX judge
    assert per_query_order(scores) == per_query_order(local_onnx)
    np.testing.assert_allclose(scores, local_onnx, atol=0.05)


@slow
def test_concurrent_small_requests_give_the_same_scores(rerank_server: RerankServer) -> None:
    one_by_one = judge(rerank_server, concurrency=1, docs_per_request=32)
    concurrent = judge(rerank_server, concurrency=4, docs_per_request=2)
    np.testing.assert_allclose(
        concurrent.score(QUERIES, DOCS), one_by_one.score(QUERIES, DOCS), atol=1e-5
    )
    assert one_by_one.cost.requests == 3  # one per query
    assert concurrent.cost.requests == 6  # 3 queries x ceil(3 docs / 2)
    assert concurrent.preferred_batch_size == 8


@slow
def test_cost_counts_requests_pairs_and_tokens(rerank_server: RerankServer) -> None:
    j = judge(rerank_server)
    j.score(QUERIES, DOCS)
    j.score(QUERIES[:3], DOCS[:3])
    cost = j.cost.as_dict()
    assert cost["requests"] == 4 and cost["pairs"] == len(PAIRS) + 3
    assert cost["reported_tokens"] and cost["prompt_tokens"] > 0 and cost["seconds"] > 0


@slow
def test_pairs_keep_their_order_across_queries(rerank_server: RerankServer) -> None:
    j = judge(rerank_server, docs_per_request=2)
    order = np.random.default_rng(0).permutation(len(PAIRS))
    shuffled = j.score([QUERIES[i] for i in order], [DOCS[i] for i in order])
    np.testing.assert_allclose(shuffled, j.score(QUERIES, DOCS)[order], atol=1e-5)
    assert j.score([], []).shape == (0,)


@slow
def test_an_unknown_model_is_the_servers_error(rerank_server: RerankServer) -> None:
    j = RerankApiJudge(rerank_server.url, "no-such-model", key_env=KEY_ENV, retries=0)
    with pytest.raises(ModelError, match="HTTP 400") as info:
        j.score([BERLIN], [POPULATION])
    assert "no-such-model" in str(info.value) and rerank_server.models[1] in str(info.value)


@slow
def test_a_wrong_path_is_the_servers_error(rerank_server: RerankServer) -> None:
    with pytest.raises(ModelError, match=r"HTTP 404.*Not Found"):
        judge(rerank_server, url=f"{rerank_server.url}/v9").score([BERLIN], [POPULATION])


def test_a_server_that_is_down_fails_after_its_retries() -> None:
    j = RerankApiJudge(f"http://127.0.0.1:{free_port()}", "m", retries=2, backoff=0.01)
    start = time.perf_counter()
    with pytest.raises(ModelError, match="did not answer"):
        j.score([BERLIN], [POPULATION])
    assert time.perf_counter() - start < 10
    assert j.cost.requests == 0


@slow
def test_the_key_is_sent_as_a_bearer_and_never_kept(
    rerank_server: RerankServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ModelError, match=r"HTTP 401.*Unauthorized"):
        judge(rerank_server, key_env=None).score([BERLIN], [POPULATION])
    keyed = judge(rerank_server)
    assert keyed.score([BERLIN], [POPULATION])[0] > 0.5
    assert rerank_server.api_key not in keyed.fingerprint + repr(vars(keyed))
    monkeypatch.setenv(KEY_ENV, "another-key")
    assert judge(rerank_server).fingerprint == keyed.fingerprint
    with pytest.raises(ModelError, match="401") as info:
        judge(rerank_server).score([BERLIN], [POPULATION])
    assert "another-key" not in str(info.value)
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ConfigError, match=KEY_ENV):
        judge(rerank_server).score([BERLIN], [POPULATION])


@slow
def test_rescore_caches_the_judges_scores(rerank_server: RerankServer, tmp_path) -> None:
    j = judge(rerank_server)
    qids = [f"q{QUERIES.index(q)}" for q in QUERIES]
    dids = [f"d{DOCS.index(d)}" for d in DOCS]
    qtext, dtext = dict(zip(qids, QUERIES, strict=True)), dict(zip(dids, DOCS, strict=True))
    first = rescore(j, qids, dids, qtext, dtext, tmp_path)
    requests = j.cost.requests
    second = rescore(j, qids, dids, qtext, dtext, tmp_path)
    assert first.pairs_scored == len(PAIRS) and second.pairs_scored == 0
    assert j.cost.requests == requests
    np.testing.assert_array_equal(first.scores, second.scores)


@slow
@pytest.mark.parametrize("failures", [[503, 503], [429, 502]])
def test_retries_until_the_server_answers(rerank_server: RerankServer, failures) -> None:
    expected = judge(rerank_server).score([BERLIN], [POPULATION])
    with FlakyProxy(rerank_server.url, failures) as proxy:
        j = judge(rerank_server, url=proxy.url, retries=3)
        np.testing.assert_allclose(j.score([BERLIN], [POPULATION]), expected, atol=1e-5)
    assert proxy.answered == [*failures, 200]
    assert j.cost.requests == 1  # urllib3's retries are inside one request


@slow
def test_retries_run_out(rerank_server: RerankServer) -> None:
    with (
        FlakyProxy(rerank_server.url, [503] * 5) as proxy,
        pytest.raises(ModelError, match=r"HTTP 503.*on purpose"),
    ):
        judge(rerank_server, url=proxy.url, retries=2).score([BERLIN], [POPULATION])
    assert proxy.answered == [503, 503, 503]


@slow
def test_logits_need_scores_logits(rerank_server: RerankServer) -> None:
    expected = judge(rerank_server).score(QUERIES, DOCS)
    with FlakyProxy(rerank_server.url, body_update={"raw_scores": True}) as proxy:
        with pytest.raises(ModelError, match=r"outside \[0, 1\].*scores='logits'"):
            judge(rerank_server, url=proxy.url).score(QUERIES, DOCS)
        logits = judge(rerank_server, url=proxy.url, scores="logits")
        np.testing.assert_allclose(logits.score(QUERIES, DOCS), expected, atol=1e-5)
    assert logits.fingerprint != judge(rerank_server).fingerprint


@slow
def test_an_answer_from_another_model_is_refused(rerank_server: RerankServer) -> None:
    other = {"model": rerank_server.models[1]}
    with (
        FlakyProxy(rerank_server.url, body_update=other) as proxy,
        pytest.raises(ModelError, match="another model") as info,
    ):
        judge(rerank_server, url=proxy.url).score([BERLIN], [POPULATION])
    assert rerank_server.models[1] in str(info.value)


@slow
def test_load_judge_builds_it_from_a_spec(rerank_server: RerankServer) -> None:
    spec = f"rerank-api:{rerank_server.url}?model={rerank_server.model}&key_env={KEY_ENV}"
    j = load_judge(f"{spec}&docs_per_request=2&concurrency=2")
    assert isinstance(j, RerankApiJudge) and j.preferred_batch_size == 4
    np.testing.assert_allclose(
        j.score(QUERIES, DOCS), judge(rerank_server).score(QUERIES, DOCS), atol=1e-5
    )


# The answer parser and URL helpers, on literal values (no server).


def test_both_answer_shapes_are_read() -> None:
    cohere = {"results": [{"index": 1, "relevance_score": 0.2}, {"index": 0, "relevance_score": 1}]}
    values, tokens, model = read_answer({**cohere, "usage": {"total_tokens": 7}, "model": "m"}, 2)
    assert values.tolist() == pytest.approx([1.0, 0.2]) and tokens == 7 and model == "m"
    values, tokens, model = read_answer([{"index": 1, "score": 0.5}, {"index": 0, "score": 0}], 2)
    assert values.tolist() == [0.0, 0.5] and tokens is None and model is None


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"data": []}, "no list of results"),
        ([{"index": 0, "score": 0.1}], r"received: 1 results with indices \[0\]"),
        ([{"index": 0, "score": 0.1}, {"index": 0, "score": 0.2}], "exactly once"),
        ([{"index": 0, "score": 0.1}, {"index": 2, "score": 0.2}], "index 0..1"),
        ([{"index": 0, "score": "high"}, {"index": 1, "score": 0.2}], "no numeric score"),
        ([{"index": 0, "score": float("nan")}, {"index": 1, "score": 0.2}], "non-finite"),
    ],
)
def test_malformed_answers_are_model_errors(answer, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        read_answer(answer, 2)


def test_urls_and_groups() -> None:
    assert rerank_endpoint("http://h:1") == "http://h:1/rerank"
    assert rerank_endpoint("https://api.example.com/v1/rerank") == (
        "https://api.example.com/v1/rerank"
    )
    assert public_url("http://user:secret@h:1/v1/rerank?key=k") == "http://h:1/v1/rerank"
    j = RerankApiJudge("http://user:secret@h:1", "m")
    assert "secret" not in j.fingerprint
    assert j.fingerprint != RerankApiJudge("http://h:2", "m").fingerprint
    assert query_groups(["a", "b", "a", "a"], 2) == [("a", [0, 2]), ("a", [3]), ("b", [1])]
    with pytest.raises(ConfigError, match="scores"):
        RerankApiJudge("http://h:1", "m", scores="auto")
