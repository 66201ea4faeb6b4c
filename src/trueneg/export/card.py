"""The dataset card (README.md) of an exported run: what the file holds, how it was mined, the
measured contamination, and how to load it. Text from the export, the manifest and the
audit only: nothing is written, and no file is read (a setting is checked against the disk
only to tell a local path, shown by its name, from a Hub id).

    card = render_card(CardInputs(repo="me/scifact-negatives", table=table,
                                  manifest=run.manifest, audit=run.audit_results(),
                                  prompts=run.prompts()))
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from trueneg.data.hub import HUB_PREFIX, is_hub_name
from trueneg.export.base import EXPORT_FORMATS, ExportFormat
from trueneg.export.build import export_notes
from trueneg.export.card_audit import audit_matches, contamination_facts, contamination_section
from trueneg.export.card_meta import card_metadata, yaml_header
from trueneg.export.card_mining import mining_section
from trueneg.export.card_text import code, md_table, public_name
from trueneg.export.notes import left_out_reasons
from trueneg.export.prompts import Prompts

DATA_FILE = "data/train.parquet"
# Where each sentence-transformers model class keeps its losses (the card's import line).
LOSS_MODULES = {
    "SentenceTransformer": "sentence_transformers.losses",
    "CrossEncoder": "sentence_transformers.cross_encoder.losses",
}


@dataclass(frozen=True)
class CardInputs:
    """Everything the card states. ``repo``: the Hub dataset id (``user/name``); ``table``:
    the export (:func:`~trueneg.export.build_export`, notes in its schema metadata);
    ``manifest``: the run's; ``audit``: its ``audit.json`` (None: not audited);
    ``score_column``: where the file's scores come from (None: no scores); ``license``: the
    data's license, when known (a Hub license id such as ``cc-by-4.0``)."""

    repo: str
    table: pa.Table
    manifest: Mapping[str, Any]
    audit: Mapping[str, Any] | None = None
    prompts: Prompts = field(default_factory=Prompts)
    score_column: str | None = None
    data_file: str = DATA_FILE
    license: str | None = None

    @property
    def exporter(self) -> ExportFormat:
        return EXPORT_FORMATS.resolve(str(export_notes(self.table).get("format", "triplet")))

    @property
    def audit_is_current(self) -> bool:
        return self.audit is not None and audit_matches(self.audit, self.config)

    @property
    def config(self) -> Mapping[str, Any]:
        return self.manifest.get("config") or {}


def render_card(inputs: CardInputs) -> str:
    """The card: the Hub's YAML metadata, then the sections."""
    name = inputs.repo.rpartition("/")[2] or inputs.repo
    audit = inputs.audit if inputs.audit_is_current else None
    body = [
        f"# {name}",
        "",
        "Training data for retrieval models: queries with their labeled positives and hard "
        "negatives mined by trueneg, which keeps likely false negatives out and measures how "
        "many remain.",
        "",
        *data_section(inputs),
        "",
        *mining_section(inputs.manifest, inputs.prompts),
        "",
        *contamination_section(audit, stale=inputs.audit is not None and audit is None),
        "",
        *loading_section(inputs),
    ]
    return yaml_header(card_yaml(inputs, audit)) + "\n\n" + "\n".join(body) + "\n"


def card_yaml(inputs: CardInputs, audit: Mapping[str, Any] | None) -> dict[str, Any]:
    """The metadata header: the Hub's fields plus a ``trueneg`` block (format, version,
    prompts, the audit's headline numbers) for tools that read the card."""
    exporter = inputs.exporter
    tags = ["trueneg", "hard-negatives", exporter.trainer.lower(), exporter.name]
    meta = card_metadata(
        pretty_name=inputs.repo.rpartition("/")[2] or inputs.repo,
        rows=inputs.table.num_rows,
        data_file=inputs.data_file,
        tags=list(dict.fromkeys(tags)),
        license=inputs.license,
        source=hub_source(inputs.config),
    )
    meta["trueneg"] = {
        "version": inputs.manifest.get("trueneg_version"),
        "format": exporter.name,
        "prompts": inputs.prompts.to_dict(),
        "contamination": contamination_facts(audit),
    }
    return meta


