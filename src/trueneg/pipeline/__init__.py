"""The mine pipeline: load → encode → retrieve → rescore → select, one module per stage.

:func:`run_pipeline` runs it (:mod:`~trueneg.pipeline.runner`); :func:`trueneg.mine` wraps
it and returns the finished :class:`~trueneg.api.Run`. The seams other parts reuse — the
audit's hidden-qrels replay, Ray, benchmarks — are public here: :func:`prepare` (a dataset's
positional views), :func:`make_plan` / :func:`search_depth` (strategies settled once),
:func:`build_encoder` / :func:`embedding_cache` / :func:`cache_root` (a run's own encoder and
caches), :func:`find_candidates` (search), :func:`select_table` (selection) and
:func:`judge_cache`.
"""

from trueneg.pipeline.context import STAGES, MineContext
from trueneg.pipeline.encode import Vectors, build_encoder, cache_root, embedding_cache
from trueneg.pipeline.frames import (
    candidate_frame,
    candidates_table,
    id_hashes,
    pos_cosine,
    positive_scores,
    query_offsets,
    row_keys,
)
from trueneg.pipeline.judge_check import check_remote_judges
from trueneg.pipeline.plan import Plan, make_plan, search_depth
from trueneg.pipeline.prepared import Prepared, prepare
from trueneg.pipeline.rescore import attach_judge, judge_cache
from trueneg.pipeline.retrieve import find_candidates
from trueneg.pipeline.runner import run_pipeline
from trueneg.pipeline.select import Selection, select_table

__all__ = [
    "STAGES",
    "MineContext",
    "Plan",
    "Prepared",
    "Selection",
    "Vectors",
    "attach_judge",
    "build_encoder",
    "cache_root",
    "candidate_frame",
    "candidates_table",
    "check_remote_judges",
    "embedding_cache",
    "find_candidates",
    "id_hashes",
    "judge_cache",
    "make_plan",
    "pos_cosine",
    "positive_scores",
    "prepare",
    "query_offsets",
    "row_keys",
    "run_pipeline",
    "search_depth",
    "select_table",
]
