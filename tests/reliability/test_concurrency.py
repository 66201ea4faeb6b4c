"""Two `trueneg mine` processes into one --out: one mines, the other fails at once naming it,
and whatever the timing the run on disk is one run, never a mix of two."""

from __future__ import annotations

import json
import subprocess
import time

import pyarrow.parquet as pq
import pytest

from fixtures import write_beir
from reliability.conftest import CLI, cli, env, one_line_error
from trueneg.run import LOCK

pytestmark = pytest.mark.slow


def other_beir(folder):
    """A second tiny dataset: same ids as the first, other texts."""
    corpus = [(f"d{i}", f"Topic {i}", f"Astronomy fact {i} about stars.") for i in range(1, 11)]
    queries = [(f"q{i}", f"What is astronomy fact {i}?") for i in range(1, 5)]
    qrels = [(f"q{i}", f"d{i}", 1) for i in range(1, 5)]
    return write_beir(folder, corpus, queries, qrels)


def start_mine(data, out, *extra):
    return subprocess.Popen(
        [*CLI, "mine", str(data), "--out", str(out), "-k", "2", "-q", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )


def test_two_writers_never_mix_two_datasets(tiny, tmp_path):
    out = tmp_path / "run"
    second = other_beir(tmp_path / "other")
    first_proc = start_mine(tiny, out)
    time.sleep(0.5)
    second_proc = start_mine(second, out)
    results = [(p, *p.communicate(timeout=600)) for p in (first_proc, second_proc)]
    codes = sorted(p.returncode for p, _, _ in results)
    assert codes in ([0, 0], [0, 1]), [(p.returncode, err) for p, _, err in results]
    for proc, _, err in results:
        if proc.returncode == 1:
            assert "Another trueneg process is mining into" in err and "pid " in err
    manifest = json.loads((out / "manifest.json").read_text())
    data = manifest["inputs"]["data"]
    rows = pq.read_table(out / "data/corpus.parquet").to_pylist()
    corpus = {r["doc_id"]: r["text"] for r in rows}
    kept = pq.read_table(out / "negatives.parquet").to_pylist()
    astronomy = data.endswith("other")
    assert all(("Astronomy" in corpus[r["doc_id"]]) == astronomy for r in kept)
    export = cli("export", out, "--format", "triplet", "--to", tmp_path / "t.jsonl")
    assert export.returncode == 0, export.stderr


def test_a_second_writer_fails_at_once_while_the_first_holds_the_lock(tiny, tmp_path):
    out = tmp_path / "run"
    assert cli("mine", tiny, "--out", out, "-k", "2", "-q").returncode == 0
    holder = subprocess.Popen(
        [
            *CLI[:2],
            "import sys, time\nfrom trueneg.run import RunDir\n"
            "with RunDir(sys.argv[1], create=True).writing():\n"
            "    print('locked', flush=True); time.sleep(600)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        message = one_line_error(cli("mine", tiny, "--out", out, "-k", "3", "-q"))
        assert f"pid {holder.pid}" in message and "another --out" in message
        for args in (
            ["export", out, "--format", "triplet", "--to", tmp_path / "t.jsonl"],
            ["audit", out, "--hide-fraction", "0", "--no-report", "-q"],
        ):
            assert "Another trueneg process is mining into" in one_line_error(cli(*args))
    finally:
        holder.kill()
        holder.wait()
    assert (out / LOCK).exists()  # the lock file stays; the lock itself died with its holder
    assert cli("mine", tiny, "--out", out, "-k", "3", "-q").returncode == 0
