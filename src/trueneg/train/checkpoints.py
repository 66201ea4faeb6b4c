"""Checkpoints of a training run, so a killed ``trueneg train`` resumes instead of starting over.

Checkpoints go to ``<out>.checkpoints/`` beside the model folder: the trainer's own
``checkpoint-<step>`` folders (weights, optimizer, scheduler, RNG states, batch position), the
newest complete one only, plus ``resume.json``, the fingerprint of what is being trained (the
training rows and every setting that changes the result). The same call finds them and goes on
from the last one; a call with other rows or settings is refused rather than mixing two runs.
The folder is deleted once the model is saved.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from trueneg.errors import ConfigError
from trueneg.storage import atomic_write_text

FINGERPRINT = "resume.json"
STATE = "trainer_state.json"  # written last by the trainer: its presence marks a complete save
PREFIX = "checkpoint-"


def checkpoint_dir(out: str | Path) -> Path:
    """The checkpoint folder of a model folder: ``<out>.checkpoints`` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".checkpoints")


class _HashSink:
    """A write-only file that only hashes what is written to it."""

    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.closed = False

    def write(self, data: Any) -> int:
        view = memoryview(data)
        self.hash.update(view)
        return view.nbytes

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def dataset_digest(dataset: Any) -> str:
    """SHA-256 of the training rows (a ``datasets.Dataset``'s Arrow table, in order), streamed
    batch by batch so a large training set is not copied in memory."""
    import pyarrow as pa

    table = dataset.data.table if hasattr(dataset.data, "table") else dataset.data
    sink = _HashSink()
    with pa.ipc.new_stream(pa.PythonFile(sink, mode="w"), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=8192):
            writer.write_batch(batch)
    return sink.hash.hexdigest()


def latest(folder: Path) -> Path | None:
    """The newest complete ``checkpoint-<step>`` in ``folder`` (None when there is none)."""
    if not folder.is_dir():
        return None
    done = [
        p
        for p in folder.iterdir()
        if p.is_dir()
        and p.name.startswith(PREFIX)
        and p.name[len(PREFIX) :].isdigit()
        and (p / STATE).is_file()
    ]
    return max(done, key=lambda p: int(p.name[len(PREFIX) :]), default=None)


def prepare(folder: Path, fingerprint: dict[str, Any]) -> Path | None:
    """Create ``folder`` for a new run, or check it belongs to this one and return the
    checkpoint to resume from (None: start from the beginning)."""
    fingerprint = json.loads(json.dumps(fingerprint, sort_keys=True))  # tuples → lists, as read
    path = folder / FINGERPRINT
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored != fingerprint and latest(folder) is None:  # nothing trained yet to lose
            atomic_write_text(path, _dumps(fingerprint))
            return None
        if stored != fingerprint:
            raise ConfigError(
                "The checkpoints beside the model folder are from a different training run",
                received=f"{folder}: " + _differences(stored, fingerprint),
                expected="the same run, rows and training settings as the interrupted call",
                fix=f"Re-run the interrupted command unchanged to resume, or delete {folder} "
                "to start over",
            )
        return latest(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(
            "The checkpoint folder exists but has no resume.json, so it cannot be resumed",
            received=str(folder),
            fix=f"Delete {folder} (or choose another --out) and run again",
        )
    atomic_write_text(path, _dumps(fingerprint))
    return None


def _dumps(fingerprint: dict[str, Any]) -> str:
    return json.dumps(fingerprint, indent=2, sort_keys=True) + "\n"


def finish(folder: Path) -> None:
    """Delete the checkpoints once the model is saved."""
    shutil.rmtree(folder, ignore_errors=True)


def step_of(checkpoint: Path | None) -> int | None:
    """The training step a checkpoint was saved at."""
    return int(checkpoint.name[len(PREFIX) :]) if checkpoint is not None else None


def timed_callback(minutes: float) -> Any:
    """A ``TrainerCallback`` asking the trainer to save a checkpoint every ``minutes`` of
    training (after the step that crosses the interval), whatever the number of steps."""
    from transformers import TrainerCallback

    class TimedCheckpoints(TrainerCallback):
        def __init__(self) -> None:
            self.last = time.monotonic()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if time.monotonic() - self.last >= minutes * 60:
                control.should_save = True
            return control

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            self.last = time.monotonic()
            return control

    return TimedCheckpoints()


def _differences(stored: dict[str, Any], now: dict[str, Any]) -> str:
    keys = sorted(k for k in set(stored) | set(now) if stored.get(k) != now.get(k))
    shown = [f"{k} was {stored.get(k)!r}, now {now.get(k)!r}" for k in keys[:4]]
    more = f" (+{len(keys) - 4} more)" if len(keys) > 4 else ""
    return "; ".join(shown) + more