def hub_source(config: Mapping[str, Any]) -> str | None:
    """The Hub dataset the run was mined from (``data`` given as ``OWNER/NAME``), or None."""
    data = str(config.get("data") or "").removeprefix(HUB_PREFIX)
    return data if data and is_hub_name(data) else None


def data_section(inputs: CardInputs) -> list[str]:
    """``## The data``: file, format, columns, rows, queries (and why any were left out)."""
    notes = export_notes(inputs.table)
    exporter = inputs.exporter
    doc = (type(exporter).__doc__ or "").strip().splitlines()[0]
    rows = [
        ["file", f"{code(inputs.data_file)} (split `train`)"],
        ["format", f"{code(exporter.name)}: {doc}"],
        ["columns", ", ".join(f"{code(f.name)} ({_type(f.type)})" for f in inputs.table.schema)],
        ["rows", f"{inputs.table.num_rows:,}"],
        [
            "queries",
            f"{int(notes.get('queries_written', 0)):,} of {int(notes.get('queries_total', 0)):,}",
        ],
    ]
    top = ((inputs.manifest.get("auto") or {}).get("train_queries") or {}).get("max_positive_rank")
    left = left_out_reasons(notes, top)
    if left:
        rows.append(["queries left out", "; ".join(left)])
    rows.append(["scores", _scores(inputs.score_column)])
    return ["## The data", "", *md_table(["", "this file"], rows)]


def _type(kind: pa.DataType) -> str:
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return f"list of {_type(kind.value_type)}"
    if pa.types.is_struct(kind):
        return "{" + ", ".join(kind.field(i).name for i in range(kind.num_fields)) + "}"
    return {"double": "float", "large_string": "string"}.get(str(kind), str(kind))


def _scores(column: str | None) -> str:
    if column is None:
        return "none"
    source = "the judge's" if column == "judge" else f"the run's {code(column)} column"
    return f"teacher scores from {source} (positives without one get 1.0)"


def loading_section(inputs: CardInputs) -> list[str]:
    """``## How to load it``: ``datasets``, then the trainer that reads the layout."""
    lines = [
        "## How to load it",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'train = load_dataset("{inputs.repo}", split="train")',
        "```",
        "",
    ]
    exporter = inputs.exporter
    if exporter.model_class is None:
        return [
            *lines,
            f'{exporter.trainer} reads JSON Lines: `train.to_json("train.jsonl")` writes the '
            "file to pass as its training data.",
        ]
    return lines + _trainer_snippet(inputs, exporter)


def _trainer_snippet(inputs: CardInputs, exporter: ExportFormat) -> list[str]:
    kind = str(exporter.model_class)
    loss = exporter.scores_loss if inputs.score_column else exporter.loss
    prompts = inputs.prompts.for_columns(inputs.table.column_names)
    extra = ""
    if prompts and kind == "SentenceTransformer":  # the prompts the negatives were mined with
        extra = f", prompts={json.dumps(prompts, ensure_ascii=False)}"
    return [
        f"Train with sentence-transformers ({kind}, {loss}):",
        "",
        "```python",
        f"from sentence_transformers import {kind}, {kind}Trainer, {kind}TrainingArguments",
        f"from {LOSS_MODULES[kind]} import {loss}",
        "",
        f'model = {kind}("{_base_model(inputs.manifest)}")',
        f'args = {kind}TrainingArguments(output_dir="out"{extra})',
        f"trainer = {kind}Trainer(model=model, args=args, train_dataset=train, loss={loss}(model))",
        "trainer.train()",
        "```",
    ]


def _base_model(manifest: Mapping[str, Any]) -> str:
    """The mining model when it was given as a Hub id, else a placeholder."""
    given = (manifest.get("config") or {}).get("model")
    return given if given and public_name(given) == given else "BASE_MODEL"
