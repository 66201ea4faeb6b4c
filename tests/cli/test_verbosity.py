"""-q/--quiet prints errors only; -v/--verbose adds debug lines and other libraries' warnings.

Each case runs `trueneg audit` in its own process (the levels and warning filters it sets are
the process's), with the audit wrapped to log a line at each level and to raise a Python
warning, as the libraries underneath do.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

import trueneg
from fixtures import write_tiny_beir
from trueneg.cli.main import app

NOISY_AUDIT = """
import logging, sys, warnings
import trueneg.audit
audit_module = sys.modules["trueneg.audit"]
real = audit_module.audit

def noisy(*args, **kwargs):
    log = logging.getLogger("trueneg.audit")
    log.debug("a trueneg debug line")
    log.info("a trueneg info line")
    log.warning("a trueneg warning")
    log.error("a trueneg error line")
    logging.getLogger("transformers").warning("a library log warning")
    warnings.warn("a library python warning", FutureWarning, stacklevel=1)
    return real(*args, **kwargs)

audit_module.audit = noisy
from trueneg.cli.main import main
sys.argv = ["trueneg", *sys.argv[1:]]
main()
"""
LINES = (
    "a trueneg debug line",
    "a trueneg info line",
    "a trueneg warning",
    "a trueneg error line",
    "a library log warning",
    "a library python warning",
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("verbosity")
    tiny = write_tiny_beir(root / "tiny")
    return trueneg.mine(tiny, root / "run", retriever="bm25", filters=[]).path


@pytest.mark.parametrize(
    ("flags", "shown"),
    [
        ([], {"a trueneg info line", "a trueneg warning", "a trueneg error line"}),
        (["-q"], {"a trueneg error line"}),
        (["--quiet"], {"a trueneg error line"}),
        (["-v"], set(LINES)),
        (["--verbose"], set(LINES)),
    ],
    ids=["default", "-q", "--quiet", "-v", "--verbose"],
)
def test_quiet_and_verbose(run_dir, flags, shown):
    command = [sys.executable, "-c", NOISY_AUDIT, "audit", str(run_dir), *flags]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    printed = {line for line in LINES if line in result.stderr}
    assert printed == shown, result.stderr
    if "-q" in flags or "--quiet" in flags:  # no progress, no "wrote report.html" either
        assert "wrote" not in result.stderr and "━" not in result.stderr, result.stderr
    assert "# Audit of" in result.stdout  # the report itself is the output, always printed


def test_quiet_and_verbose_together_is_an_error(run_dir):
    result = CliRunner().invoke(app, ["audit", str(run_dir), "-q", "-v"])
    assert result.exit_code == 1, result.output
    assert "-q/--quiet and -v/--verbose contradict each other" in result.output


@pytest.mark.parametrize("command", ["audit", "compare", "demo"])
def test_commands_take_both(command):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--quiet" in result.output and "--verbose" in result.output
