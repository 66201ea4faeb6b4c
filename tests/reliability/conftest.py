"""Shared pieces of the reliability suite: the real CLI in a subprocess, a tiny BEIR set, and
size-limited or read-only file systems (tmpfs mounts; the tests that need one skip with the
reason where mounting is not allowed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures import write_tiny_beir

CLI = [sys.executable, "-c", "from trueneg.cli.main import main; main()"]


def env() -> dict[str, str]:
    """The environment of a CLI subprocess: this one's (with the test's user cache folder)."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200"}


def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``trueneg ARGS`` in a fresh process (the same Python), output captured as text."""
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, env=env()
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single ``Error:`` message of a clean failure (exit 1, no traceback)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("Error:") == 1, result.stderr
    return " ".join(result.stderr[result.stderr.index("Error:") :].split())


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Path:
    return write_tiny_beir(tmp_path_factory.mktemp("tiny") / "beir")


@pytest.fixture(scope="session")
def finished_run(tiny, tmp_path_factory) -> Path:
    """A finished run of the tiny set with the real model (copy it before damaging it)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    result = cli("mine", tiny, "--out", out, "-k", "2", "-q")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy, symlinks=True)
    return copy


class Mounts:
    """tmpfs mounts made by one test, unmounted at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.points: list[Path] = []

    def tmpfs(self, size: str, *, read_only: bool = False) -> Path:
        point = self.root / f"fs-{uuid.uuid4().hex[:8]}"
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        self.points.append(point)
        return point

    def remount(self, point: Path, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True)

    def close(self) -> None:
        for point in reversed(self.points):
            subprocess.run(["umount", "-l", str(point)], check=False)


def _can_mount(root: Path) -> str | None:
    """None when a tmpfs can be mounted here, else the reason it cannot."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "mounting a size-limited tmpfs needs root"
    if shutil.which("mount") is None:
        return "no `mount` command"
    probe = root / "probe"
    probe.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        return f"mount -t tmpfs failed here: {result.stderr.strip()}"
    subprocess.run(["umount", str(probe)], check=False)
    return None


@pytest.fixture
def mounts(tmp_path) -> Iterator[Mounts]:
    reason = _can_mount(tmp_path)
    if reason:
        pytest.skip(reason)
    made = Mounts(tmp_path)
    try:
        yield made
    finally:
        made.close()
