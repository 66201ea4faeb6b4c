"""``encode_cached`` in a child process, for the tests that crash it or fill its disk.

A full disk used to kill the writing process with SIGBUS (its memory map hit ENOSPC); run in a
child, such a regression fails one test instead of ending the whole session.

Usage: ``python cache_child.py SPEC.json``, where the spec names ``cache``, ``texts`` (a list),
``chunk_size``, ``encoder`` ("fake": the 384-dim bag-of-words ``FakeEncoder`` of
``tests/conftest.py``, or "minilm": the bundled model on the CPU) and optionally
``fill_disk_after`` + ``filler`` (after that many ``encode`` calls the encoder fills the disk
with ``filler``, as another process writing there would) and ``sleep`` (seconds per call, to
be killed mid-encoding). Prints ``{"calls": N}``; a trueneg error goes to stderr, exit 1.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))

from conftest import FakeEncoder  # noqa: E402
from trueneg.encode import encode_cached  # noqa: E402
from trueneg.errors import TruenegError  # noqa: E402


class Wrapped:
    """Another encoder's vectors; counts calls, may fill the disk or be slow."""

    def __init__(self, inner, spec: dict) -> None:
        self.inner, self.spec, self.calls = inner, spec, 0
        self.fingerprint, self.dim = inner.fingerprint, inner.dim

    def encode(self, texts, kind, *, show_progress=False):
        if self.calls == self.spec.get("fill_disk_after"):
            fill(Path(self.spec["filler"]))
        self.calls += 1
        time.sleep(self.spec.get("sleep", 0))
        return self.inner.encode(texts, kind)


def fill(path: Path) -> None:
    """Write zeros to ``path`` until the disk is full."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        while True:
            os.write(fd, bytes(1 << 16))
    except OSError:
        pass
    finally:
        os.close(fd)


def make_encoder(name: str):
    if name == "fake":
        return FakeEncoder(dim=384)
    from trueneg.encode import SentenceTransformerEncoder
    from trueneg.encode.models import default_model_path

    return SentenceTransformerEncoder(default_model_path(), device="cpu")


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    encoder = Wrapped(make_encoder(spec["encoder"]), spec)
    try:
        encode_cached(
            encoder, spec["texts"], "document", Path(spec["cache"]), chunk_size=spec["chunk_size"]
        )
    except TruenegError as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        print(json.dumps({"calls": encoder.calls}), flush=True)


if __name__ == "__main__":
    main()
