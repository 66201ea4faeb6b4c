"""Hub datasets through ``datasets``: the layouts (mteb, BeIR + BeIR-qrels, pairs), streaming,
the load fingerprint, the offline cache fallback and the offline-and-not-cached error.

The repositories are local copies laid out as the Hub's (``hub_repos.py``); ``datasets``
resolves them like a repo id. Nothing here touches the network (``HF_HUB_OFFLINE=1``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("datasets")

import datasets

from data.hub_repos import (
    BEIR_DOC,
    BEIR_QUERY,
    PAIRS,
    TEST_QRELS,
    write_beir_repos,
    write_mteb_repo,
    write_pairs_repo,
)
from fixtures import TINY_QRELS, write_tiny_beir
from trueneg.data import (
    HubOptions,
    input_fingerprint,
    is_hub_name,
    load_beir,
    load_dataset,
    load_hub,
    resolve_hub,
    resolve_input,
)
from trueneg.errors import ConfigError, DataError


@pytest.fixture(autouse=True)
def datasets_cache(tmp_path, monkeypatch) -> Path:
    """A fresh datasets cache per test, never the user's."""
    cache = tmp_path / "hf-datasets"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(cache))
    return cache


def triples(dataset):
    """Queries, corpus and qrels as comparable Python values."""
    q = dataset.queries.to_pylist()
    c = dataset.corpus.to_pylist()
    r = sorted(tuple(row.values()) for row in dataset.qrels.to_pylist())
    return q, c, r


def reference(tmp_path, split="train"):
    """The tiny set as the BEIR-folder loader reads it."""
    return load_beir(
        write_tiny_beir(tmp_path / "beir"), split="train" if split == "train" else split
    )


def test_hub_names_are_told_from_paths(tmp_path):
    assert is_hub_name("BeIR/scifact")
    assert is_hub_name("sentence-transformers/natural-questions")
    assert not is_hub_name("data/pairs.jsonl")  # a missing file stays a missing file
    assert not is_hub_name("./scifact") and not is_hub_name("/data/scifact")
    assert not is_hub_name("a/b/c")
    (tmp_path / "owner").mkdir()
    (tmp_path / "owner" / "name").mkdir()
    assert not is_hub_name(str(tmp_path / "owner" / "name"))


@pytest.mark.parametrize("streaming", [False, True])
def test_mteb_layout_loads_the_qrels_split(tmp_path, streaming):
    repo = write_mteb_repo(tmp_path)
    source = resolve_hub(str(repo), split="test", options=HubOptions(streaming=streaming))
    assert source.layout == "beir"
    assert [(p.role, p.config, p.split) for p in source.parts] == [
        ("corpus", "corpus", "corpus"),
        ("queries", "queries", "queries"),
        ("qrels", "default", "test"),
    ]
    dataset = load_hub(source)
    assert dataset.report.kind == "hub-beir"
    assert sorted(dataset.queries["query_id"].to_pylist()) == ["q2", "q3"]
    assert sorted(tuple(r.values()) for r in dataset.qrels.to_pylist()) == sorted(TEST_QRELS)


def test_mteb_layout_equals_the_beir_folder(tmp_path):
    repo = write_mteb_repo(tmp_path)
    dataset = load_dataset(f"hub:{repo}", split="train")
    assert triples(dataset) == triples(reference(tmp_path))
    assert dataset.doc_aliases == {"d7": "d1"}  # the exact duplicate collapses as in a folder


def test_beir_layout_reads_qrels_from_the_sibling_repository(tmp_path):
    repo = write_beir_repos(tmp_path)
    source = resolve_hub(str(repo), split="train")
    assert [(p.role, p.repo.rsplit("/", 1)[-1], p.split) for p in source.parts] == [
        ("corpus", "scifact", "corpus"),
        ("queries", "scifact", "queries"),
        ("qrels", "scifact-qrels", "train"),
    ]
    dataset = load_hub(source)
    expected = sorted((BEIR_QUERY[q], BEIR_DOC[d], s) for q, d, s in TINY_QRELS)
    assert sorted(tuple(r.values()) for r in dataset.qrels.to_pylist()) == expected
    assert dataset.num_docs == 9  # d7 repeats d1
    assert dataset.queries["query_id"].to_pylist() == ["1", "2", "3", "4"]
    assert "BEIR-style" in source.describe() and "scifact-qrels" in source.describe()


