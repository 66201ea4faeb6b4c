"""PNG plots of a run and its audit, drawn with matplotlib's Agg canvas.

No global state is touched: matplotlib is imported inside the functions, figures are bare
``Figure`` objects on a ``FigureCanvasAgg`` (never ``pyplot``), and style settings live in a
``rc_context`` around each drawing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from trueneg.audit.findings import AuditFindings
from trueneg.audit.formatting import bucket_labels

if TYPE_CHECKING:
    from trueneg.api import Run

SIZE_INCHES = (9.0, 5.0)
DPI = 110
STYLE = {
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
COLORS = {"positive": "#2a9d52", "kept": "#2563eb", "dropped": "#dc2626", "unsampled": "#9ca3af"}


@contextmanager
def _figure() -> Iterator[tuple[Any, Any]]:
    """A styled ``(figure, axes)``; the caller draws, then ``_png(figure)`` inside the block."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        yield figure, figure.add_subplot()


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _finite(values: Any) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    return array[np.isfinite(array)]


def score_groups(run: Run) -> dict[str, np.ndarray]:
    """Scores by group: lowest positive per query, kept, dropped by a filter, not sampled."""
    negatives = run.negatives()
    scores = np.asarray(negatives["score"].to_numpy(zero_copy_only=False), dtype=np.float64)
    kept = np.asarray(negatives["kept"].to_numpy(zero_copy_only=False), dtype=bool)
    reasons = np.asarray(negatives["reason"].to_pylist(), dtype=object)
    unsampled = ~kept & (reasons == "not-sampled")
    return {
        "positive": _finite(run.query_stats()["positive_min"].to_numpy(zero_copy_only=False)),
        "kept": _finite(scores[kept]),
        "dropped": _finite(scores[~kept & ~unsampled]),
        "unsampled": _finite(scores[unsampled]),
    }


def score_histograms(run: Run) -> bytes:
    """Overlaid, density-normalised score histograms: positives vs kept vs dropped negatives."""
    groups = score_groups(run)
    labels = {
        "positive": "lowest positive per query",
        "kept": "kept negatives",
        "dropped": "dropped by a filter",
        "unsampled": "passed filters, not sampled",
    }
    present = {k: v for k, v in groups.items() if v.size}
    with _figure() as (figure, axes):
        if present:
            edges = np.histogram_bin_edges(np.concatenate(list(present.values())), bins=40)
            for key, values in present.items():
                label = f"{labels[key]} (n={values.size:,})"
                for style in (
                    {"histtype": "stepfilled", "alpha": 0.25},  # the area, then its outline
                    {"histtype": "step", "linewidth": 2, "label": label},
                ):
                    axes.hist(values, bins=edges, density=True, color=COLORS[key], **style)
            axes.legend(loc="upper right", frameon=False)
        else:
            _empty(axes, "no scores in this run")
        axes.set(
            title="Retriever scores: positives vs kept vs dropped negatives",
            xlabel="retriever score",
            ylabel="density",
        )
        return _png(figure)


def fn_rate_by_rank(report: AuditFindings) -> bytes | None:
    """Hidden-qrels false-negative rate per rank bucket, one line per strategy plus the
    candidate-level rate, with the 95% interval shaded for the candidates and this run's
    strategy; buckets with too little evidence are left out. ``None`` when the hidden-qrels
    protocol was not run."""
    hidden = report.hidden_qrels
    if hidden is None:
        return None
    labels = bucket_labels(hidden)
    x = np.arange(len(labels))
    with _figure() as (figure, axes):
        axes.plot(
            x,
            _rates(hidden.candidate_rate_by_rank, labels),
            color="black",
            linestyle="--",
            linewidth=2.5,
            marker="o",
            label="all candidates (no filter)",
        )
        axes.fill_between(
            x, *_bounds(hidden.candidate_rate_by_rank, labels), color="black", alpha=0.08
        )
        for index, strategy in enumerate(hidden.strategies):
            mine = strategy.strategy == hidden.run_strategy
            if mine:
                lo, hi = _bounds(strategy.by_rank, labels)
                axes.fill_between(x, lo, hi, color=f"C{index % 10}", alpha=0.15)
            axes.plot(
                x,
                _rates(strategy.by_rank, labels),
                marker="o",
                color=f"C{index % 10}",
                linewidth=3.0 if mine else 1.6,
                alpha=1.0 if mine else 0.85,
                label=strategy.strategy,
            )
        axes.set_xticks(x, labels)
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_formatter(lambda value, _: f"{100 * value:.0f}%")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
        axes.set(
            title="False-negative rate by rank (hidden-qrels protocol)",
            xlabel="candidate rank",
            ylabel="hidden positives among negatives (95% CI shaded)",
        )
        return _png(figure)


