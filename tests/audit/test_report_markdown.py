"""``render_markdown``: concise tables, the estimate with its CI, and why a part is missing."""

from __future__ import annotations

from trueneg.audit.formatting import interval, num, pct
from trueneg.audit.markdown import render_markdown


def test_full_report_has_every_section(report_full):
    text = report_full.to_markdown()
    for heading in (
        "Hidden-qrels protocol",
        "Judge estimate",
        "Judge quality against hidden qrels",
        "Depth advice",
        "Data health",
        "Most suspicious kept negatives",
    ):
        assert f"## {heading}" in text
    assert "not computed" not in text


def test_key_numbers_show_every_rate_with_its_interval_and_count(report_full):
    text = render_markdown(report_full)
    assert "hidden qrels: 6.0% (95% CI 4.0%–9.0%; 24 of 400 kept negatives in 100 queries)" in text
    assert (
        "judge estimate: 7.3% (95% CI 4.1%–11.2%, bootstrap; 300 sampled kept negatives in "
        "80 queries)" in text
    )
    assert "judge quality: ROC AUC 0.870 (95% CI 0.810–0.920) on 300 candidates" in text
    assert "Calibration: labeled positives and random documents" in text
    assert (
        "Recall on the reference positives 82.0% (95% CI 73.0%–88.0%; 82 of 100 positives in "
        "90 queries)" in text
    )


def test_judge_estimate_says_how_many_pairs_a_narrower_interval_needs(report_full):
    text = render_markdown(report_full)
    assert "width ∝ 1/√n" in text
    assert "3,037 for an interval 10 points (±5) wide" in text


def test_judge_quality_section(report_full):
    text = render_markdown(report_full)
    section = text.split("## Judge quality against hidden qrels")[1].split("## Depth")[0]
    point = next(line for line in section.splitlines() if line.startswith("| the judge"))
    assert "75.0% (95% CI 60.0%–86.0%; 30 of 40 in 25 queries)" in point  # precision
    assert "7.5% (95% CI 5.0%–10.0%)" in point  # FN share left after the filter
    assert "Brier score: 0.110 (95% CI 0.090–0.130)" in section
    assert "not computable: 5 queries: at least 9 needed (8 of 12 in 5 queries)" in section
    assert "120 pairs scored, 180 from the judge cache, 14.2 pairs/s" in section
    assert "Remote judge cost: requests 12, prompt_tokens 3400, seconds 8.100" in section


def test_strategy_table_marks_this_run_and_buckets(report_full):
    lines = render_markdown(report_full).splitlines()
    header = next(line for line in lines if line.startswith("| strategy |"))
    assert header.count("| rank ") == 5
    mine = next(line for line in lines if "**percent:0.95/top**" in line)
    assert "percent:0.95/top" in mine and "6.0%" in mine and "97/100" in mine
    candidate = next(line for line in lines if line.startswith("| all candidates"))
    assert "31.0%" in candidate
    # a bucket without a rate reads as n/a beside its count, not 0%
    window = next(line for line in lines if line.startswith("| rank-window"))
    assert window.split("|")[6].strip() == "0/100: n/a"
    assert "12.0% (7.0%–17.0%)" in mine  # a bucket's rate with its interval


def test_tables_are_well_formed(report_full):
    lines = render_markdown(report_full).splitlines()
    for index, line in enumerate(lines):
        if line.startswith("|---"):
            width = lines[index - 1].count("|")
            assert line.count("|") == width
            body = lines[index + 1 :]
            rows = [
                row
                for row in body[
                    : next((i for i, r in enumerate(body) if not r.startswith("|")), len(body))
                ]
            ]
            # an escaped pipe inside a cell does not count as a column border
            assert all(row.replace("\\|", "").count("|") == width for row in rows)


def test_missing_parts_say_why(report_partial):
    text = render_markdown(report_partial)
    assert "hidden qrels: not computed: no query has a second labeled positive" in text
    assert "judge estimate: not computed: no judge given (use --judge)" in text
    assert "judge quality: not computed: no judge given (use --judge)" in text
    assert "not computed: needs a false-negative rate by rank" in text
    assert "not computed: no judge scores or cosines" in text
    assert "## Data health" in text and "| queries | 4 |" in text


def test_unknown_unavailable_parts_are_listed(report_partial):
    report_partial.unavailable["plots"] = "matplotlib missing"
    assert "- plots: not computed: matplotlib missing" in render_markdown(report_partial)


def test_suspicious_cells_are_short_and_single_line(report_full):
    report_full.suspicious[0]["negative"] = "a | b\nc"
    text = render_markdown(report_full)
    row = next(line for line in text.splitlines() if line.startswith("| Does coffee"))
    assert "…" in row and len(row) < 400
    assert "a \\| b c" in text


def test_formatting_helpers():
    assert pct(0.1234) == "12.3%" and pct(None) == "—" and pct(float("nan")) == "—"
    assert num(0.5) == "0.500" and num(3) == "3" and num(None) == "—"
    assert interval(0.041, 0.112) == "95% CI 4.1%–11.2%" and interval(None, 0.5) == "95% CI —–50.0%"
