"""The training set of a run for one loss: its export, and the teacher scores it needs."""

from __future__ import annotations

import logging
from typing import Any

from trueneg.errors import DataError
from trueneg.export import build_export, to_hf_dataset
from trueneg.export.build import export_notes
from trueneg.select.weights import WEIGHT_COLUMN
from trueneg.train.losses import TrainLoss

logger = logging.getLogger(__name__)

WEIGHT_COLUMNS = ("weights", WEIGHT_COLUMN)  # the n-tuple's and the triplet's weight column


def training_set(
    run: Any,
    loss: TrainLoss,
    column: str | None,
    fmt: str | None = None,
    all_queries: bool = False,
    weighted: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """The run's export in ``fmt`` (default: the loss's own format) as a ``datasets.Dataset``,
    and the export's notes. Under ``auto`` only the run's training queries are exported
    (``Run.training_queries``) unless ``all_queries``. A weighted run's negative weights
    become the ``label`` column when ``weighted`` (the loss reads them), else are left out."""

    positives = run.positive_scores() if column else None
    if column and (positives is None or column not in positives.column_names):
        raise DataError(
            f"The run stored no {column!r} scores for its positives, needed as teacher scores",
            received=str(run.path),
            expected="a run mined by this trueneg version (positives.parquet)",
            fix="Re-run the same `trueneg mine` command into a new --out, or use --loss mnrl",
        )
    fmt = fmt or loss.fmt
    table = build_export(
        run.negatives(),
        run.dataset(),
        fmt,
        include_scores=column is not None,
        score_column=column or "score",
        positive_scores=positives,
        queries=run.training_queries(all_queries),
    )
    notes = {k: v for k, v in export_notes(table).items() if k != "format"}
    if table.num_rows == 0:
        raise DataError(
            "The run has no training rows for this loss",
            received=str(run.path),
            expected=f"queries with a positive and kept negatives ({fmt})",
            fix="Check `trueneg audit` / the run summary: were all negatives filtered?",
        )
    if column is not None:
        _check_teacher_scores(table, column, run, loss.skips_unscored)
    if notes.get("queries_not_for_training"):
        logger.info(
            "%s queries whose labeled positive the mining model ranks below its top %s are "
            "left out (auto's training queries; all_queries keeps them)",
            notes["queries_not_for_training"],
            run.manifest["auto"]["train_queries"]["max_positive_rank"],
        )
    if notes.get("queries_short_of_k"):
        logger.info(
            "%s queries have fewer kept negatives than the others and are left out of "
            "the %s export",
            notes["queries_short_of_k"],
            fmt,
        )
    return to_hf_dataset(_weights_as_label(table, weighted)), notes


def run_is_weighted(run: Any, loss: TrainLoss) -> bool:
    """The run has negative weights and ``loss`` reads them."""
    return loss.reads_weights and WEIGHT_COLUMN in run.negatives().column_names


def _weights_as_label(table: Any, weighted: bool) -> Any:
    """The weights column of a weighted export renamed ``label`` (what sentence-transformers
    hands a loss as its labels), or dropped when the loss does not read it."""
    for name in WEIGHT_COLUMNS:
        if name in table.column_names:
            if not weighted:
                return table.drop_columns([name])
            return table.rename_columns(["label" if c == name else c for c in table.column_names])
    return table


def teacher_column(run: Any, loss: TrainLoss) -> str | None:
    """The judge's scores when the run has them, else the retriever's; None if not needed."""
    if not loss.include_scores:
        return None
    return "judge" if "judge" in run.negatives().column_names else "score"


def _check_teacher_scores(table: Any, column: str, run: Any, skips_unscored: bool) -> None:
    import numpy as np

    values = np.array(table["scores"].to_pylist(), dtype=np.float64)
    missing = int((~np.isfinite(values)).sum())
    if not missing:
        return
    if column == "judge" and skips_unscored and np.isfinite(values[:, 0]).all():
        logger.info(
            "%s of %s kept negatives lie below the judge's depth: the KL leaves them out, "
            "the contrastive loss keeps them",
            missing,
            values[:, 1:].size,
        )
        return
    if column == "judge":
        raise _unjudged_negatives(run, missing)
    raise DataError(
        f"The run has no {column!r} teacher score for some positives or negatives",
        received=f"{missing} missing scores in {run.path}",
        expected="a judge (--judge) or a dense retriever (exact, faiss) when mining",
        fix="Mine with --judge or --retriever exact, or train with --loss mnrl",
    )


def _unjudged_negatives(run: Any, missing: int) -> DataError:
    """The error for kept negatives deeper than the judge looked: where they lie, and what
    judge depth would cover them."""
    import pyarrow.compute as pc

    negatives = run.negatives()
    kept = negatives.filter(negatives["kept"])
    unjudged = kept.filter(pc.is_null(kept["judge"], nan_is_null=True))
    depth = run.manifest.get("config", {}).get("judge_depth")
    deepest = pc.max(unjudged["rank"]).as_py() if unjudged.num_rows else None
    where = f"below the judge's depth of {depth}" if depth else "that the judge did not score"
    return DataError(
        f"{unjudged.num_rows} kept negatives lie {where}, so the judge's scores cannot teach "
        "on them",
        received=f"{missing} missing teacher scores in {run.path} (deepest kept negative "
        f"without one: rank {deepest})",
        expected="a judge score for the positive and every kept negative",
        fix=f"Train with --loss mnrl+kl (its KL leaves them out), or mine again with "
        f"--judge-depth {deepest} or more, or train with --loss mnrl",
    )
