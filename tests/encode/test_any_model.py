"""Any model: named prompts (--prompt-name), --max-seq-length in the fingerprint and applied,
--trust-remote-code passed to every load, and the per-user cache folder.

The real bundled all-MiniLM-L6-v2 saves no prompts; a copy of its folder with a prompt added
to config_sentence_transformers.json stands for a model that has some."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from trueneg.encode import SentenceTransformerEncoder, make_encoder, model_prompts
from trueneg.encode.user_cache import user_cache_dir
from trueneg.errors import ConfigError, ModelError
from trueneg.pipeline import build_encoder
from trueneg.settings import MineConfig

PROMPTS = {"query": "query: ", "retrieval_query": "Represent this question for retrieval: "}
TEXT = "Vitamin D deficiency is linked to weaker bones and more fractures in older adults. " * 4


@pytest.fixture(scope="module")
def prompted_model(minilm_path, tmp_path_factory) -> str:
    """MiniLM's folder (files linked, not copied) with two saved prompts."""
    folder = tmp_path_factory.mktemp("prompted") / "model"
    shutil.copytree(minilm_path, folder, copy_function=os.symlink)
    config = folder / "config_sentence_transformers.json"
    saved = json.loads(config.read_text())
    config.unlink()
    config.write_text(json.dumps({**saved, "prompts": PROMPTS, "default_prompt_name": None}))
    return str(folder)


def test_an_unknown_prompt_name_lists_the_models_prompts(minilm_path, prompted_model):
    assert model_prompts(minilm_path) == {}
    with pytest.raises(ModelError, match="no prompt named 'query'") as excinfo:
        make_encoder("sentence-transformers", model=minilm_path, prompt_name="query")
    assert "none saved" in excinfo.value.message
    with pytest.raises(ModelError, match="no prompt named 'passage'") as excinfo:
        make_encoder("sentence-transformers", model=prompted_model, document_prompt_name="passage")
    assert "retrieval_query ('Represent this question" in excinfo.value.message
    assert "--document-prompt-name" in excinfo.value.message


def test_a_prompt_name_stands_for_its_text(prompted_model):
    named = make_encoder(
        "sentence-transformers", model=prompted_model, device="cpu", prompt_name="retrieval_query"
    )
    given = make_encoder(
        "sentence-transformers",
        model=prompted_model,
        device="cpu",
        query_prompt=PROMPTS["retrieval_query"],
    )
    assert named.query_prompt == PROMPTS["retrieval_query"]
    assert named.fingerprint == given.fingerprint  # the same cache entries
    plain = make_encoder("sentence-transformers", model=prompted_model, device="cpu")
    assert plain.fingerprint != named.fingerprint
    vectors = named.encode(["Does vitamin D prevent fractures?"], "query")
    manual = plain.model.encode(
        [PROMPTS["retrieval_query"] + "Does vitamin D prevent fractures?"],
        normalize_embeddings=True,
    )
    np.testing.assert_allclose(vectors, manual, atol=1e-5)


@pytest.mark.parametrize("name", ["fast", "onnx"])
def test_prompt_names_reach_every_backend(prompted_model, tmp_path, name):
    encoder = make_encoder(
        name, model=prompted_model, device="cpu", prompt_name="query", cache_dir=tmp_path
    )
    assert encoder.query_prompt == "query: "


def test_a_prompt_and_its_name_together_are_refused(minilm_path, tmp_path):
    with pytest.raises(ConfigError, match="Both a prompt and --prompt-name"):
        make_encoder(model=minilm_path, query_prompt="q: ", prompt_name="query")
    config = MineConfig(data="x", out=str(tmp_path), document_prompt="d: ")
    with pytest.raises(ConfigError, match="--document-prompt-name"):
        config.replace(document_prompt_name="passage").validate()


