"""The memory a Linux control group (cgroup) still allows this process: a container's or a
batch job's limit, which ``/proc/meminfo`` does not show (it reports the whole machine).

cgroup v2 (``memory.max``, ``memory.current``) and v1 (``memory.limit_in_bytes``,
``memory.usage_in_bytes``) are both read, for the process's own group (``/proc/self/cgroup``)
and every group above it; the tightest one counts. Reclaimable page cache (``inactive_file``
in ``memory.stat``) is not counted as used, as ``docker stats`` does not count it.
"""

from __future__ import annotations

from pathlib import Path

UNLIMITED = 1 << 60  # v1 writes "no limit" as a number near 2**63


def headroom(
    root: Path = Path("/sys/fs/cgroup"), self_cgroup: Path = Path("/proc/self/cgroup")
) -> int | None:
    """Bytes the tightest memory limit over this process still leaves; None without one."""
    best: int | None = None
    for folder, names in _groups(root, self_cgroup):
        left = _left(folder, *names)
        if left is not None:
            best = left if best is None else min(best, left)
    return best


V2 = ("memory.max", "memory.current", "inactive_file")
V1 = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")


def _groups(root: Path, self_cgroup: Path) -> list[tuple[Path, tuple[str, str, str]]]:
    """The folders of this process's memory cgroups, its own and the ones above it."""
    try:
        lines = self_cgroup.read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            base, names = root, V2
        elif "memory" in controllers.split(","):
            base, names = root / "memory", V1
        else:
            continue
        found += [(folder, names) for folder in _up(base, path)]
    return found


def _up(base: Path, path: str) -> list[Path]:
    """``base/path`` and each folder above it up to ``base``, those that exist (inside a
    container the group's own folder is often ``base`` itself)."""
    parts = [p for p in path.strip("/").split("/") if p]
    folders = [base.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]
    return [f for f in folders if f.is_dir()]


def _left(folder: Path, limit_name: str, usage_name: str, cache_name: str) -> int | None:
    limit = _number(folder / limit_name)
    if limit is None or limit >= UNLIMITED:
        return None
    usage = _number(folder / usage_name) or 0
    cache = _stat(folder / "memory.stat", cache_name)
    return max(0, limit - max(0, usage - cache))


def _number(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    if text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _stat(path: Path, key: str) -> int:
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0
