"""Do the CPU judges together find the hidden positives better than each alone? NFCorpus train.

Replays the pairs :mod:`benchmarks.quality.judge_quality` judges (its cached naive top-4 run,
the audit's hidden-qrels split with ``hide_fraction=1``, the calibration half left out, the
same budget and seed), scores them with each judge through the run's judge cache (pairs the
benchmark scored are free) and measures every combination on the same pairs:

* z-mean: the mean of each judge's standardised score (the cross-encoder's probability as a
  logit; mean and spread over the judged pairs, no label used), optionally with the
  retriever's cosine;
* rank-mean: the mean of each judge's rank among the judged pairs;
* per-query z-mean and rank-mean: the same within each query's candidates;
* max of the standardised scores;
* the cascade ``A > B`` (``top:0.25``; :mod:`trueneg.rescore.cascade`) applied to the judged
  pairs as one batch (the audit scores them in the batches its cache leaves missing);
* positive-aware signals: how close the candidate is to the query's one kept positive (the
  retriever's cosine between the two documents, the bi-encoder's score with the positive as the
  query, the cross-encoder's with the positive's first 1,000 characters as the query), alone
  and added to the judges. Documents relevant to the same query might resemble each other.

Reported per row: ROC AUC with the audit's query-bootstrap interval, the paired bootstrap
interval of its AUC gain over each single judge, and precision/recall (clustered Wilson) at two
thresholds: the one flagging as many pairs as the cross-encoder at its default τ = 0.1, and the
one reaching recall 0.90 on these pairs (chosen in-sample, so its precision is optimistic).
Run ``judge_quality`` for the same ``--queries`` first, then:

    python -m benchmarks.quality.judge_fusion --queries 200 [--judge-sample 400]

The bi-encoder judge is bge-small-en unless ``--bi-encoder FOLDER`` names another (e.g. a
sentence-transformers folder). Writes benchmarks/results/judge_fusion_nfcorpus_qN.json, or
``--out NAME`` there.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import trueneg
from benchmarks.common import CACHE, write_result
from benchmarks.quality.judge_quality import JUDGES, K
from trueneg.audit.context import AuditContext
from trueneg.audit.evidence import bootstrapped, query_bootstrap
from trueneg.audit.hidden import build_split, hide_positives, query_positions, strategies_for
from trueneg.audit.judge_estimate import estimate_with_judge, score_pairs
from trueneg.audit.judge_metrics import roc_auc
from trueneg.audit.judge_quality import calibration_queries, judged_rows
from trueneg.audit.judge_threshold import operating_point
from trueneg.rescore import Judge, load_judge
from trueneg.rescore.cascade import DEFAULT_RULE, parse_rule
from trueneg.select.judge import JudgeThreshold

CE, BE, RETRIEVER = "cross-encoder", "bi-encoder", "retriever"
NEAR_RT, NEAR_BE, NEAR_CE = "kept positive: retriever", "kept positive: bi", "kept positive: cross"
POSITIVE_CHARS = 1_000  # of the kept positive, as the cross-encoder's query
Scores = dict[str, np.ndarray]


@dataclasses.dataclass(frozen=True)
class Pairs:
    """The judged pairs: ids, hidden-positive labels, each pair's query position."""

    query_ids: list[str]
    doc_ids: list[str]
    labels: np.ndarray
    queries: np.ndarray
    retriever: np.ndarray
    kept_positives: list[str]  # each pair's query's visible positive


def judged_pairs(
    run: trueneg.Run, budget: int, seed: int, cross: Judge
) -> tuple[AuditContext, Pairs]:
    """The pairs ``judge_quality`` judges: the estimate (scored with the cross-encoder, from the
    cache) decides the calibration half and which queries come first, as in the audit."""
    ctx = AuditContext(run, show_progress=True)
    split, why = build_split(ctx, 1.0, seed, strategies_for(ctx.config, None))
    if split is None:
        raise SystemExit(f"no hidden-qrels split: {why}")
    estimate, why = estimate_with_judge(ctx, split, cross, budget, seed)
    if estimate is None:
        raise SystemExit(f"no judge estimate: {why}")
    calibration = calibration_queries(split, estimate, seed)
    rows = judged_rows(split, calibration, budget, seed, known=set(ctx.judged))
    table = split.table.take(rows)
    query_ids = table["query_id"].to_pylist()
    kept = kept_positives(ctx, seed)
    return ctx, Pairs(
        query_ids,
        table["doc_id"].to_pylist(),
        split.is_hidden[rows],
        query_positions(split)[rows],
        table["score"].to_numpy().astype(np.float64),
        [kept[q] for q in query_ids],
    )


