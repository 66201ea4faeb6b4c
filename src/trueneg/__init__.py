"""trueneg: hard negatives that are truly negative.

Public API::

    import trueneg
    run = trueneg.mine("path/to/beir_folder", "runs/my-run", num_negatives=4)
    print(run.summary().to_markdown())
    run.export("triplet", "triplets.jsonl")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

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
    "mine": ("trueneg.pipeline", "mine"),
    "Run": ("trueneg.api", "Run"),
    "open_run": ("trueneg.api", "open_run"),
    "MineConfig": ("trueneg.config", "MineConfig"),
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
    from trueneg.api import Run, open_run
    from trueneg.audit import audit
    from trueneg.config import MineConfig
    from trueneg.data import load_dataset
    from trueneg.errors import ConfigError, DataError, ModelError, RunDirError, TruenegError
    from trueneg.evaluate import evaluate
    from trueneg.pipeline import mine
    from trueneg.summary import Summary
    from trueneg.train import train


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'trueneg' has no attribute {name!r}")
