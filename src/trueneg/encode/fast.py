"""A fast encoder: the Hugging Face model run directly, fed by length-bucketed token batches.

Same vectors as sentence-transformers (same tokenizer, truncation, prompts, pooling and
normalisation, read from the model folder by :mod:`trueneg.encode.spec`), produced faster:

- tokenization runs in a pool of worker processes that lives as long as the encoder and works
  ahead of the model (:mod:`trueneg.encode.token_pool`);
- batches are sized by a budget of padded tokens over texts sorted by token length
  (:mod:`trueneg.encode.batching`), so little compute goes to padding;
- on CUDA the weights run in bfloat16 (float16 on GPUs without it), host batches are pinned
  and copied without blocking, and vectors stay on the GPU until the call ends: the only sync
  is the final copy back. Pooling and normalisation run in float32.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from trueneg.devices import DEVICES, check_choice, pick_device
from trueneg.encode.base import TextKind
from trueneg.encode.models import model_fingerprint, resolve_model
from trueneg.encode.spec import FolderSpec, ModelSpec
from trueneg.encode.token_pool import TokenizerPool
from trueneg.encode.tokenize import BatchSettings, iter_token_batches, load_tokenizer
from trueneg.errors import ConfigError, ModelError
from trueneg.hashing import hash_json
from trueneg.progress import progress_bar, transformers_bars

logger = logging.getLogger(__name__)

PRECISIONS = ("auto", "float32", "bfloat16", "float16")
CUDA_TOKEN_BUDGET = 65_536
CPU_TOKEN_BUDGET = 16_384


class FastEncoder(FolderSpec):
    """Encodes with ``transformers.AutoModel`` + a fast tokenizer; the Encoder protocol.

    Building the object is cheap: the model and tokenizer load on first use.

    Args:
        model: local sentence-transformers folder or cached hub name; None for the bundled
            all-MiniLM-L6-v2.
        query_prompt: prepended to queries; None uses the model's own ``query`` prompt, as
            sentence-transformers does.
        document_prompt: prepended to documents; None uses the model's ``document`` prompt.
        device: ``auto`` (cuda when available), ``cpu`` or ``cuda``.
        precision: ``auto`` (bfloat16 on CUDA, float16 where bfloat16 is missing, float32 on
            CPU), or one of ``float32``, ``bfloat16``, ``float16``.
        token_budget: the most padded tokens in one batch (None: 65,536 on CUDA, 16,384 on CPU).
        max_batch_size: the most texts in one batch (None: only the budget limits it).
        num_workers: tokenizer processes (None: on CUDA up to 8, leaving two cores free; on
            CPU none, since workers would compete with the forward pass for the cores). They
            start on the first call that needs them and end with :meth:`close`.
        window_size: texts tokenized and bucketed together (one worker task).
        max_seq_length: truncate to this many tokens (None keeps the model's).
        trust_remote_code: let transformers run code the model folder ships (off by default).
        attention: transformers' ``attn_implementation`` (None: its default, ``sdpa`` for
            BERT-style models; ``flash_attention_2`` runs unpadded where ``flash-attn`` is
            installed; ``benchmarks/speed/encode_profile.py`` measures them).
    """

    backend = "fast"

    def __init__(
        self,
        model: str | None = None,
        *,
        query_prompt: str | None = None,
        document_prompt: str | None = None,
        device: str = "auto",
        precision: str = "auto",
        token_budget: int | None = None,
        max_batch_size: int | None = None,
        num_workers: int | None = None,
        window_size: int = 4096,
        max_seq_length: int | None = None,
        trust_remote_code: bool = False,
        attention: str | None = None,
    ) -> None:
        check_choice("device", device, DEVICES)
        check_choice("precision", precision, PRECISIONS)
        self.model_path = resolve_model(model)
        self.query_prompt = query_prompt
        self.document_prompt = document_prompt
        self.device = pick_device(device)
        self.precision = _pick_precision(precision, self.device)
        on_cuda = self.device == "cuda"
        self.token_budget = token_budget or (CUDA_TOKEN_BUDGET if on_cuda else CPU_TOKEN_BUDGET)
        self.max_batch_size = max_batch_size
        self.num_workers = _pick_workers(num_workers, self.device)
        self.window_size = window_size
        self.max_seq_length = max_seq_length
        self.trust_remote_code = trust_remote_code
        self.attention = attention
        _check_positive(
            token_budget=self.token_budget,
            window_size=window_size,
            max_batch_size=max_batch_size or 1,
            max_seq_length=max_seq_length or 1,
        )
        self._spec: ModelSpec | None = None
        self._tokenizer: Any = None
        self._model: Any = None
        self._fingerprint: str | None = None
        self._pool: TokenizerPool | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without its tokenizer processes (a copy starts its own)."""
        return {**self.__dict__, "_pool": None}

    def close(self) -> None:
        """End the tokenizer processes (a later call starts them again)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    @property
    def pool(self) -> TokenizerPool | None:
        """The tokenizer processes (None with ``num_workers=0``)."""
        if self._pool is None and self.num_workers > 0:
            self._pool = TokenizerPool(self.tokenizer, self.num_workers)
        return self._pool

    def __repr__(self) -> str:
        return (
            f"FastEncoder(model={self.model_path!r}, device={self.device!r}, "
            f"precision={self.precision!r}, token_budget={self.token_budget})"
        )

    @property
    def fingerprint(self) -> str:
        """Hash of backend, precision, model files, prompts, max length and pooling."""
        if self._fingerprint is None:
            self._fingerprint = hash_json(
                {
                    "backend": self.backend,
                    "precision": self.precision,
                    "model": model_fingerprint(self.model_path),
                    "query_prompt": self.query_prompt,
                    "document_prompt": self.document_prompt,
                    "max_seq_length": self.max_length,
                    "pooling": self.spec.pooling,
                    "normalize": True,
                    **({"attention": self.attention} if self.attention else {}),
                }
            )
        return self._fingerprint

    @property
    def dim(self) -> int:
        return int(self.model.config.hidden_size)

    @property
    def preferred_chunk_size(self) -> int | None:
        """Texts per cache chunk that keep the pipeline busy (None: the caller's default)."""
        return 16 * self.window_size if self.device == "cuda" else None

    @property
    def model(self) -> Any:
        """The loaded ``transformers`` model, in eval mode on the device (loads on first use)."""
        if self._model is None:
            self._model = load_model(
                self.spec,
                self.device,
                self.precision,
                self.attention,
                trust_remote_code=self.trust_remote_code,
            )
        return self._model

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.spec, self.trust_remote_code)
        return self._tokenizer

    def encode(
        self, texts: list[str], kind: TextKind, *, show_progress: bool = False
    ) -> np.ndarray:
        """Return ``(len(texts), dim)`` float32 L2-normalised vectors, in input order."""
        import torch

        prompt = _prompt(self, kind)
        model = self.model
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [prompt + t for t in texts] if prompt else list(texts)
        on_cuda = self.device == "cuda"
        settings = BatchSettings(
            self.token_budget, self.max_length, self.max_batch_size, multiple_of=8 if on_cuda else 1
        )
        batches = iter_token_batches(  # in-process when the texts fit in half a window
            self.tokenizer, texts, settings, window_size=self.window_size, pool=self.pool
        )
        out = torch.empty((len(texts), self.dim), dtype=torch.float32, device=self.device)
        label = "Encoding queries" if kind == "query" else "Encoding documents"
        with torch.inference_mode(), progress_bar(show_progress, len(texts), label) as advance:
            for batch in batches:
                index, ids, lengths = (_to_device(x, self.device) for x in batch)
                out.index_copy_(0, index, embed(model, ids, lengths, self.spec.pooling))
                advance(len(batch.lengths))
        return out.cpu().numpy()