def _rates(buckets: list[Any], labels: list[str]) -> np.ndarray:
    by_label = {b.bucket: b.rate for b in buckets}
    return np.array(
        [np.nan if by_label.get(label) is None else by_label[label] for label in labels],
        dtype=np.float64,
    )


def _bounds(buckets: list[Any], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    by_label = {b.bucket: b for b in buckets if b.ci_low is not None and b.rate is not None}
    low = [by_label[label].ci_low if label in by_label else np.nan for label in labels]
    high = [by_label[label].ci_high if label in by_label else np.nan for label in labels]
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def positive_rank_distribution(run: Run) -> bytes:
    """Histogram of each query's best-ranked positive on log-scaled ranks, depth marked.

    Bins have integer edges (one rank per bin up to 20, then log-spaced), so the bar starting
    at ``r`` counts rank ``r``; the depth line sits at ``depth + 1``, the right edge of the last
    retrieved rank, which is always a bin edge.
    """
    ranks = _finite(run.query_stats()["positive_rank"].to_numpy(zero_copy_only=False))
    ranks = ranks[ranks >= 1]  # 0 means unknown
    depth = run.manifest.get("config", {}).get("depth")
    with _figure() as (figure, axes):
        if ranks.size:
            top = max(float(ranks.max()), float(depth or 1)) + 1
            edges = _rank_edges(top, depth)
            axes.hist(ranks, bins=edges, color=COLORS["positive"], alpha=0.8, edgecolor="white")
            _log_rank_axis(axes, top + 1)
        else:
            _empty(axes, "no positive ranks in this run")
        if depth:
            beyond = float((ranks > depth).mean()) if ranks.size else 0.0
            label = f"retrieval depth {depth}: {100 * beyond:.1f}% of positives lie deeper"
            axes.axvline(
                depth + 1, color=COLORS["dropped"], linestyle="--", linewidth=2, label=label
            )
            axes.legend(loc="best", frameon=True, framealpha=0.9)
        axes.set(
            title="Rank of each query's best labeled positive",
            xlabel="rank among non-positive documents (log scale)",
            ylabel="queries",
        )
        return _png(figure)


def _rank_edges(top: float, depth: int | None) -> np.ndarray:
    fine = np.arange(1, min(top, 20) + 1)
    coarse = np.round(np.geomspace(20, top, 25)) if top > 20 else np.array([])
    extra = [depth + 1] if depth else []
    return np.unique(np.concatenate([fine, coarse, extra, [top]]))


def _log_rank_axis(axes: Any, top: float) -> None:
    """Log x axis with plain tick labels at 1, 2, 5, 10, 20, 50, …"""
    from matplotlib.ticker import FixedLocator, NullLocator, ScalarFormatter

    axes.set_xscale("log")
    ticks = [m * 10**e for e in range(int(np.log10(top)) + 1) for m in (1, 2, 5)]
    axes.xaxis.set_major_locator(FixedLocator([t for t in ticks if t <= top]))
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.xaxis.set_minor_locator(NullLocator())
    axes.set_xlim(0.9, top * 1.1)


def _empty(axes: Any, message: str) -> None:
    axes.text(
        0.5,
        0.5,
        message,
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontsize=13,
        color="#6b7280",
    )
