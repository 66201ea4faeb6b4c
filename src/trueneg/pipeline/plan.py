"""What a mine will run, settled once from its settings before any work: the strategies, the
retriever, whether documents are embedded, how deep to search, and checks that fail early."""

from __future__ import annotations

from dataclasses import dataclass

from trueneg.data import require_input
from trueneg.devices import require_cuda
from trueneg.encode import resolve_model
from trueneg.errors import ConfigError
from trueneg.pipeline.auto import AUTO_WIDTH, provisional_filters
from trueneg.retrieve import RETRIEVERS
from trueneg.retrieve.base import Retriever
from trueneg.select import Filter, Sampler, resolve_filters, resolve_sampler
from trueneg.settings import MineConfig


@dataclass(frozen=True)
class Plan:
    """The resolved strategies of a run.

    ``filters`` are those known before retrieval (under ``auto`` the rank window is chosen
    after it, from the candidates: see :mod:`trueneg.pipeline.auto`).
    """

    filters: list[Filter]
    sampler: Sampler
    retriever: Retriever
    needs_vectors: bool
    depth: int


def make_plan(cfg: MineConfig) -> Plan:
    """Resolve ``cfg``'s strategies and check them together (a judge strategy without a judge
    fails here, before any work)."""
    filters = resolve_filters(provisional_filters(cfg))
    sampler = resolve_sampler(cfg.resolved_sampler())
    retriever = RETRIEVERS.resolve(cfg.retriever)
    check_judge(cfg, [*filters, sampler])
    needs_vectors = retriever.needs_embeddings or any(f.needs_vectors for f in filters)
    return Plan(filters, sampler, retriever, needs_vectors, search_depth(cfg, filters))


def search_depth(cfg: MineConfig, filters: list[Filter]) -> int:
    """How deep to search: ``depth``, deeper for a filter that keeps ranks below it, and
    ``depth`` + the window width under ``auto`` (its window may start anywhere in ``depth``)."""
    depth = cfg.depth + AUTO_WIDTH if cfg.auto_filters else cfg.depth
    for f in filters:
        deepest = f.deepest_rank()
        if deepest is not None:
            extra = 3 * cfg.num_negatives if cfg.shortfall == "backfill" else 0
            depth = max(depth, deepest + extra)
    return depth


def check_judge(cfg: MineConfig, strategies: list[Filter | Sampler]) -> None:
    """Fail before any heavy work when a strategy reads judge scores but no judge is set."""
    users = [s.spec() for s in strategies if s.needs_judge]
    if cfg.negative_weights:
        users.append(f"--negative-weights {cfg.negative_weights}")
    if cfg.relabel_query_limit is not None:
        users.append(f"--relabel-query-limit {cfg.relabel_query_limit}")
    if users and not cfg.judge:
        raise ConfigError(
            "These strategies need judge scores, but no judge was given",
            received=users,
            expected="--judge FOLDER_OR_NAME",
            fix="Pass --judge with a cross-encoder folder, e.g. the ms-marco "
            "reranker (see `make judges`)",
        )


def check_inputs(cfg: MineConfig, plan: Plan) -> None:
    """What can fail in seconds fails before the run directory is touched: a missing model
    folder, CUDA asked for without a GPU, a data path that does not exist."""
    if plan.needs_vectors:
        resolve_model(cfg.model)
    if cfg.device == "cuda":
        require_cuda("--device cuda", "Pass --device auto, or install a CUDA build of torch")
    require_input(cfg.data)  # a missing path names what is beside it; Hub names pass
