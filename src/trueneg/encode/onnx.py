"""ONNX Runtime encoders for CPU users: the model exported once, optionally quantized to INT8.

The export holds the whole recipe (transformer, pooling, normalisation), so the session returns
finished vectors. Files live in a cache folder keyed by the model fingerprint and the export
settings, and are written atomically (``trueneg.storage.atomic_path``: a temporary name, then a
rename, never through a link), so two runs never read a half-written model:

- ``<cache>/<key>/model.onnx``: float32, ``torch.onnx.export`` with dynamic batch and
  sequence axes;
- ``<cache>/<key>/model.int8.onnx``: ``onnxruntime.quantization.quantize_dynamic`` (QInt8
  weights of the MatMul layers, per output channel; activations quantized on the fly).
  Per-channel weights matter: they keep the vectors much closer to float32 than per-tensor
  ones (``docs/benchmarks/speed.md``, encoders).

INT8 vectors are close to, not equal to, sentence-transformers' (see
``docs/benchmarks/speed.md`` for the measured cosine); float32 ONNX matches sentence-transformers.
The INT8 graph quantizes its activations with one scale per input tensor, so in a batch a vector
would move with the texts beside it and their padding (cosine down to 0.992 between the two on
NFCorpus abstracts). It therefore encodes one text at a time: a vector depends on its text alone,
and on a CPU this is as fast as token-budget batches.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from trueneg.encode.base import TextKind
from trueneg.encode.fast import load_model, pool
from trueneg.encode.models import model_fingerprint, resolve_model
from trueneg.encode.spec import FolderSpec, ModelSpec
from trueneg.encode.tokenize import BatchSettings, iter_token_batches, load_tokenizer
from trueneg.encode.user_cache import user_cache_dir
from trueneg.errors import ConfigError, ModelError
from trueneg.hashing import hash_json
from trueneg.progress import progress_bar
from trueneg.storage import atomic_path

logger = logging.getLogger(__name__)

OPSET = 17
QUANTIZED_OPS = ("MatMul",)


class OnnxEncoder(FolderSpec):
    """Encodes with an exported ONNX model on ONNX Runtime (CPU); the Encoder protocol.

    Args:
        model: local sentence-transformers folder or cached hub name; None for the bundled
            all-MiniLM-L6-v2.
        quantize: run the INT8 model (default) instead of the float32 export.
        cache_dir: where exports are kept (None: ``onnx/`` in the per-user cache folder,
            :func:`~trueneg.encode.user_cache.user_cache_dir`).
        query_prompt: as for :class:`~trueneg.encode.fast.FastEncoder`.
        document_prompt: as for :class:`~trueneg.encode.fast.FastEncoder`.
        token_budget: the most padded tokens in one batch (float32 only: INT8 encodes one text
            at a time).
        threads: ONNX Runtime intra-op threads (None: its default, one per core).
        max_seq_length: truncate to this many tokens (None keeps the model's).
        trust_remote_code: let transformers run code the model folder ships (off by default).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        quantize: bool = True,
        cache_dir: str | Path | None = None,
        query_prompt: str | None = None,
        document_prompt: str | None = None,
        token_budget: int = 16_384,
        threads: int | None = None,
        max_seq_length: int | None = None,
        trust_remote_code: bool = False,
    ) -> None:
        if token_budget < 1:
            raise ConfigError(
                "token_budget must be positive", received=token_budget, expected=">= 1"
            )
        self.model_path = resolve_model(model)
        self.quantize = quantize
        self.alone = quantize  # INT8 encodes one text at a time (see the module's docstring)
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.query_prompt = query_prompt
        self.document_prompt = document_prompt
        self.token_budget = token_budget
        self.threads = threads
        self.max_seq_length = max_seq_length
        self.trust_remote_code = trust_remote_code
        self._spec: ModelSpec | None = None
        self._tokenizer: Any = None
        self._session: Any = None
        self._fingerprint: str | None = None

    backend = property(lambda self: "onnx-int8" if self.quantize else "onnx")
    precision = property(lambda self: "int8" if self.quantize else "float32")
    device = "cpu"

    def __repr__(self) -> str:
        return f"OnnxEncoder(model={self.model_path!r}, backend={self.backend!r})"

    @property
    def fingerprint(self) -> str:
        """Hash of backend, model files, export settings, prompts, max length and pooling."""
        if self._fingerprint is None:
            self._fingerprint = hash_json(
                {
                    "backend": self.backend,
                    "export": self._export_key(),
                    "query_prompt": self.query_prompt,
                    "document_prompt": self.document_prompt,
                    "max_seq_length": self.max_length,
                    **({"batching": "none"} if self.alone else {}),
                }
            )
        return self._fingerprint

    @property
    def dim(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    @property
    def model_file(self) -> Path:
        """The ONNX file this encoder runs (exported and quantized on first use)."""
        folder = self.cache_dir / self._export_key()
        plain = ensure_export(self.spec, folder / "model.onnx", self.trust_remote_code)
        return ensure_quantized(plain, folder / "model.int8.onnx") if self.quantize else plain

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = _session(self.model_file, self.threads)
        return self._session

    def encode(
        self, texts: list[str], kind: TextKind, *, show_progress: bool = False
    ) -> np.ndarray:
        """Return ``(len(texts), dim)`` float32 L2-normalised vectors, in input order."""
        if kind not in ("query", "document"):
            raise ConfigError("Unknown text kind", received=kind, expected=["query", "document"])
        session = self.session
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        prompt = self.spec.prompt(
            kind, self.query_prompt if kind == "query" else self.document_prompt
        )
        texts = [prompt + t for t in texts] if prompt else list(texts)
        cap = 1 if self.alone else None
        settings = BatchSettings(self.token_budget, self.max_length, max_batch_size=cap)
        label = "Encoding queries" if kind == "query" else "Encoding documents"
        with progress_bar(show_progress, len(texts), label) as advance:
            for batch in iter_token_batches(self.tokenizer, texts, settings, window_size=4096):
                mask = np.arange(batch.input_ids.shape[1])[None, :] < batch.lengths[:, None]
                feed = {"input_ids": batch.input_ids, "attention_mask": mask.astype(np.int64)}
                out[batch.index] = session.run(None, feed)[0]
                advance(len(batch.index))
        return out

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.spec, self.trust_remote_code)
        return self._tokenizer

    def _export_key(self) -> str:
        import torch

        return hash_json(
            {
                "model": model_fingerprint(self.model_path),
                "opset": OPSET,
                "pooling": self.spec.pooling,
                "torch": torch.__version__,
                "quantized_ops": QUANTIZED_OPS,
                "per_channel": True,
            }
        )


