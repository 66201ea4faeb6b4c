"""trueneg: hard negatives that are truly negative.

Public API::

    import trueneg
    run = trueneg.mine("path/to/beir_folder", "runs/my-run", num_negatives=4)
    print(run.summary().to_markdown())
    run.export("triplet", "triplets.jsonl")
    report = trueneg.audit(run)

Importing it is cheap (torch, transformers and the other heavy libraries load on first use).
``audit``, ``train`` and ``evaluate`` are functions here although subpackages share their
names: they are bound when the package is imported, so ``trueneg.audit(run)`` works whatever
was imported before.
"""

from trueneg.api import Run, mine, open_run
from trueneg.audit import audit
from trueneg.data import load_dataset
from trueneg.errors import ConfigError, DataError, ModelError, RunDirError, TruenegError
from trueneg.evaluate import evaluate
from trueneg.settings import MineConfig
from trueneg.summary import Summary
from trueneg.train import train
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
