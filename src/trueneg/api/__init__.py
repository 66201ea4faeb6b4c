"""The Python API: :func:`mine` a run, then read it with :class:`Run` (:func:`open_run`).

Modules: :mod:`~trueneg.api.mine` (``mine`` and when it shows progress),
:mod:`~trueneg.api.run` (``Run``: tables, exports, dataset card, Hub push),
:mod:`~trueneg.api.settings_doc` (``help(mine)``'s settings, from ``MineConfig``).
"""

from trueneg.api.mine import mine, progress_default
from trueneg.api.run import Run, open_run

__all__ = ["Run", "mine", "open_run", "progress_default"]
