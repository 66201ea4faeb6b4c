"""The comparison's results: one table per dataset, rendered to JSON, Markdown and a plot."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trueneg.evaluate import ComparisonTable
from trueneg.storage import atomic_write_text

NEGATIVES_NOTE = (
    "FN rate: kept negatives that are hidden labeled positives. negatives: kept negatives (mean "
    "over seeds); median rank: where they sat in the mining model's ranking (1 = its top hit; "
    "deeper is cleaner but easier)."
)


@dataclass
class ComparisonResult:
    """Per dataset: the :class:`ComparisonTable` over mining configs (mean ± std over seeds,
    p-value vs the first config) and each config's mean hidden-qrels false-negative rate
    (None: zero-shot, or no hidden positives). ``negatives``: per config, the kept negatives
    (``kept``, ``median_rank``, ``mean_score`` under the mining model; means over seeds).
    ``counts``: steps mined/trained/evaluated/reused by the call that built it. ``steps``:
    per config, its optimizer steps (mean over seeds); ``recipe``: the ``[train]`` table's
    loss, rows and epochs; ``training``: per config, what it trains with unlike ``recipe``
    (empty: the same), so a row that trains otherwise is never read as a mining effect."""

    name: str
    out: Path
    metric: str
    tables: dict[str, ComparisonTable]
    fn_rates: dict[str, dict[str, float | None]]
    counts: dict[str, int] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    negatives: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    training: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per dataset and mining config."""
        out = []
        for dataset, table in self.tables.items():
            for row in table.rows:
                stats = self.negatives.get(dataset, {}).get(row.name, {})
                out.append(
                    {
                        "dataset": dataset,
                        "mining": row.name,
                        "seeds": row.seeds,
                        "fn_rate": self.fn_rates[dataset].get(row.name),
                        "negatives": stats.get("kept"),
                        "median_rank": stats.get("median_rank"),
                        "mean_score": stats.get("mean_score"),
                        "steps": self.steps.get(dataset, {}).get(row.name),
                        "training": self.training.get(row.name, {}),
                        "mean": row.mean[self.metric],
                        "std": row.std[self.metric],
                        "p_value": row.p_value[self.metric],
                    }
                )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metric": self.metric,
            "seeds": self.seeds,
            "recipe": self.recipe,
            "rows": self.rows(),
            "counts": self.counts,
            "tables": {d: t.to_dict() for d, t in self.tables.items()},
        }

    def to_markdown(self) -> str:
        lines = [f"# {self.name}", ""]
        for dataset, table in self.tables.items():
            lines += [
                f"## {dataset}",
                "",
                f"| mining | FN rate | negatives | median rank | steps | {self.metric} "
                f"(mean ± std) | seeds | p vs {table.baseline} |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            rows = [r for r in self.rows() if r["dataset"] == dataset]
            for row in rows:
                fn = _cell(row["fn_rate"], "{:.1%}")
                p = _cell(row["p_value"], "{:.3g}")
                kept, rank = _cell(row["negatives"], "{:,.0f}"), _cell(row["median_rank"], "{:g}")
                steps = _cell(row["steps"], "{:,.0f}")
                lines.append(
                    f"| {row['mining']} | {fn} | {kept} | {rank} | {steps} | {row['mean']:.4f} "
                    f"± {row['std']:.4f} | {row['seeds']} | {p} |"
                )
            lines += ["", table.footnote(), "", NEGATIVES_NOTE, ""]
            note = self.training_note(dataset)
            lines += [note, ""] if note else []
        return "\n".join(lines)

    def training_note(self, dataset: str) -> str:
        """The configs of ``dataset``'s table that train unlike ``[train]`` ('' when none):
        their differences in steps or recipe are not the mining's doing."""
        rows = [r for r in self.rows() if r["dataset"] == dataset and r["training"]]
        if not rows:
            return ""
        changed = "; ".join(f"{row['mining']} ({recipe_text(row['training'])})" for row in rows)
        return f"Trained unlike [train] ({recipe_text(self.recipe)}): {changed}."

    def save(self, out: str | Path | None = None) -> Path:
        """Write ``results.json`` and ``results.md`` into ``out`` (default: the comparison's)."""
        folder = Path(out) if out is not None else self.out
        atomic_write_text(folder / "results.json", json.dumps(self.to_dict(), indent=2) + "\n")
        atomic_write_text(folder / "results.md", self.to_markdown())
        return folder


def recipe_text(settings: dict[str, Any]) -> str:
    """``loss mnrl, rows triplet, epochs 1``; rows None is the loss's own format, epochs None
    are chosen from the data."""
    return ", ".join(f"{key} {_setting(key, value)}" for key, value in settings.items())


def _setting(key: str, value: Any) -> str:
    if value is None:
        return {"rows": "of the loss's own format", "epochs": "from the data"}.get(key, "default")
    return format(value, "g") if isinstance(value, int | float) else str(value)


def _cell(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def write_plot(result: ComparisonResult, path: Path) -> Path:
    """nDCG (mean ± std over seeds) against FN rate, one marker per mining config, one colour
    per dataset; configs without an FN rate (zero-shot) are dashed horizontal lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for i, dataset in enumerate(result.tables):
        colour = f"C{i}"
        rows = [r for r in result.rows() if r["dataset"] == dataset]
        for row in rows:
            if row["fn_rate"] is None:
                ax.axhline(
                    row["mean"],
                    color=colour,
                    linestyle="--",
                    linewidth=1,
                    label=f"{dataset} {row['mining']}",
                )
                continue
            ax.errorbar(
                row["fn_rate"], row["mean"], yerr=row["std"], fmt="o", color=colour, capsize=3
            )
            ax.annotate(
                row["mining"],
                (row["fn_rate"], row["mean"]),
                fontsize=7,
                xytext=(4, 4),
                textcoords="offset points",
            )
        ax.plot([], [], "o", color=colour, label=dataset)
    ax.set_xlabel("false-negative rate of mined negatives (hidden qrels)")
    ax.set_ylabel(f"test {result.metric}")
    ax.set_title(result.name)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
