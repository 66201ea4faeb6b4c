"""The encode stage: queries and documents into cached vectors, with the run's encoder."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trueneg import encode as encoders
from trueneg.distributed import DevicesEncode, RayEncode, spec_kind
from trueneg.encode.base import Encoder
from trueneg.pipeline.context import MineContext
from trueneg.pipeline.prepared import Prepared
from trueneg.run import RunDir, fingerprint
from trueneg.settings import MineConfig
from trueneg.settings.mine import CACHE_IN_RUN
from trueneg.storage import own_dir

logger = logging.getLogger(__name__)


@dataclass
class Vectors:
    """A run's query and document vectors (memory-mapped from the cache)."""

    queries: np.ndarray
    docs: np.ndarray
    fingerprint: str
    model: str


def cache_root(cfg: MineConfig) -> str | None:
    """The shared cache folder for embeddings and judge scores; None when a run keeps them in
    its own folder (``cache_dir = "run"``, or a run mined before the per-user default, whose
    manifest records None)."""
    return None if cfg.cache_dir in (None, CACHE_IN_RUN) else cfg.cache_dir


def embedding_cache(cfg: MineConfig, run_dir: RunDir) -> Path:
    """Where a run's vectors are cached: the shared cache folder (by default the per-user
    one, :func:`trueneg.encode.user_cache_dir`), else ``RUN/embeddings``."""
    shared = cache_root(cfg)
    return own_dir(shared) if shared else own_dir(run_dir.path, "embeddings")


def build_encoder(cfg: MineConfig, cache: Path, name: str | None = None) -> Encoder:
    """The encoder a run with settings ``cfg`` uses (its ONNX exports live under ``cache``).

    ``name`` overrides ``cfg.encoder``: a finished run records the encoder ``auto`` picked
    (its ``encode`` stage's ``encoder``), so reading the run again uses the same one.
    """
    return encoders.make_encoder(
        name if name in encoders.ENCODERS else cfg.encoder,
        model=cfg.model,
        query_prompt=cfg.query_prompt,
        document_prompt=cfg.document_prompt,
        prompt_name=cfg.prompt_name,
        document_prompt_name=cfg.document_prompt_name,
        batch_size=cfg.batch_size,
        device=spec_kind(cfg.devices) if cfg.devices else cfg.device,
        max_seq_length=cfg.max_seq_length,
        trust_remote_code=cfg.trust_remote_code,
        cache_dir=cache / "onnx",
    )


def encode_stage(ctx: MineContext, prepared: Prepared) -> Vectors:
    """Encode every document and query through the cache (a rerun encodes only what is
    missing), on Ray when ``cfg.ray`` is set, on every device of ``--devices`` when given."""
    with ctx.timed("encode"):
        cfg, run_dir = ctx.cfg, ctx.run_dir
        start = time.perf_counter()
        cache = embedding_cache(cfg, run_dir)
        encoder = build_encoder(cfg, cache)
        dataset = prepared.dataset
        logger.info(
            "encode: %d queries, %d documents with %r",
            dataset.num_queries,
            dataset.num_docs,
            encoder,
        )
        # progress is saved after every chunk; the fast encoder wants big ones to keep a GPU busy
        chunk = getattr(encoder, "preferred_chunk_size", None) or max(256, 4 * cfg.batch_size)
        docs_cached = encoders.is_cached(encoder, dataset.doc_text_view(), "document", cache)
        ray_encode: RayEncode | DevicesEncode | None = None
        if cfg.ray:  # the same cache, filled by Ray encoder actors
            ray_encode = RayEncode(cfg.ray, workers=cfg.ray_workers)
        elif ctx.devices:  # the same cache, filled by one worker per device
            ray_encode = DevicesEncode(ctx.devices)
        elif not docs_cached:
            encoder.dim  # noqa: B018 - load (or export) the model outside the measured rate
        encode = ray_encode or encoders.encode_cached
        options = {"chunk_size": chunk, "show_progress": ctx.show_progress}
        docs_start = time.perf_counter()
        docs = encode(encoder, dataset.doc_text_view(), "document", cache, **options)
        docs_seconds = time.perf_counter() - docs_start
        queries = encode(encoder, dataset.query_texts(), "query", cache, **options)
        stage_fp = fingerprint("encode", encoder.fingerprint, prepared.fingerprint)
        if not run_dir.stage_done("encode", stage_fp):
            run_dir.mark_stage(
                "encode",
                stage_fp,
                outputs=[],
                seconds=time.perf_counter() - start,
                model=str(encoder.model_path),
                model_fingerprint=encoder.fingerprint,
                cache=str(cache),
                dim=int(docs.shape[1]),
                **(ray_encode.state() if ray_encode else {}),
                **encoders.describe_encoder(encoder),
                docs_per_s=None if docs_cached else round(len(docs) / max(docs_seconds, 1e-9), 2),
            )
    return Vectors(queries, docs, encoder.fingerprint, str(encoder.model_path))
