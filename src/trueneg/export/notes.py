"""The queries an export left out, counted per reason, in one short sentence."""

from __future__ import annotations

from collections.abc import Mapping


def left_out_reasons(
    notes: Mapping[str, str | int], max_positive_rank: int | None = None
) -> list[str]:
    """One phrase per reason with a non-zero count, e.g. ``"3 with no kept negative"``.

    ``notes`` are :func:`~trueneg.export.export_notes`; ``max_positive_rank`` is ``auto``'s
    rank cut for training queries (the manifest's ``auto.train_queries.max_positive_rank``).
    """
    top = f"top {max_positive_rank}" if max_positive_rank else "top ranks"
    k = notes.get("negatives_per_row")
    phrases = {
        "queries_without_positives": "with no labeled positive",
        "queries_without_kept_negatives": "with no kept negative (none retrieved, or none "
        "passed the filters; see the run summary)",
        "queries_short_of_k": f"with fewer than the {k} kept negatives each {notes.get('format')} "
        "row needs (mining with --shortfall backfill fills them where candidates remain)",
        "queries_not_for_training": "whose labeled positive the mining model ranks below its "
        f"{top} (auto's training queries; --all-queries keeps them)",
    }
    return [f"{int(notes[key]):,} {phrase}" for key, phrase in phrases.items() if notes.get(key)]


def left_out_note(
    notes: Mapping[str, str | int], max_positive_rank: int | None = None
) -> str | None:
    """``"left out 4 of 100 queries: 3 with no kept negative (…), 1 with fewer than …"``,
    or None when the export wrote every query of the dataset."""
    reasons = left_out_reasons(notes, max_positive_rank)
    if not reasons:
        return None
    total = int(notes.get("queries_total", 0))
    left = total - int(notes.get("queries_written", 0))
    queries = "query" if total == 1 else "queries"
    return f"left out {left:,} of {total:,} {queries}: " + "; ".join(reasons)
