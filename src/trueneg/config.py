"""The resolved configuration of a mining run, from keyword arguments or a TOML file."""

from __future__ import annotations

import copy
import math
import os
import tomllib
import types
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from trueneg.errors import ConfigError
from trueneg.select.base import SHORTFALL_POLICIES, Filter, Sampler

AUTO = "auto"
# The chain that was the default before ``auto``; the audit still replays it for comparison.
PERCENT_FILTERS = ("percent:0.95", "near-duplicate:0.95")
DEVICES = ("auto", "cpu", "cuda")
# A field's command-line option, where it is not ``--`` + the name with dashes (None: none).
OPTION = "option"


@dataclass
class MineConfig:
    """Every setting of ``trueneg mine``. Field names equal the TOML keys and CLI options.

    ``filters=None`` (or ``["auto"]``) and ``sampler="auto"`` let :mod:`trueneg.select.auto`
    choose from the data; an empty filter list means no filter at all. When only one of the two
    is given, ``auto`` chooses the filters for the given sampler, and given filters without a
    sampler use ``top``. ``auto_cost`` is ``auto``'s cost of a false negative in true negatives
    (a rank is admitted while its estimated false-negative share is below ``1 / (1 + cost)``;
    ``None``: :data:`trueneg.select.auto.DEFAULT_COST`, 9, i.e. 10%).

    The annotations are the schema: :meth:`validate` refuses a value of another type (see
    :func:`check_types`), from a TOML file, the Python API or the command line alike.
    """

    data: str = field(default="", metadata={OPTION: "the argument DATA"})
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
    filters: list[str | Filter] | str | None = field(default=None, metadata={OPTION: "--filter"})
    sampler: str | Sampler = AUTO
    auto_cost: float | None = None
    num_negatives: int = 4
    shortfall: str = "keep-short"
    seed: int = 0
    judge: str | None = None
    judge_depth: int = 30
    judge_batch_size: int = field(default=32, metadata={OPTION: None})
    cache_dir: str | None = None
    ray: str | None = None
    ray_workers: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, metadata={OPTION: None})

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
        # deepcopy, not asdict: asdict would turn Filter and Sampler instances into dicts
        values = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}
        values.update({k: v for k, v in overrides.items() if v is not None})
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
    tables = sorted(k for k, v in raw.items() if isinstance(v, dict) and k not in _field_names())
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


def check_types(values: Mapping[str, Any], schema: type, where: str = "") -> None:
    """Refuse the first value whose type does not match ``schema``'s annotation of its key.

    ``schema`` is a settings dataclass, the one home of each key's type; keys it does not
    annotate are left to the caller. ``where`` names the TOML table (``"[train]"``); without
    it the keys are top-level :class:`MineConfig` settings, which are also command-line
    options. A float setting accepts an int; a bool is never an int.
    """
    hints = _type_hints(schema)
    for key, value in values.items():
        hint = hints.get(key)
        if hint is None or _matches(value, hint):
            continue
        expected = describe_type(hint)
        if where:
            name, fix = f"{where} {key}", f"Set {key} in {where} to {expected}"
        else:
            name, fix = key, f"Set {_setting(schema, key)} to {expected}"
        raise ConfigError(
            f"{name} must be {expected}",
            received=f"{value!r} ({_kind(value)})",
            expected=expected,
            fix=fix,
        )


def describe_type(hint: Any, plural: bool = False) -> str:
    """An annotation in words, for messages: ``list[str] | str`` is "a list of strings, or a
    string"; ``None`` is left out (a TOML file cannot write it, and leaving a key out is
    the same)."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        parts = [describe_type(a, plural) for a in get_args(hint) if a is not type(None)]
        if len(parts) > 2 or any(" or " in p or " of " in p for p in parts):
            return ", ".join(parts[:-1]) + ", or " + parts[-1]
        return " or ".join(parts)
    if origin in (list, tuple):
        items = get_args(hint)
        return ("lists" if plural else "a list") + (
            f" of {describe_type(items[0], True)}" if items else ""
        )
    if origin is dict or hint is dict:
        return "tables" if plural else "a table"
    if hint is Any:
        return "anything"
    words = _TYPE_WORDS.get(hint)
    if words is not None:
        return words[plural]
    name = getattr(hint, "__name__", str(hint))
    return f"{name} objects" if plural else f"a {name} object"


_TYPE_WORDS: dict[Any, tuple[str, str]] = {
    str: ("a string", "strings"),
    int: ("an integer", "integers"),
    float: ("a number", "numbers"),
    bool: ("true or false", "true or false values"),
    Path: ("a path", "paths"),
}


@cache
def _type_hints(schema: type) -> dict[str, Any]:
    return get_type_hints(schema)


def _setting(schema: type, key: str) -> str:
    """``seed (TOML key seed, option --seed)``: where the user sets a top-level key."""
    meta = next((f.metadata for f in fields(schema) if f.name == key), {})
    option = meta.get(OPTION, "--" + key.replace("_", "-"))
    return f"{key} (TOML key {key}" + (f", option {option})" if option else ")")


def _matches(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, a) for a in get_args(hint))
    if origin in (list, tuple):
        items = get_args(hint)
        item = items[0] if items else Any
        return isinstance(value, list | tuple) and all(_matches(v, item) for v in value)
    if origin is dict:
        key, item = get_args(hint) or (Any, Any)
        return isinstance(value, Mapping) and all(
            _matches(k, key) and _matches(v, item) for k, v in value.items()
        )
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, Real) and not isinstance(value, bool)
    if hint is Path:
        return isinstance(value, str | os.PathLike)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _kind(value: Any) -> str:
    """What a value is, in the words of a TOML file."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Integral):
        return "an integer"
    if isinstance(value, Real):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return "None" if value is None else f"a {type(value).__name__}"
