"""Training on what the judge knows: relabeled positives, weighted negatives (the contrastive
loss reads the run's weights), and MNRL + KL distillation; real MiniLM, real ms-marco judge,
1 step of batch 4 on the tiny BEIR set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import trueneg
from fixtures import write_tiny_beir
from trueneg.train import train

pytest.importorskip("accelerate", reason="training needs `pip install accelerate`")
pytest.importorskip("datasets", reason="training needs `pip install datasets`")


def mine_judged(root: Path, judge_model_dir: Path, window: str, depth: int, **settings):
    """The tiny BEIR set mined with exact search, top-2 of ``window``, the ms-marco judge on
    the top ``depth``."""
    return trueneg.mine(
        write_tiny_beir(root / "beir"),
        root / "run",
        retriever="exact",
        filters=[f"rank-window:{window}"],
        sampler="top",
        num_negatives=2,
        judge=str(judge_model_dir),
        judge_depth=depth,
        device="cpu",
        cache_dir=str(root / "cache"),
        **settings,
    )


@pytest.fixture(scope="module")
def judged_run(tmp_path_factory: pytest.TempPathFactory, minilm_path: str, judge_model_dir: Path):
    """Exact search, the ms-marco judge on every candidate, the default relabel rule, relative
    weights."""
    root = tmp_path_factory.mktemp("judged")
    return mine_judged(
        root, judge_model_dir, "1-9", 8, relabel="0.9,0.5", negative_weights="relative"
    )


def test_the_run_records_relabeled_rows_and_weights(judged_run):
    negatives = judged_run.negatives()
    reasons = negatives["reason"].to_pylist()
    judge = np.asarray(negatives["judge"].to_pylist(), dtype=float)
    weight = np.asarray(negatives["weight"].to_pylist(), dtype=float)
    assert "relabel" in reasons  # the tiny set's near-duplicates of positives
    relabeled = np.array([r == "relabel" for r in reasons])
    kept = np.asarray(negatives["kept"].to_pylist())
    assert not (relabeled & kept).any()
    assert ((weight >= 0) & (weight <= 1)).all()
    # relabeled rows are those the judge rates at least 90% like the positive: weight ≤ 0.1
    assert (weight[relabeled] <= 0.1 + 1e-6).all()
    assert np.isfinite(judge[relabeled]).all()


def test_mnrl_reads_the_weights_and_the_card_says_so(judged_run, tmp_path: Path):
    result = train(judged_run.path, tmp_path / "m", max_steps=1, batch_size=4, device="cpu")
    assert result.steps == 1 and np.isfinite(result.loss_history).all()
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert '"negative_weights": true' in card


def test_mnrl_kl_trains_on_the_judges_scores(judged_run, tmp_path: Path):
    result = train(
        judged_run.path, tmp_path / "m", loss="mnrl+kl", max_steps=1, batch_size=4, device="cpu"
    )
    assert result.steps == 1 and np.isfinite(result.loss_history).all()
    card = (result.model_dir / "README.md").read_text(encoding="utf-8")
    assert '"loss": "mnrl+kl"' in card and '"teacher_scores": "judge"' in card


@pytest.fixture(scope="module")
def shallow_judged_run(
    tmp_path_factory: pytest.TempPathFactory, minilm_path: str, judge_model_dir: Path
):
    """The judge looks at the top 2; the window keeps ranks 3-6: no judge score for them."""
    return mine_judged(tmp_path_factory.mktemp("shallow"), judge_model_dir, "3-6", 2)


def test_kl_names_the_judge_depth_that_would_cover_the_kept_negatives(
    shallow_judged_run, tmp_path: Path
):
    from trueneg.errors import DataError

    negatives = shallow_judged_run.negatives()
    deepest = max(negatives.filter(negatives["kept"])["rank"].to_pylist())
    with pytest.raises(DataError, match="below the judge's depth of 2") as error:
        train(shallow_judged_run.path, tmp_path / "m", loss="kl", max_steps=1, device="cpu")
    assert f"--judge-depth {deepest} or more" in str(error.value)
    assert "--loss mnrl+kl" in str(error.value)
    assert not (tmp_path / "m").exists()


def test_mnrl_kl_trains_with_negatives_below_the_judges_depth(shallow_judged_run, tmp_path):
    result = train(
        shallow_judged_run.path,
        tmp_path / "m",
        loss="mnrl+kl",
        max_steps=1,
        batch_size=4,
        device="cpu",
    )
    assert result.steps == 1 and np.isfinite(result.loss_history).all()


def test_listwise_kl_leaves_unscored_negatives_out():
    import torch

    from trueneg.train.loss_modules import listwise_kl

    torch.manual_seed(0)
    anchor, pos, neg1, neg2 = (torch.randn(3, 8, requires_grad=True) for _ in range(4))
    teacher = torch.tensor([[2.0, 0.5, float("nan")], [1.0, float("nan"), -1.0], [1.5, 0.1, -0.2]])
    masked = listwise_kl([anchor, pos, neg1, neg2], teacher)
    masked.backward()
    assert torch.isfinite(masked)
    assert all(torch.isfinite(t.grad).all() for t in (anchor, pos, neg1, neg2))
    assert torch.all(neg2.grad[0] == 0) and torch.all(neg1.grad[1] == 0)  # not in the KL
    # each row equals the plain KL over its scored entries (raw logits: outside [0, 1])
    rows = [
        listwise_kl([anchor[:1], pos[:1], neg1[:1]], teacher[:1, :2]),
        listwise_kl([anchor[1:2], pos[1:2], neg2[1:2]], teacher[1:2, [0, 2]]),
        listwise_kl([anchor[2:], pos[2:], neg1[2:], neg2[2:]], teacher[2:]),
    ]
    assert torch.allclose(masked, torch.stack(rows).mean(), atol=1e-6)


def test_weighted_loss_equals_mnrl_at_weight_one_and_lowers_with_a_zero_weight(minilm_path):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from trueneg.train.loss_modules import WeightedMNRL, weighted_contrastive_loss

    model = SentenceTransformer(minilm_path, device="cpu")
    texts = [
        ["vitamin D", "coffee", "sugar"],
        ["Vitamin D helps bones.", "Caffeine disrupts sleep.", "Sugar raises diabetes risk."],
        ["Calcium in milk.", "Tea has caffeine.", "Fruit contains sugar."],
    ]
    features = [model.tokenize(column) for column in texts]
    ones = torch.ones(3, 1)
    with torch.no_grad():
        reference = MultipleNegativesRankingLoss(model)(features, None)
        ours = WeightedMNRL(model)(features, ones)
        embeddings = [model(f)["sentence_embedding"] for f in features]
        zero = weighted_contrastive_loss(embeddings, torch.zeros(3, 1))
    assert float(ours) == pytest.approx(float(reference), rel=1e-5)
    assert float(zero) < float(ours)  # a negative that counts for nothing cannot add loss