def kept_positives(ctx: AuditContext, seed: int) -> dict[str, str]:
    """The positive each query keeps under the split (``hide_fraction=1``: exactly one)."""
    p = ctx.prepared
    visible, _ = hide_positives(p.query_ids, p.positives, p.doc_ids, 1.0, seed)
    return {q: p.doc_ids[v[0]] for q, v in zip(p.query_ids, visible, strict=True) if v.size}


def single_scores(ctx: AuditContext, pairs: Pairs, judges: dict[str, Judge]) -> Scores:
    """Each judge's scores (the cross-encoder's probabilities as logits) and the retriever's;
    ``judges`` holds the cross-encoder (CE) and the bi-encoder (BE)."""
    out: Scores = {RETRIEVER: pairs.retriever}
    for name, judge in judges.items():
        out[name] = score_pairs(ctx, judge, pairs.query_ids, pairs.doc_ids).scores
        out[name] = out[name].astype(np.float64)
    out[CE] = logit(out[CE])
    return out | positive_scores(ctx, pairs, judges)


def positive_scores(ctx: AuditContext, pairs: Pairs, judges: dict[str, Judge]) -> Scores:
    """How close each candidate is to its query's kept positive, by the retriever's vectors
    and by each judge with the positive's text as the query (not cached: not a query)."""
    vectors = ctx.vectors
    if vectors is None:
        raise SystemExit("the run has no embeddings to compare documents with")
    where = {d: i for i, d in enumerate(ctx.prepared.doc_ids)}
    docs = vectors[1]
    pairs_ids = zip(pairs.doc_ids, pairs.kept_positives, strict=True)
    near = [docs[where[d]] @ docs[where[k]] for d, k in pairs_ids]
    text = ctx.doc_text
    positives = [text[k][:POSITIVE_CHARS] for k in pairs.kept_positives]
    candidates = [text[d] for d in pairs.doc_ids]
    out: Scores = {NEAR_RT: np.asarray(near, dtype=np.float64)}
    for name, judge in ((NEAR_CE, judges[CE]), (NEAR_BE, judges[BE])):
        out[name] = judge.score(positives, candidates).astype(np.float64)
    out[NEAR_CE] = logit(out[NEAR_CE])
    return out


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def standard(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def ranks(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x, kind="stable"), kind="stable") + 1.0


