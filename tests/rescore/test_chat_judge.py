"""The chat judge against a real llama-server serving SmolLM2-135M-Instruct on 127.0.0.1.

A 135M model is a weak judge: on the default prompt it answers "No" to nearly everything, and
only its yes/no probabilities lean the right way, so relevance is checked on the mean over a
few very easy pairs. Each request is a ~100-token prompt and at most 3 answer tokens.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

from chat_server import KEY_ENV, ChatServer, chat_server, free_port
from trueneg.errors import ConfigError, ModelError
from trueneg.rescore import rescore
from trueneg.rescore.remote.chat import (
    DEFAULT_USER,
    MIN_PAIRS_FOR_GUARD,
    ChatJudge,
    logprob_score,
    parse_answer,
)

__all__ = ["chat_server"]  # the fixture, imported to be found

# (query, relevant, unrelated)
TRIPLES = [
    (
        "Who wrote Hamlet?",
        "Hamlet is a tragedy written by William Shakespeare around 1600.",
        "Bananas are a good source of potassium.",
    ),
    (
        "What is the capital of France?",
        "Paris is the capital and largest city of France.",
        "The stock market fell sharply on Monday.",
    ),
    (
        "How many legs does a spider have?",
        "Spiders have eight legs.",
        "The Eiffel Tower is in Paris.",
    ),
    (
        "What causes rain?",
        "Rain forms when water vapour condenses into droplets heavy enough to fall.",
        "Chess is a board game for two players.",
    ),
    ("What do cows eat?", "Cows eat grass and hay.", "Jupiter is the largest planet."),
    (
        "What is the boiling point of water?",
        "Water boils at 100 degrees Celsius at sea level.",
        "Guitars usually have six strings.",
    ),
]
POEM = "Write a short poem about {query} and {document}."


@pytest.fixture
def make_judge(chat_server: ChatServer, monkeypatch):
    monkeypatch.setenv(KEY_ENV, chat_server.key)

    def make(**options) -> ChatJudge:
        options = {"key_env": KEY_ENV, "concurrency": 2, "retries": 1, "backoff": 0.1} | options
        url, model = options.pop("url", chat_server.url), options.pop("model", chat_server.model)
        return ChatJudge(url, model, **options)

    return make


@pytest.mark.slow
def test_relevant_docs_score_higher_from_logprobs(make_judge):
    judge = make_judge()
    queries = [q for q, _, _ in TRIPLES] * 2
    docs = [rel for _, rel, _ in TRIPLES] + [irr for _, _, irr in TRIPLES]
    scores = judge.score(queries, docs)
    assert scores.dtype == np.float32 and scores.shape == (12,)
    assert np.all((scores >= 0) & (scores <= 1))
    relevant, unrelated = scores[:6], scores[6:]
    assert relevant.mean() > unrelated.mean()
    assert len(set(scores.round(4).tolist())) > 2  # probabilities, not 0/1 verdicts
    assert judge.by_logprobs == 12
    cost = judge.cost.as_dict()
    assert cost["requests"] == 12 and cost["pairs"] == 12 and cost["unparseable"] == 0
    assert cost["reported_tokens"] and cost["prompt_tokens"] > 12 * 50
    assert 12 <= cost["completion_tokens"] <= 36


@pytest.mark.slow
def test_text_scoring_parses_the_answer_word(make_judge, tmp_path):
    prompt = tmp_path / "prompt.txt"  # a plain text file: the whole user message
    prompt.write_text("Query: {query}\nDocument: {document}\nAnswer yes or no.")
    judge = make_judge(scoring="text", prompt_file=prompt)
    scores = judge.score([q for q, _, _ in TRIPLES[:3]], [d for _, d, _ in TRIPLES[:3]])
    assert set(scores.tolist()) <= {0.0, 1.0}
    assert judge.by_logprobs == 0 and judge.cost.unparseable == 0
    assert judge.cost.requests == 3


@pytest.mark.slow
def test_unparseable_answers_are_retried_counted_and_kept_out(make_judge, tmp_path, caplog):
    prompt = tmp_path / "poem.toml"
    prompt.write_text(f'system = "You are a poet."\nuser = "{POEM}"\n')
    judge = make_judge(prompt_file=prompt)
    with caplog.at_level(logging.WARNING, logger="trueneg.rescore.remote.chat"):
        scores = judge.score(["rain", "cows"], ["clouds", "grass"])
    assert scores.tolist() == [1.0, 1.0]  # unparseable: kept out of the negatives
    assert judge.cost.unparseable == 2 and judge.cost.requests == 4  # each asked twice
    assert judge.unparseable_answers and "kept out of the negatives" in caplog.text
    rest = MIN_PAIRS_FOR_GUARD - 2
    with pytest.raises(ModelError, match="does not follow the prompt"):
        judge.score(["spiders"] * rest, [f"web {i}" for i in range(rest)])


@pytest.mark.slow
def test_long_documents_are_cut_to_max_doc_chars(make_judge):
    query, doc = TRIPLES[0][0], " ".join([TRIPLES[0][1]] * 20)
    whole, cut = make_judge(max_doc_chars=None), make_judge(max_doc_chars=40)
    whole.score([query], [doc])
    cut.score([query], [doc])
    assert cut.cost.prompt_tokens < whole.cost.prompt_tokens - 200


@pytest.mark.slow
def test_rescore_caches_chat_verdicts(make_judge, tmp_path):
    judge = make_judge()
    args = (["q1", "q2"], ["d1", "d2"], {"q1": TRIPLES[0][0], "q2": TRIPLES[1][0]})
    texts = {"d1": TRIPLES[0][1], "d2": TRIPLES[1][2]}
    first = rescore(judge, *args, texts, tmp_path, batch_size=judge.preferred_batch_size)
    again = rescore(judge, *args, texts, tmp_path)
    assert first.pairs_scored == 2 and again.pairs_cached == 2
    assert judge.cost.requests == 2
    np.testing.assert_array_equal(first.scores, again.scores)


@pytest.mark.slow
def test_server_errors_become_model_errors_with_the_servers_message(make_judge, chat_server):
    pair = ([TRIPLES[0][0]], [TRIPLES[0][1]])
    with pytest.raises(ModelError, match=r"HTTP 400.*no-such-model.*not found"):
        make_judge(model="no-such-model").score(*pair)
    with pytest.raises(ModelError, match="HTTP 404"):
        make_judge(url=chat_server.url.removesuffix("/v1") + "/nowhere").score(*pair)
    with pytest.raises(ModelError, match="did not answer"):
        make_judge(url=f"http://127.0.0.1:{free_port()}/v1", retries=0).score(*pair)


@pytest.mark.slow
def test_api_key_is_sent_and_never_kept(make_judge, chat_server, monkeypatch):
    judge = make_judge()
    assert judge.score([TRIPLES[0][0]], [TRIPLES[0][1]]).shape == (1,)
    kept = f"{judge.fingerprint} {judge!r} {vars(judge)}"
    assert chat_server.key not in kept
    monkeypatch.setenv(KEY_ENV, "wrong-key")
    with pytest.raises(ModelError, match=r"HTTP 401.*[Ii]nvalid API [Kk]ey"):
        judge.score([TRIPLES[0][0]], [TRIPLES[0][1]])
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(ConfigError, match=KEY_ENV):
        make_judge()


# --- no server needed: construction and the scoring rules ----------------------------------


def test_prompt_file_changes_the_fingerprint(tmp_path):
    url = "http://127.0.0.1:9/v1"
    default = ChatJudge(url, "m")
    same = tmp_path / "same.txt"
    same.write_text(DEFAULT_USER)
    other = tmp_path / "other.toml"
    other.write_text('user = "Q: {query}\\nD: {document}\\nRelevant?"\ngrades = 3\n')
    prints = {default.fingerprint, ChatJudge(url, "m", prompt_file=same).fingerprint}
    prints.add(ChatJudge(url, "m", prompt_file=other).fingerprint)
    prints.add(ChatJudge(url, "other-model").fingerprint)
    prints.add(ChatJudge(url, "m", max_doc_chars=100).fingerprint)
    prints.add(ChatJudge(url, "m", scoring="text").fingerprint)
    assert len(prints) == 6  # the default has a system message, same.txt has none
    assert ChatJudge(url, "m").fingerprint == default.fingerprint
    assert ChatJudge(url, "m", concurrency=8).fingerprint == default.fingerprint


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Document: {document}", r"\{query\}"),
        ('user = "Q: {query}"', r"\{document\}"),
        ("user = [1", "not valid TOML"),
        ('system = "s"', "needs a user string"),
        ('user = "{query} {document}"\ngrades = 0', "grades"),
    ],
)
def test_bad_prompt_files_are_config_errors(tmp_path, text, match):
    path = tmp_path / ("p.txt" if text.startswith("Document") else "p.toml")
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        ChatJudge("http://127.0.0.1:9/v1", "m", prompt_file=path)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"scoring": "best"}, "scoring"),
        ({"concurrency": 0}, "concurrency"),
        ({"max_doc_chars": 0}, "max_doc_chars"),
        ({"max_unparseable": 2.0}, "max_unparseable"),
        ({"key_env": "TRUENEG_TEST_UNSET_KEY"}, "TRUENEG_TEST_UNSET_KEY"),
    ],
)
def test_bad_options_are_config_errors(options, match):
    with pytest.raises(ConfigError, match=match):
        ChatJudge("http://127.0.0.1:9/v1", "m", **options)


def test_answer_and_logprob_rules():
    yes_no, grades = {"yes": 1.0, "no": 0.0}, {str(g): g / 3 for g in range(4)}
    assert parse_answer(" Yes.", yes_no) == 1.0
    assert parse_answer("no, it is not", yes_no) == 0.0
    assert parse_answer("The answer is yes", yes_no) is None
    assert parse_answer("", yes_no) is None
    assert parse_answer("2", grades) == pytest.approx(2 / 3)
    top = [{"token": "No", "logprob": np.log(0.6)}, {"token": " yes", "logprob": np.log(0.1)}]
    top += [{"token": "Yes", "logprob": np.log(0.1)}, {"token": "The", "logprob": np.log(0.2)}]
    assert logprob_score(top, yes_no) == pytest.approx(0.2 / 0.8)
    assert logprob_score(top[3:], yes_no) is None
    digits = [{"token": "3", "logprob": np.log(0.5)}, {"token": "0", "logprob": np.log(0.5)}]
    assert logprob_score(digits, grades) == pytest.approx(0.5)
