"""MkDocs hooks of trueneg's documentation site (`hooks:` in mkdocs.yml).

- `benchmarks/README.md`, the index of every benchmark kept beside the scripts, becomes the
  page `benchmarks/index.md`; its links into `docs/` are rewritten for that place,
  and links from the pages to the README (outside `docs/`) lead to the page instead.
- `cli.md` is written from the `trueneg` command itself: every command, argument and option
  with its help, so the reference cannot drift from `trueneg COMMAND --help`.
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS_README = "benchmarks/README.md"  # relative to the repository
BENCHMARKS_PAGE = "benchmarks/index.md"  # relative to docs/
CLI_PAGE = "cli.md"
LINK = re.compile(r"\]\(([^)\s#]+)(#[^)\s]*)?\)")


def on_files(files: Files, config: Any) -> Files:
    readme = (REPO / BENCHMARKS_README).read_text(encoding="utf-8")
    title, _, rest = readme.partition("\n")
    note = (
        "\n\n*This page is `benchmarks/README.md` of the repository: the folders, scripts and"
        " result files it names are in `benchmarks/` there.*\n"
    )
    page = (
        (title + note + rest).replace("](../docs/benchmarks/", "](").replace("](../docs/", "](../")
    )
    files.append(File.generated(config, BENCHMARKS_PAGE, content=page))
    files.append(File.generated(config, CLI_PAGE, content=cli_reference()))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Links that leave docs/ for the benchmarks README lead to its page."""
    folder = posixpath.dirname(page.file.src_uri)

    def relink(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        if "://" in target:
            return match.group(0)
        in_repo = posixpath.normpath(posixpath.join("docs", folder, target))
        if in_repo in (BENCHMARKS_README, posixpath.dirname(f"docs/{BENCHMARKS_PAGE}")):
            new = posixpath.relpath(BENCHMARKS_PAGE, folder or ".")
            return f"]({new}{anchor})"
        return match.group(0)

    return LINK.sub(relink, markdown)


def cli_reference() -> str:
    import typer.main

    from trueneg.cli.main import app

    group = typer.main.get_command(app)
    lines = [
        "# Command line",
        "",
        "Every command of `trueneg`, written from the commands themselves at build time: "
        "the same texts as `trueneg COMMAND --help`. Every command takes `-h/--help`.",
        "",
        *_params_list(group.params),
    ]
    for name, command in group.commands.items():
        lines += [f"## `trueneg {name}`", "", *_paragraphs(command.help or "")]
        arguments = " ".join(p.metavar or p.name.upper() for p in _arguments(command))
        lines += ["```", f"trueneg {name} [OPTIONS] {arguments}".rstrip(), "```", ""]
        lines += _params_list(command.params)
    return "\n".join(lines) + "\n"


def _arguments(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "argument"]


def _paragraphs(text: str) -> list[str]:
    return [_text(paragraph) + "\n" for paragraph in text.split("\n\n")]


def _text(text: str) -> str:
    """Help text as one Markdown line: rich's escapes undone; outside `code`, HTML and the
    emphasis characters escaped (``mteb/* and BeIR/*`` is not an emphasis)."""
    words = " ".join(text.replace("\\[", "[").split())
    parts = words.split("`")
    for i in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[i] = re.sub(r"([*_])", r"\\\1", html.escape(parts[i], quote=False))
    return "`".join(parts)


def _params_list(params: list[Any]) -> list[str]:
    """One item per argument or option: its names, then its help and default."""
    items = []
    for param in params:
        if getattr(param, "hidden", False) or param.name == "help":
            continue
        if param.param_type_name == "argument":
            names = f"`{param.metavar or param.name.upper()}`"
        else:
            names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
        default = _default(param)
        items.append(
            f"- {names}: {_text(param.help or '')}" + (f" Default: {default}." if default else "")
        )
    return [*items, ""] if items else []


def _default(param: Any) -> str:
    value = param.default
    if param.show_default is False or value in (None, False, "", [], ()):
        return ""
    if isinstance(param.show_default, str):
        return _text(param.show_default)
    if getattr(param, "is_flag", False) and param.secondary_opts:
        return f"`{param.opts[0] if value else param.secondary_opts[0]}`"
    return f"`{value}`"
