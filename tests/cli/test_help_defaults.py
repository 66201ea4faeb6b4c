"""Every default `--help` shows is the settings object's: "Default: X." texts and typer's
"[default: X]" alike, and every setting with an option and a default to show shows it.

The settings object of a command is its settings dataclass (mine, train, audit, compare), or
the library function a thin command wraps (export: ``Run.export``, evaluate: ``evaluate``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from trueneg.api import Run
from trueneg.cli.main import app
from trueneg.compare import CompareConfig
from trueneg.evaluate import evaluate
from trueneg.settings import AuditSettings, MineConfig, TrainSettings, default_of, default_text

runner = CliRunner()

SOURCES: dict[str, Any] = {
    "mine": MineConfig,
    "train": TrainSettings,
    "audit": AuditSettings,
    "export": Run.export,
    "evaluate": evaluate,
    "compare": CompareConfig,
}
# CLI parameter → setting, where the names differ
SETTING = {"filter_": "filters", "metric": "metrics", "scores": "include_scores"}
SHOWN = re.compile(r"Default: (.+?)\.(?:\s|$)")
TYPER_SHOWN = re.compile(r"\[default: (.+?)\]")
MISSING = object()


def help_rows(command: str) -> dict[str, str]:
    """Each option's row of ``--help`` on a wide terminal, wrapped lines joined:
    ``{"--seed": "--seed <int> Seed of every random choice. Default: 0."}``."""
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "400"}, terminal_width=400)
    assert result.exit_code == 0, result.output
    rows: dict[str, list[str]] = {}
    current = None
    for line in result.output.splitlines():
        start = re.match(r"│\s+(?:\*\s+)?(--[a-z][a-z-]*)", line)
        if start:
            current = start.group(1)
            rows[current] = [line]
        elif current and line.startswith("│"):
            rows[current].append(line)
        else:
            current = None
    return {opt: " ".join(" ".join(lines).replace("│", " ").split()) for opt, lines in rows.items()}


def options(command: str) -> list[Any]:
    """The command's visible options (click parameters, as typer builds them)."""
    params = typer.main.get_command(app).commands[command].params
    return [p for p in params if p.param_type_name == "option" and not p.hidden]


def long_option(param: Any) -> str:
    return next(o for o in param.opts if o.startswith("--"))


def setting_of(command: str, param: Any) -> str | None:
    """The setting an option sets (None: none of the settings object)."""
    name = SETTING.get(param.name, param.name.rstrip("_"))
    source = SOURCES[command]
    try:
        default_of(source, name)
    except (KeyError, StopIteration):
        return None
    return name


def typer_text(param: Any, value: Any) -> str:
    """How typer shows ``value`` as the default of ``param``."""
    if isinstance(value, bool) and param.secondary_opts:
        return (param.opts[0] if value else param.secondary_opts[0]).lstrip("-")
    return str(value)


@pytest.mark.parametrize("command", sorted(SOURCES))
def test_every_default_shown_is_the_settings_objects(command):
    source, rows = SOURCES[command], help_rows(command)
    for param in options(command):
        row = rows[long_option(param)]
        shown, typer_shown = SHOWN.findall(row), TYPER_SHOWN.findall(row)
        name = setting_of(command, param)
        if name is None:
            assert not shown and not typer_shown, f"{command} {param.name}: a default of what?"
            continue
        value, text = default_of(source, name), default_text(source, name)
        if param.default is not None:
            assert param.default == value, f"{command} {param.name}: the option's own default"
        for words in typer_shown:
            assert words == typer_text(param, value), f"{command} {param.name}: {row}"
        for words in shown:
            if text is None:  # a function's None, described in words
                assert value is None, f"{command} {param.name}: {row}"
                continue
            rest = words.removeprefix(text)
            assert words.startswith(text) and rest[:1] in ("", " ", ";"), f"{command} {row}"


@pytest.mark.parametrize("command", sorted(SOURCES))
def test_every_setting_with_an_option_shows_its_default(command):
    source, rows = SOURCES[command], help_rows(command)
    for param in options(command):
        name = setting_of(command, param)
        if name is None:
            continue
        value, text = default_of(source, name), default_text(source, name)
        if text is None or (value is False and not param.secondary_opts):  # off unless given
            continue
        row = rows[long_option(param)]
        shown = f"Default: {text}" in row or f"[default: {typer_text(param, value)}]" in row
        assert shown, f"`trueneg {command} --help` hides the default of {name}: {row}"


def test_the_false_negative_cost_is_named_once_and_the_old_flags_are_hidden():
    mine, audit = help_rows("mine"), help_rows("audit")
    assert "--false-negative-cost" in mine and "--false-negative-cost" in audit
    assert "Default: 9 (under 10%)." in mine["--false-negative-cost"]
    assert "[default: 9.0]" in audit["--false-negative-cost"]
    assert "--auto-cost" not in mine and "--cost-ratio" not in audit
    assert MineConfig().false_negative_cost is None  # auto's default cost, in words above
    assert AuditSettings().false_negative_cost == 9
