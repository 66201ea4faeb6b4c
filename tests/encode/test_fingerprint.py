import os

import pytest

from trueneg.encode import SentenceTransformerEncoder, folder_fingerprint, hash_texts
from trueneg.hashing import EDGE_BYTES, SMALL_FILE_BYTES


def test_hash_texts_is_order_and_boundary_sensitive():
    assert hash_texts(["ab", "c"]) != hash_texts(["a", "bc"])
    assert hash_texts(["a", "b"]) != hash_texts(["b", "a"])
    assert hash_texts(["a", "b"]) == hash_texts(iter(["a", "b"]))
    assert hash_texts([]) != hash_texts([""])


def test_folder_fingerprint_tracks_names_sizes_and_contents(tmp_path):
    (tmp_path / "config.json").write_text('{"dim": 4}')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("x")
    base = folder_fingerprint(tmp_path)
    assert folder_fingerprint(tmp_path) == base
    (tmp_path / "config.json").write_text('{"dim": 8}')  # same size, new content
    changed = folder_fingerprint(tmp_path)
    assert changed != base
    (tmp_path / "sub" / "x.txt").rename(tmp_path / "sub" / "y.txt")
    assert folder_fingerprint(tmp_path) != changed


def test_big_files_are_hashed_by_size_and_edges(tmp_path):
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(bytes(SMALL_FILE_BYTES + 3 * EDGE_BYTES))
    base = folder_fingerprint(tmp_path)
    with weights.open("r+b") as f:  # the middle is not read: same fingerprint
        f.seek(SMALL_FILE_BYTES // 2 + EDGE_BYTES)
        f.write(b"\x01")
    assert folder_fingerprint(tmp_path) == base
    with weights.open("r+b") as f:  # the last MiB is read
        f.seek(-10, os.SEEK_END)
        f.write(b"\x01")
    assert folder_fingerprint(tmp_path) != base


def test_encoder_fingerprint_changes_with_prompts_and_never_loads(minilm_path):
    plain = SentenceTransformerEncoder(minilm_path)
    same = SentenceTransformerEncoder(minilm_path)
    query = SentenceTransformerEncoder(minilm_path, query_prompt="query: ")
    document = SentenceTransformerEncoder(minilm_path, document_prompt="passage: ")
    short = SentenceTransformerEncoder(minilm_path, max_seq_length=128)
    prints = [e.fingerprint for e in (plain, query, document, short)]
    assert len(set(prints)) == 4
    assert same.fingerprint == plain.fingerprint
    assert all(e._model is None for e in (plain, same, query, document, short))


@pytest.mark.parametrize("name", ["org/not-a-real-model-xyz"])
def test_hub_name_fingerprint_without_cache(name):
    encoder = SentenceTransformerEncoder(name)
    assert encoder.model_path == name
    assert len(encoder.fingerprint) == 32
