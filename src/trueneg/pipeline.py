"""``mine``: load → encode → retrieve → select, each stage reused when its inputs are unchanged."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from trueneg import __version__
from trueneg.config import MineConfig
from trueneg.data.tables import Dataset, LoadReport
from trueneg.errors import ConfigError, DataError
from trueneg.judging import attach_judge, rescore_stage
from trueneg.run import RunDir, file_fingerprint, fingerprint
from trueneg.stages import (
    candidate_frame,
    candidates_table,
    pos_cosine,
    positive_scores,
    query_offsets,
    row_keys,
)
from trueneg.storage import own_dir
from trueneg.summary import Summary, summarize

logger = logging.getLogger(__name__)

STAGES = ["load", "encode", "retrieve", "rescore", "select"]


@dataclass
class Prepared:
    """The loaded dataset plus the positional views every later stage uses."""

    dataset: Dataset
    fingerprint: str
    positives: list[np.ndarray]
    query_ids: list[str]
    doc_ids: list[str]


def mine(
    data: str | Path | None = None,
    out: str | Path | None = None,
    *,
    config: MineConfig | None = None,
    show_progress: bool = False,
    force: bool = False,
    **settings: Any,
):
    """Mine hard negatives for ``data`` into the run directory ``out``.

    Settings are :class:`~trueneg.config.MineConfig` fields (``model``, ``retriever``,
    ``filters``, ``sampler``, ``num_negatives``, ``seed``, …). Re-running with the same
    settings reuses every finished stage whose files verify and rebuilds damaged ones.
    ``out`` must be new, empty or an earlier run; ``force`` mines into a non-empty folder
    beside its files (never over them). While mining, the run is locked: a second ``mine``
    into it, or a reader, fails at once. Returns a :class:`~trueneg.api.Run`.
    """
    from trueneg.api import Run
    from trueneg.select import resolve_filters, resolve_sampler

    base = config or MineConfig()
    cfg = base.replace(
        data=str(data) if data else None, out=str(out) if out else None, **settings
    ).validate()
    filters = resolve_filters(provisional_filters(cfg))
    sampler = resolve_sampler(cfg.resolved_sampler())
    retriever = _retriever(cfg)
    _check_judge(cfg, filters, sampler)
    needs_vectors = retriever.needs_embeddings or any(f.name == "near-duplicate" for f in filters)
    if needs_vectors:
        from trueneg.encode import resolve_model

        resolve_model(cfg.model)  # a missing model folder fails before any work
    if cfg.device == "cuda":
        _check_cuda()
    if not Path(cfg.data).exists():
        from trueneg.data import load_dataset

        load_dataset(cfg.data)  # raises a DataError naming the path and what is beside it
    run_dir = RunDir(cfg.out, create=True, force=force)
    with run_dir.writing():
        summary = _mine_locked(
            run_dir, cfg, filters, sampler, retriever, needs_vectors, show_progress
        )
    logger.info("mined %d negatives for %d queries", summary.kept, summary.queries)
    return Run(run_dir.path)


def _mine_locked(
    run_dir: RunDir,
    cfg: MineConfig,
    filters: list,
    sampler,
    retriever,
    needs_vectors: bool,
    show_progress: bool,
) -> Summary:
    """Every stage, with the run directory locked for writing."""
    run_dir.file("manifest.json").unlink(missing_ok=True)
    timings: dict[str, float] = {}
    prepared = _load_stage(run_dir, cfg, timings)
    vectors = (
        _encode_stage(run_dir, cfg, prepared, timings, show_progress) if needs_vectors else None
    )
    retrieve_fp = _retrieve_stage(
        run_dir, cfg, prepared, retriever, vectors, filters, timings, show_progress
    )
    rescore_fp = rescore_stage(run_dir, cfg, prepared, retrieve_fp, timings, show_progress)
    cfg, choice = _select_stage(
        run_dir, cfg, prepared, filters, sampler, (retrieve_fp, rescore_fp), timings
    )
    return _finish(run_dir, cfg, prepared, vectors, timings, choice)


def provisional_filters(cfg: MineConfig) -> list[str]:
    """The filters known before retrieval: the given ones, or what ``auto`` always adds (the
    rank window is chosen after retrieval, from the candidates)."""
    if not cfg.auto_filters:
        return list(cfg.filters or [])
    from trueneg.select.auto import JUDGE_FILTER, NEAR_DUPLICATE

    return [NEAR_DUPLICATE, *([JUDGE_FILTER] if cfg.judge else [])]


def _check_cuda() -> None:
    import torch

    if not torch.cuda.is_available():
        raise ConfigError(
            "CUDA was requested but no GPU is available to torch",
            received="--device cuda",
            expected="--device cpu or auto here",
            fix="Pass --device auto, or install a CUDA build of torch",
        )


def cache_root(cfg: MineConfig) -> str | None:
    """The shared cache folder for embeddings and judge scores, if one was given."""
    return cfg.cache_dir or cfg.extra.get("cache_dir")


def _check_judge(cfg: MineConfig, filters: list, sampler) -> None:
    """Fail before any heavy work when a strategy reads judge scores but no judge is set."""
    users = [s for s in [*(f.spec() for f in filters), sampler.spec()] if "judge" in s]
    if users and not cfg.judge:
        raise ConfigError(
            "These strategies need judge scores, but no judge was given",
            received=users,
            expected="--judge FOLDER_OR_NAME",
            fix="Pass --judge with a cross-encoder folder, e.g. the ms-marco "
            "reranker (see `make judges`)",
        )


# load ------------------------------------------------------------------------------------
def _load_stage(run_dir: RunDir, cfg: MineConfig, timings: dict[str, float]) -> Prepared:
    from trueneg.data import load_dataset

    start = time.perf_counter()
    data_path = Path(cfg.data)
    corpus_fp = (
        file_fingerprint(Path(cfg.corpus))
        if cfg.corpus and Path(cfg.corpus).exists()
        else cfg.corpus
    )
    stage_fp = fingerprint(
        "load",
        file_fingerprint(data_path),
        cfg.split,
        cfg.query_column,
        cfg.positive_column,
        corpus_fp,
    )
    outputs = [
        "data/queries.parquet",
        "data/corpus.parquet",
        "data/qrels.parquet",
        "data/doc_aliases.parquet",
    ]
    if run_dir.stage_done("load", stage_fp):
        info = run_dir.stage_info("load")
        aliases = run_dir.read_table("data/doc_aliases.parquet")
        dataset = Dataset(
            *(run_dir.read_table(name) for name in outputs[:3]),
            report=LoadReport(**info["report"]),
            doc_aliases=dict(
                zip(aliases["doc_id"].to_pylist(), aliases["kept_id"].to_pylist(), strict=True)
            ),
        )
        logger.info("load: reusing %d queries, %d documents", dataset.num_queries, dataset.num_docs)
    else:
        run_dir.invalidate_from("load", STAGES)
        dataset = load_dataset(
            cfg.data,
            split=cfg.split,
            query_column=cfg.query_column,
            positive_column=cfg.positive_column,
            corpus=cfg.corpus,
        )
        aliases = pa.table(
            {"doc_id": list(dataset.doc_aliases), "kept_id": list(dataset.doc_aliases.values())},
            schema=pa.schema([("doc_id", pa.string()), ("kept_id", pa.string())]),
        )
        for name, table in zip(
            outputs, (dataset.queries, dataset.corpus, dataset.qrels, aliases), strict=True
        ):
            run_dir.write_table(name, table)
        run_dir.mark_stage(
            "load",
            stage_fp,
            outputs=outputs,
            seconds=time.perf_counter() - start,
            report=dataset.report.to_dict(),
            input_fingerprint=stage_fp,
        )
    timings["load"] = round(time.perf_counter() - start, 3)
    return _prepare(dataset, stage_fp)


def _prepare(dataset: Dataset, stage_fp: str) -> Prepared:
    """Restrict to queries with at least one positive and map ids to positions."""
    positives = dataset.positives()
    doc_ids = dataset.corpus["doc_id"].to_pylist()
    doc_pos = {d: i for i, d in enumerate(doc_ids)}
    by_query: dict[str, list[int]] = {}
    for q, d in zip(
        positives["query_id"].to_pylist(), positives["doc_id"].to_pylist(), strict=True
    ):
        if d in doc_pos:
            by_query.setdefault(q, []).append(doc_pos[d])
    all_ids = dataset.queries["query_id"].to_pylist()
    keep = [i for i, q in enumerate(all_ids) if q in by_query]
    if not keep:
        raise DataError(
            "No query has a labeled positive in this split",
            received=f"{len(all_ids)} queries, {positives.num_rows} positive qrels",
            fix="Check --split and that qrels scores are > 0",
        )
    queries = dataset.queries.take(pa.array(keep, type=pa.int64()))
    dataset = Dataset(
        queries,
        dataset.corpus,
        dataset.qrels,
        report=dataset.report,
        doc_aliases=dataset.doc_aliases,
    )
    query_ids = queries["query_id"].to_pylist()
    pos_lists = [np.unique(np.asarray(by_query[q], dtype=np.int64)) for q in query_ids]
    _share_positives_of_same_text(queries["text"].to_pylist(), pos_lists)
    return Prepared(dataset, stage_fp, pos_lists, query_ids, doc_ids)


def _share_positives_of_same_text(texts: list[str], pos_lists: list[np.ndarray]) -> None:
    """Queries with identical text are one question: each one's positives are masked for all,
    so a positive of one is never mined as a negative of its twin."""
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(" ".join(text.split()), []).append(i)
    shared = [g for g in groups.values() if len(g) > 1]
    for group in shared:
        union = np.unique(np.concatenate([pos_lists[i] for i in group]))
        for i in group:
            pos_lists[i] = union
    if shared:
        logger.info(
            "load: %d groups of queries share a text; their positives are masked for each other",
            len(shared),
        )


# encode ----------------------------------------------------------------------------------
@dataclass
class Vectors:
    queries: np.ndarray
    docs: np.ndarray
    fingerprint: str
    model: str


def _encode_stage(
    run_dir: RunDir,
    cfg: MineConfig,
    prepared: Prepared,
    timings: dict[str, float],
    show_progress: bool,
) -> Vectors:
    from trueneg.encode import describe_encoder, encode_cached, is_cached, make_encoder

    start = time.perf_counter()
    shared = cache_root(cfg)
    cache = own_dir(shared) if shared else own_dir(run_dir.path, "embeddings")
    encoder = make_encoder(
        cfg.encoder,
        model=cfg.model,
        query_prompt=cfg.query_prompt,
        document_prompt=cfg.document_prompt,
        batch_size=cfg.batch_size,
        device=cfg.device,
        cache_dir=cache / "onnx",
    )
    dataset = prepared.dataset
    logger.info(
        "encode: %d queries, %d documents with %r", dataset.num_queries, dataset.num_docs, encoder
    )
    # progress is saved after every chunk; the fast encoder wants big ones to keep a GPU busy
    chunk = getattr(encoder, "preferred_chunk_size", None) or max(256, 4 * cfg.batch_size)
    docs_cached = is_cached(encoder, dataset.doc_texts(), "document", cache)
    ray_encode = None
    if cfg.ray:  # the same cache, filled by Ray encoder actors
        from trueneg.distributed import RayEncode

        ray_encode = RayEncode(cfg.ray, workers=cfg.ray_workers)
    elif not docs_cached:
        encoder.dim  # noqa: B018 - load (or export) the model outside the measured rate
    encode = ray_encode or encode_cached
    docs_start = time.perf_counter()
    docs = encode(
        encoder,
        dataset.doc_texts(),
        "document",
        cache,
        chunk_size=chunk,
        show_progress=show_progress,
    )
    docs_seconds = time.perf_counter() - docs_start
    queries = encode(
        encoder,
        dataset.query_texts(),
        "query",
        cache,
        chunk_size=chunk,
        show_progress=show_progress,
    )
    stage_fp = fingerprint("encode", encoder.fingerprint, prepared.fingerprint)
    if not run_dir.stage_done("encode", stage_fp):
        run_dir.mark_stage(
            "encode",
            stage_fp,
            outputs=[],
            seconds=time.perf_counter() - start,
            model=str(encoder.model_path),
            model_fingerprint=encoder.fingerprint,
            dim=int(docs.shape[1]),
            **(ray_encode.state() if ray_encode else {}),
            **describe_encoder(encoder),
            docs_per_s=None if docs_cached else round(len(docs) / max(docs_seconds, 1e-9), 2),
        )
    timings["encode"] = round(time.perf_counter() - start, 3)
    return Vectors(queries, docs, encoder.fingerprint, str(encoder.model_path))


# retrieve --------------------------------------------------------------------------------
def _retriever(cfg: MineConfig):
    from trueneg.retrieve import RETRIEVERS

    return RETRIEVERS.resolve(cfg.retriever)


def _search_depth(cfg: MineConfig, filters: list) -> int:
    """How deep to search: ``--depth``, deeper for a rank window that ends below it, and
    ``--depth`` + 100 under ``auto`` (its 100-rank window may start anywhere in ``--depth``)."""
    from trueneg.select.auto import DEFAULT_WIDTH

    depth = cfg.depth + DEFAULT_WIDTH if cfg.auto_filters else cfg.depth
    for f in filters:
        upper = getattr(f, "max", None) if f.name == "rank-window" else None
        if upper is not None:
            extra = 3 * cfg.num_negatives if cfg.shortfall == "backfill" else 0
            depth = max(depth, int(upper) - 1 + extra)
    return depth


def _retrieve_stage(
    run_dir: RunDir,
    cfg: MineConfig,
    prepared: Prepared,
    retriever,
    vectors: Vectors | None,
    filters: list,
    timings: dict[str, float],
    show_progress: bool,
) -> str:
    from trueneg.retrieve.base import SearchInput

    start = time.perf_counter()
    depth = _search_depth(cfg, filters)
    stage_fp = fingerprint(
        "retrieve",
        prepared.fingerprint,
        vectors.fingerprint if vectors else None,
        cfg.retriever,
        depth,
    )
    outputs = ["candidates.parquet", "query_stats.parquet", "positives.parquet"]
    if run_dir.stage_done("retrieve", stage_fp):
        logger.info("retrieve: reusing candidates")
        timings["retrieve"] = 0.0
        return stage_fp
    run_dir.invalidate_from("retrieve", STAGES)
    dataset = prepared.dataset
    inputs = SearchInput(
        query_texts=dataset.query_texts(),
        doc_texts=dataset.doc_texts(),
        positives=prepared.positives,
        query_embeddings=vectors.queries if vectors else None,
        doc_embeddings=vectors.docs if vectors else None,
    )
    logger.info("retrieve: %s, top %d of %d documents", cfg.retriever, depth, dataset.num_docs)
    if cfg.ray:  # exact search over corpus shards on Ray: the same candidates as locally
        from trueneg.distributed import RaySearch

        retriever = RaySearch(retriever, cfg.ray, workers=cfg.ray_workers)
    cands = retriever.search(inputs, depth, show_progress=show_progress)
    recall = {}
    if hasattr(retriever, "estimate_recall"):  # approximate search: measure it against exact
        recall = retriever.estimate_recall(
            inputs, depth, sample=1000, seed=cfg.seed, candidates=cands
        )
        logger.info(
            "retrieve: recall@%d vs exact search %.3f on %d sampled queries",
            depth,
            recall["recall_at_depth"],
            recall["sample_queries"],
        )
    if vectors is not None:
        cands.columns["pos_cosine"] = pos_cosine(cands, prepared.positives, vectors.docs)
    table, stats = candidates_table(cands, prepared.query_ids, prepared.doc_ids, prepared.positives)
    run_dir.write_table("positives.parquet", positives_table(prepared, vectors, retriever))
    run_dir.write_table("candidates.parquet", table)
    run_dir.write_table("query_stats.parquet", stats)
    run_dir.mark_stage(
        "retrieve",
        stage_fp,
        outputs=outputs,
        seconds=time.perf_counter() - start,
        depth=depth,
        rows=table.num_rows,
        retriever=cfg.retriever,
        **recall,
        **(retriever.state() if cfg.ray else {}),
    )
    timings["retrieve"] = round(time.perf_counter() - start, 3)
    return stage_fp


# select ----------------------------------------------------------------------------------
def positives_table(prepared: Prepared, vectors: Vectors | None, retriever) -> pa.Table:
    """Every labeled positive with ``score_dense`` (NaN without embeddings) and, when the
    candidates' scores are cosines too, ``score`` (BM25 and fused scores of positives are not
    stored: exports then give positives 1.0 and say so)."""
    query_ids = [
        q for q, pos in zip(prepared.query_ids, prepared.positives, strict=True) for _ in pos
    ]
    doc_ids = [prepared.doc_ids[i] for pos in prepared.positives for i in pos]
    dense = (
        positive_scores(prepared.positives, vectors.queries, vectors.docs)
        if vectors
        else np.full(len(doc_ids), np.nan, dtype=np.float32)
    )
    columns = {
        "query_id": pa.array(query_ids, type=pa.string()),
        "doc_id": pa.array(doc_ids, type=pa.string()),
        "score_dense": pa.array(dense),
    }
    if retriever.name == "exact" or retriever.name.startswith("faiss"):
        columns["score"] = pa.array(dense)  # the candidates' scale: positives are comparable
    return pa.table(columns)


def _select_stage(
    run_dir: RunDir,
    cfg: MineConfig,
    prepared: Prepared,
    filters,
    sampler,
    retrieve_fp: tuple[str, str | None],
    timings: dict[str, float],
):
    """Run the selection; under ``auto`` first choose the filters/sampler from the candidates.

    Returns the effective config (what ran, as the manifest records it) and the auto choice.
    """
    from trueneg.select import resolve_filters, resolve_sampler, select

    start = time.perf_counter()
    choice = None
    if cfg.auto_filters:
        choice = auto_choice(run_dir, cfg, prepared)
        filters = resolve_filters(choice.filters)
        sampler = resolve_sampler(choice.sampler if cfg.auto_sampler else cfg.sampler)
        cfg = cfg.replace(filters=[f.spec() for f in filters], sampler=sampler.spec())
        logger.info(
            "select: auto chose %s, sampler %s — %s", cfg.filters, cfg.sampler, choice.reason
        )
    elif cfg.sampler == "auto":  # given filters, no sampler: top
        cfg = cfg.replace(sampler=sampler.spec())
    stage_fp = fingerprint(
        "select",
        retrieve_fp,
        [f.spec() for f in filters],
        sampler.spec(),
        cfg.num_negatives,
        cfg.shortfall,
        cfg.seed,
    )
    if run_dir.stage_done("select", stage_fp):
        logger.info("select: reusing negatives")
        timings["select"] = 0.0
        return cfg, choice
    table = run_dir.read_table("candidates.parquet")
    stats = run_dir.read_table("query_stats.parquet")
    if cfg.judge:
        table, stats = attach_judge(run_dir, table, stats)
    keys = row_keys(table["query_id"].to_pylist(), table["doc_id"].to_pylist())
    frame = candidate_frame(table, stats, keys)
    result = select(
        frame, filters, sampler, cfg.num_negatives, shortfall=cfg.shortfall, seed=cfg.seed
    )
    negatives = table.append_column("kept", pa.array(result.kept, type=pa.bool_()))
    negatives = negatives.append_column(
        "reason", pa.array(result.reason.tolist(), type=pa.string())
    )
    stats = stats.append_column("kept", pa.array(result.per_query_kept, type=pa.int32()))
    stats = stats.append_column("dropped", pa.array(result.dropped_queries, type=pa.bool_()))
    run_dir.write_table("negatives.parquet", negatives)
    run_dir.write_table("query_stats_selected.parquet", stats)
    run_dir.mark_stage(
        "select",
        stage_fp,
        outputs=["negatives.parquet", "query_stats_selected.parquet"],
        seconds=time.perf_counter() - start,
    )
    timings["select"] = round(time.perf_counter() - start, 3)
    return cfg, choice


def auto_choice(run_dir: RunDir, cfg: MineConfig, prepared: Prepared):
    """Estimate contamination per rank from the labeled positives and choose (see
    :mod:`trueneg.select.auto`). Reads only the scores and per-query counts it needs."""
    from trueneg.select.auto import (
        DEFAULT_COST,
        MIN_QUERIES,
        choose,
        estimate,
        few_queries,
        training_queries,
    )

    stats = run_dir.read_table("query_stats.parquet", columns=["candidates", "positive_rank"])
    columns = ["score", "rank"] if cfg.judge else ["score"]
    candidates = run_dir.read_table("candidates.parquet", columns=columns)
    score = candidates["score"]
    offsets = query_offsets(stats)
    positives = run_dir.read_table("positives.parquet")
    position = {q: i for i, q in enumerate(prepared.query_ids)}
    pos_query = np.array([position[q] for q in positives["query_id"].to_pylist()], dtype=np.int64)
    pos_score = (
        positives["score"].to_numpy(zero_copy_only=False).astype(np.float32)
        if "score" in positives.column_names
        else None
    )
    depth = int(run_dir.stage_info("retrieve").get("depth", cfg.depth))
    f, evidence = estimate(
        offsets,
        score.to_numpy(zero_copy_only=False).astype(np.float32),
        pos_query,
        pos_score,
        stats["positive_rank"].to_numpy().astype(np.int64),
        depth,
    )
    if cfg.judge:
        rank = candidates["rank"].to_numpy()
        f = _judge_tightened(run_dir, rank, f, evidence, depth)
    cost = DEFAULT_COST if cfg.auto_cost is None else float(cfg.auto_cost)
    if evidence["queries_ranked"] < MIN_QUERIES:
        choice = few_queries(evidence["queries_ranked"], judge=bool(cfg.judge))
    else:
        choice = choose(f, cfg.num_negatives, cost=cost, judge=bool(cfg.judge))
    choice.evidence = {**evidence, "search_depth": depth, "cost": cost}
    choice.train_queries = training_queries(stats["positive_rank"].to_numpy())
    return choice


def _judge_tightened(
    run_dir: RunDir, rank: np.ndarray, f: np.ndarray, evidence: dict, depth: int
) -> np.ndarray:
    """``f`` with the judge's mixture-proportion bound where it is lower (see
    :func:`trueneg.select.auto.judge_bound`); ``rank``: each candidate's rank."""
    from trueneg.select.auto import judge_bound, with_judge_bound

    judge = run_dir.read_table("judge_scores.parquet")["judge"].to_numpy(zero_copy_only=False)
    pairs = run_dir.read_table("judge_positive_pairs.parquet")["judge"]
    positive = pairs.to_numpy(zero_copy_only=False).astype(np.float64)
    bound = judge_bound(rank, judge.astype(np.float64), positive, depth)
    return with_judge_bound(f, bound, evidence, int(np.isfinite(positive).sum()))


