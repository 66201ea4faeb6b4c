"""A cross-encoder judge on onnxruntime + tokenizers (no torch), e.g. an INT8 ms-marco reranker.

The folder holds ``model.onnx`` (output ``logits``) and ``tokenizer.json``; an optional
``vectrix_config.json`` gives ``max_length``. Scores are ``sigmoid(logit)`` probabilities.

A dynamically quantized graph (``DynamicQuantizeLinear``, as ``quantize_dynamic`` writes) picks
one activation scale for the whole input tensor, so a pair's score would move with the pairs
batched beside it and with their padding: by up to a logit on the bundled INT8 reranker
(``benchmarks/speed/judge_batching.py``). Such graphs run one pair at a time, which makes a
score depend on its pair alone (and, without padding, is also faster on a CPU).
"""

from __future__ import annotations

import json
import logging
import mmap
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.devices import usable_cores
from trueneg.errors import ConfigError, ModelError
from trueneg.rescore.batching import score_in_batches, sigmoid
from trueneg.rescore.cache import folder_digest, make_fingerprint

logger = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 512
PER_BATCH_QUANTIZATION_OP = b"DynamicQuantizeLinear"


def onnx_providers(device: str) -> list[Any]:
    """onnxruntime execution providers for ``device`` ("auto", "cpu", "cuda" or "cuda:N")."""
    import onnxruntime as ort

    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    if device == "cpu" or (device == "auto" and not has_cuda):
        return ["CPUExecutionProvider"]
    if device == "auto":
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device.startswith("cuda"):
        if not has_cuda:
            raise ModelError(
                f"device {device!r} was requested but onnxruntime has no CUDA provider",
                received=ort.get_available_providers(),
                expected="CUDAExecutionProvider",
                fix="Install onnxruntime-gpu, or pass device='cpu'",
            )
        _, _, index = device.partition(":")
        options = {"device_id": int(index)} if index.isdigit() else {}
        return [("CUDAExecutionProvider", options), "CPUExecutionProvider"]
    raise ConfigError(f"Unknown device {device!r}", expected=["auto", "cpu", "cuda", "cuda:N"])


def make_session(model_path: Path, device: str) -> Any:
    """An InferenceSession using every CPU core this process may run on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = usable_cores()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    try:
        return ort.InferenceSession(str(model_path), options, providers=onnx_providers(device))
    except Exception as exc:  # onnxruntime raises its own untyped errors
        if isinstance(exc, ModelError | ConfigError):
            raise
        raise ModelError(f"onnxruntime could not load {model_path}: {exc}") from exc


def quantizes_per_batch(model_path: Path) -> bool:
    """Whether the ONNX graph quantizes its activations on the fly, one scale per input tensor.

    Looks for the ``DynamicQuantizeLinear`` operator's name in the file, without parsing it
    (the judges need only onnxruntime, which does not list a graph's operators).
    """
    with Path(model_path).open("rb") as handle:
        if handle.seek(0, 2) == 0:
            return False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return data.find(PER_BATCH_QUANTIZATION_OP) != -1


def batching_setting(alone: bool) -> dict[str, str]:
    """The fingerprint setting of a judge that scores one pair at a time (none when batched, so
    a float graph's fingerprint is what it always was)."""
    return {"batching": "none"} if alone else {}


def run_alone(run: Any, items: list[Any]) -> np.ndarray:
    """``run([item])`` for each item, stacked: no item shares a batch (or its padding)."""
    return np.concatenate([np.asarray(run([item])) for item in items])


def default_max_length(folder: Path) -> int:
    """``max_length`` from vectrix_config.json, else config.json, else 512."""
    for name, key in (
        ("vectrix_config.json", "max_length"),
        ("config.json", "max_position_embeddings"),
    ):
        path = folder / name
        if path.is_file():
            value = json.loads(path.read_text()).get(key)
            if isinstance(value, int) and value > 0:
                return value
    return DEFAULT_MAX_LENGTH


def load_tokenizer(folder: Path, max_length: int) -> Any:
    """``tokenizer.json`` truncating to ``max_length`` and padding to each batch's longest."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    pad = tok.padding or {}
    pad_token = pad.get("pad_token", "[PAD]")
    pad_id = pad.get("pad_id", tok.token_to_id(pad_token) or 0)
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=pad_id, pad_token=pad_token, pad_type_id=pad.get("pad_type_id", 0))
    return tok


def session_feed(session: Any, encodings: list[Any]) -> dict[str, np.ndarray]:
    """input_ids, attention_mask and (when the graph takes it) token_type_ids as int64."""
    names = {i.name for i in session.get_inputs()}
    feed = {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
    }
    if "token_type_ids" in names:
        feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
    return {k: v for k, v in feed.items() if k in names}


def output_names(model_path: Path) -> list[str]:
    """Output names of an ONNX graph, read without building a session's kernels."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return [o.name for o in session.get_outputs()]


class OnnxCrossEncoder:
    """Cross-encoder judge: ``score`` returns ``sigmoid(logit)`` per (query, doc) pair."""

    kind = "onnx-cross-encoder"

    def __init__(
        self,
        folder: str | Path,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        device: str = "auto",
    ) -> None:
        self.folder = Path(folder)
        self.batch_size = batch_size
        self.max_length = max_length or default_max_length(self.folder)
        self.session = make_session(self.folder / "model.onnx", device)
        self.tokenizer = load_tokenizer(self.folder, self.max_length)
        self.alone = quantizes_per_batch(self.folder / "model.onnx")
        self.fingerprint = make_fingerprint(
            self.kind,
            folder_digest(self.folder),
            max_length=self.max_length,
            score="sigmoid",
            **batching_setting(self.alone),
        )
        logger.info("Loaded ONNX cross-encoder %s (max_length %d)", self.folder, self.max_length)

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """Probability that each doc is relevant to its query, float32."""
        return score_in_batches(self._score_batch, queries, docs, self.batch_size)

    def logits(self, queries: list[str], docs: list[str]) -> np.ndarray:
        """Raw logits (or ``(n, labels)`` for multi-label heads), input order.

        A dynamically quantized graph scores each pair on its own (see the module's docstring).
        """
        pairs = list(zip(queries, docs, strict=True))
        if self.alone and len(pairs) > 1:
            return run_alone(self._run, pairs)
        return self._run(pairs)

    def _run(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(pairs)
        (out,) = self.session.run(["logits"], session_feed(self.session, encodings))
        return np.asarray(out, dtype=np.float32)

    def _score_batch(self, queries: list[str], docs: list[str]) -> np.ndarray:
        out = self.logits(queries, docs)
        if out.ndim == 1 or out.shape[1] == 1:
            return sigmoid(out.reshape(len(queries)))
        if out.shape[1] == 2:  # [irrelevant, relevant] head: softmax of the relevant class
            return sigmoid(out[:, 1] - out[:, 0])
        raise ModelError(
            "The cross-encoder has more than two output labels; trueneg needs one relevance score",
            received=f"logits of shape {out.shape}",
            expected="(batch, 1) or (batch, 2)",
        )
