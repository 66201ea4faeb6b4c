"""Tokenizing for the fast encoders: windows of texts → length-bucketed, padded id batches.

The texts of one ``encode`` call are cut into windows. Each window is tokenized once (no
padding), bucketed by :func:`~trueneg.encode.batching.plan_batches` and padded batch by batch.
With a :class:`~trueneg.encode.token_pool.TokenizerPool` windows are tokenized in its worker
processes while the caller runs the model on earlier ones; without one, or for a call that
fits in half a window, everything runs in-process — the sensible choice on a small CPU, where
workers would only compete with the forward pass for the same cores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from trueneg.encode.batching import padded_length, plan_batches, windows
from trueneg.encode.spec import ModelSpec
from trueneg.errors import ModelError
from trueneg.progress import transformers_bars


class TokenBatch(NamedTuple):
    """One padded batch: ``index`` are positions in the call's input."""

    index: Any  # (batch,) int64 positions (numpy, or a tensor from a worker)
    input_ids: Any  # (batch, padded length) int64, padded with the tokenizer's pad id
    lengths: Any  # (batch,) int64 real token counts, special tokens included


@dataclass(frozen=True)
class BatchSettings:
    """How a window is cut: token budget, batch cap, length rounding and truncation."""

    token_budget: int
    max_length: int
    max_batch_size: int | None = None
    multiple_of: int = 1


def load_tokenizer(spec: ModelSpec, trust_remote_code: bool = False) -> Any:
    """The model's fast tokenizer, lower-casing first when the folder says ``do_lower_case``
    (``trust_remote_code``: let transformers run code the folder ships)."""
    from transformers import AutoTokenizer

    with transformers_bars():
        tokenizer = AutoTokenizer.from_pretrained(
            str(spec.transformer_folder), trust_remote_code=trust_remote_code
        )
    if not tokenizer.is_fast:
        raise ModelError(
            "The fast encoders need a fast (Rust) tokenizer",
            received=type(tokenizer).__name__,
            expected="a tokenizer.json",
            fix="Use --encoder sentence-transformers for this model",
        )
    if spec.do_lower_case:
        _add_lowercase(tokenizer)
    return tokenizer


def tokenize_window(
    tokenizer: Any, texts: Sequence[str], offset: int, settings: BatchSettings
) -> list[TokenBatch]:
    """Tokenize ``texts`` (positions ``offset…``) and cut them into padded batches."""
    ids = tokenizer(
        list(texts),
        truncation=True,
        max_length=settings.max_length,
        return_attention_mask=False,
        return_token_type_ids=False,
    )["input_ids"]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    out = []
    for batch in plan_batches(
        lengths,
        settings.token_budget,
        max_batch_size=settings.max_batch_size,
        multiple_of=settings.multiple_of,
    ):
        longest = int(lengths[batch[0]])
        # rounded up for tensor cores, never past max_length (the position embeddings end there)
        width = min(padded_length(longest, settings.multiple_of), max(settings.max_length, longest))
        padded = np.full((len(batch), width), pad_id, dtype=np.int64)
        for row, position in enumerate(batch):
            padded[row, : lengths[position]] = ids[position]
        out.append(TokenBatch(batch + offset, padded, lengths[batch]))
    return out


def iter_token_batches(
    tokenizer: Any,
    texts: Sequence[str],
    settings: BatchSettings,
    *,
    window_size: int,
    pool: Any = None,
) -> Iterator[TokenBatch]:
    """Every text's batch, window by window: in ``pool``'s worker processes
    (:class:`~trueneg.encode.token_pool.TokenizerPool`) when given and the texts fill more
    than one window, else in this process."""
    if pool is not None and len(texts) > window_size // 2:
        yield from pool.batches(texts, settings, window_size)
        return
    for span in windows(len(texts), window_size):
        yield from tokenize_window(tokenizer, texts[span.start : span.stop], span.start, settings)


def _add_lowercase(tokenizer: Any) -> None:
    """What sentence-transformers does for ``do_lower_case``: a Lowercase normalizer first."""
    from tokenizers.normalizers import Lowercase
    from tokenizers.normalizers import Sequence as NormalizerSequence

    backend = tokenizer.backend_tokenizer
    current = backend.normalizer
    if current is not None and "Lowercase" in repr(current):
        return
    steps = [Lowercase()]
    if isinstance(current, NormalizerSequence):
        steps += list(current)
    elif current is not None:
        steps.append(current)
    backend.normalizer = NormalizerSequence(steps)
