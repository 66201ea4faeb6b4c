"""Hidden-qrels data prep: keep one labeled positive per query, hide the rest, and count how
many mined negatives are in fact hidden positives (known false negatives).

The draw is trueneg's one hidden-positives draw, :func:`trueneg.data.hidden.draw_hidden`, which
the audit's hidden-qrels protocol uses too; the benchmarks' published splits come from it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from trueneg.data.hidden import draw_hidden
from trueneg.select.relabel import RELABEL
from trueneg.storage import atomic_write_text, own_dir

HIDDEN_FILE = "hidden.json"


def read_positives(path: Path) -> dict[str, list[str]]:
    """Positive qrels (score > 0) of one BEIR qrels file, in file order."""
    positives: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as handle:
        next(handle, None)
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and float(parts[2]) > 0:
                docs = positives.setdefault(parts[0], [])
                if parts[1] not in docs:
                    docs.append(parts[1])
    return positives


def hide_extra_positives(
    source: Path,
    split: str,
    dest: Path,
    *,
    seed: int = 0,
    keep: int = 1,
    overwrite: bool = False,
) -> dict[str, list[str]]:
    """Write a BEIR folder at ``dest`` whose ``split`` keeps ``keep`` random positives per query.

    Corpus and queries are linked, not copied. The hidden positives per query (only queries
    with some hidden) are written to ``dest/hidden.json`` and returned. A finished ``dest`` is
    reused as is, unless ``overwrite`` (one folder rewritten for each seed). The draw is
    :func:`~trueneg.data.hidden.draw_hidden` over the positives in qrels file order, keeping
    ``keep``: it depends only on the qrels file and ``seed``.
    """
    done = dest / HIDDEN_FILE
    if done.is_file() and not overwrite:
        return load_hidden(dest)
    positives = read_positives(source / "qrels" / f"{split}.tsv")
    rows = ["query-id\tcorpus-id\tscore"]
    hidden: dict[str, list[str]] = {}
    for query_id, (visible, hidden_docs) in draw_hidden(positives, seed, lambda n: keep).items():
        rows += [f"{query_id}\t{d}\t1" for d in visible]
        if hidden_docs:
            hidden[query_id] = sorted(hidden_docs)
    atomic_write_text(own_dir(dest, "qrels") / f"{split}.tsv", "\n".join(rows) + "\n")
    for item in source.iterdir():  # corpus and queries, whatever their compression
        link = dest / item.name
        if item.is_file() and item.name.startswith(("corpus", "queries")) and not link.exists():
            link.symlink_to(item.resolve())
    atomic_write_text(done, json.dumps(hidden, indent=1) + "\n")
    return hidden


def load_hidden(dest: Path) -> dict[str, list[str]]:
    return json.loads((dest / HIDDEN_FILE).read_text(encoding="utf-8"))


def false_negative_rate(kept: pa.Table, hidden: dict[str, list[str]]) -> dict[str, Any]:
    """Share of the kept negatives ``kept`` (``query_id``, ``doc_id``) that are hidden
    positives of their query."""
    pairs = zip(kept["query_id"].to_pylist(), kept["doc_id"].to_pylist(), strict=True)
    lookup = {q: set(docs) for q, docs in hidden.items()}
    hits = sum(1 for q, d in pairs if d in lookup.get(q, ()))
    total = kept.num_rows
    return {"kept": total, "false_negatives": hits, "fn_rate": hits / total if total else 0.0}


def relabel_precision(negatives: pa.Table, hidden: dict[str, list[str]]) -> dict[str, Any]:
    """How many candidates the run relabeled as positives (reason ``relabel``) and how many
    of them are hidden positives of their query: a lower bound on the relabels' precision
    (a relabeled document nobody labeled may still be relevant). ``{}`` without relabels."""
    if "reason" not in negatives.column_names:
        return {}
    relabeled = negatives.filter(pc.equal(negatives["reason"], RELABEL))
    if not relabeled.num_rows:
        return {}
    hits = false_negative_rate(relabeled, hidden)["false_negatives"]
    return {
        "relabeled": relabeled.num_rows,
        "hidden_positives": hits,
        "precision_lower_bound": hits / relabeled.num_rows,
    }
