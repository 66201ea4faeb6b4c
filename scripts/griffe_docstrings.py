"""A griffe extension for the API reference (mkdocs.yml): trueneg's docstrings are read as
Markdown, so the two reST habits in them are translated before they are rendered.

- Sphinx roles (``:class:`~trueneg.Run```) become code spans (`` `Run` ``): Markdown has none.
- Doctest lines (``>>> run = ...``) become a ``pycon`` code block instead of a quotation,
  without their ``# doctest:`` directives.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")
DOCTEST = re.compile(r"^(?:>>>|\.\.\.)(?: .*)?(?:\n(?:>>>|\.\.\.)(?: .*)?)*$", re.MULTILINE)
DIRECTIVE = re.compile(r"\s*# doctest:.*$", re.MULTILINE)


def _code(match: re.Match) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def _example(match: re.Match) -> str:
    return "\n```pycon\n" + DIRECTIVE.sub("", match.group(0)) + "\n```\n"


def translate(text: str) -> str:
    return DOCTEST.sub(_example, ROLE.sub(_code, text))


class ReSTHabits(Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = translate(obj.docstring.value)
