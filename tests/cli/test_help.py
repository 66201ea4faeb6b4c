"""Every command has help, and the help names what the command does."""

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


def test_every_option_has_help():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert param.help, f"`trueneg {name}` option {param.name} has no help"


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


def test_strategies_table_shows_every_description_whole():
    """Descriptions such as labeled-list's "(anchor, [positives + negatives], [labels])" must
    not lose their brackets to Rich markup."""
    from trueneg.cli.strategies import registries
    from trueneg.registry import describe

    result = runner.invoke(app, ["strategies"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    shown = _flat(result.output)
    for reg in registries().values():
        for _, cls in reg.items():
            assert " ".join(describe(cls).split()) in shown
