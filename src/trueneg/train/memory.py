"""Whether to train with gradient checkpointing when the user leaves it to trueneg: on when a
training step's activations would not fit in the memory this process can have.

A step keeps, for its backward pass, every transformer layer's activations for each text of
its batch. :func:`activation_bytes` counts them for an encoder layer with eager attention:
per token about ``10·H + 2·I + 4·A·T`` values (hidden size ``H``, feed-forward size ``I``,
``A`` attention heads, ``T`` tokens): the projections, the attention scores with their softmax
and dropout, the feed-forward block and the norms. On all-MiniLM-L6-v2 at 256 tokens that is
118 MB a text in fp32; in the measured runs the activations took about 1 / 1.45 of the count
(``benchmarks/speed/train_memory.py``), so it is an upper bound. The collator pads each
text column to its own longest text in the batch, so a column's length is the 99th percentile
of a sample of its token counts, capped at the model's maximum.

The rule (:func:`checkpointing_choice`): on when the count exceeds :data:`SHARE` of the memory
available (the free GPU memory on CUDA; on the CPU, the system's available memory within the
process's cgroup limit). The rest is left for what the count leaves out: the model, its
optimizer state and the training rows (3.8 GiB in the measured runs). Where the memory or
the model's sizes are unknown it stays off, and says why.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

from trueneg.devices import available_memory

logger = logging.getLogger(__name__)

SHARE = 0.75  # of the available memory a step's counted activations may take
SAMPLE = 256  # texts a column's length is measured on
PERCENTILE = 0.99
GB = 1e9


@dataclass(frozen=True)
class EncoderSizes:
    """The sizes of a transformer encoder that set its activations' memory."""

    layers: int
    hidden: int
    intermediate: int
    heads: int

    @classmethod
    def of(cls, config: Any) -> EncoderSizes | None:
        """From a transformers config (BERT-style names, or T5's); None where one is missing."""
        names = {
            "layers": ("num_hidden_layers", "num_layers", "n_layer"),
            "hidden": ("hidden_size", "d_model", "n_embd"),
            "intermediate": ("intermediate_size", "d_ff", "n_inner"),
            "heads": ("num_attention_heads", "num_heads", "n_head"),
        }
        found = {}
        for field_name, candidates in names.items():
            value = next((getattr(config, n) for n in candidates if getattr(config, n, None)), None)
            if not isinstance(value, int):
                return None
            found[field_name] = value
        return cls(**found)


def activation_bytes(sizes: EncoderSizes, tokens: int, bytes_per_value: int) -> int:
    """The activations one text of ``tokens`` tokens keeps for the backward pass (an upper
    bound; see the module's docstring)."""
    per_token = 10 * sizes.hidden + 2 * sizes.intermediate + 4 * sizes.heads * tokens
    return sizes.layers * tokens * per_token * bytes_per_value


def padded_length(lengths: list[int], cap: int) -> int:
    """The length a batch pads a column to: the 99th percentile of ``lengths``, at most
    ``cap``."""
    if not lengths:
        return cap
    ordered = sorted(lengths)
    return min(cap, ordered[min(len(ordered) - 1, int(PERCENTILE * len(ordered)))])


@dataclass(frozen=True)
class StepColumns:
    """The sequences a training row gives the model: per text column, how many a row and how
    long a batch pads them."""

    columns: dict[str, tuple[float, int]]  # column → (sequences a row, padded tokens)

    def bytes(self, sizes: EncoderSizes, bytes_per_value: int, rows: int, chunk: int | None) -> int:
        """A step's activations for ``rows`` rows; a cached loss (``chunk``: its mini-batch)
        keeps only one mini-batch of one column's sequences at a time."""
        each = {
            c: activation_bytes(sizes, tokens, bytes_per_value)
            for c, (_, tokens) in self.columns.items()
        }
        if chunk is not None:
            return chunk * max(each.values(), default=0)
        return int(sum(rows * per_row * each[c] for c, (per_row, _) in self.columns.items()))


