"""trueneg: hard negatives that are truly negative.

Public API::

    import trueneg
    run = trueneg.mine("path/to/beir_folder", "runs/my-run", num_negatives=4)
    print(run.summary().to_markdown())
    run.export("triplet", "triplets.jsonl")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trueneg.version import __version__

__all__ = [
    "ConfigError",
    "DataError",
    "MineConfig",
    "ModelError",
    "Run",
    "RunDirError",
    "Summary",
    "TruenegError",
    "__version__",
    "audit",
    "evaluate",
    "load_dataset",
    "mine",
    "open_run",
    "train",
]

_LAZY = {
    "mine": ("trueneg.api", "mine"),
    "Run": ("trueneg.api", "Run"),
    "open_run": ("trueneg.api", "open_run"),
    "MineConfig": ("trueneg.settings", "MineConfig"),
    "Summary": ("trueneg.summary", "Summary"),
    "load_dataset": ("trueneg.data", "load_dataset"),
    "audit": ("trueneg.audit", "audit"),
    "evaluate": ("trueneg.evaluate", "evaluate"),
    "train": ("trueneg.train", "train"),
    "TruenegError": ("trueneg.errors", "TruenegError"),
    "DataError": ("trueneg.errors", "DataError"),
    "ConfigError": ("trueneg.errors", "ConfigError"),
    "ModelError": ("trueneg.errors", "ModelError"),
    "RunDirError": ("trueneg.errors", "RunDirError"),
}

if TYPE_CHECKING:
    from trueneg.api import Run, mine, open_run
    from trueneg.audit import audit
    from trueneg.data import load_dataset
    from trueneg.errors import ConfigError, DataError, ModelError, RunDirError, TruenegError
    from trueneg.evaluate import evaluate
    from trueneg.settings import MineConfig
    from trueneg.summary import Summary
    from trueneg.train import train


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'trueneg' has no attribute {name!r}")
