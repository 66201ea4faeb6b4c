"""Length bucketing: batches of similar-length texts, sized by a budget of padded tokens.

A forward pass costs what its padded ``batch × longest`` tensor costs, so texts are sorted by
token length (longest first: the biggest batch runs first and an out-of-memory error shows at
once) and cut into batches whose padded size stays within ``token_budget``. Short queries then
go in batches of thousands and long documents in batches of a few hundred, with almost no
padding. The plan holds positions into the input, so results go back in input order.
"""

from __future__ import annotations

import numpy as np

from trueneg.errors import ConfigError


def padded_length(length: int, multiple_of: int = 1) -> int:
    """``length`` rounded up to a multiple of ``multiple_of`` (8 suits GPU tensor cores)."""
    return -(-int(length) // multiple_of) * multiple_of


def plan_batches(
    lengths: np.ndarray | list[int],
    token_budget: int,
    *,
    max_batch_size: int | None = None,
    multiple_of: int = 1,
) -> list[np.ndarray]:
    """Cut positions ``0..n-1`` into batches, longest texts first.

    Every position appears in exactly one batch; within a batch lengths do not increase; a
    batch's ``size × padded_length(longest)`` is at most ``token_budget``, except a batch of
    one text that alone exceeds it.

    Args:
        lengths: token count of each text.
        token_budget: the most padded tokens in one batch.
        max_batch_size: the most texts in one batch (None: only the budget limits it).
        multiple_of: pad each batch's length up to a multiple of this.
    """
    if token_budget < 1:
        raise ConfigError("token_budget must be positive", received=token_budget, expected=">= 1")
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    cap = max_batch_size or len(order)
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        longest = padded_length(max(int(lengths[order[start]]), 1), multiple_of)
        size = max(1, min(token_budget // longest, cap))
        batches.append(order[start : start + size])
        start += size
    return batches


def windows(n: int, size: int) -> list[range]:
    """Consecutive ranges of at most ``size`` positions covering ``0..n-1``."""
    if size < 1:
        raise ConfigError("window size must be positive", received=size, expected=">= 1")
    return [range(lo, min(lo + size, n)) for lo in range(0, n, size)]
