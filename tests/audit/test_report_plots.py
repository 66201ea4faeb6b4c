"""Plots: real PNGs of the expected size, drawn without touching matplotlib's global state."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from trueneg.audit import plots


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _ink(image: Image.Image) -> float:
    """Share of pixels that are not near-white."""
    gray = image.convert("L")
    return sum(1 for value in gray.tobytes() if value < 235) / (gray.width * gray.height)


@pytest.mark.parametrize("draw", [plots.score_histograms, plots.positive_rank_distribution])
def test_run_plots_are_readable_pngs(report_run, draw):
    image = _image(draw(report_run))
    assert 850 <= image.width <= 1200 and 450 <= image.height <= 700
    assert _ink(image) > 0.03


def test_fn_rate_by_rank(report_full):
    image = _image(plots.fn_rate_by_rank(report_full))
    assert 850 <= image.width <= 1200 and _ink(image) > 0.02


def test_fn_rate_by_rank_needs_hidden_qrels(report_partial):
    assert plots.fn_rate_by_rank(report_partial) is None


def test_score_groups_split_kept_dropped_and_unsampled(report_run):
    groups = plots.score_groups(report_run)
    negatives = report_run.negatives()
    assert sum(groups[k].size for k in ("kept", "dropped", "unsampled")) == negatives.num_rows
    assert groups["kept"].size == report_run.summary().kept
    assert groups["positive"].size == report_run.query_stats().num_rows
    assert groups["dropped"].size == report_run.summary().dropped.get("percent", 0)


def test_tiny_run_still_plots(report_tiny_run):
    for draw in (plots.score_histograms, plots.positive_rank_distribution):
        assert _image(draw(report_tiny_run)).width > 0


def test_no_global_side_effects():
    """Drawing leaves pyplot unimported and every rcParam (style, backend) as it was.

    ``dict.items`` reads rcParams raw: ``rcParams["backend"]`` itself would import pyplot.
    """
    code = (
        "import sys, matplotlib\n"
        "before = dict(dict.items(matplotlib.rcParams))\n"
        "from trueneg.audit import plots\n"
        "from trueneg.audit.report import AuditReport, BucketRate, HiddenQrels\n"
        "h = HiddenQrels(0.5, 0, 1, 1, [BucketRate('1-5', 1, 0.0, 0.0)], [], 'x', 0.0)\n"
        "assert plots.fn_rate_by_rank(AuditReport('r', {}, hidden_qrels=h))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "after = dict(dict.items(matplotlib.rcParams))\n"
        "assert after == before\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_importing_plots_does_not_import_matplotlib():
    code = "import sys; import trueneg.audit.plots; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
