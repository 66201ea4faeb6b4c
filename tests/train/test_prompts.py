"""A bi-encoder trains with the prompts its run was mined with (e5/bge-style prefixes), saves
them as its own, and the card records them; the model card names the base model and the mining
settings the run really used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.export.prompts import Prompts
from trueneg.settings import TrainSettings
from trueneg.train import train
from trueneg.train.card import mining_settings
from trueneg.train.prompts import training_prompts

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")

MINED = Prompts(query="query: ", document="passage: ")


@pytest.fixture
def model_with_prompts(tmp_path: Path) -> str:
    """A folder that saved its own prompts, as e5 models do (``passage`` for documents)."""
    (tmp_path / "own").mkdir()
    saved = {"prompts": {"query": "q> ", "passage": "p> "}}
    (tmp_path / "own" / "config_sentence_transformers.json").write_text(json.dumps(saved))
    return str(tmp_path / "own")


def test_the_runs_prompts_win_over_the_models_own(model_with_prompts: str):
    got = training_prompts(TrainSettings(), MINED, model_with_prompts)
    assert got == MINED


def test_the_models_own_prompts_when_the_run_gave_none(model_with_prompts: str):
    got = training_prompts(TrainSettings(), Prompts(), model_with_prompts)
    assert got == Prompts(query="q> ", document="p> ")


def test_a_prompt_name_picks_one_of_the_models_own(model_with_prompts: str):
    got = training_prompts(TrainSettings(), Prompts(name="passage"), model_with_prompts)
    assert got == Prompts(query="p> ", document="p> ")


def test_explicit_prompts_override_and_an_empty_one_means_none(model_with_prompts: str):
    s = TrainSettings(query_prompt="search_query: ", document_prompt="")
    assert training_prompts(s, MINED, model_with_prompts) == Prompts(query="search_query: ")


def test_no_prompts_trains_on_bare_texts(model_with_prompts: str):
    assert not training_prompts(TrainSettings(prompts=False), MINED, model_with_prompts)


@pytest.fixture(scope="module")
def prompted_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("prompts")
    data = write_tiny_beir(root / "beir")
    run = trueneg.mine(
        data,
        root / "run",
        retriever="bm25",
        filters=[],
        num_negatives=2,
        query_prompt="query: ",
        document_prompt="passage: ",
    )
    return run.path


def _collator_prompts(seen: list) -> object:
    """A callback noting the prompts the trainer's data collator prepends."""
    from transformers import TrainerCallback

    class Seen(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            seen.append(kwargs["train_dataloader"].collate_fn.prompts)

    return Seen()


def test_a_run_mined_with_prompts_trains_with_them_and_the_model_keeps_them(
    prompted_run: Path, tmp_path: Path
):
    seen: list = []
    result = train(
        prompted_run,
        tmp_path / "model",
        max_steps=1,
        batch_size=4,
        device="cpu",
        callbacks=[_collator_prompts(seen)],
    )

    assert result.prompts == {"query": "query: ", "document": "passage: "}
    (used,) = seen
    assert used.pop("anchor") == "query: " and "positive" in used and "negative_1" in used
    assert set(used.values()) == {"passage: "}  # positive, negative_1, ...
    saved = json.loads((tmp_path / "model" / "config_sentence_transformers.json").read_text())
    assert saved["prompts"]["query"] == "query: " and saved["prompts"]["document"] == "passage: "
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert '"query_prompt": "query: "' in card  # the mining settings
    assert '"prompts": {\n    "query": "query: ",' in card  # the training settings


def test_no_prompts_leaves_them_out(prompted_run: Path, tmp_path: Path):
    result = train(
        prompted_run, tmp_path / "model", prompts=False, max_steps=1, batch_size=4, device="cpu"
    )
    assert result.prompts == {}
    saved = json.loads((tmp_path / "model" / "config_sentence_transformers.json").read_text())
    assert "query: " not in saved.get("prompts", {}).values()


def test_the_card_records_what_auto_chose_and_the_depth_it_searched():
    manifest = {
        "config": {"model": None, "filters": "auto", "sampler": "auto", "depth": 100},
        "model": {"path": "/models/minilm"},
        "auto": {"filters": ["percent:0.95"], "sampler": "top"},
        "stages": {"retrieve": {"depth": 200}},
    }
    mining = mining_settings(manifest)
    assert mining["model"] == "/models/minilm"
    assert mining["filters"] == ["percent:0.95"] and mining["sampler"] == "top"
    assert mining["chosen_by"] == "auto" and mining["depth"] == 200


def test_explicit_filters_are_recorded_as_given():
    manifest = {
        "config": {"filters": [], "sampler": "top", "depth": 100},
        "auto": None,
        "stages": {"retrieve": {"depth": 100}},
    }
    mining = mining_settings(manifest)
    assert mining["filters"] == [] and "chosen_by" not in mining and mining["depth"] == 100
