"""The per-user cache folder that every run shares: embeddings, judge scores, ONNX exports.

One place decides it, so that ``trueneg mine`` (``--cache-dir``), the ONNX encoders and
``trueneg evaluate`` fill and reuse the same files. Concurrent use is safe: each embedding
entry is written under its own lock and renamed into place (:mod:`trueneg.encode.cache`).
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "TRUENEG_CACHE"
USER_CACHE_TEXT = f"${CACHE_ENV}, else $XDG_CACHE_HOME/trueneg, else ~/.cache/trueneg"


def user_cache_dir() -> Path:
    """``$TRUENEG_CACHE``, else ``$XDG_CACHE_HOME/trueneg``, else ``~/.cache/trueneg``
    (absolute; not created here)."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().absolute()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".cache"
    return (root / "trueneg").absolute()
