"""``MineConfig``: the resolved settings of a mining run, from keyword arguments or a TOML file."""

from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from trueneg.distributed import RAY_RETRIEVERS, check_address, check_devices, check_retriever
from trueneg.encode.factory import ENCODERS
from trueneg.encode.spec import check_prompt_choice
from trueneg.encode.user_cache import USER_CACHE_TEXT, user_cache_dir
from trueneg.errors import ConfigError
from trueneg.rescore.spec import check_judge_spec
from trueneg.select.auto import DEFAULT_COST
from trueneg.select.base import SHORTFALL_POLICIES, Filter, Sampler
from trueneg.select.relabel import RELABEL, Relabel
from trueneg.select.weights import check_weight_rule
from trueneg.settings.schema import (
    ALIASES,
    DEFAULT_TEXT,
    OPTION,
    check_known,
    check_types,
    field_names,
    renamed,
    setting_name,
)

AUTO = "auto"
# The chain that was the default before ``auto``; the audit still replays it for comparison.
PERCENT_FILTERS = ("percent:0.95", "near-duplicate:0.95")
DEVICES = ("auto", "cpu", "cuda")
# ``cache_dir`` value that keeps a run's embeddings and judge scores inside its own folder.
CACHE_IN_RUN = "run"
CACHE_DEFAULT_TEXT = f"{USER_CACHE_TEXT} (one folder for every run and user session)"
HUB_SETTINGS = ("hub_config", "hub_revision", "hub_qrels", "hub_streaming")


RELABEL_OFF = "off"
RELABEL_ON = "on"  # the default rule, relabel:0.9,0.5


def check_relabel(value: str | None) -> None:
    """``relabel`` is None (auto), ``off``, ``on`` (the default rule) or a rule ``R,FLOOR``
    (or ``relabel:R,FLOOR``)."""
    if value is None or value == RELABEL_OFF:
        return
    Relabel.from_value(relabel_value(value))


def relabel_value(value: str) -> str:
    """The ``R,FLOOR`` part of a relabel setting (``relabel:0.9,0.5`` or ``0.9,0.5``; ``on``
    gives the default rule's)."""
    if value == RELABEL_ON:
        return Relabel().spec().split(":", 1)[1]
    prefix = f"{RELABEL}:"
    return value[len(prefix) :] if value.startswith(prefix) else value


def admitted_share(cost: float) -> str:
    """The false-negative share below which ``auto`` admits a rank at ``cost``: ``"10%"``."""
    return f"{1 / (1 + cost):.0%}"


COST_IN_WORDS = f"{DEFAULT_COST:g} (under {admitted_share(DEFAULT_COST)})"


