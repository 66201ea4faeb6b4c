"""The "Settings" section of ``help(trueneg.mine)``, generated from :class:`MineConfig`.

Each field is listed with its type, its default (as ``trueneg mine --help`` words it) and its
meaning: the field's ``help`` metadata, or :data:`MEANINGS` where the field has none yet.
"""

from __future__ import annotations

import dataclasses
import textwrap
from typing import get_type_hints

from trueneg.settings import MineConfig, default_text, describe_type

HELP = "help"  # the field metadata key of a setting's meaning
# Meanings of the MineConfig fields whose metadata has no ``help`` yet (the words of
# ``trueneg mine --help``); an entry is dropped once its field carries its own.
MEANINGS = {
    "data": "A BEIR folder (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv), a pairs file "
    "(.jsonl, .jsonl.gz, .csv, .tsv, .parquet) of (query, positive), a saved Hugging Face "
    "dataset, or a Hugging Face Hub dataset name (OWNER/NAME). Also the first argument of "
    "mine().",
    "out": "The run directory to write; re-running the same settings there reuses finished "
    "stages. Also the second argument of mine().",
    "split": "Qrels split of a BEIR folder.",
    "query_column": "Query column of a pairs file (None: guessed from the column names).",
    "positive_column": "Positive column of a pairs file (None: guessed).",
    "corpus": "Extra corpus file for pairs input (more candidate documents).",
    "hub_config": "With a Hugging Face Hub dataset as data: the config of a pairs dataset, "
    "or the qrels config of a BEIR-style one.",
    "hub_revision": "With a Hub dataset as data: its branch, tag or commit.",
    "hub_qrels": "With a BEIR-style Hub dataset as data: the repository that holds its qrels.",
    "hub_streaming": "With a Hub dataset as data: read rows as they arrive instead of through "
    "the datasets cache (no local copy; needs the network every time).",
    "model": "sentence-transformers model name or local folder that encodes queries and documents.",
    "query_prompt": "Prompt prepended to every query before encoding.",
    "document_prompt": "Prompt prepended to every document before encoding.",
    "prompt_name": "Name of a prompt the model saved (its prompts), applied to queries; "
    "instead of query_prompt.",
    "document_prompt_name": "Name of a prompt the model saved, applied to documents; instead "
    "of document_prompt.",
    "max_seq_length": "Longest input in tokens the encoder reads; longer texts are cut.",
    "trust_remote_code": "Let the model run code from its own repository (some models need it).",
    "batch_size": "Encoding batch size.",
    "device": "Where to encode: auto | cpu | cuda.",
    "encoder": "How texts are encoded: auto (fast on CUDA, sentence-transformers on CPU) | "
    "sentence-transformers | fast | onnx | onnx-int8; each has its own embedding cache.",
    "retriever": "Candidate generation: exact | bm25 | hybrid | faiss-flat | faiss-ivf | "
    "faiss-hnsw (NAME[:VALUE]).",
    "depth": "Candidates retrieved per query (auto searches deeper so its rank window can "
    "start anywhere in the first DEPTH).",
    "filters": "Filters NAME[:VALUE] a candidate must all pass (see `trueneg strategies`); "
    "[] or ['none'] for no filter; None: auto chooses a rank window from where the labeled "
    "positives sit, plus near-duplicate.",
    "sampler": "How the kept negatives are drawn from the candidates that pass: top | random "
    "| simans | softmax (NAME[:VALUE]); auto: top when the chosen window looks clean, random "
    "otherwise (top when filters are given).",
    "false_negative_cost": "How many true negatives one false negative undoes, for auto's "
    "choice: a rank is admitted while its estimated false-negative share is below "
    "1/(1+cost). Only when auto chooses the filters.",
    "num_negatives": "Negatives kept per query (k).",
    "shortfall": "Queries short of k negatives: keep-short | drop | backfill.",
    "seed": "Seed of every random choice.",
    "judge": "Judge (cross-encoder folder, sentence-transformers CrossEncoder or bi-encoder; "
    "rerank-api:URL?model=NAME; chat:URL?model=NAME; or a cascade 'A > B') that rescores the "
    "top candidates; enables the judge-threshold filter and NAME:VALUE@judge.",
    "judge_depth": "Candidates per query the judge scores (ranks 1..N).",
    "judge_cascade": "Which pairs of a judge cascade ('A > B') go on to the next judge: "
    "top:F, the share F the previous judge scores highest; band:LO-HI, those it scores "
    "between LO and HI.",
    "judge_batch_size": "Batch size of the judge.",
    "relabel": "Turn candidates the judge rates as relevant into extra positives (RLHN): "
    "'R,FLOOR' relabels a candidate scoring at least R times the labeled positive's judge "
    "score and at least FLOOR ('on': '0.9,0.5'); 'off' never relabels. Needs a judge.",
    "relabel_query_limit": "Drop a query (no negatives) when this many of its candidates are "
    "relabeled.",
    "negative_weights": "Weight each kept negative 1 − p (p: the judge's belief it is "
    "relevant; 'judge' or 'relative' to the positive); stored as the weight column, exported, "
    "and read by train's contrastive loss. Needs a judge.",
    "cache_dir": "Folder for cached embeddings and judge scores, shared between runs ('run': "
    "inside the run directory).",
    "ray": "Encode and run exact search on a Ray cluster: 'auto' or the head node's address "
    "(exact retriever only; needs trueneg[ray]).",
    "ray_workers": "Encoder actors and search shards with ray.",
    "devices": "One worker process per device of this machine for encoding and exact search, "
    "without Ray: all (every GPU), cuda:0,cuda:1 or cpu,cpu; same vectors and negatives as one "
    "device.",
    "extra": "Free-form settings recorded with the run.",
}


def meaning(field: dataclasses.Field) -> str | None:
    return field.metadata.get(HELP) or MEANINGS.get(field.name)


def settings_section(width: int = 92) -> str:
    """``Settings:`` then one entry per :class:`MineConfig` field: ``name (type; default
    X): meaning``."""
    hints = get_type_hints(MineConfig)
    lines = [
        "Settings (the fields of :class:`~trueneg.MineConfig`, given as keywords or as "
        "``config``):",
        "",
    ]
    for field in dataclasses.fields(MineConfig):
        default = default_text(MineConfig, field.name) or "unset"
        text = meaning(field) or "(no description yet: see `trueneg mine --help`)"
        entry = f"{field.name} ({describe_type(hints[field.name])}; default {default}): {text}"
        lines += textwrap.wrap(entry, width, initial_indent="    ", subsequent_indent="        ")
    return "\n".join(lines)