def per_query(
    x: np.ndarray, queries: np.ndarray, f: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """``f`` applied within each query's pairs."""
    out = np.empty(x.size)
    for q in np.unique(queries):
        at = queries == q
        out[at] = f(x[at])
    return out


def query_standard(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / (x.std() + 1e-9)


def cascade(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``first > second`` under the default pass rule, all pairs as one batch."""
    out = first.copy()
    passed = parse_rule(DEFAULT_RULE).passes(first)
    out[passed] = second[passed]
    return out


def combinations(s: Scores, queries: np.ndarray) -> Scores:
    """Every measured setting: the single judges, then their combinations."""
    ce, be, rt = s[CE], s[BE], s[RETRIEVER]
    probability = 1 / (1 + np.exp(-ce))
    return {
        CE: ce,
        BE: be,
        RETRIEVER: rt,
        "z-mean cross + bi": standard(ce) + standard(be),
        "rank-mean cross + bi": ranks(ce) + ranks(be),
        "z-mean cross + bi + retriever": standard(ce) + standard(be) + standard(rt),
        "z-mean cross + retriever": standard(ce) + standard(rt),
        "z-max cross, bi": np.maximum(standard(ce), standard(be)),
        "per-query z-mean cross + bi": per_query(ce, queries, query_standard)
        + per_query(be, queries, query_standard),
        "per-query rank-mean cross + bi": per_query(ce, queries, ranks)
        + per_query(be, queries, ranks),
        "cascade cross > bi (top:0.25)": cascade(probability, be),
        "cascade bi > cross (top:0.25)": cascade(be, probability),
        **positive_aware(s),
    }


def positive_aware(s: Scores) -> Scores:
    """The kept-positive signals alone, and each added (standardised) to the judges' z-mean."""
    judges = standard(s[CE]) + standard(s[BE])
    out: Scores = {}
    for name in (NEAR_RT, NEAR_BE, NEAR_CE):
        out[name] = s[name]
        out[f"z-mean cross + {name}"] = standard(s[CE]) + standard(s[name])
        out[f"z-mean cross + bi + {name}"] = judges + standard(s[name])
    return out


def thresholds(score: np.ndarray, labels: np.ndarray, flagged: int) -> list[tuple[str, float]]:
    """τ flagging ``flagged`` pairs (the cross-encoder's count at its default), and the
    highest τ whose recall on these pairs is at least 0.90 (in-sample)."""
    ordered = np.sort(score)[::-1]
    positives = np.sort(score[labels])
    return [
        (f"flags {flagged} pairs, as the cross-encoder at τ = 0.1", float(ordered[flagged - 1])),
        ("recall ≥ 0.90, τ chosen on these pairs", float(positives[int(0.1 * positives.size)])),
    ]


def setting_row(
    name: str, score: np.ndarray, pairs: Pairs, singles: Scores, flagged: int, seed: int
) -> dict[str, Any]:
    """AUC, its paired gain over each single judge, precision/recall at the two thresholds."""
    y, q = pairs.labels, pairs.queries
    auc = bootstrapped(q, lambda r: roc_auc(score[r], y[r]), seed)
    points = [
        operating_point(n, t, score, y, q, None, seed) for n, t in thresholds(score, y, flagged)
    ]
    return {
        "setting": name,
        "auc": dataclasses.asdict(auc),
        "auc_gain_over": {j: auc_gain(score, singles[j], pairs, seed) for j in (CE, BE)},
        "operating_points": [dataclasses.asdict(p) for p in points],
    }


def auc_gain(score: np.ndarray, single: np.ndarray, pairs: Pairs, seed: int) -> dict[str, float]:
    """AUC(score) − AUC(single) with its paired query-bootstrap 95% interval."""
    y = pairs.labels

    def gain(rows: np.ndarray) -> float:
        return roc_auc(score[rows], y[rows]) - roc_auc(single[rows], y[rows])

    low, high = np.nanpercentile(query_bootstrap(pairs.queries, gain, seed=seed), [2.5, 97.5])
    return {"value": gain(np.arange(y.size)), "ci_low": float(low), "ci_high": float(high)}


def headline(row: dict[str, Any]) -> str:
    auc, gain = row["auc"], row["auc_gain_over"][CE]
    points = "; ".join(
        f"P {p['precision']['rate']:.3f} R {p['recall']['rate']:.3f}"
        for p in row["operating_points"]
    )
    return (
        f"{row['setting']:44s} AUC {auc['value']:.3f} ({auc['ci_low']:.3f}-{auc['ci_high']:.3f})"
        f"  vs cross {gain['value']:+.3f} ({gain['ci_low']:+.3f}..{gain['ci_high']:+.3f})"
        f"  {points}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=None, help="as judge_quality's")
    parser.add_argument("--judge-sample", type=int, default=None, help="as judge_quality's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--bi-encoder", type=Path, default=JUDGES[1], help="the bi-encoder judge's folder"
    )
    parser.add_argument("--out", help="results file name (default judge_fusion_nfcorpus[_qN].json)")
    args = parser.parse_args()
    suffix = f"_q{args.queries}" if args.queries else ""
    path = CACHE / f"judge-quality-nfcorpus{suffix}" / "naive-top4"
    if not (path / "manifest.json").exists():
        raise SystemExit(f"{path} not found: run benchmarks.quality.judge_quality first")
    run = trueneg.Run(path)
    budget = args.judge_sample or max(300, 2 * K * run.summary().queries)
    judges = {CE: load_judge(str(JUDGES[0])), BE: load_judge(str(args.bi_encoder))}
    ctx, pairs = judged_pairs(run, budget, args.seed, judges[CE])
    singles = single_scores(ctx, pairs, judges)
    flagged = int((singles[CE] >= logit(np.array(JudgeThreshold().threshold))).sum())
    rows = [
        setting_row(name, score, pairs, singles, flagged, args.seed)
        for name, score in combinations(singles, pairs.queries).items()
    ]
    for row in rows:
        print(headline(row), flush=True)
    out = write_result(
        args.out or f"judge_fusion_nfcorpus{suffix}.json",
        {
            "dataset": "nfcorpus",
            "split": "train",
            "protocol": "judge_quality's pairs: hidden qrels, one positive kept per query, naive "
            "top-4 of all-MiniLM-L6-v2, the judge estimate's calibration half left out",
            "judges": {CE: str(JUDGES[0].name), BE: str(args.bi_encoder.name)},
            "queries": len(set(pairs.queries.tolist())),
            "pairs": len(pairs.query_ids),
            "hidden_positives": int(pairs.labels.sum()),
            "judge_sample": budget,
            "seed": args.seed,
            "results": rows,
        },
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
