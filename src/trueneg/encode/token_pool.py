"""A pool of tokenizer processes that stays up for an encoder's life and works ahead of it.

Each worker holds its own copy of the fast tokenizer (given once, when the pool starts) and
turns windows of texts into length-bucketed, padded batches
(:func:`~trueneg.encode.tokenize.tokenize_window`). :meth:`TokenizerPool.batches` keeps
``ahead`` windows queued, so while the device runs the forward pass of one window's batches the
workers tokenize the next ones. The pool starts on first use and is reused by every later
``encode`` call: no process start per call, and a call of a few thousand texts is cut into
windows small enough to keep every worker busy.

Workers are forked with ``TOKENIZERS_PARALLELISM=false`` (one thread each: the processes are
the parallelism); they never touch torch or the GPU.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, contextmanager
from functools import partial
from typing import Any

from trueneg.devices import in_order
from trueneg.encode.batching import windows
from trueneg.encode.tokenize import BatchSettings, TokenBatch, tokenize_window

MIN_WINDOW = 512
"""Windows are cut no smaller than this to spread a call over the workers (bucketing needs
texts to sort)."""

_TOKENIZER: Any = None  # the worker's tokenizer, set by _init


class TokenizerPool:
    """``workers`` tokenizer processes (started on first use; :meth:`close` ends them)."""

    def __init__(self, tokenizer: Any, workers: int, ahead: int | None = None) -> None:
        self.tokenizer = tokenizer
        self.workers = workers
        self.ahead = ahead or 2 * workers
        self._executor: ProcessPoolExecutor | None = None

    def batches(
        self, texts: Sequence[str], settings: BatchSettings, window_size: int
    ) -> Iterator[TokenBatch]:
        """Every text's batch, window by window in input order, tokenized in the workers."""
        executor = self._start()
        size = window_for(len(texts), window_size, self.workers)
        spans = windows(len(texts), size)
        submit = partial(self._submit, executor, texts, settings=settings)
        with closing(in_order(submit, spans, self.ahead)) as done:  # stopped early: drops the queue
            for batches in done:
                yield from batches

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def _submit(
        self,
        executor: ProcessPoolExecutor,
        texts: Sequence[str],
        span: range,
        settings: BatchSettings,
    ) -> Future:
        return executor.submit(_tokenize, list(texts[span.start : span.stop]), span.start, settings)

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("fork")
            with _one_thread_per_worker():
                executor = ProcessPoolExecutor(
                    self.workers, context, initializer=_init, initargs=(self.tokenizer,)
                )
                executor.submit(int).result()  # forks every worker now, inside this context
            self._executor = executor
        return self._executor


def window_for(n_texts: int, window_size: int, workers: int) -> int:
    """Window size for a call of ``n_texts``: at most ``window_size``, small enough to give
    every worker a window, at least :data:`MIN_WINDOW`."""
    share = -(-n_texts // max(1, workers))
    return max(1, min(window_size, max(MIN_WINDOW, share)))


def _init(tokenizer: Any) -> None:
    global _TOKENIZER
    _TOKENIZER = tokenizer


def _tokenize(texts: list[str], offset: int, settings: BatchSettings) -> list[TokenBatch]:
    return tokenize_window(_TOKENIZER, texts, offset, settings)


@contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Workers inherit ``TOKENIZERS_PARALLELISM=false`` (and no fork warning from the Rust
    tokenizer); the parent's value is restored once they exist."""
    saved = os.environ.get("TOKENIZERS_PARALLELISM")
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = saved