# finish ----------------------------------------------------------------------------------
def _finish(
    run_dir: RunDir,
    cfg: MineConfig,
    prepared: Prepared,
    vectors: Vectors | None,
    timings: dict[str, float],
    choice=None,
) -> Summary:
    negatives = run_dir.read_table("negatives.parquet")
    stats = run_dir.read_table("query_stats_selected.parquet")
    state = run_dir.state()
    rescore = {
        k: v
        for k, v in state.get("rescore", {}).items()
        if k in ("judge", "judge_kind", "pairs", "pairs_scored", "pairs_per_s", "seconds")
    }
    retrieval = {
        k: v
        for k, v in state.get("retrieve", {}).items()
        if k in ("retriever", "depth", "recall_at_depth", "sample_queries")
    }
    auto = choice.to_dict() if choice else None
    summary = summarize(
        negatives,
        stats,
        num_negatives=cfg.num_negatives,
        timings=timings,
        load=prepared.dataset.report.to_dict(),
        config=cfg.to_dict(),
        rescore=rescore if cfg.judge else None,
        retrieval=retrieval,
        auto=auto,
    )
    run_dir.write_manifest(
        {
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "config": cfg.to_dict(),
            "seed": cfg.seed,
            "inputs": {
                "data": str(Path(cfg.data).resolve()),
                "load_fingerprint": prepared.fingerprint,
                "corpus": cfg.corpus,
            },
            "model": {"path": vectors.model, "fingerprint": vectors.fingerprint}
            if vectors
            else None,
            "stages": {
                name: {k: v for k, v in state.get(name, {}).items() if k != "report"}
                for name in STAGES
            },
            "counts": {
                "queries": summary.queries,
                "documents": prepared.dataset.num_docs,
                "candidates": summary.candidates,
                "kept": summary.kept,
            },
            "timings": timings,
            "auto": auto,
            "summary": summary.to_dict(),
            "version_written": __version__,
        }
    )
    return summary
