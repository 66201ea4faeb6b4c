"""load_judge / detect_kind: which files make which judge, and clear errors otherwise."""

from __future__ import annotations

import json

import pytest

from trueneg.errors import ConfigError, ModelError
from trueneg.rescore import detect_kind, load_judge


def test_nonexistent_path_names_it(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match="does not exist") as info:
        load_judge(str(missing))
    assert str(missing) in str(info.value)


def test_onnx_without_tokenizer_says_which_file_is_missing(tmp_path):
    (tmp_path / "model.onnx").write_bytes(b"not really onnx")
    (tmp_path / "vocab.txt").write_text("[PAD]\n")
    with pytest.raises(ModelError, match=r"has no tokenizer\.json") as info:
        load_judge(str(tmp_path))
    assert "vocab.txt" in str(info.value)  # lists what was found


def test_tokenizer_without_onnx_says_which_file_is_missing(tmp_path):
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelError, match=r"has no model\.onnx") as info:
        load_judge(str(tmp_path))
    assert "tokenizer.json" in str(info.value)


def test_empty_folder_is_not_a_model(tmp_path):
    with pytest.raises(ModelError, match="not a model folder"):
        load_judge(str(tmp_path))


def test_a_file_is_not_a_model_folder(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"x")
    with pytest.raises(ModelError, match="not a model folder"):
        load_judge(str(path))


def test_sentence_transformers_folders_are_told_apart(tmp_path):
    bi = tmp_path / "bi"
    bi.mkdir()
    (bi / "modules.json").write_text("[]")
    (bi / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    assert detect_kind(bi) == "bi-encoder"

    ce = tmp_path / "ce"
    ce.mkdir()
    (ce / "modules.json").write_text("[]")  # sentence-transformers >= 5 saves one for CEs too
    (ce / "config.json").write_text(
        json.dumps({"architectures": ["BertForSequenceClassification"]})
    )
    assert detect_kind(ce) == "cross-encoder"


def test_unknown_kind_lists_valid_kinds(tmp_path):
    with pytest.raises(ConfigError, match="Unknown judge kind") as info:
        load_judge(str(tmp_path), kind="llm")
    assert "onnx-cross-encoder" in str(info.value)


def test_query_prompt_is_for_bi_encoders_only(tmp_path):
    with pytest.raises(ConfigError, match="bi-encoder"):
        load_judge(str(tmp_path), kind="cross-encoder", query_prompt="q: ")


def test_hub_name_offline_explains_downloads_are_impossible(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="Hugging Face Hub") as info:
        load_judge("trueneg-test/definitely-not-a-cached-model")
    assert "offline" in str(info.value)
    assert "local model folder" in str(info.value)
