"""The dataset card's "How it was mined" section, from the run's manifest.

Model, retriever, prompts, the filters and sampler as they ran, ``auto``'s choice with its
reason and evidence, the outcome, the timings, and the settings as a ``run.toml`` that
``trueneg mine --config`` reads. Local paths are shown by their last part only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trueneg.export.card_text import code, md_table, pct, public_name, seconds
from trueneg.export.prompts import Prompts
from trueneg.settings import MineConfig, default_text

# Settings that say where or how fast this machine mined, not what was mined.
MACHINE_SETTINGS = frozenset(
    {
        "out",
        "cache_dir",
        "device",
        "batch_size",
        "judge_batch_size",
        "ray",
        "ray_workers",
        "devices",
    }
)
PATH_SETTINGS = frozenset({"data", "corpus", "model", "judge"})
KINDS = {"beir": "BEIR folder", "pairs": "pairs file", "hf": "saved Hugging Face dataset"}


def mining_section(manifest: Mapping[str, Any], prompts: Prompts) -> list[str]:
    """``## How it was mined``."""
    config = manifest.get("config") or {}
    summary = manifest.get("summary") or {}
    lines = ["## How it was mined", "", _source(manifest, config, summary), ""]
    lines += [f"- {item}" for item in _facts(manifest, config, summary, prompts)]
    auto = manifest.get("auto")
    if auto:
        lines += ["", *auto_section(auto)]
    return [*lines, "", *settings_block(config)]


def _source(manifest: Mapping[str, Any], config: Mapping[str, Any], summary: Mapping) -> str:
    load = summary.get("load") or {}
    counts = manifest.get("counts") or {}
    kind = KINDS.get(load.get("kind", ""), load.get("kind") or "data")
    return (
        f"Mined with trueneg {manifest.get('trueneg_version', '?')} on "
        f"{manifest.get('created', 'an unrecorded date')} from "
        f"{code(public_name(config.get('data', '')))} ({kind}, split {code(config.get('split'))}):"
        f" {counts.get('queries', 0):,} queries, {counts.get('documents', 0):,} documents."
    )


def _facts(
    manifest: Mapping[str, Any], config: Mapping[str, Any], summary: Mapping, prompts: Prompts
) -> list[str]:
    depth = (manifest.get("stages") or {}).get("retrieve", {}).get("depth", config.get("depth"))
    facts = [
        "model: " + _model(manifest, config),
        f"retriever: {code(config.get('retriever'))}, search depth {depth}",
        "prompts: " + _prompts(prompts),
        "filters: "
        + (", ".join(code(f) for f in config.get("filters") or []) or "none")
        + f"; sampler {code(config.get('sampler'))}; {config.get('num_negatives')} negatives "
        f"per query (shortfall: {config.get('shortfall')}); seed {config.get('seed')}",
        "judge: "
        + (
            f"{code(public_name(config['judge']))} (scored ranks 1–{config.get('judge_depth')})"
            if config.get("judge")
            else "none"
        ),
        _outcome(summary),
    ]
    timings = manifest.get("timings") or {}
    if timings:
        facts.append("timings: " + ", ".join(f"{k} {seconds(v)}" for k, v in timings.items()))
    return facts


def _model(manifest: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The model as given (a Hub id, a local folder's name, or the bundled default) and the
    fingerprint of the weights that encoded; none when nothing was encoded."""
    model = manifest.get("model") or {}
    if not model.get("path"):
        return f"none (the {config.get('retriever')} retriever needs no model)"
    given = config.get("model")
    name = code(public_name(given)) if given else default_text(MineConfig, "model")
    return f"{name} (fingerprint {code(model.get('fingerprint'))})"


def _prompts(prompts: Prompts) -> str:
    if not prompts:
        return "none given (the model's own saved prompts, if any, were applied)"
    parts = [
        f"{label} {json.dumps(value, ensure_ascii=False)}"
        for label, value in (
            ("query", prompts.query),
            ("document", prompts.document),
            ("prompt name", prompts.name),
            ("document prompt name", prompts.document_name),
        )
        if value
    ]
    return "; ".join(parts) + " (apply the same at training and search time)"


def _outcome(summary: Mapping[str, Any]) -> str:
    dropped = summary.get("dropped") or {}
    text = (
        f"kept {summary.get('kept', 0):,} negatives: {summary.get('queries_full', 0):,} "
        f"queries with all {summary.get('num_negatives')}, {summary.get('queries_short', 0):,} "
        f"short, {summary.get('queries_dropped', 0):,} dropped"
    )
    if dropped:
        text += "; candidates dropped by reason: " + ", ".join(
            f"{reason} {count:,}" for reason, count in dropped.items()
        )
    return text


def auto_section(auto: Mapping[str, Any]) -> list[str]:
    """``### auto's choice``: what it chose, why, and the evidence."""
    evidence = auto.get("evidence") or {}
    lines = [
        "### auto's choice",
        "",
        f"`auto` chose filters {', '.join(code(f) for f in auto.get('filters') or []) or 'none'}"
        f" and sampler {code(auto.get('sampler'))}: {auto.get('reason', '')}.",
    ]
    scalars = [
        [key.replace("_", " "), _evidence_value(key, value)]
        for key, value in evidence.items()
        if not isinstance(value, list | dict)
    ]
    if scalars:
        lines += ["", *md_table(["evidence", "value"], scalars)]
    profile = evidence.get("contamination_by_rank") or []
    if profile:
        lines += [
            "",
            "Estimated share of unlabeled positives among the candidates, by rank:",
            "",
            *md_table(
                ["rank", *(r for r, _ in profile)], [["share", *(pct(v) for _, v in profile)]]
            ),
        ]
    train = auto.get("train_queries") or {}
    if train.get("left_out"):
        lines += [
            "",
            f"Training queries: {train['left_out']:,} of {train.get('queries', 0):,} queries "
            f"rank their labeled positive below the mining model's top "
            f"{train.get('max_positive_rank')}; they are left out of this file.",
        ]
    notes = evidence.get("notes") or []
    return lines + (["", *(f"- {n}" for n in notes)] if notes else [])


def _evidence_value(key: str, value: Any) -> str:
    if isinstance(value, float) and key.startswith("share"):
        return pct(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_block(config: Mapping[str, Any]) -> list[str]:
    """The settings as they ran, as a ``run.toml`` for ``trueneg mine --config``."""
    body = [
        f"{key} = {_toml(public_name(value) if key in PATH_SETTINGS else value)}"
        for key, value in config.items()
        if key not in MACHINE_SETTINGS and value is not None and value != {}
    ]
    return [
        "### Settings",
        "",
        "As they ran (`auto` replaced by its choice), for `trueneg mine DATA --config run.toml`;"
        " local paths by their name only:",
        "",
        "```toml",
        *body,
        "```",
    ]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)
