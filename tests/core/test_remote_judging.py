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