def default_cache_dir() -> Path:
    """``onnx/`` in the per-user cache folder (:func:`~trueneg.encode.user_cache_dir`)."""
    return user_cache_dir() / "onnx"


def ensure_export(spec: ModelSpec, dest: Path, trust_remote_code: bool = False) -> Path:
    """Export ``spec``'s model (transformer + pooling + normalisation) to ``dest`` once."""
    if dest.is_file():
        return dest
    import torch

    logger.info("exporting %s to ONNX at %s", spec.folder, dest)
    model = load_model(
        spec, "cpu", "float32", attention="eager", trust_remote_code=trust_remote_code
    )
    wrapped = _pooled_model(model, spec.pooling)
    mask = torch.ones((2, 16), dtype=torch.long)
    mask[1, 9:] = 0  # a padded row, so no "mask is all ones" shortcut is traced in
    dummy = (torch.ones((2, 16), dtype=torch.long), mask)
    axes = {
        "input_ids": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "sequence"},
        "embedding": {0: "batch"},
    }
    try:
        with atomic_path(dest) as tmp, torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes on shapes fixed by design
            torch.onnx.export(
                wrapped,
                dummy,
                str(tmp),
                input_names=list(axes)[:2],
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
    except ImportError as exc:  # torch's exporter needs the onnx package
        raise ModelError(
            f"Exporting to ONNX failed: {exc}", fix="pip install 'trueneg[onnx]'"
        ) from exc
    return dest


def ensure_quantized(source: Path, dest: Path) -> Path:
    """Quantize ``source`` to ``dest`` (dynamic QInt8) once."""
    if dest.is_file():
        return dest
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as exc:
        raise ModelError(
            "INT8 quantization needs onnxruntime and onnx", fix="pip install 'trueneg[onnx]'"
        ) from exc
    logger.info("quantizing %s to INT8", source)
    with (
        atomic_path(dest) as tmp,
        tempfile.TemporaryDirectory(dir=dest.parent, prefix=".quantize.") as scratch,
    ):
        prepared = Path(scratch) / "prepared.onnx"  # a private folder: no name to plant a link at
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(
            str(prepared),
            str(tmp),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=list(QUANTIZED_OPS),
            per_channel=True,
        )
    return dest


def _session(path: Path, threads: int | None) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelError(
            "The ONNX encoders need onnxruntime",
            fix="pip install 'trueneg[onnx]'",
        ) from exc
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _pooled_module() -> type:
    import torch

    class Pooled(torch.nn.Module):
        """Transformer → pooling → L2 normalisation, as one exportable module."""

        def __init__(self, model: Any, pooling: str) -> None:
            super().__init__()
            self.model, self.pooling = model, pooling

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask)
            vectors = pool(hidden.last_hidden_state.float(), attention_mask, self.pooling)
            return torch.nn.functional.normalize(vectors, dim=-1)

    return Pooled


def _pooled_model(model: Any, pooling: str) -> Any:
    """``model`` wrapped with pooling and normalisation (torch is imported only here)."""
    return _pooled_module()(model, pooling)