@dataclass
class MineConfig:
    """Every setting of ``trueneg mine``. Field names equal the TOML keys and CLI options.

    ``filters=None`` (or ``["auto"]``) and ``sampler="auto"`` let :mod:`trueneg.select.auto`
    choose from the data; an empty filter list means no filter at all. When only one of the two
    is given, ``auto`` chooses the filters for the given sampler, and given filters without a
    sampler use ``top``. ``false_negative_cost`` is ``auto``'s cost of a false negative in true
    negatives (a rank is admitted while its estimated false-negative share is below
    ``1 / (1 + cost)``; ``None``: :data:`trueneg.select.auto.DEFAULT_COST`); its old name
    ``auto_cost`` is still accepted. ``cache_dir`` is also read from a legacy ``extra``
    ``cache_dir`` (moved into the field when the settings are built); :meth:`validate` turns
    its default (None) into the per-user cache folder and any path into an absolute one, so
    the manifest records the folder a run used (``"run"``: inside the run directory, which is
    also where runs whose manifest says None kept theirs).

    ``hub_*`` apply when ``data`` is a Hugging Face Hub dataset (:mod:`trueneg.data.hub`);
    ``prompt_name`` / ``document_prompt_name`` pick a prompt the model saved, by name;
    ``max_seq_length`` and the prompts enter the encoder fingerprint (embedding cache key);
    ``trust_remote_code`` lets the model's own code run.

    The annotations are the schema: :meth:`validate` refuses a value of another type (see
    :func:`~trueneg.settings.schema.check_types`), from a TOML file, the Python API or the
    command line alike. Field metadata: :data:`~trueneg.settings.schema.OPTION`,
    :data:`~trueneg.settings.schema.ALIASES`, :data:`~trueneg.settings.schema.DEFAULT_TEXT`.
    """

    data: str = field(default="", metadata={OPTION: "the argument DATA"})
    out: str = ""
    split: str = "train"
    query_column: str | None = None
    positive_column: str | None = None
    corpus: str | None = None
    hub_config: str | None = field(
        default=None,
        metadata={
            DEFAULT_TEXT: "the dataset's default config; for a BEIR-style repository, its "
            "default or qrels config"
        },
    )
    hub_revision: str | None = field(default=None, metadata={DEFAULT_TEXT: "main (the latest)"})
    hub_qrels: str | None = field(
        default=None,
        metadata={
            DEFAULT_TEXT: "the repository's own qrels config, else the NAME-qrels repository"
        },
    )
    hub_streaming: bool = False
    model: str | None = field(default=None, metadata={DEFAULT_TEXT: "the bundled all-MiniLM-L6-v2"})
    query_prompt: str | None = None
    document_prompt: str | None = None
    prompt_name: str | None = None
    document_prompt_name: str | None = None
    max_seq_length: int | None = field(default=None, metadata={DEFAULT_TEXT: "the model's own"})
    trust_remote_code: bool = False
    batch_size: int = 64
    device: str = "auto"
    encoder: str = "auto"
    retriever: str = "exact"
    depth: int = 100
    filters: list[str | Filter] | str | None = field(
        default=None, metadata={OPTION: "--filter", DEFAULT_TEXT: AUTO}
    )
    sampler: str | Sampler = AUTO
    false_negative_cost: float | None = field(
        default=None, metadata={ALIASES: ("auto_cost",), DEFAULT_TEXT: COST_IN_WORDS}
    )
    num_negatives: int = 4
    shortfall: str = "keep-short"
    seed: int = 0
    judge: str | None = None
    judge_depth: int = 30
    judge_cascade: str = "top:0.25"
    judge_batch_size: int = field(default=32, metadata={OPTION: None})
    relabel: str | None = field(
        default=None,
        metadata={
            DEFAULT_TEXT: "auto: with a judge and no --filter, on when the judge calls most of "
            "the labeled positives relevant and the run has room for its relabels to be mostly "
            "right (labels far from complete); otherwise off"
        },
    )
    relabel_query_limit: int | None = field(
        default=None, metadata={DEFAULT_TEXT: "none (no query is dropped for it)"}
    )
    negative_weights: str | None = field(default=None, metadata={DEFAULT_TEXT: "none (weight 1)"})
    cache_dir: str | None = field(default=None, metadata={DEFAULT_TEXT: CACHE_DEFAULT_TEXT})
    ray: str | None = field(default=None, metadata={DEFAULT_TEXT: "run locally, no Ray"})
    ray_workers: int | None = field(
        default=None, metadata={DEFAULT_TEXT: "one per GPU of the cluster, else one per CPU"}
    )
    devices: str | None = field(default=None, metadata={DEFAULT_TEXT: "one device (--device)"})
    extra: dict[str, Any] = field(default_factory=dict, metadata={OPTION: None})

    def __post_init__(self) -> None:
        # ``extra["cache_dir"]`` is the old home of ``cache_dir``; the field wins over it.
        if isinstance(self.extra, dict) and "cache_dir" in self.extra:
            self.extra = dict(self.extra)
            legacy = self.extra.pop("cache_dir")
            if self.cache_dir is None:
                self.cache_dir = legacy

    @property
    def auto_filters(self) -> bool:
        """``auto`` chooses the filter chain (no ``--filter`` given)."""
        return self.filters is None

    @property
    def auto_sampler(self) -> bool:
        """``auto`` chooses the sampler (neither ``--sampler`` nor ``--filter`` given)."""
        return self.sampler == AUTO and self.filters is None

    def resolved_sampler(self) -> str:
        """The sampler spec when it is not left to ``auto`` (given filters default to top)."""
        return "top" if self.sampler == AUTO else self.sampler

    def validate(self) -> MineConfig:
        for f in fields(self):  # a path given for a text setting stands for its text
            if isinstance(getattr(self, f.name), os.PathLike):
                setattr(self, f.name, os.fspath(getattr(self, f.name)))
        check_types({f.name: getattr(self, f.name) for f in fields(self)}, MineConfig)
        if not self.data:
            raise ConfigError(
                "No input data given",
                expected="a BEIR folder, a pairs file or a Hugging Face Hub dataset name",
                fix="Pass DATA as the first argument of `trueneg mine`",
            )
        if not self.out:
            raise ConfigError("No run directory given", fix="Pass --out RUN_DIR")
        for name in ("num_negatives", "depth", "batch_size", "judge_depth", "judge_batch_size"):
            _positive_int(name, getattr(self, name))
        if self.max_seq_length is not None:
            _positive_int("max_seq_length", self.max_seq_length)
        check_prompt_choice(self.query_prompt, self.prompt_name, "prompt-name")
        check_prompt_choice(self.document_prompt, self.document_prompt_name, "document-prompt-name")
        self.cache_dir = resolved_cache_dir(self.cache_dir)
        if self.device not in DEVICES:
            raise ConfigError("Unknown device", received=self.device, expected=DEVICES)

        if self.encoder not in ENCODERS:
            raise ConfigError("Unknown encoder", received=self.encoder, expected=ENCODERS)
        if self.shortfall not in SHORTFALL_POLICIES:
            raise ConfigError(
                "Unknown shortfall policy", received=self.shortfall, expected=SHORTFALL_POLICIES
            )
        self.filters = none_means_empty(self.filters)
        if self.judge:
            check_judge_spec(self.judge, self.judge_cascade)
        check_relabel(self.relabel)
        check_weight_rule(self.negative_weights)
        if self.relabel_query_limit is not None:
            _positive_int("relabel_query_limit", self.relabel_query_limit)
        check_false_negative_cost(self.false_negative_cost, self.auto_filters)
        _check_ray(self)
        _check_devices(self)
        if self.num_negatives > self.depth:
            self.depth = self.num_negatives
        return self

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["filters"] = AUTO if self.filters is None else list(self.filters)
        return out

    def replace(self, **overrides: Any) -> MineConfig:
        """A copy with ``overrides`` set (None: keep the current value); old names of a
        setting (``auto_cost``) are accepted, unknown keys refused."""
        overrides = renamed(overrides, MineConfig)
        check_known(overrides, MineConfig)
        # deepcopy, not asdict: asdict would turn Filter and Sampler instances into dicts
        values = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return MineConfig(**values)