@pytest.mark.parametrize("name", ["sentence-transformers", "fast", "onnx"])
def test_max_seq_length_changes_the_fingerprint(minilm_path, tmp_path, name):
    def build(length):
        options = {"device": "cpu", "cache_dir": tmp_path, "max_seq_length": length}
        return make_encoder(name, model=minilm_path, **options)

    assert build(16).fingerprint != build(None).fingerprint
    assert build(16).fingerprint != build(32).fingerprint
    assert build(16).fingerprint == build(16).fingerprint


def test_max_seq_length_truncates(minilm_path):
    short = make_encoder("sentence-transformers", model=minilm_path, device="cpu", max_seq_length=8)
    full = make_encoder("sentence-transformers", model=minilm_path, device="cpu")
    assert short.model.max_seq_length == 8
    # the same first six word pieces, then [SEP]: equal once cut to 8 tokens, not before
    texts = [TEXT, "Vitamin D deficiency is linked to cats and dogs."]
    cut, whole = short.encode(texts, "document"), full.encode(texts, "document")
    np.testing.assert_allclose(cut[0], cut[1], atol=1e-5)
    assert not np.allclose(whole[0], whole[1], atol=1e-3)


def test_max_seq_length_must_be_positive(tmp_path):
    with pytest.raises(
        ConfigError, match=r"--max-seq-length \(max_seq_length\) must be a positive integer"
    ):
        MineConfig(data="x", out=str(tmp_path), max_seq_length=0).validate()


def test_trust_remote_code_reaches_the_sentence_transformers_load(minilm_path, monkeypatch):
    import sentence_transformers

    seen = {}

    class Recorder:
        def __init__(self, name, **kwargs):
            seen.update(kwargs)
            raise RuntimeError("stop here")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", Recorder)
    encoder = make_encoder(
        "sentence-transformers", model=minilm_path, device="cpu", trust_remote_code=True
    )
    with pytest.raises(ModelError):
        encoder.model  # noqa: B018
    assert seen["trust_remote_code"] is True


def test_trust_remote_code_reaches_transformers_loads(minilm_path, monkeypatch):
    import transformers

    seen: list[tuple[str, object]] = []
    for cls in (transformers.AutoModel, transformers.AutoTokenizer):
        original = cls.from_pretrained

        def record(*args, _original=original, _name=cls.__name__, **kwargs):
            seen.append((_name, kwargs.get("trust_remote_code")))
            return _original(*args, **kwargs)

        monkeypatch.setattr(cls, "from_pretrained", record)
    encoder = make_encoder("fast", model=minilm_path, device="cpu", trust_remote_code=True)
    assert encoder.encode(["one text"], "query").shape == (1, 384)
    assert ("AutoModel", True) in seen and ("AutoTokenizer", True) in seen


def test_mine_settings_reach_the_encoder(minilm_path, tmp_path):
    config = MineConfig(
        data="x",
        out=str(tmp_path / "run"),
        model=minilm_path,
        encoder="sentence-transformers",
        device="cpu",
        max_seq_length=64,
        trust_remote_code=True,
    ).validate()
    encoder = build_encoder(config, tmp_path)
    assert isinstance(encoder, SentenceTransformerEncoder)
    assert (encoder.max_seq_length, encoder.trust_remote_code) == (64, True)
    assert config.to_dict()["trust_remote_code"] is True  # recorded in the manifest


def test_user_cache_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUENEG_CACHE", str(tmp_path / "mine"))
    assert user_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("TRUENEG_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache_dir() == tmp_path / "xdg" / "trueneg"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert user_cache_dir() == Path.home() / ".cache" / "trueneg"


def test_cache_dir_default_is_the_user_folder_and_recorded_absolute(monkeypatch, tmp_path):
    monkeypatch.setenv("TRUENEG_CACHE", str(tmp_path / "shared"))
    config = MineConfig(data="x", out="run").validate()
    assert config.cache_dir == str(tmp_path / "shared")
    monkeypatch.chdir(tmp_path)
    assert MineConfig(data="x", out="r", cache_dir="c").validate().cache_dir == str(tmp_path / "c")
    assert MineConfig(data="x", out="r", cache_dir="run").validate().cache_dir == "run"
