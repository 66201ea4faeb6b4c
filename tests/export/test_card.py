"""The dataset card of an exported run, on small real BM25 runs (no model weights): an audited
run (hidden qrels + a judge estimate) and an unaudited one. The card is built offline; its
YAML header must parse as the Hub reads it and its contamination numbers must be audit.json's.
"""

from __future__ import annotations

import json
import random
import tomllib

import numpy as np
import pytest
import yaml

import trueneg
from fixtures import write_beir
from trueneg.export import CardInputs, Prompts, render_card
from trueneg.export.card_meta import size_category

TOPICS = [
    "vitamin bone fracture",
    "coffee sleep caffeine",
    "sugar diabetes insulin",
    "exercise heart cardio",
    "salt blood pressure",
    "fiber gut digestion",
    "iron anemia fatigue",
    "alcohol liver enzymes",
    "smoking lung cancer",
    "obesity weight diet",
    "omega fish oil",
    "calcium kidney stones",
]
FILLER = ["study", "trial", "patients", "results", "group", "effect", "levels", "data"]
REPO = "me/topic-negatives"


def write_topics(folder):
    """Twelve topics of ten documents (enough queries and rows for the audit's minimum
    evidence); each query labels three of its topic's documents, so the other seven are
    unlabeled relevant ones (known false negatives)."""
    rng = random.Random(0)
    corpus, queries, qrels = [], [], []
    for t, topic in enumerate(TOPICS):
        for i in range(10):
            text = " ".join(rng.choices(topic.split(), k=4) + rng.choices(FILLER, k=8))
            corpus.append((f"t{t}d{i}", "", text))
            if i < 3:
                qrels.append((f"q{t}", f"t{t}d{i}", 1))
        queries.append((f"q{t}", f"what about {topic}"))
    return write_beir(folder, corpus, queries, qrels)


class WordJudge:
    """A judge without weights: the share of the query's topic words in the document."""

    kind = "word-overlap"
    fingerprint = "word-judge-v1"

    def score(self, queries: list[str], docs: list[str]) -> np.ndarray:
        out = []
        for q, d in zip(queries, docs, strict=True):
            words = set(q.split()[2:])
            out.append(len(words & set(d.split())) / max(len(words), 1))
        return np.asarray(out, dtype=np.float32)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_topics(tmp_path_factory.mktemp("topics") / "beir")


def _mine(data, out, **settings):
    return trueneg.mine(data, out, retriever="bm25", filters=[], num_negatives=5, **settings)


@pytest.fixture(scope="module")
def audited(data, tmp_path_factory):
    run = _mine(data, tmp_path_factory.mktemp("audited") / "run")
    trueneg.audit(run, judge=WordJudge(), judge_sample=120).save(run.path / "audit.json")
    return run


@pytest.fixture(scope="module")
def unaudited(data, tmp_path_factory):
    return _mine(data, tmp_path_factory.mktemp("plain") / "run", query_prompt="query: ")


def split_card(card: str) -> tuple[dict, str]:
    assert card.startswith("---\n")
    header, body = card[4:].split("\n---\n", 1)
    return yaml.safe_load(header), body


def test_audited_card_states_the_audits_numbers(audited):
    saved = json.loads((audited.path / "audit.json").read_text())
    meta, body = split_card(audited.dataset_card("triplet", repo=REPO))
    facts = meta["trueneg"]["contamination"]
    assert facts["audited"] is True
    for key in ("hidden_qrels_false_negative_rate", "estimated_false_negative_rate"):
        assert facts[key] == saved[key] and saved[key] is not None
    assert (facts["ci_low"], facts["ci_high"]) == (saved["ci_low"], saved["ci_high"])
    assert facts["judge_sample_size"] == saved["judge_estimate"]["sample_size"]
    row = saved["hidden_qrels"]["strategies"][0]
    assert (facts["hidden_qrels_false_negatives"], facts["hidden_qrels_kept"]) == (
        row["false_negatives"],
        row["kept"],
    )
    section = body.split("## Measured contamination")[1].split("\n## ")[0]
    pct = lambda x: f"{100 * x:.1f}%"  # noqa: E731
    assert f"**{pct(saved['hidden_qrels_false_negative_rate'])}**" in section
    assert f"{row['false_negatives']} of the {row['kept']} negatives it kept" in section
    estimate = saved["judge_estimate"]
    assert f"**{pct(estimate['estimated_false_negative_rate'])}**" in section
    assert f"95% CI {pct(estimate['ci_low'])}–{pct(estimate['ci_high'])}" in section
    assert f"{estimate['sample_size']} sampled kept negatives" in section
    assert "depth advice" in section and "not audited" not in section


def test_unaudited_card_says_so_and_how_to_audit(unaudited):
    meta, body = split_card(unaudited.dataset_card("n-tuple", repo=REPO))
    assert meta["trueneg"]["contamination"] == {"audited": False}
    section = body.split("## Measured contamination")[1]
    assert "was not audited" in section and "trueneg audit RUN_DIR" in section


