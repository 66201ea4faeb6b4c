"""``trueneg.train.memory``: when ``gradient_checkpointing`` is left to trueneg. The activation
count, the padded lengths and the rule on hand-made sizes; the real MiniLM tokenizer and a real
training run decide it from a run's rows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

import trueneg
from fixtures import write_tiny_beir
from trueneg.train import memory, train
from trueneg.train.memory import EncoderSizes, activation_bytes, checkpointing_choice

MINILM = EncoderSizes(layers=6, hidden=384, intermediate=1536, heads=12)
GB = 1e9


def test_minilm_at_256_tokens_counts_118_mb_a_text_in_fp32():
    # 6 layers x 256 tokens x (10*384 + 2*1536 + 4*12*256) values x 4 bytes
    assert activation_bytes(MINILM, 256, 4) == 6 * 256 * 19200 * 4
    assert round(activation_bytes(MINILM, 256, 4) / 1e6) == 118
    assert activation_bytes(MINILM, 256, 2) * 2 == activation_bytes(MINILM, 256, 4)
    # attention's scores grow with the square of the length
    assert activation_bytes(MINILM, 512, 4) > 2 * activation_bytes(MINILM, 256, 4)


def test_sizes_from_bert_and_t5_configs_and_none_when_one_is_missing():
    bert = SimpleNamespace(
        num_hidden_layers=6, hidden_size=384, intermediate_size=1536, num_attention_heads=12
    )
    t5 = SimpleNamespace(num_layers=12, d_model=768, d_ff=3072, num_heads=12)
    assert EncoderSizes.of(bert) == MINILM
    assert EncoderSizes.of(t5) == EncoderSizes(12, 768, 3072, 12)
    assert EncoderSizes.of(SimpleNamespace(hidden_size=384)) is None
    assert EncoderSizes.of(None) is None


def test_padded_length_is_the_99th_percentile_capped():
    lengths = [10] * 99 + [400]
    assert memory.padded_length(lengths, 256) == 256  # one long text in 100 pads the batch
    assert memory.padded_length([10] * 200 + [400], 256) == 10
    assert memory.padded_length([], 128) == 128


def test_the_rule_asks_for_evidence_and_keeps_the_users_choice():
    assert checkpointing_choice(True, None, None).on is True
    assert checkpointing_choice(False, 100 * 10**9, 10**9).on is False
    fits = checkpointing_choice(None, int(7 * GB), int(10 * GB))
    assert not fits.on and "7.0 GB" in fits.reason and "10.0 GB" in fits.reason
    assert checkpointing_choice(None, int(8 * GB), int(10 * GB)).on
    unknown = checkpointing_choice(None, int(8 * GB), None)
    assert not unknown.on and "unknown" in unknown.reason
    assert "unknown" in checkpointing_choice(None, None, int(GB)).reason


def test_step_columns_count_each_column_and_a_cached_loss_one_mini_batch(minilm_path: str):
    from datasets import Dataset
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    long = " ".join(["protein"] * 400)
    rows = Dataset.from_dict(
        {"anchor": ["what is p53"] * 8, "positive": [long] * 8, "negative_1": ["short"] * 8}
    )
    columns = memory.step_columns(rows, tokenizer, 256, pairs=False)
    assert columns.columns["positive"] == (1.0, 256)  # cut at the model's maximum
    assert columns.columns["anchor"][1] < 10 and columns.columns["negative_1"][1] == 3
    full = columns.bytes(MINILM, 4, rows=64, chunk=None)
    expected = 64 * sum(activation_bytes(MINILM, t, 4) for _, t in columns.columns.values())
    assert full == expected
    # GradCache: one mini-batch of the longest column at a time
    assert columns.bytes(MINILM, 4, rows=64, chunk=32) == 32 * activation_bytes(MINILM, 256, 4)
    # a cross-encoder's sequences are the query joined to each document of a list
    lists = Dataset.from_dict({"query": ["q one", "q two"], "docs": [["a", "b", "c"], ["d"]]})
    pairs = memory.step_columns(lists, tokenizer, 512, pairs=True)
    assert (
        pairs.columns["docs"][0] == 2.0 and pairs.columns["docs"][1] == 6
    )  # [CLS] q x [SEP] d [SEP]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
    root = tmp_path_factory.mktemp("mem")
    data = write_tiny_beir(root / "beir")
    return trueneg.mine(data, root / "run", retriever="bm25", filters=[], num_negatives=2).path


def test_left_out_it_is_off_where_the_step_fits_and_recorded(run_dir: Path, tmp_path: Path):
    result = train(run_dir, tmp_path / "m", max_steps=1, batch_size=4, device="cpu")
    assert result.gradient_checkpointing is False
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert '"gradient_checkpointing": false' in card


@pytest.mark.parametrize("model_type", ["bi-encoder", "cross-encoder"])
def test_left_out_it_is_on_where_the_step_would_not_fit(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog, model_type: str
):
    # a machine with 5 MB to spare (only the memory reading is replaced): the real tokenizer
    # and the model's sizes count the step's activations, which do not fit there
    monkeypatch.setattr(memory, "available_memory", lambda: 5 * 10**6)
    with caplog.at_level("INFO", logger="trueneg.train.memory"):
        result = train(
            run_dir, tmp_path / "m", model_type=model_type, max_steps=1, batch_size=4, device="cpu"
        )
    assert result.gradient_checkpointing is True
    assert "does not fit" in caplog.text and "75% of the 5 MB available" in caplog.text
    card = (tmp_path / "m" / "README.md").read_text(encoding="utf-8")
    assert '"gradient_checkpointing": true' in card


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (gpu_run.sh tests)")
def test_on_a_gpu_the_free_memory_counts():
    free, total = torch.cuda.mem_get_info()
    seen = memory.device_memory("cuda")
    assert 0 < seen <= total and abs(seen - free) < total * 0.05
