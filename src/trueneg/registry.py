"""Names → strategy classes.

One registry per kind of strategy (filters, samplers, retrievers, export formats). The
registry feeds the CLI's choices, `trueneg strategies` and every "unknown name" error, so the
list of valid names can never drift from what is accepted.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from trueneg.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from registered names to classes of one kind.

    Classes register with ``@registry.register("name")``. A class may define
    ``from_value(value: str | None)`` to be built from the ``NAME:VALUE`` form used on the
    command line; otherwise it is built with no arguments and a value is refused.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        def decorator(cls: type[T]) -> type[T]:
            if name in self._classes:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            cls.name = name  # type: ignore[attr-defined]
            self._classes[name] = cls
            return cls

        return decorator

    def names(self) -> list[str]:
        return sorted(self._classes)

    def get_class(self, name: str) -> type[T]:
        try:
            return self._classes[name]
        except KeyError:
            raise ConfigError(
                f"Unknown {self.kind} {name!r}",
                expected=self.names(),
                fix=f"Run `trueneg strategies` to see every {self.kind} and what it does",
            ) from None

    def resolve(self, spec: str | type[T] | T) -> T:
        """Build an instance from a name (``"percent:0.95"``), a class or an instance."""
        if isinstance(spec, str):
            name, _, value = spec.partition(":")
            cls = self.get_class(name.strip())
            return _build(cls, value.strip() or None, spec)
        if isinstance(spec, type):
            if spec not in self._classes.values():
                raise ConfigError(
                    f"{spec.__name__} is not a registered {self.kind}", expected=self.names()
                )
            try:
                return spec()
            except TypeError as exc:
                raise ConfigError(
                    f"{spec.__name__} needs settings and cannot be built from its class alone",
                    received=str(exc),
                    fix="Pass an instance or a string like 'NAME:VALUE' (see `trueneg strategies`)",
                ) from None
        if type(spec) not in self._classes.values() and not hasattr(spec, "name"):
            raise ConfigError(f"{spec!r} is not a {self.kind}", expected=self.names())
        return spec

    def items(self) -> list[tuple[str, type[T]]]:
        return sorted(self._classes.items())


def _build(cls: type[Any], value: str | None, spec: str) -> Any:
    from_value = getattr(cls, "from_value", None)
    if from_value is not None:
        return from_value(value)
    if value is not None:
        raise ConfigError(f"{cls.name!r} takes no value", received=spec, expected=cls.name)
    return cls()


def describe(cls: type[Any]) -> str:
    """The first paragraph of a strategy's docstring, whole, on one line (for listings)."""
    paragraph = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    return " ".join(paragraph.split()).replace("``", "")
