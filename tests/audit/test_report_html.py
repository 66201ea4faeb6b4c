"""``write_html_report``: one self-contained, escaped page plus PNG files."""

from __future__ import annotations

import base64
import os
import re
from html.parser import HTMLParser

import pytest

from trueneg.audit.html import render_html, write_html_report
from trueneg.audit.html_sections import long_text


class _Collector(HTMLParser):
    """Tags, attributes and text of a page; fails on unbalanced tables."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


@pytest.fixture
def written(report_full, report_run, tmp_path):
    path = write_html_report(report_full, report_run, tmp_path / "out" / "report.html")
    return path, path.read_text(encoding="utf-8")


def test_writes_page_and_pngs(written):
    path, page = written
    assert page.startswith("<!DOCTYPE html>")
    pngs = sorted(p.name for p in (path.parent / "plots").iterdir())
    assert pngs == ["fn_rate_by_rank.png", "positive_rank_distribution.png", "score_histograms.png"]
    assert not [p for p in path.parent.rglob("*") if p.name.endswith(".tmp")]


def test_images_are_inline_copies_of_the_pngs(written):
    path, page = written
    sources = [attrs["src"] for tag, attrs in _parse(page).tags if tag == "img"]
    assert len(sources) == 3
    inline = {base64.b64decode(s.split(",", 1)[1]) for s in sources}
    assert inline == {p.read_bytes() for p in (path.parent / "plots").iterdir()}
    assert all(s.startswith("data:image/png;base64,") for s in sources)


def test_self_contained_no_network_no_scripts(written):
    _, page = written
    parsed = _parse(page)
    assert parsed.scripts == 0
    for _, attrs in parsed.tags:
        for name in ("src", "href", "action"):
            assert not (attrs.get(name) or "").startswith(("http:", "https:", "//"))
    assert not re.search(r"url\(|@import|https?://", page)


def test_header_and_key_numbers(written, report_run):
    _, page = written
    text = " ".join(_parse(page).text)
    assert "runs/demo" in text and "trueneg 0.1.0" in text
    assert "filters=percent:0.95; sampler=top" in text
    assert "6.0%" in text and "7.3%" in text and "95% CI 4.1%–11.2%" in text
    assert "95% CI 4.0%–9.0% (Wilson, queries as clusters); 24 of 400 kept negatives" in text
    assert "300 sampled kept negatives in 80 queries" in text
    assert "0.87" in text and "95% CI 0.81–0.92 (bootstrap over queries)" in text
    assert f"{report_run.summary().kept:,}" in text


def test_sections_and_strategy_rows(written):
    _, page = written
    for heading in (
        "Plots",
        "Hidden-qrels protocol, per strategy",
        "Judge estimate",
        "Judge quality against hidden qrels",
        "Depth advice",
        "Data health",
        "Most suspicious kept negatives",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert "75.0% (95% CI 60.0%–86.0%; 30 of 40 in 25 queries)" in page  # precision
    assert "Remote judge cost: requests 12, prompt_tokens 3400, seconds 8.100" in page
    assert "3,037 for an interval 10 points (±5) wide" in page
    assert "Evidence: Rests on 150 hidden positives of 120 queries" in page
    assert '<tr class="mine"><td>percent:0.95/top</td>' in page
    assert "all candidates (no filter)" in page
    assert "<code>rank-window:10:100</code>" in page


def test_suspicious_text_is_escaped(written):
    _, page = written
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert 'title="cosine to the positive">cos 0.93</div>' in page


def test_long_text_is_truncated_with_details(written):
    _, page = written
    assert page.count("<details>") == 1
    full = "Vitamin D and bone density in older adults. " * 20
    assert full.strip() in page  # the full text is inside <details>


def test_long_text_helper():
    assert long_text("short <x>") == "short &lt;x&gt;"
    cell = long_text("a" * 500, limit=10)
    assert cell.startswith("aaaaaaaaaa…<details>") and cell.count("a") >= 510
    assert long_text(["two", "reasons"]) == "two; reasons"
    assert long_text(None) == ""


def test_missing_parts_say_why(report_partial, report_tiny_run, tmp_path):
    path = write_html_report(report_partial, report_tiny_run, tmp_path / "report.html")
    page = path.read_text(encoding="utf-8")
    for reason in (
        "no query has a second labeled positive",
        "no judge given (use --judge)",
        "needs a false-negative rate by rank",
        "no judge scores or cosines",
    ):
        assert f"not computed: {reason}" in page
    assert page.count("<img ") == 2
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "positive_rank_distribution.png",
        "score_histograms.png",
    ]


def test_run_may_be_given_as_a_path(report_partial, report_tiny_run, tmp_path):
    report_partial.run = str(report_tiny_run.path)
    by_path = write_html_report(report_partial, str(report_tiny_run.path), tmp_path / "a.html")
    by_report = write_html_report(report_partial, None, tmp_path / "b.html")
    assert by_path.exists() and by_report.exists()


def test_rewrite_is_atomic(report_partial, report_tiny_run, tmp_path, monkeypatch):
    path = write_html_report(report_partial, report_tiny_run, tmp_path / "report.html")
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_html_report(report_partial, report_tiny_run, path)
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_render_html_without_plots(report_full, report_tiny_run):
    page = render_html(report_full, report_tiny_run, {})
    assert "<img" not in page