def step_columns(
    dataset: Any, tokenizer: Any, cap: int, *, pairs: bool, seed: int = 0
) -> StepColumns:
    """Each text column of ``dataset`` with its sequences a row and its padded length, measured
    with ``tokenizer`` on up to :data:`SAMPLE` rows. ``pairs``: a cross-encoder, whose
    sequences are the first column's query joined to each document of the others."""
    text = [c for c, f in dataset.features.items() if _is_text(f)]
    if not text or len(dataset) == 0:
        return StepColumns({})
    rows = random.Random(seed).sample(range(len(dataset)), min(SAMPLE, len(dataset)))
    sample = dataset.select(sorted(rows))
    if not pairs:
        return StepColumns(
            {c: (1.0, padded_length(_token_counts(tokenizer, cap, sample[c]), cap)) for c in text}
        )
    query, documents = text[0], text[1:]
    out = {}
    for column in documents:
        joined = [
            (q, d)
            for q, ds in zip(sample[query], sample[column], strict=True)
            for d in (ds if isinstance(ds, list) else [ds])
        ]
        counts = _token_counts(tokenizer, cap, [q for q, _ in joined], [d for _, d in joined])
        out[column] = (len(joined) / len(sample), padded_length(counts, cap))
    return StepColumns(out)


def _is_text(feature: Any) -> bool:
    """A ``datasets`` feature holding strings, or lists of strings."""
    dtype = getattr(feature, "dtype", None)
    if dtype == "string":
        return True
    inner = getattr(feature, "feature", None)
    return getattr(inner, "dtype", None) == "string"


def _token_counts(
    tokenizer: Any, cap: int, texts: list[Any], others: list[Any] | None = None
) -> list[int]:
    """Token counts of ``texts`` (joined to ``others`` as pairs), cut at ``cap``."""
    flat = [t if isinstance(t, str) else " ".join(t) for t in texts]
    encoded = tokenizer(flat, others, truncation=True, max_length=cap)
    return [len(ids) for ids in encoded["input_ids"]]


@dataclass(frozen=True)
class Choice:
    """Whether checkpointing is on, and why."""

    on: bool
    reason: str


def checkpointing_choice(
    requested: bool | None, estimate: int | None, available: int | None
) -> Choice:
    """The user's ``requested`` value where given; else :func:`checkpointing_choice` for a
    model's ``config`` and ``tokenizer`` about to train on ``dataset``, ``rows`` rows a step
    (``chunk``: a cached loss's mini-batch), sequences of at most ``cap`` tokens."""
    if requested is not None:
        return Choice(requested, "as asked")
    if estimate is None:
        return Choice(False, "auto: off, the model's layer sizes are unknown")
    if available is None:
        return Choice(False, "auto: off, the available memory is unknown")
    fits = estimate <= SHARE * available
    verdict = "off: fits" if fits else "on: does not fit"
    return Choice(
        not fits,
        f"auto: {verdict} (a step's activations up to {_size(estimate)} against "
        f"{SHARE:.0%} of the {_size(available)} available)",
    )


def _size(n: int) -> str:
    return f"{n / GB:.1f} GB" if n >= GB else f"{n / 1e6:.0f} MB"


def device_memory(device: str) -> int | None:
    """Bytes this process can still use on ``device``: free CUDA memory, or the CPU's
    available memory (:func:`trueneg.devices.available_memory`); None elsewhere."""
    if device.startswith("cuda"):
        import torch

        return int(torch.cuda.mem_get_info(torch.device(device))[0])
    if device == "cpu":
        return available_memory()
    return None


def decide(
    requested: bool | None,
    config: Any,
    tokenizer: Any,
    dataset: Any,
    *,
    rows: int,
    chunk: int | None,
    cap: int,
    pairs: bool,
    device: str,
    bytes_per_value: int,
) -> Choice:
    """The user's ``requested`` value where given; else :func:`checkpointing_choice` for a
    model's ``config`` and ``tokenizer`` about to train on ``dataset``, ``rows`` rows a step
    (``chunk``: a cached loss's mini-batch), sequences of at most ``cap`` tokens."""
    if requested is not None:
        return checkpointing_choice(requested, None, None)
    sizes = EncoderSizes.of(config)
    estimate = None
    if sizes is not None:
        columns = step_columns(dataset, tokenizer, cap, pairs=pairs)
        estimate = columns.bytes(sizes, bytes_per_value, rows, chunk)
    choice = checkpointing_choice(None, estimate, device_memory(device))
    logger.info("gradient checkpointing %s", choice.reason)
    return choice
