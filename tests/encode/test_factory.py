"""Encoder names: what --encoder accepts, what auto picks, and the errors (no model loads)."""

import pytest
from typer.testing import CliRunner

from trueneg.cli.main import app
from trueneg.encode import (
    ENCODERS,
    FastEncoder,
    OnnxEncoder,
    SentenceTransformerEncoder,
    describe_encoder,
    make_encoder,
    pick_encoder,
)
from trueneg.errors import ConfigError
from trueneg.settings import MineConfig


def test_auto_is_the_reference_on_cpu_and_names_pass_through():
    assert pick_encoder("auto", "cpu") == "sentence-transformers"
    for name in ENCODERS[1:]:
        assert pick_encoder(name, "cpu") == name


@pytest.mark.parametrize(
    "name,cls,backend",
    [
        ("sentence-transformers", SentenceTransformerEncoder, "sentence-transformers"),
        ("fast", FastEncoder, "fast"),
        ("onnx", OnnxEncoder, "onnx"),
        ("onnx-int8", OnnxEncoder, "onnx-int8"),
    ],
)
def test_make_encoder_builds_each_backend(minilm_path, tmp_path, name, cls, backend):
    encoder = make_encoder(
        name, model=minilm_path, device="cpu", query_prompt="q: ", cache_dir=tmp_path
    )
    assert isinstance(encoder, cls) and encoder.query_prompt == "q: "
    assert describe_encoder(encoder)["encoder"] == backend


def test_unknown_encoder_and_onnx_on_cuda_are_refused(minilm_path):
    with pytest.raises(ConfigError, match="auto, sentence-transformers, fast, onnx, onnx-int8"):
        pick_encoder("tensorrt", "cpu")
    with pytest.raises(ConfigError, match="CPU only"):
        make_encoder("onnx-int8", model=minilm_path, device="cuda")
    with pytest.raises(ConfigError, match="Unknown encoder"):
        MineConfig(data="d", out="o", encoder="gpu").validate()
    assert MineConfig(data="d", out="o", encoder="fast").validate().encoder == "fast"


def test_fast_encoder_defaults_on_cpu(minilm_path):
    encoder = FastEncoder(minilm_path, device="cpu")
    assert (encoder.precision, encoder.num_workers, encoder.token_budget) == ("float32", 0, 16_384)
    assert encoder.preferred_chunk_size is None
    with pytest.raises(ConfigError, match="precision"):
        FastEncoder(minilm_path, precision="int4")


def test_mine_help_documents_the_encoder_option():
    result = CliRunner().invoke(app, ["mine", "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "--encoder" in result.output and "onnx-int8" in result.output
