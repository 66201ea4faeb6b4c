"""``run_comparison``: mine → train → evaluate for every dataset x mining config x seed.

Layout: ``OUT/<dataset>/<mining>/seed-<s>/{run,model,train.json,fn.json,negatives.json,
eval.json}``; a zero-shot entry is evaluated once, in ``OUT/<dataset>/<mining>/eval.json``.
Every finished step is skipped on a re-run: ``eval.json`` means done, ``train.json`` means the
model is complete (a model folder without it is a killed run and is trained again), and mining
reuses the run directory's finished stages. Embeddings are cached per dataset in
``OUT/<dataset>/cache``.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trueneg.api import mine
from trueneg.compare.config import CompareConfig, DatasetSpec, MiningSpec, load_config
from trueneg.compare.hidden import false_negative_rate, hide_extra_positives, relabel_precision
from trueneg.compare.negatives import cell_stats, mean_stats, write_stats
from trueneg.compare.report import ComparisonResult, write_plot
from trueneg.errors import ConfigError, DataError
from trueneg.evaluate import EvalResult, compare, evaluate
from trueneg.storage import atomic_write_text
from trueneg.train import train

logger = logging.getLogger(__name__)

HIDDEN_SEED = 0  # one hidden split per dataset, shared by every mining config and seed


@dataclass(frozen=True)
class Step:
    """One cell of the comparison: a dataset, a mining config and a seed (None: zero-shot)."""

    dataset: DatasetSpec
    mining: MiningSpec
    seed: int | None
    folder: Path

    @property
    def label(self) -> str:
        seed = "" if self.seed is None else f"/seed-{self.seed}"
        return f"{self.dataset.name}/{self.mining.name}{seed}"

    @property
    def status(self) -> str:
        """``done``, ``trained``, ``mined`` or ``todo``: how far an earlier call got."""
        if (self.folder / "eval.json").is_file():
            return "done"
        if (self.folder / "train.json").is_file():
            return "trained"
        if (self.folder / "run" / "manifest.json").is_file():
            return "mined"
        return "todo"


def plan(config: CompareConfig | str | Path) -> list[Step]:
    """Every step of the comparison, in the order it runs."""
    config = _config(config)
    steps = []
    for dataset in config.datasets:
        for mining in config.mining:
            folder = config.out / dataset.name / mining.name
            if mining.zero_shot:
                steps.append(Step(dataset, mining, None, folder))
                continue
            steps += [Step(dataset, mining, s, folder / f"seed-{s}") for s in config.seeds]
    return steps


def run_comparison(
    config: CompareConfig | str | Path,
    *,
    show_progress: bool = False,
    report_only: bool = False,
) -> ComparisonResult:
    """Run (or resume) the comparison and write ``results.json``, ``results.md`` and
    ``ndcg_vs_fn.png`` to the output folder. ``result.counts`` says what this call did.

    ``report_only`` runs nothing: the table holds the finished cells (copied from the machines
    a comparison was split over, say), and ``counts["missing"]`` the cells left out."""

    config = _config(config)
    config.out.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    tables, fn_rates, negatives, steps_of = {}, {}, {}, {}
    steps = _finished(config, plan(config), counts) if report_only else plan(config)
    for dataset in config.datasets:
        todo = [s for s in steps if s.dataset == dataset]
        if not todo:  # report_only: nothing of this dataset finished
            continue
        # report_only mines nothing, so it needs no hidden split
        mine_data, hidden = (dataset.path, None) if report_only else _prepare(config, dataset)
        results: dict[str, list[Any]] = {}
        fns: dict[str, list[float]] = {}
        cells: dict[str, list[dict]] = {}
        trained: dict[str, list[int]] = {}
        for step in todo:
            evaluation, fn = _run_step(config, step, mine_data, hidden, counts, show_progress)
            results.setdefault(step.mining.name, []).append(evaluation)
            if fn is not None:
                fns.setdefault(step.mining.name, []).append(fn["fn_rate"])
            stats = (
                None if step.mining.zero_shot else cell_stats(step.folder, step.mining.all_queries)
            )
            if stats is not None:
                cells.setdefault(step.mining.name, []).append(stats)
            record = None if step.mining.zero_shot else _read_json(step.folder / "train.json")
            if record is not None and "steps" in record:
                trained.setdefault(step.mining.name, []).append(record["steps"])
        tables[dataset.name] = compare(results, config.metric)
        fn_rates[dataset.name] = {
            m: (sum(fns[m]) / len(fns[m]) if m in fns else None) for m in results
        }
        negatives[dataset.name] = {m: mean_stats(cells[m]) for m in results if m in cells}
        steps_of[dataset.name] = {m: sum(v) / len(v) for m, v in trained.items()}
    result = ComparisonResult(
        config.name,
        config.out,
        config.metric,
        tables,
        fn_rates,
        dict(counts),
        seeds=list(config.seeds),
        negatives=negatives,
        steps=steps_of,
        recipe=config.train.recipe(),
        training={row.name: config.train.row_changes(row) for row in config.mining},
    )
    result.save()
    write_plot(result, config.out / "ndcg_vs_fn.png")
    logger.info("compare: %s; results in %s", dict(counts), config.out)
    return result


def _finished(config: CompareConfig, steps: list[Step], counts: Counter[str]) -> list[Step]:
    """The finished steps; the others are counted as ``missing``. None finished is an error."""
    done = [s for s in steps if s.status == "done"]
    if len(done) < len(steps):
        counts["missing"] += len(steps) - len(done)
    if not done:
        raise ConfigError(
            "No finished cell to report",
            received=str(config.out),
            fix="Point --out at the folder the comparison wrote (DATASET/MINING/seed-S/eval.json),"
            " or run it without --report-only",
        )
    return done


def _config(config: CompareConfig | str | Path) -> CompareConfig:
    return config if isinstance(config, CompareConfig) else load_config(config)


def _prepare(config: CompareConfig, dataset: DatasetSpec) -> tuple[Path, dict | None]:
    """The folder to mine from, and the hidden positives when extra positives are hidden."""
    if not dataset.hide_extra_positives:
        return dataset.path, None

    qrels = dataset.path / "qrels" / f"{dataset.train_split}.tsv"
    if not qrels.is_file():
        raise DataError(
            "hide_extra_positives needs a BEIR qrels file",
            received=str(qrels),
            fix=f"Check path and train_split of dataset {dataset.name!r}",
        )
    dest = config.out / dataset.name / "data"
    hidden = hide_extra_positives(dataset.path, dataset.train_split, dest, seed=HIDDEN_SEED)
    return dest, hidden


def _run_step(
    config: CompareConfig,
    step: Step,
    mine_data: Path,
    hidden: dict | None,
    counts: Counter[str],
    show_progress: bool,
) -> tuple[Any, dict | None]:

    eval_path = step.folder / "eval.json"
    fn_path = step.folder / "fn.json"
    if eval_path.is_file():
        counts["reused"] += 1
        logger.info("compare: %s already evaluated", step.label)
        return EvalResult.load(eval_path), _read_json(fn_path)
    step.folder.mkdir(parents=True, exist_ok=True)
    model = (
        config.model
        if step.mining.zero_shot
        else _trained_model(config, step, mine_data, hidden, counts, show_progress)
    )
    logger.info("compare: evaluating %s", step.label)
    evaluation = evaluate(
        model,
        step.dataset.path,
        split=step.dataset.test_split,
        metrics=[config.metric],
        device=config.device,
        cache_dir=config.out / step.dataset.name / "cache",
        name=step.mining.name,
        show_progress=show_progress,
    )
    evaluation.save(eval_path)
    counts["evaluated"] += 1
    return evaluation, _read_json(fn_path)


def _trained_model(
    config: CompareConfig,
    step: Step,
    mine_data: Path,
    hidden: dict | None,
    counts: Counter[str],
    show_progress: bool,
) -> Path:
    """Mine and train unless a complete model is already there; returns the model folder."""

    model_dir = step.folder / "model"
    done = step.folder / "train.json"
    if done.is_file():
        return model_dir
    logger.info("compare: mining %s", step.label)
    filters = step.mining.filters
    run = mine(
        mine_data,
        step.folder / "run",
        split=step.dataset.train_split,
        filters=[filters] if isinstance(filters, str) else filters,
        sampler=step.mining.sampler,
        num_negatives=step.mining.num_negatives,
        seed=step.seed,
        cache_dir=str(config.out / step.dataset.name / "cache"),
        model=config.model,
        device=config.device,
        show_progress=show_progress,
        **{**config.mine, **step.mining.mine_overrides},
    )
    counts["mined"] += 1
    trained = run.training_negatives(step.mining.all_queries)  # what the model will see
    if hidden is not None:
        rate = false_negative_rate(trained, hidden)
        relabels = relabel_precision(run.negatives(), hidden)
        if relabels:
            rate["relabel"] = relabels
        _write_json(step.folder / "fn.json", rate)
    write_stats(step.folder, trained)
    if model_dir.exists():
        shutil.rmtree(model_dir)  # left by a killed run: no train.json was written
    # A killed training left its checkpoints in model.checkpoints; mining the same seed again
    # gives the same rows, so train() resumes from them.
    logger.info("compare: training %s", step.label)
    settings = config.train.for_row(step.mining).settings(
        model=config.model,
        seed=step.seed,
        device=config.device,
        all_queries=step.mining.all_queries,
    )
    result = train(run, model_dir, settings, show_progress=show_progress)
    _write_json(done, result.to_dict())
    counts["trained"] += 1
    return model_dir


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _write_json(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2) + "\n")
