"""Reading a sentence-transformers folder's encoding recipe (no model is loaded)."""

import json
import shutil

import pytest

from trueneg.encode.spec import read_spec
from trueneg.errors import ModelError


def write_folder(folder, modules, pooling=None, st_config=None, saved=None):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "config.json").write_text(json.dumps({"max_position_embeddings": 512}))
    if pooling is not None:
        (folder / "1_Pooling").mkdir(exist_ok=True)
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if st_config is not None:
        (folder / "sentence_bert_config.json").write_text(json.dumps(st_config))
    if saved is not None:
        (folder / "config_sentence_transformers.json").write_text(json.dumps(saved))
    return folder


TRANSFORMER = {
    "idx": 0,
    "name": "0",
    "path": "",
    "type": "sentence_transformers.models.Transformer",
}
POOLING = {
    "idx": 1,
    "name": "1",
    "path": "1_Pooling",
    "type": "sentence_transformers.models.Pooling",
}


def test_the_bundled_minilm(minilm_path):
    spec = read_spec(minilm_path)
    assert spec.max_seq_length == 256
    assert spec.pooling == "mean"
    assert spec.do_lower_case is False
    assert spec.prompt("query", None) == "" and spec.prompt("query", "q: ") == "q: "


def test_new_style_pooling_prompts_and_lower_case(tmp_path):
    folder = write_folder(
        tmp_path / "m",
        [TRANSFORMER, POOLING],
        pooling={"pooling_mode": "cls"},
        st_config={"max_seq_length": 128, "do_lower_case": True},
        saved={
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": "query",
        },
    )
    spec = read_spec(str(folder))
    assert (spec.pooling, spec.max_seq_length, spec.do_lower_case) == ("cls", 128, True)
    assert spec.prompt("query", None) == "query: "
    # sentence-transformers 5+: encode_document uses the "document" prompt, empty by default
    assert spec.prompt("document", None) == ""


def test_max_length_falls_back_to_tokenizer_and_position_limits(tmp_path):
    folder = write_folder(
        tmp_path / "m", [TRANSFORMER, POOLING], pooling={"pooling_mode_max_tokens": True}
    )
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 10**30}))
    spec = read_spec(str(folder))
    assert (spec.pooling, spec.max_seq_length) == ("max", 512)


@pytest.mark.parametrize(
    "modules,pooling,match",
    [
        (
            [
                TRANSFORMER,
                POOLING,
                {"idx": 2, "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
            ],
            {"pooling_mode": "mean"},
            "Dense",
        ),
        ([TRANSFORMER, POOLING], {"pooling_mode": "lasttoken"}, "lasttoken"),
        (
            [TRANSFORMER, POOLING],
            {"pooling_mode": "mean", "include_prompt": False},
            "include_prompt",
        ),
    ],
)
def test_unsupported_models_are_refused_with_the_fallback(tmp_path, modules, pooling, match):
    folder = write_folder(tmp_path / "m", modules, pooling=pooling)
    with pytest.raises(ModelError, match=match) as info:
        read_spec(str(folder))
    assert "--encoder sentence-transformers" in str(info.value)


def test_a_plain_hugging_face_folder_is_mean_pooled(tmp_path, minilm_path):
    folder = tmp_path / "plain"
    shutil.copytree(
        minilm_path, folder, ignore=shutil.ignore_patterns("modules.json", "1_*", "*.safetensors")
    )
    spec = read_spec(str(folder))
    assert (spec.pooling, spec.transformer_folder) == ("mean", folder)
