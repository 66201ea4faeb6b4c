"""The resolved configuration of a mining run, from keyword arguments or a TOML file."""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from trueneg.errors import ConfigError

AUTO = "auto"
# The chain that was the default before ``auto``; the audit still replays it for comparison.
PERCENT_FILTERS = ("percent:0.95", "near-duplicate:0.95")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class MineConfig:
    """Every setting of ``trueneg mine``. Field names equal the TOML keys and CLI options.

    ``filters=None`` (or ``["auto"]``) and ``sampler="auto"`` let :mod:`trueneg.select.auto`
    choose from the data; an empty filter list means no filter at all. When only one of the two
    is given, ``auto`` chooses the filters for the given sampler, and given filters without a
    sampler use ``top``. ``auto_cost`` is ``auto``'s cost of a false negative in true negatives
    (a rank is admitted while its estimated false-negative share is below ``1 / (1 + cost)``;
    ``None``: :data:`trueneg.select.auto.DEFAULT_COST`, 9, i.e. 10%).
    """

    data: str = ""
    out: str = ""
    split: str = "train"
    query_column: str | None = None
    positive_column: str | None = None
    corpus: str | None = None
    model: str | None = None
    query_prompt: str | None = None
    document_prompt: str | None = None
    batch_size: int = 64
    device: str = "auto"
    encoder: str = "auto"
    retriever: str = "exact"
    depth: int = 100
    filters: list[str] | None = None
    sampler: str = AUTO
    auto_cost: float | None = None
    num_negatives: int = 4
    shortfall: str = "keep-short"
    seed: int = 0
    judge: str | None = None
    judge_depth: int = 30
    judge_batch_size: int = 32
    cache_dir: str | None = None
    ray: str | None = None
    ray_workers: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
        if not self.data:
            raise ConfigError(
                "No input data given",
                expected="a BEIR folder or a pairs file",
                fix="Pass DATA as the first argument of `trueneg mine`",
            )
        if not self.out:
            raise ConfigError("No run directory given", fix="Pass --out RUN_DIR")
        _positive_int("num_negatives", self.num_negatives)
        _positive_int("depth", self.depth)
        _positive_int("batch_size", self.batch_size)
        _positive_int("judge_depth", self.judge_depth)
        _positive_int("judge_batch_size", self.judge_batch_size)
        if self.device not in DEVICES:
            raise ConfigError("Unknown device", received=self.device, expected=DEVICES)
        from trueneg.encode.factory import ENCODERS

        if self.encoder not in ENCODERS:
            raise ConfigError("Unknown encoder", received=self.encoder, expected=ENCODERS)
        from trueneg.select.base import SHORTFALL_POLICIES

        if self.shortfall not in SHORTFALL_POLICIES:
            raise ConfigError(
                "Unknown shortfall policy", received=self.shortfall, expected=SHORTFALL_POLICIES
            )
        self.filters = _none_means_empty(self.filters)
        check_auto_cost(self.auto_cost, self.auto_filters)
        _check_ray(self)
        if self.num_negatives > self.depth:
            self.depth = self.num_negatives
        return self

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["filters"] = AUTO if self.filters is None else list(self.filters)
        return out

    def replace(self, **overrides: Any) -> MineConfig:
        unknown = sorted(set(overrides) - _field_names())
        if unknown:
            raise ConfigError("Unknown setting", received=unknown, expected=sorted(_field_names()))
        values = {**asdict(self), **{k: v for k, v in overrides.items() if v is not None}}
        return MineConfig(**values)


def load_toml(path: str | Path) -> MineConfig:
    """Read a ``run.toml``: top-level keys are :class:`MineConfig` fields."""
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
    if isinstance(raw.get("filters"), str):
        raw["filters"] = [raw["filters"]]
    return MineConfig().replace(**raw)


def _none_means_empty(filters: list[str] | None) -> list[str] | None:
    """``["none"]`` (or ``"none"`` in a TOML file) means no filter at all."""
    if filters is None:
        return None
    names = [filters] if isinstance(filters, str) else list(filters)
    if AUTO in names:
        if len(names) > 1:
            raise ConfigError(
                "The filter 'auto' cannot be combined with other filters",
                received=names,
                fix="Pass either --filter auto or real filters",
            )
        return None
    if "none" in names:
        if len(names) > 1:
            raise ConfigError(
                "The filter 'none' cannot be combined with other filters",
                received=names,
                fix="Pass either --filter none or real filters",
            )
        return []
    return names


def check_auto_cost(cost: Any, auto_chooses: bool, where: str = "") -> None:
    """``auto_cost`` is a positive number (or ``None``), and only set where ``auto`` chooses
    the filters (``auto_chooses``); ``where`` prefixes the error (a compare config's row)."""
    if cost is None:
        return
    number = isinstance(cost, int | float) and not isinstance(cost, bool)
    if not number or not math.isfinite(cost) or cost <= 0:
        raise ConfigError(
            f"{where}auto_cost must be a positive number",
            received=cost,
            expected="how many true negatives one false negative undoes, e.g. 9 (admits ranks "
            "under 10% estimated false negatives) or 3 (under 25%)",
        )
    if not auto_chooses:
        raise ConfigError(
            f"{where}auto_cost only applies when auto chooses the filters",
            received=cost,
            fix="Drop the filters (auto then chooses with this cost), or drop auto_cost "
            "(--auto-cost)",
        )


def _check_ray(cfg: MineConfig) -> None:
    """``ray`` is None, ``auto`` or an address; Ray runs only the exact retriever."""
    if cfg.ray_workers is not None:
        _positive_int("ray_workers", cfg.ray_workers)
        if cfg.ray is None:
            raise ConfigError(
                "ray_workers is set but ray is not",
                received=cfg.ray_workers,
                fix="Pass --ray auto (or a cluster address) with --ray-workers",
            )
    if cfg.ray is None:
        return
    from trueneg.distributed import check_address, check_retriever

    check_address(cfg.ray)
    if isinstance(cfg.retriever, str):
        check_retriever(cfg.retriever)


def _field_names() -> set[str]:
    return {f.name for f in fields(MineConfig)}


def _positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(
            f"{name} must be a positive integer", received=value, expected="an integer >= 1"
        )
