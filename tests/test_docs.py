"""The documentation site builds with warnings as errors, as `make docs` builds it: every page
in the navigation, no broken link or anchor, every docstring of the API reference parsed.
And the pages written for users name only options the command line has."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from trueneg.cli.main import app

REPO = Path(__file__).resolve().parents[1]
# The pages that show commands to type (the others quote benchmark scripts' own flags).
USER_PAGES = ("index.md", "getting-started.md", "recipes.md", "audit.md", "hub.md")
# Options a page may name before the command line has them (an option being built); remove a
# name once its option lands.
PENDING: set[str] = set()
# Flags of other programs on the same lines: pip, make, the benchmarks' scripts.
OTHER_PROGRAMS = ("pip ", "make ", "mkdocs ", "python -m benchmarks")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "site"
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_site_builds_strict(site):
    assert (site / "index.html").is_file()
    for page in ("getting-started", "recipes", "audit", "hub", "cli", "api", "benchmarks"):
        assert (site / page / "index.html").is_file(), page


def test_the_api_reference_renders_the_docstrings(site):
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("mine", "Run", "MineConfig", "open_run", "audit", "train", "evaluate"):
        assert re.search(rf'id="trueneg(\.\w+)*\.{name}"', api), name
    assert ":class:" not in api and "<blockquote>" not in api  # reST translated (griffe ext.)
    assert "Mine hard negatives for" in api  # trueneg.mine's docstring, not just its name


def test_the_cli_reference_has_every_command_and_option(site):
    text = (site / "cli" / "index.html").read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"trueneg {name}" in text, name
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                assert param.opts[0] in text, f"{name} {param.opts[0]}"


def test_the_benchmark_results_are_a_page(site):
    text = (site / "benchmarks" / "index.html").read_text(encoding="utf-8")
    assert "<table>" in text and "fn_protocol.json" in text


def _cli_options() -> set[str]:
    group = typer.main.get_command(app)
    commands = [group, *group.commands.values()]
    return {o for c in commands for p in c.params for o in [*p.opts, *p.secondary_opts]}


def test_user_pages_name_only_real_options():
    known = _cli_options() | {"--help"}
    named = set()
    for page in USER_PAGES:
        for line in (REPO / "docs" / page).read_text(encoding="utf-8").splitlines():
            if not any(program in line for program in OTHER_PROGRAMS):
                named |= set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", line))
    assert named - known - PENDING == set(), "pages name options trueneg does not have"
    landed = PENDING & known
    assert not landed, f"{sorted(landed)} landed: remove them from PENDING"
