"""The resolved configuration of a mining run, from keyword arguments or a TOML file."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from trueneg.errors import ConfigError

DEFAULT_FILTERS = ("percent:0.95", "near-duplicate:0.95")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class MineConfig:
    """Every setting of ``trueneg mine``. Field names equal the TOML keys and CLI options.

    ``filters=None`` means the default filter chain (:data:`DEFAULT_FILTERS`); an empty list
    means no filter at all (naive top-k with sampler ``top``).
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
    retriever: str = "exact"
    depth: int = 100
    filters: list[str] | None = None
    sampler: str = "top"
    num_negatives: int = 4
    shortfall: str = "keep-short"
    seed: int = 0
    judge: str | None = None
    judge_depth: int = 30
    judge_batch_size: int = 32
    cache_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def resolved_filters(self) -> list[str]:
        return list(DEFAULT_FILTERS) if self.filters is None else list(self.filters)

    def validate(self) -> MineConfig:
        if not self.data:
            raise ConfigError("No input data given", expected="a BEIR folder or a pairs file",
                              fix="Pass DATA as the first argument of `trueneg mine`")
        if not self.out:
            raise ConfigError("No run directory given", fix="Pass --out RUN_DIR")
        _positive_int("num_negatives", self.num_negatives)
        _positive_int("depth", self.depth)
        _positive_int("batch_size", self.batch_size)
        _positive_int("judge_depth", self.judge_depth)
        _positive_int("judge_batch_size", self.judge_batch_size)
        if self.device not in DEVICES:
            raise ConfigError("Unknown device", received=self.device, expected=DEVICES)
        from trueneg.select.base import SHORTFALL_POLICIES

        if self.shortfall not in SHORTFALL_POLICIES:
            raise ConfigError("Unknown shortfall policy", received=self.shortfall,
                              expected=SHORTFALL_POLICIES)
        self.filters = _none_means_empty(self.filters)
        if self.num_negatives > self.depth:
            self.depth = self.num_negatives
        return self

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["filters"] = self.resolved_filters()
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
        raise ConfigError("Config file not found", received=str(path),
                          fix="Check the path given to --config")
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
    if "none" in names:
        if len(names) > 1:
            raise ConfigError("The filter 'none' cannot be combined with other filters",
                              received=names, fix="Pass either --filter none or real filters")
        return []
    return names


def _field_names() -> set[str]:
    return {f.name for f in fields(MineConfig)}


def _positive_int(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer", received=value,
                          expected="an integer >= 1")