def embed(model: Any, input_ids: Any, lengths: Any, pooling: str) -> Any:
    """Pooled, L2-normalised float32 vectors of one padded batch (torch tensors)."""
    import torch

    positions = torch.arange(input_ids.shape[1], device=input_ids.device)
    mask = (positions[None, :] < lengths[:, None]).to(torch.long)
    hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
    return torch.nn.functional.normalize(pool(hidden.float(), mask, pooling), dim=-1)


def pool(hidden: Any, mask: Any, mode: str) -> Any:
    """sentence-transformers' ``mean``, ``cls`` and ``max`` pooling over the real tokens."""
    if mode == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if mode == "max":
        return hidden.masked_fill(weights == 0, float("-inf")).max(dim=1).values
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def _to_device(array: Any, device: str) -> Any:
    import torch

    tensor = torch.as_tensor(array)
    if device != "cuda":
        return tensor
    if not tensor.is_pinned():
        tensor = tensor.pin_memory()
    return tensor.to(device, non_blocking=True)


def _prompt(encoder: FastEncoder, kind: str) -> str:
    if kind not in ("query", "document"):
        raise ConfigError("Unknown text kind", received=kind, expected=["query", "document"])
    explicit = encoder.query_prompt if kind == "query" else encoder.document_prompt
    return encoder.spec.prompt(kind, explicit)  # type: ignore[arg-type]


def load_model(
    spec: ModelSpec,
    device: str,
    precision: str,
    attention: str | None = None,
    *,
    trust_remote_code: bool = False,
) -> Any:
    import torch
    from transformers import AutoModel

    logger.info("loading %s on %s (%s)", spec.transformer_folder, device, precision)
    try:
        with transformers_bars():
            kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
            if attention:
                kwargs["attn_implementation"] = attention
            model = AutoModel.from_pretrained(str(spec.transformer_folder), **kwargs)
    except Exception as exc:
        raise ModelError(
            f"Could not load the model: {type(exc).__name__}: {exc}",
            received=str(spec.transformer_folder),
            expected="a Hugging Face model folder (config.json + weights)",
            fix="Use --encoder sentence-transformers, or check the folder",
        ) from exc
    return model.to(device=device, dtype=getattr(torch, precision)).eval()


def _pick_precision(precision: str, device: str) -> str:
    import torch

    if precision != "auto":
        return precision
    if device != "cuda":
        return "float32"
    return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"


def _pick_workers(num_workers: int | None, device: str) -> int:
    if num_workers is not None:
        if num_workers < 0:
            raise ConfigError("num_workers must be >= 0", received=num_workers)
        return num_workers
    if device != "cuda":
        return 0
    return max(0, min(8, (os.cpu_count() or 1) - 2))


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ConfigError(f"{name} must be positive", received=value, expected=">= 1")
