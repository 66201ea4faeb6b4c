"""Remote judges named by a spec inside ``trueneg mine``: real servers on 127.0.0.1, the tiny
hand-made set, the key from the environment and never in the run's files."""

from __future__ import annotations

import json

import pytest

import trueneg
from chat_server import chat_server
from fixtures import write_tiny_beir
from servers import RERANK_KEY, rerank_server

__all__ = ["chat_server", "rerank_server"]  # the fixtures, imported to be found
pytestmark = pytest.mark.slow

RERANK_ENV = "TRUENEG_TEST_MINE_RERANK_KEY"
CHAT_ENV = "TRUENEG_TEST_MINE_CHAT_KEY"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_beir(tmp_path_factory.mktemp("tiny") / "beir")


def _run_files(run) -> str:
    return "\n".join(p.read_text(errors="replace") for p in run.path.rglob("*.json") if p.is_file())


def test_mine_with_a_rerank_api_judge(tiny, rerank_server, judge_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv(RERANK_ENV, RERANK_KEY)
    spec = f"rerank-api:{rerank_server.url}?model={rerank_server.model}&key_env={RERANK_ENV}"
    remote = trueneg.mine(
        tiny,
        tmp_path / "remote",
        filters=["judge-threshold:0.1"],
        judge=spec,
        judge_depth=5,
        num_negatives=3,
    )
    local = trueneg.mine(
        tiny,
        tmp_path / "local",
        filters=["judge-threshold:0.1"],
        judge=str(judge_model_dir),
        judge_depth=5,
        num_negatives=3,
    )
    # the server runs a dequantized copy of the same INT8 judge: the same negatives are dropped
    drop = lambda run: {  # noqa: E731
        (r["query_id"], r["doc_id"]) for r in run.negatives().to_pylist() if r["reason"]
    }
    assert drop(remote) == drop(local)
    rescore = remote.summary().rescore
    assert rescore["judge_kind"] == "rerank-api"
    assert rescore["cost"]["requests"] >= 4  # one query per request at least
    assert RERANK_KEY not in _run_files(remote)


def test_mine_with_a_chat_judge_in_a_cascade(
    tiny, chat_server, judge_model_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv(CHAT_ENV, chat_server.key)
    chat = f"chat:{chat_server.url}?model={chat_server.model}&key_env={CHAT_ENV}&max_doc_chars=600"
    run = trueneg.mine(
        tiny,
        tmp_path / "cascade",
        judge=f"{judge_model_dir} > {chat}",
        judge_cascade="top:0.25",
        judge_depth=5,
        num_negatives=3,
        filters=["judge-threshold:0.5"],
    )
    rescore = run.summary().rescore
    first, last = rescore["cascade"]["stages"]
    assert (first["pairs_seen"], last["pairs_seen"]) == (24, 6)
    assert last["cost"]["requests"] >= 6 and last["cost"]["unparseable"] == 0
    scores = [r["judge"] for r in run.negatives().to_pylist() if r["rank"] <= 5]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert chat_server.key not in _run_files(run)
    manifest = json.loads((run.path / "manifest.json").read_text())
    assert manifest["config"]["judge"].endswith(f"key_env={CHAT_ENV}&max_doc_chars=600")


def test_a_wrong_model_name_fails_before_any_work(tiny, chat_server, tmp_path, monkeypatch):
    # the real server refuses an unknown model (router mode): the first pair, sent before the
    # load and encode stages, stops the mine with the server's answer
    monkeypatch.setenv(CHAT_ENV, chat_server.key)
    spec = f"chat:{chat_server.url}?model=no-such-model&key_env={CHAT_ENV}&retries=0"
    with pytest.raises(trueneg.ModelError, match="failed its first pair") as caught:
        trueneg.mine(tiny, tmp_path / "wrong", judge=spec, judge_depth=5, num_negatives=3)
    assert "nothing was computed or written yet" in str(caught.value)
    assert "HTTP 4" in str(caught.value)
    assert not list((tmp_path / "wrong").rglob("*.parquet"))  # no stage ran


def test_a_wrong_key_fails_before_any_work_and_is_not_shown(
    tiny, rerank_server, tmp_path, monkeypatch
):
    monkeypatch.setenv(RERANK_ENV, "not-the-key")
    spec = f"rerank-api:{rerank_server.url}?model={rerank_server.model}&key_env={RERANK_ENV}"
    with pytest.raises(trueneg.ModelError, match="failed its first pair") as caught:
        trueneg.mine(tiny, tmp_path / "key", judge=spec + "&retries=0", num_negatives=3)
    assert "not-the-key" not in str(caught.value)
    assert not list((tmp_path / "key").rglob("*.parquet"))


def test_a_server_not_up_yet_is_a_warning_and_the_cache_skips_the_check(
    tiny, rerank_server, tmp_path, monkeypatch, caplog
):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = f"rerank-api:http://127.0.0.1:{port}?model=x&retries=0"
    warned = caplog.at_level("WARNING", logger="trueneg.pipeline.judge_check")
    with warned, pytest.raises(trueneg.ModelError, match="did not answer"):
        trueneg.mine(tiny, tmp_path / "down", judge=down, judge_depth=5, num_negatives=3)
    # warned first, then the mine ran until the rescore stage needed the judge
    assert "does not answer yet" in caplog.text
    assert (tmp_path / "down" / "candidates.parquet").is_file()
    # with verdicts in the judge cache, the check sends nothing (the run may need no request)
    monkeypatch.setenv(RERANK_ENV, RERANK_KEY)
    spec = f"rerank-api:{rerank_server.url}?model={rerank_server.model}&key_env={RERANK_ENV}"
    first = trueneg.mine(tiny, tmp_path / "up", judge=spec, judge_depth=5, num_negatives=3)
    caplog.clear()
    with caplog.at_level("DEBUG", logger="trueneg.pipeline.judge_check"):
        trueneg.mine(tiny, first.path, judge=spec, judge_depth=4, num_negatives=3)
    assert "judge check skipped" in caplog.text


def test_an_audit_checks_its_remote_judge_before_mining_the_hidden_split(
    tiny, chat_server, tmp_path, monkeypatch
):
    run = trueneg.mine(tiny, tmp_path / "plain", num_negatives=3)
    monkeypatch.setenv(CHAT_ENV, chat_server.key)
    spec = f"chat:{chat_server.url}?model=no-such-model&key_env={CHAT_ENV}&retries=0"
    with pytest.raises(trueneg.ModelError, match="failed its first pair"):
        trueneg.audit(run, judge=spec, judge_sample=20)