def test_an_audit_of_other_settings_is_left_out(audited):
    saved = json.loads((audited.path / "audit.json").read_text())
    saved["strategy"]["seed"] = 99  # as if the run was mined again with another seed
    inputs = CardInputs(
        repo=REPO, table=audited.export("triplet"), manifest=audited.manifest, audit=saved
    )
    meta, body = split_card(render_card(inputs))
    assert meta["trueneg"]["contamination"] == {"audited": False}
    assert "mined again after it was audited" in body


def test_header_is_what_the_hub_reads(audited):
    from huggingface_hub import DatasetCard

    card = DatasetCard(audited.dataset_card("triplet", repo=REPO, license="cc-by-4.0"))
    data = card.data.to_dict()
    assert data["license"] == "cc-by-4.0"
    assert data["task_categories"] == ["sentence-similarity", "text-retrieval"]
    assert {"trueneg", "hard-negatives", "sentence-transformers", "triplet"} <= set(data["tags"])
    assert data["size_categories"] == ["n<1K"]
    assert data["configs"] == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train.parquet"}]}
    ]
    assert "license" not in split_card(audited.dataset_card("triplet", repo=REPO))[0]


def test_data_section_counts_rows_queries_and_columns(audited):
    table = audited.export("n-tuple")
    _, body = split_card(audited.dataset_card("n-tuple", repo=REPO))
    section = body.split("## The data")[1].split("\n## ")[0]
    assert f"| rows | {table.num_rows:,} |" in section
    assert f"| queries | {len(TOPICS)} of {len(TOPICS)} |" in section
    assert ", ".join(f"`{c}` (string)" for c in table.column_names) in section


def test_mining_section_and_its_settings_block(audited):
    _, body = split_card(audited.dataset_card("triplet", repo=REPO))
    section = body.split("## How it was mined")[1].split("\n## ")[0]
    assert "retriever: `bm25`" in section and "sampler `top`" in section
    assert f"trueneg {trueneg.__version__}" in section
    toml = section.split("```toml\n")[1].split("```")[0]
    settings = tomllib.loads(toml)
    config = audited.manifest["config"]
    for key in ("retriever", "sampler", "filters", "num_negatives", "seed", "split"):
        assert settings[key] == config[key]
    assert settings["data"] == "beir"  # a local path by its name only
    assert "out" not in settings and "cache_dir" not in settings
    assert str(audited.path.parent) not in body  # no local folder of this machine


def test_auto_choice_reason_and_evidence_are_on_the_card(data, tmp_path):
    run = trueneg.mine(data, tmp_path / "auto", retriever="bm25", num_negatives=2)
    auto = run.manifest["auto"]
    _, body = split_card(run.dataset_card("triplet", repo=REPO))
    assert "### auto's choice" in body and auto["reason"] in body
    assert "median positive rank" in body  # an evidence row


def test_prompts_travel_to_the_run_the_card_and_the_snippet(unaudited):
    assert unaudited.prompts() == Prompts(query="query: ")
    _, body = split_card(unaudited.dataset_card("triplet", repo=REPO))
    assert 'prompts: query "query: "' in body
    assert 'prompts={"anchor": "query: "}' in body


def test_loading_snippet_names_the_repo_and_the_loss(audited):
    _, body = split_card(audited.dataset_card("labeled-pair", repo=REPO))
    assert f'load_dataset("{REPO}", split="train")' in body
    assert "CrossEncoder" in body and "BinaryCrossEntropyLoss" in body
    _, flag = split_card(audited.dataset_card("flagembedding", repo=REPO))
    assert "FlagEmbedding reads JSON Lines" in flag


def test_scores_name_their_source(audited):
    _, body = split_card(audited.dataset_card("n-tuple", repo=REPO, include_scores=True))
    assert "teacher scores from the run's `score` column" in body
    assert "DistillKLDivLoss" in body


def test_prompts_map_onto_export_columns():
    prompts = Prompts(query="q: ", document="d: ")
    columns = ["anchor", "positive", "negative_1", "scores"]
    assert prompts.for_columns(columns) == {
        "anchor": "q: ",
        "positive": "d: ",
        "negative_1": "d: ",
    }
    assert Prompts().for_columns(columns) == {} and not Prompts()
    assert Prompts.from_config({"prompt_name": "query"}).name == "query"


@pytest.mark.parametrize(
    ("rows", "category"), [(0, "n<1K"), (999, "n<1K"), (1_000, "1K<n<10K"), (2 * 10**9, "n>1B")]
)
def test_size_categories(rows, category):
    assert size_category(rows) == category


def test_text_that_needs_quoting_survives_the_header(audited):
    inputs = CardInputs(
        repo='me/a: "b" # c', table=audited.export("triplet"), manifest=audited.manifest
    )
    meta, _ = split_card(render_card(inputs))
    assert meta["pretty_name"] == 'a: "b" # c'


def test_card_says_why_a_rate_is_not_computable(data, tmp_path):
    from trueneg.export.card_audit import contamination_section

    audit = {
        "hidden_qrels": {
            "false_negative_rate": None,
            "reason": "1 eligible query; at least 9 needed",
            "strategies": [],
        },
        "unavailable": {"judge_estimate": "no judge given"},
    }
    section = "\n".join(contamination_section(audit))
    assert "not computable: 1 eligible query; at least 9 needed" in section
    assert "not computed: no judge given" in section
