"""The run directory: ownership, locking, verified stage outputs, resume, and the manifest.

Layout::

    RUN_DIR/
      .trueneg-run           marker: this folder is a trueneg run (format, version, created)
      .trueneg-lock          advisory lock: one writer (``mine``) or many readers at a time
      manifest.json          written last, when the run has finished
      state.json             fingerprint, verified outputs and timing of every finished stage
      data/queries.parquet   the canonical tables (text stored once)
      data/corpus.parquet
      data/qrels.parquet
      embeddings/            cached vectors (resumable)
      candidates.parquet     retrieve stage
      query_stats.parquet    per query: positives, lowest positive score, positive's rank
      negatives.parquet      select stage: every candidate with kept + reason

The contract (``docs/reliability.md``):

- A folder is a run when it holds the marker. ``mine`` makes one in a new or empty folder and
  refuses a non-empty folder that is not a run unless told (``force``); even then it refuses
  when the folder holds files under the names a run uses, so it never overwrites a file it did
  not create.
- One writer at a time: ``mine`` holds an exclusive ``flock`` on the lock file for the whole
  run; the kernel drops it when the process dies (kill -9 leaves no stale lock). Readers
  (``export``, ``audit``, ``train``) hold a shared lock while they read, so they see a finished
  run or get a clear "in progress" error, never a mix of two runs.
- A stage is done when its outputs verify: each output's size and content hash are recorded
  when the stage completes and checked on resume and on every read; a damaged output is
  rebuilt by ``mine`` and named by readers.
- Every write is atomic and never follows a link (:mod:`trueneg.storage`).

Modules: :mod:`~trueneg.run.layout` (the names), :mod:`~trueneg.run.ownership`
(claiming and guarding folders), :mod:`~trueneg.run.lock` (the flock),
:mod:`~trueneg.run.directory` (``RunDir``).
"""

from trueneg.run.directory import (
    RunDir,
    check_version,
    damaged,
    file_record,
    fingerprint,
)
from trueneg.run.layout import FORMAT, LOCK, MANIFEST, MARKER, RUN_NAMES, STATE
from trueneg.run.ownership import guard_destination

__all__ = [
    "FORMAT",
    "LOCK",
    "MANIFEST",
    "MARKER",
    "RUN_NAMES",
    "STATE",
    "RunDir",
    "check_version",
    "damaged",
    "file_record",
    "fingerprint",
    "guard_destination",
]