def test_beir_layout_streams_the_same_rows(tmp_path):
    repo = write_beir_repos(tmp_path)
    cached = load_hub(resolve_hub(str(repo), split="test"))
    streamed = load_hub(resolve_hub(str(repo), split="test", options=HubOptions(streaming=True)))
    assert triples(streamed) == triples(cached)


def test_pairs_layout_reads_the_config_and_its_columns(tmp_path):
    repo = write_pairs_repo(tmp_path)
    source = resolve_hub(str(repo))
    assert source.layout == "pairs"
    assert (source.parts[0].config, source.parts[0].split) == ("pair", "train")
    dataset = load_hub(source)
    assert dataset.report.kind == "hub-pairs"
    assert dataset.query_texts() == [q for q, _ in PAIRS]
    assert sorted(dataset.doc_texts()) == sorted(a for _, a in PAIRS)
    again = load_dataset(f"hub:{repo}", hub=HubOptions(config="pair", streaming=True))
    assert triples(again) == triples(dataset)


def test_pairs_column_options_apply(tmp_path):
    repo = write_pairs_repo(tmp_path)
    swapped = load_dataset(f"hub:{repo}", query_column="answer", positive_column="query")
    assert sorted(swapped.query_texts()) == sorted(a for _, a in PAIRS)
    with pytest.raises(DataError, match="Column 'question'"):
        load_dataset(f"hub:{repo}", query_column="question")


def test_missing_split_and_config_list_what_there_is(tmp_path):
    with pytest.raises(DataError, match="no split 'dev'") as excinfo:
        resolve_hub(str(write_mteb_repo(tmp_path)), split="dev")
    assert "train, test" in excinfo.value.message
    with pytest.raises(DataError, match="config 'triplet'") as excinfo:
        resolve_hub(str(write_pairs_repo(tmp_path)), options=HubOptions(config="triplet"))
    assert "pair" in excinfo.value.message


def test_beir_hub_dataset_refuses_pair_options(tmp_path):
    with pytest.raises(ConfigError, match="BEIR-style Hub dataset"):
        load_dataset(f"hub:{write_mteb_repo(tmp_path)}", query_column="text")


def test_hub_options_for_a_local_path_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="Hub options apply to Hub datasets only"):
        resolve_input(write_tiny_beir(tmp_path / "beir"), hub=HubOptions(config="corpus"))


def test_fingerprint_is_stable_and_follows_the_files(tmp_path):
    repo = write_beir_repos(tmp_path)
    first = input_fingerprint(resolve_input(f"hub:{repo}", split="train"))
    assert input_fingerprint(resolve_input(f"hub:{repo}", split="train")) == first
    assert input_fingerprint(resolve_input(f"hub:{repo}", split="test")) != first
    qrels = repo.parent / "scifact-qrels" / "train.tsv"
    qrels.write_text(qrels.read_text() + "4\t4990\t1\n")
    assert input_fingerprint(resolve_input(f"hub:{repo}", split="train")) != first


def test_offline_and_not_cached_says_so_and_how_to_fix(monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(DataError) as excinfo:
        load_dataset("nobody-here/no-such-dataset", split="test")
    message = excinfo.value.message
    assert "'nobody-here/no-such-dataset'" in message
    assert "offline mode is on" in message
    assert "holds no copy of it" in message and str(datasets.config.HF_DATASETS_CACHE) in message
    assert "On a machine with network" in message and "local folder" in message


def test_offline_reads_a_cached_hub_dataset(tmp_path, datasets_cache, monkeypatch):
    """A copy cached by a connected machine (here: the cache a load of the local copy wrote,
    under the Hub name's folder, as datasets keeps a Hub download) loads by name offline."""
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    mirror = write_mteb_repo(tmp_path / "mirror")
    online = load_hub(resolve_hub(str(mirror), split="test"))
    shutil.copytree(datasets_cache / "scifact", datasets_cache / "mteb___scifact")
    source = resolve_hub("mteb/scifact", split="test")
    assert source.layout == "beir"
    assert triples(load_hub(source)) == triples(online)


def test_a_copied_hub_repository_folder_points_to_hub_prefix(tmp_path):
    repo = write_mteb_repo(tmp_path)  # corpus.jsonl beside qrels/*.jsonl: not a BEIR folder
    with pytest.raises(DataError, match=f"reads as hub:{repo}"):
        load_dataset(repo, split="test")
    assert load_dataset(f"hub:{repo}", split="test").num_queries == 2