def load_toml(path: str | Path) -> MineConfig:
    """Read a ``run.toml``: top-level keys are :class:`MineConfig` fields (or their old names)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "Config file not found", received=str(path), fix="Check the path given to --config"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot parse config file {path}: {exc}") from None
    raw = {k.replace("-", "_"): v for k, v in raw.items()}
    if "filter" in raw and "filters" not in raw:
        raw["filters"] = raw.pop("filter")
    raw = renamed(raw, MineConfig)
    names = field_names(MineConfig)
    tables = sorted(k for k, v in raw.items() if isinstance(v, dict) and k not in names)
    if tables:
        raise ConfigError(
            f"{path.name} has a [table] where trueneg mine reads top-level keys",
            received=[f"[{name}]" for name in tables],
            expected="key = value lines before any [table] header, e.g. seed = 3",
            fix="Move those keys above the first [table] header and drop the header "
            "(only extra may be a table)",
        )
    config = MineConfig().replace(**raw)  # refuses unknown keys, listing the known ones
    check_types(raw, MineConfig)  # here too, so a wrong value fails even under a CLI flag
    if isinstance(config.filters, str):
        config.filters = [config.filters]
    return config


def resolved_cache_dir(cache_dir: str | None) -> str:
    """The cache folder a run records: the per-user folder for None, ``"run"`` as it is, any
    other path absolute (so a later reader in another working directory finds it)."""
    if cache_dir is None:
        return str(user_cache_dir())
    if cache_dir == CACHE_IN_RUN:
        return cache_dir
    return str(Path(cache_dir).expanduser().absolute())


def none_means_empty(filters: list[str] | None) -> list[str] | None:
    """``["none"]`` (or ``"none"`` in a TOML file) means no filter at all."""
    if filters is None:
        return None
    names = [filters] if isinstance(filters, str) else list(filters)
    for special, meaning in ((AUTO, None), ("none", [])):
        if special in names:
            if len(names) > 1:
                raise ConfigError(
                    f"The filter '{special}' cannot be combined with other filters",
                    received=names,
                    fix=f"Pass either --filter {special} or real filters",
                )
            return meaning
    return names


def check_false_negative_cost(cost: Any, auto_chooses: bool, where: str = "") -> None:
    """``false_negative_cost`` is a positive number (or ``None``), and only set where ``auto``
    chooses the filters (``auto_chooses``); ``where`` prefixes the error (a compare row)."""
    if cost is None:
        return
    number = isinstance(cost, int | float) and not isinstance(cost, bool)
    if not number or not math.isfinite(cost) or cost <= 0:
        raise ConfigError(
            f"{where or '--false-negative-cost: '}false_negative_cost must be a positive number",
            received=cost,
            expected="how many true negatives one false negative undoes, e.g. "
            f"{DEFAULT_COST:g} (the default: admits ranks under {admitted_share(DEFAULT_COST)} "
            "estimated false negatives) or 3 (under 25%)",
        )
    if not auto_chooses:
        raise ConfigError(
            f"{where or '--false-negative-cost: '}false_negative_cost only applies when auto "
            "chooses the filters",
            received=cost,
            fix="Drop the filters (auto then chooses with this cost), or drop "
            "false_negative_cost (--false-negative-cost)",
        )


def _check_devices(cfg: MineConfig) -> None:
    """``devices`` has the form of ``--devices``, is not combined with Ray, and runs exact
    search when the retriever needs one."""
    if cfg.devices is None:
        return
    check_devices(cfg.devices)
    if cfg.ray is not None:
        raise ConfigError(
            "--devices and --ray both set",
            received=(cfg.devices, cfg.ray),
            fix="Use --devices for the GPUs of one machine, --ray for a cluster",
        )
    if isinstance(cfg.retriever, str) and cfg.retriever not in RAY_RETRIEVERS:
        raise ConfigError(
            "--devices runs exact dense search only",
            received=cfg.retriever,
            expected=RAY_RETRIEVERS,
            fix="Use --retriever exact with --devices, or drop --devices",
        )


def _check_ray(cfg: MineConfig) -> None:
    """``ray`` is None, ``auto`` or an address; Ray runs only the exact retriever."""
    if cfg.ray_workers is not None:
        _positive_int("ray_workers", cfg.ray_workers)
        if cfg.ray is None:
            raise ConfigError(
                "--ray-workers (ray_workers) is set but --ray (ray) is not",
                received=cfg.ray_workers,
                fix="Pass --ray auto (or a cluster address) with --ray-workers",
            )
    if cfg.ray is None:
        return

    check_address(cfg.ray)
    if isinstance(cfg.retriever, str):
        check_retriever(cfg.retriever)


def _positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(
            f"{setting_name(MineConfig, name)} must be a positive integer",
            received=value,
            expected="an integer >= 1",
        )
