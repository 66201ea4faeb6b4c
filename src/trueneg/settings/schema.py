"""The settings dataclasses' annotations as a schema: type checks and messages in words.

Every settings class (:class:`~trueneg.settings.MineConfig`, ``TrainSettings``,
``AuditSettings``, the compare tables) is the one home of its keys' types and defaults; the
helpers here read both, for TOML files, the Python API and the command line alike.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import os
import types
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from numbers import Integral, Real
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from trueneg.errors import ConfigError

# Field metadata keys.
# A field's command-line option, where it is not ``--`` + the name with dashes (None: none).
OPTION = "option"
# Older names a field still answers to (TOML keys, compare keys, Python keywords).
ALIASES = "aliases"
# The default in words, where the value (None) does not say what it means.
DEFAULT_TEXT = "default_text"


def default_of(source: type | Callable[..., Any], name: str) -> Any:
    """The default of setting ``name``: a field of the settings dataclass ``source``, or a
    keyword of the function ``source`` (the library call a command wraps)."""
    if dataclasses.is_dataclass(source):
        spec = _field(source, name)
        if spec.default_factory is not dataclasses.MISSING:
            return spec.default_factory()
        return None if spec.default is dataclasses.MISSING else spec.default
    default = inspect.signature(source).parameters[name].default
    return None if default is inspect.Parameter.empty else default


def default_text(source: type | Callable[..., Any], name: str) -> str | None:
    """The default of ``name`` as the help text shows it: a field's :data:`DEFAULT_TEXT`, else
    the value (a sequence as its items separated by spaces); None when there is none to show
    (None or an empty string: unset or required)."""
    if dataclasses.is_dataclass(source) and DEFAULT_TEXT in _field(source, name).metadata:
        return _field(source, name).metadata[DEFAULT_TEXT]
    value = default_of(source, name)
    if value is None or value == "":
        return None
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def option_of(schema: type, name: str) -> str | None:
    """The command-line option of field ``name`` (None: it has none)."""
    return _field(schema, name).metadata.get(OPTION, "--" + name.replace("_", "-"))


def field_names(schema: type) -> list[str]:
    return [f.name for f in dataclasses.fields(schema)]


def check_known(keys: Iterable[str], schema: type, what: str = "setting") -> None:
    """Refuse keys that are not fields of ``schema``, listing the valid ones."""
    known = field_names(schema)
    unknown = sorted(set(keys) - set(known))
    if unknown:
        close = {u: difflib.get_close_matches(u, known, n=1) for u in unknown}
        hints = [f"{u} → {match[0]}" for u, match in close.items() if match]
        raise ConfigError(
            f"Unknown {what}",
            received=unknown,
            expected=sorted(known),
            fix=f"Did you mean: {', '.join(hints)}" if hints else None,
        )


def aliases(schema: type) -> dict[str, str]:
    """Old name → field name, from the fields' :data:`ALIASES`."""
    return {old: f.name for f in dataclasses.fields(schema) for old in f.metadata.get(ALIASES, ())}


def renamed(values: Mapping[str, Any], schema: type, where: str = "") -> dict[str, Any]:
    """``values`` with old names (:data:`ALIASES`) under their field's name. A key given under
    both names is refused (None counts as not given, as in ``replace``)."""
    out = dict(values)
    for old, new in aliases(schema).items():
        if old not in out:
            continue
        value = out.pop(old)
        if out.get(new) is not None and value is not None:
            raise ConfigError(
                f"{where}{new} is given twice: as {new} and as {old}, its old name",
                received={new: out[new], old: value},
                fix=f"Keep only {new}",
            )
        if out.get(new) is None:
            out[new] = value
    return out


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


def _field(schema: type, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(schema) if f.name == name)


@cache
def _type_hints(schema: type) -> dict[str, Any]:
    return get_type_hints(schema)


def setting_name(schema: type, key: str) -> str:
    """How a user names a setting: ``--seed (seed)`` where it is a command-line option, else
    its key."""
    option = option_of(schema, key) if key in field_names(schema) else None
    return f"{option} ({key})" if option else key


def _setting(schema: type, key: str) -> str:
    """``seed (TOML key seed, option --seed)``: where the user sets a top-level key."""
    option = option_of(schema, key) if key in field_names(schema) else None
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
