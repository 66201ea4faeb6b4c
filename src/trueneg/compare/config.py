"""The TOML schema of ``trueneg compare``: datasets x mining configs x seeds, one training recipe.

Relative paths are resolved against the folder of the config file. Every table rejects keys it
does not know, naming the valid ones, and values whose type is not the annotated type of their
field (:func:`trueneg.settings.check_types`). Defaults come from the settings of the verbs a
comparison runs (:class:`~trueneg.settings.MineConfig`, :class:`~trueneg.settings.TrainSettings`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from trueneg.errors import ConfigError
from trueneg.rescore.spec import is_cascade, is_remote, split_cascade
from trueneg.select import resolve_filters, resolve_sampler
from trueneg.select.weights import check_weight_rule
from trueneg.settings import (
    ALIASES,
    AUTO,
    MineConfig,
    TrainSettings,
    aliases,
    check_false_negative_cost,
    check_relabel,
    check_types,
    default_of,
    none_means_empty,
    renamed,
)
from trueneg.train.checks import ROW_FORMATS, row_format, rows_fit
from trueneg.train.core import check_precision
from trueneg.train.losses import LOSSES
from trueneg.train.samplers import BATCH_SAMPLERS

ZERO_SHOT = "none"
# mine() settings the [mine] table may not set: the comparison owns them.
OWNED_MINE_KEYS = {
    "data",
    "out",
    "split",
    "seed",
    "filters",
    "sampler",
    "false_negative_cost",  # a [[mining]] row's key: rows with filters have no auto to set it for
    "num_negatives",
    "cache_dir",
    "extra",
    "model",
    "device",
}


@dataclass(frozen=True)
class DatasetSpec:
    """One BEIR folder: mined on ``train_split``, evaluated on ``test_split``."""

    name: str
    path: Path
    train_split: str = "train"
    test_split: str = "test"
    hide_extra_positives: bool = False


@dataclass(frozen=True)
class MiningSpec:
    """One row of the table. ``sampler = "none"`` (or ``name = "none"``) is zero-shot: the base
    model is evaluated as is, with no mining and no training. Leaving out ``filters`` and
    ``sampler`` mines with ``auto``, as ``trueneg mine`` does.

    ``judge`` puts a judge in this row's mining (a model folder, relative to the config file,
    a model name, a remote judge spec or a cascade ``A > B``: docs/judges.md),
    ``judge_depth`` how many top candidates per query it scores and ``judge_cascade`` a
    cascade's pass rule; all three override the ``[mine]`` table, so one config can hold the
    same mining with and without a judge. ``relabel``, ``relabel_query_limit`` and
    ``negative_weights`` are ``trueneg mine``'s (what the row does with the judge's verdict),
    and ``loss`` overrides the ``[train]`` table's loss for this row (``mnrl+kl``: the
    distillation recipe; with its own row format where the table's ``rows`` cannot serve it,
    :meth:`TrainSpec.for_loss`); ``rows`` overrides the table's row format for this row
    (``"n-tuple"``: one row a query, as a distillation row's score lists, so a contrastive
    control trains on the same lists in the same steps); ``gradient_checkpointing`` overrides
    the table's for this row (the same training in less memory: a distillation row's score
    lists are twice a triplet batch's texts); ``epochs`` overrides the table's for this row
    (a row on one row a query trains in 1/k of its triplets' steps: ``epochs = k`` gives it
    the same steps). ``all_queries = true`` trains an ``auto`` row on
    every query instead of ``auto``'s training queries (see
    :meth:`trueneg.api.Run.training_queries`). ``false_negative_cost`` (old name
    ``auto_cost``) sets an ``auto`` row's cost of a false negative (``trueneg mine
    --false-negative-cost``). The other defaults are ``trueneg mine``'s and ``trueneg train``'s.
    """

    name: str
    filters: list[str] | str | None = field(default=default_of(MineConfig, "filters"))
    sampler: str = default_of(MineConfig, "sampler")
    num_negatives: int = default_of(MineConfig, "num_negatives")
    judge: str | None = None  # None here: the [mine] table's
    judge_depth: int | None = None
    judge_cascade: str | None = None
    false_negative_cost: float | None = field(
        default=default_of(MineConfig, "false_negative_cost"), metadata={ALIASES: ("auto_cost",)}
    )
    all_queries: bool = default_of(TrainSettings, "all_queries")
    relabel: str | None = None
    relabel_query_limit: int | None = None
    negative_weights: str | None = None
    loss: str | None = None  # None here: the [train] table's
    rows: str | None = None  # None here: the [train] table's (or the row's loss's own format)
    gradient_checkpointing: bool | None = None  # None here: the [train] table's
    epochs: float | None = None  # None here: the [train] table's

    @property
    def mine_overrides(self) -> dict[str, Any]:
        """The ``mine()`` settings this row sets over the ``[mine]`` table."""
        out: dict[str, Any] = {
            key: getattr(self, key)
            for key in ("relabel", "relabel_query_limit", "negative_weights")
            if getattr(self, key) is not None
        }
        if self.judge is not None:
            out["judge"] = self.judge
        if self.judge_depth is not None:
            out["judge_depth"] = self.judge_depth
        if self.judge_cascade is not None:
            out["judge_cascade"] = self.judge_cascade
        if self.false_negative_cost is not None:
            out["false_negative_cost"] = self.false_negative_cost
        return out

    @property
    def zero_shot(self) -> bool:
        return self.sampler == ZERO_SHOT


RECIPE_KEYS = ("loss", "rows", "epochs")


def _train(name: str) -> Any:
    return default_of(TrainSettings, name)


@dataclass(frozen=True)
class TrainSpec:
    """The ``[train]`` table: the :class:`~trueneg.settings.TrainSettings` a comparison's
    config may set for every mined run (as names; the defaults are ``trueneg train``'s). The
    comparison sets the rest: ``model``, ``device`` and ``seed`` from ``[experiment]``,
    ``all_queries`` from the ``[[mining]]`` row. A killed cell resumes from its last checkpoint.
    """

    loss: str = _train("loss")
    epochs: float | None = _train("epochs")
    batch_size: int = _train("batch_size")
    lr: float = _train("lr")
    max_steps: int = _train("max_steps")
    rows: str | None = _train("rows")
    warmup_ratio: float = _train("warmup_ratio")
    batch_sampler: str = _train("batch_sampler")
    checkpoint_minutes: float = _train("checkpoint_minutes")
    precision: str = _train("precision")
    gradient_checkpointing: bool | None = _train("gradient_checkpointing")

    def settings(self, **owned: Any) -> TrainSettings:
        """The full :class:`~trueneg.settings.TrainSettings`, with the ``owned`` ones set."""
        return TrainSettings(**asdict(self), **owned)

    def for_loss(self, loss: str | None) -> TrainSpec:
        """This table with a ``[[mining]]`` row's ``loss`` in place of its own.

        The table's ``rows`` stays where that loss can train on it. A loss with a format of its
        own that ``rows`` cannot give (score lists for ``kl``, ``margin-mse`` and ``mnrl+kl``;
        pairs or lists for a cross-encoder loss) trains on that format instead: ``rows =
        "triplet"`` chosen for the table's MNRL does not stop a distillation row.
        """
        if loss is None or loss == self.loss:
            return self
        rows = self.rows if rows_fit(LOSSES.resolve(loss), self.rows) else None
        return replace(self, loss=loss, rows=rows)

    def for_row(self, row: MiningSpec) -> TrainSpec:
        """This table as a ``[[mining]]`` row trains: its ``loss`` (:meth:`for_loss`), and its
        ``rows``, ``epochs`` and ``gradient_checkpointing`` where it sets them."""
        spec = self.for_loss(row.loss)
        own = {key: getattr(row, key) for key in ("rows", "epochs", "gradient_checkpointing")}
        return replace(spec, **{key: value for key, value in own.items() if value is not None})

    def recipe(self) -> dict[str, Any]:
        """The settings a comparison table names for each row: loss (resolved where the table
        leaves it to ``trueneg train``'s default), row format and epochs."""
        recipe = {key: getattr(self, key) for key in RECIPE_KEYS}
        return {**recipe, "loss": self.settings().loss_or_default()}

    def row_changes(self, row: MiningSpec) -> dict[str, Any]:
        """What ``row`` trains with unlike this table (:meth:`recipe`'s keys; ``rows`` None:
        its loss's own format). Gradient checkpointing is the same training in less memory
        and is not a change."""
        own, table = self.for_row(row).recipe(), self.recipe()
        return {key: value for key, value in own.items() if value != table[key]}


@dataclass(frozen=True)
class CompareConfig:
    """A whole comparison. ``model`` is the base model (None: the bundled all-MiniLM-L6-v2);
    ``mine`` holds extra :class:`~trueneg.settings.MineConfig` settings used by every mining
    run."""

    name: str
    out: Path
    datasets: list[DatasetSpec]
    mining: list[MiningSpec]
    train: TrainSpec = field(default_factory=TrainSpec)
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    model: str | None = None
    device: str = "auto"
    metric: str = "ndcg@10"
    mine: dict[str, Any] = field(default_factory=dict)


_EXPERIMENT_KEYS = ("name", "out", "seeds", "model", "device", "metric")
_TOP_KEYS = ("experiment", "dataset", "mining", "train", "mine")


def load_config(path: str | Path) -> CompareConfig:
    """Read and validate a comparison TOML file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "Config file not found",
            received=str(path),
            fix="Pass the path of a comparison TOML, e.g. examples/compare/tiny.toml",
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot parse config file {path}: {exc}") from None
    return parse_config(raw, base=path.resolve().parent)


def parse_config(raw: dict[str, Any], base: Path | None = None) -> CompareConfig:
    """Build a :class:`CompareConfig` from parsed TOML; relative paths are taken from ``base``."""
    base = base or Path.cwd()
    _check_keys("the config file", raw, _TOP_KEYS)
    exp = _table(raw, "experiment")
    _check_keys("[experiment]", exp, _EXPERIMENT_KEYS)
    check_types(exp, CompareConfig, "[experiment]")
    for key in ("name", "out"):
        if not exp.get(key):
            raise ConfigError(f"[experiment] needs {key!r}", expected=list(_EXPERIMENT_KEYS))
    datasets = [_dataset(d, base) for d in _array(raw, "dataset")]
    mining = [_mining(m, base) for m in _array(raw, "mining")]
    _unique("dataset", [d.name for d in datasets])
    _unique("mining", [m.name for m in mining])
    seeds = exp.get("seeds", default_of(CompareConfig, "seeds"))
    if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ConfigError(
            "[experiment] seeds must be a non-empty list of integers",
            received=seeds,
            expected="e.g. seeds = [0, 1, 2]",
        )
    train = _table(raw, "train")
    _check_keys("[train]", train, [f.name for f in fields(TrainSpec)])
    check_types(train, TrainSpec, "[train]")
    if "batch_sampler" in train:
        BATCH_SAMPLERS.resolve(train["batch_sampler"])  # an unknown name fails before any mining
    if "precision" in train:
        check_precision(train["precision"], "[train] precision")
    mine = _table(raw, "mine")
    _check_keys("[mine]", mine, sorted({f.name for f in fields(MineConfig)} - OWNED_MINE_KEYS))
    if "judge" in mine:
        mine = {**mine, "judge": _judge(mine["judge"], "[mine]", base)}
    check_types(mine, MineConfig, "[mine]")
    given = {key: exp[key] for key in ("model", "device", "metric") if key in exp}
    train_spec = TrainSpec(**train)
    for row in mining:
        _check_rows(train_spec, row)
        _check_strategies(row, mine.get("judge"))
    return CompareConfig(
        name=str(exp["name"]),
        out=_path(exp["out"], base),
        datasets=datasets,
        mining=mining,
        train=train_spec,
        seeds=list(dict.fromkeys(seeds)),
        mine=mine,
        **given,
    )


def restrict(
    config: CompareConfig,
    *,
    datasets: list[str] | None = None,
    mining: list[str] | None = None,
    seeds: list[int] | None = None,
    out: str | Path | None = None,
    data: dict[str, str | Path] | None = None,
) -> CompareConfig:
    """``config`` narrowed to some datasets, mining configs or seeds (None: all), written to
    another ``out``, or reading a dataset from another folder (``data``: name → BEIR folder).

    Useful to split one comparison over several machines or calls: each part resumes in the
    same ``out`` layout. Unknown names are errors that list the known ones.
    """
    known_data = [d.name for d in config.datasets]
    for name in [*(datasets or []), *(data or {})]:
        _known("dataset", name, known_data)
    for name in mining or []:
        _known("mining", name, [m.name for m in config.mining])
    for seed in seeds or []:
        _known("seed", seed, config.seeds)
    moved = {name: Path(folder).expanduser().resolve() for name, folder in (data or {}).items()}
    return replace(
        config,
        datasets=[
            replace(d, path=moved.get(d.name, d.path))
            for d in config.datasets
            if not datasets or d.name in datasets
        ],
        mining=[m for m in config.mining if not mining or m.name in mining],
        seeds=[s for s in config.seeds if not seeds or s in seeds],
        out=Path(out).expanduser().resolve() if out is not None else config.out,
    )


def _known(kind: str, value: Any, known: list[Any]) -> None:
    if value not in known:
        raise ConfigError(f"No {kind} {value!r} in the config", received=value, expected=known)


def _dataset(raw: dict[str, Any], base: Path) -> DatasetSpec:
    _check_keys("[[dataset]]", raw, [f.name for f in fields(DatasetSpec)])
    for key in ("name", "path"):
        if not raw.get(key):
            raise ConfigError(
                f"A [[dataset]] entry has no {key!r}",
                received=raw,
                expected="name and path (a BEIR folder)",
            )
    check_types(raw, DatasetSpec, f"[[dataset]] {raw['name']!r}")
    return DatasetSpec(**{**raw, "name": _slug(raw["name"]), "path": _path(raw["path"], base)})


def _mining(raw: dict[str, Any], base: Path) -> MiningSpec:
    keys = [f.name for f in fields(MiningSpec)]
    _check_keys("[[mining]]", raw, keys, accepted=aliases(MiningSpec))
    if not raw.get("name"):
        raise ConfigError(
            "A [[mining]] entry has no 'name'", received=raw, expected=", ".join(keys)
        )
    where = f"[[mining]] {raw['name']!r}"
    values = renamed(raw, MiningSpec, f"{where}: ")
    if "judge" in values:
        values["judge"] = _judge(values["judge"], where, base)
    check_types(values, MiningSpec, where)
    values["name"] = _slug(values["name"])
    if values["name"] == ZERO_SHOT and "sampler" not in values:
        values["sampler"] = ZERO_SHOT
    mining_keys = sorted(set(raw) - {"name", "sampler"})  # as written, old names too
    if values.get("sampler") == ZERO_SHOT and mining_keys:
        raise ConfigError(
            f"The zero-shot entry {values['name']!r} mines nothing",
            received=sorted(values),
            fix=f"Drop {', '.join(mining_keys)} from it",
        )
    spec = MiningSpec(**values)
    _positive(
        "num_negatives", spec.num_negatives, f"e.g. {default_of(MineConfig, 'num_negatives')}"
    )
    check_false_negative_cost(spec.false_negative_cost, spec.filters is None, f"{where}: ")
    if spec.judge_depth is not None:
        _positive(
            "judge_depth",
            spec.judge_depth,
            "e.g. 30 (how many top candidates per query the judge scores)",
        )
    check_relabel(spec.relabel)
    check_weight_rule(spec.negative_weights)
    if spec.relabel_query_limit is not None:
        _positive("relabel_query_limit", spec.relabel_query_limit, "e.g. 7")
    if spec.loss is not None:
        LOSSES.resolve(spec.loss)  # an unknown loss fails before any mining
    if spec.epochs is not None and not spec.epochs > 0:
        raise ConfigError(f"{where}: epochs must be > 0", received=spec.epochs, expected="e.g. 4")
    return spec


def _check_rows(train: TrainSpec, row: MiningSpec) -> None:
    """A row's ``rows`` is a format its loss trains on, checked before any mining."""
    if row.rows is None:
        return
    spec = train.for_row(row)
    try:
        row_format(LOSSES.resolve(spec.settings().loss_or_default()), spec.rows)
    except ConfigError as exc:
        raise ConfigError(
            f"[[mining]] {row.name!r} sets rows = {row.rows!r}: {exc.what}",
            received=exc.received,
            expected=exc.expected or ROW_FORMATS,
            fix=f"Drop 'rows' from [[mining]] {row.name!r}, or give it another loss",
        ) from None


def _check_strategies(row: MiningSpec, table_judge: str | None) -> None:
    """A row's filters and sampler are known strategies with valid arguments, and a judge is
    there for those that read its scores: checked when the config is read, not after the rows
    before it have mined and trained."""
    if row.zero_shot:
        return
    where = f"[[mining]] {row.name!r}"
    try:
        strategies = resolve_filters(none_means_empty(row.filters))
        if row.sampler != AUTO:
            strategies.append(resolve_sampler(row.sampler))
    except ConfigError as exc:
        raise ConfigError(
            f"{where}: {exc.what}", received=exc.received, expected=exc.expected, fix=exc.fix
        ) from None
    judged = [s.spec() for s in strategies if s.needs_judge]
    if judged and not (row.judge or table_judge):
        raise ConfigError(
            f"{where} reads judge scores but has no judge",
            received=judged,
            expected='judge = "FOLDER_OR_NAME" in the row or in [mine]',
            fix=f'Add e.g. judge = "../.models/ms-marco-MiniLM-L-12-v2" to {where}',
        )


def _positive(key: str, value: Any, expected: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{key} must be a positive integer", received=value, expected=expected)


def _judge(value: Any, where: str, base: Path) -> str:
    """A judge given as a path (``./``, ``../``, ``/`` or ``~``) is resolved against the config's
    folder and must exist, each judge of a cascade ``A > B`` on its own; anything else (a model
    name, a remote judge spec) is passed on as is."""
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f"The judge of {where} must be a model folder or name",
            received=value,
            expected='e.g. judge = "../.models/ms-marco-MiniLM-L-12-v2"',
        )
    if is_cascade(value):  # each judge of a cascade on its own
        return " > ".join(_judge(part, where, base) for part in split_cascade(value))
    if is_remote(value) or not value.startswith(("./", "../", "/", "~")):
        return value
    path = _path(value, base)
    if not path.exists():
        raise ConfigError(
            f"The judge of {where} is not there",
            received=str(path),
            fix="Paths are relative to the config file; `make judges` installs the rerankers "
            "the shipped configs name into .models/",
        )
    return str(path)


def _check_keys(
    where: str,
    raw: dict[str, Any],
    valid: list[str] | tuple[str, ...],
    accepted: Collection[str] = (),
) -> None:
    """Refuse keys not in ``valid`` (nor in ``accepted``: old names, left out of the list)."""
    unknown = sorted(set(raw) - set(valid) - set(accepted))
    if unknown:
        raise ConfigError(f"Unknown key in {where}", received=unknown, expected=sorted(valid))


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table", received=value)
    return value


def _array(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key)
    if not value or not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(
            f"The config needs at least one [[{key}]] entry",
            received=value,
            fix=f"Add a [[{key}]] table (see examples/compare/tiny.toml)",
        )
    return value


def _unique(kind: str, names: list[str]) -> None:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            f"Two [[{kind}]] entries share a name",
            received=repeated,
            fix="Give every entry its own name (it names the output folder)",
        )


def _slug(name: Any) -> str:
    text = str(name)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", text):
        raise ConfigError(
            "Names become folder names",
            received=text,
            expected="letters, digits, '.', '_' and '-' (e.g. percent-0.95)",
        )
    return text


def _path(value: Any, base: Path) -> Path:
    path = Path(str(value)).expanduser()
    return path if path.is_absolute() else (base / path).resolve()
