"""Run ``trueneg ARGS`` and kill this very process with SIGKILL at one write point.

Every file trueneg writes lands with ``os.replace`` (atomic write), so the replaces of a run
are its write points. Usage::

    python killer.py record LOG ARGS...   # run to the end, appending each replaced path to LOG
    python killer.py before:N LOG ARGS... # SIGKILL just before the Nth replace (1-based)
    python killer.py after:N LOG ARGS...  # SIGKILL just after it

SIGKILL runs no clean-up code (no ``finally``, no atexit): what is on disk is what a crash, an
out-of-memory kill or a pulled plug leaves.
"""

from __future__ import annotations

import json
import os
import signal
import sys

mode, log, args = sys.argv[1], sys.argv[2], sys.argv[3:]
when, _, number = mode.partition(":")
target = int(number) if number else 0
real_replace = os.replace
calls = 0


def replace(src, dst, *rest, **options):
    global calls
    calls += 1
    if when == "record":
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(os.fspath(dst)) + "\n")
    if when == "before" and calls == target:
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst, *rest, **options)
    if when == "after" and calls == target:
        os.kill(os.getpid(), signal.SIGKILL)


os.replace = replace
sys.argv = ["trueneg", *args]
from trueneg.cli.main import main  # noqa: E402

main()
