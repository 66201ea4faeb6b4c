"""Every command has help, and the help names what the command does."""

import inspect
import re

import pytest
from typer.testing import CliRunner

from trueneg.cli.main import app

runner = CliRunner()


def _commands():
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_top_level_help_lists_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("mine", "export", "strategies", "demo"):
        assert name in result.output


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command):
    import typer.main

    group = typer.main.get_command(app)
    assert group.commands[command].help, f"`trueneg {command}` has no help text"
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_every_option_and_argument_has_help():
    import typer.main

    group = typer.main.get_command(app)
    commands = {"(top level)": group, **group.commands}
    for name, command in commands.items():
        for param in command.params:
            assert param.help, f"`trueneg {name}` {param.param_type_name} {param.name} has no help"


def _help(args: list[str]) -> str:
    result = runner.invoke(app, [*args, "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [None, *_commands()])
def test_boolean_flags_show_no_value_placeholder(command):
    """Typer prints ``<bool>`` beside a flag, as if it took a value: every flag's row must go
    from its names straight to its help text."""
    import typer.main

    group = typer.main.get_command(app)
    cli = group if command is None else group.commands[command]
    output = _help([] if command is None else [command])
    assert "<bool>" not in output and "BOOLEAN" not in output
    flags = [p for p in cli.params if getattr(p, "is_flag", False) and not p.hidden]
    assert flags  # every command has at least --help
    for flag in flags:
        names = r"\s+".join(re.escape(o) for o in [*flag.opts, *flag.secondary_opts])
        first_words = re.escape(" ".join((flag.help or "").split()[:2]))
        row = re.search(names + r"\s+" + first_words, " ".join(output.split()))
        assert row, f"`trueneg {command}` {flag.name}: not shown as a flag"


@pytest.mark.parametrize("command", _commands())
def test_arguments_go_by_their_names_in_capitals(command):
    """Usage lines show RUN_DIR, not the Python name run_dir."""
    import typer.main

    params = typer.main.get_command(app).commands[command].params
    usage = next(line for line in _help([command]).splitlines() if "Usage:" in line)
    for param in params:
        if param.param_type_name == "argument":
            assert param.name not in re.findall(r"\w+", usage), usage
            assert (param.metavar or param.name.upper()) in usage, usage


def test_a_missing_argument_is_named_as_in_the_help():
    result = runner.invoke(app, ["audit"])
    assert result.exit_code == 2
    assert "Missing argument 'RUN_DIR'" in " ".join(result.output.split())


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "trueneg" in result.output


def _flat(text: str) -> str:
    """Help text as words: box-drawing borders and line breaks removed, spaces collapsed."""
    return " ".join(text.replace("│", " ").replace("\\[", "[").split())


@pytest.mark.parametrize("command", _commands())
def test_help_shows_every_parameter_text_whole(command):
    """Rich reads ``[word]`` as markup and silently drops it: every parameter's help must reach
    the screen whole (write ``\\[`` for a literal bracket)."""
    import typer.main

    group = typer.main.get_command(app)
    result = runner.invoke(app, [command, "--help"], terminal_width=1000, env={"COLUMNS": "1000"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for paragraph in (group.commands[command].help or "").split("\n\n"):
        assert _flat(paragraph) in shown, f"`trueneg {command}`: help lost {paragraph[:60]!r}"
    for param in group.commands[command].params:
        text = getattr(param, "help", None)
        if text and not getattr(param, "hidden", False):  # old spellings are hidden
            assert _flat(text) in shown, f"`trueneg {command}` {param.name}: help lost text"


def _first_paragraph(cls) -> str:
    paragraph = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    return " ".join(paragraph.replace("``", "").split())


def test_strategies_table_shows_every_description_whole():
    """Every description is the docstring's whole first paragraph, not its first line
    (positive-rank's was cut mid-sentence), and keeps its brackets: labeled-list's
    "(anchor, [positives + negatives], [labels])" must not lose them to Rich markup."""
    from trueneg.cli.strategies import registries

    result = runner.invoke(app, ["strategies"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for reg in registries().values():
        for name, cls in reg.items():
            assert _first_paragraph(cls) in shown, f"{name}: description not shown whole"
    assert "(round-trip consistency); other queries keep no negatives." in shown


def test_strategies_json_has_every_description_whole():
    import json

    from trueneg.cli.strategies import registries

    result = runner.invoke(app, ["strategies", "--json"])
    assert result.exit_code == 0, result.output
    shown = {(row["kind"], row["name"]): row["description"] for row in json.loads(result.output)}
    for kind, reg in registries().items():
        for name, cls in reg.items():
            assert shown[(kind, name)] == _first_paragraph(cls)
