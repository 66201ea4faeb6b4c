"""Which device torch runs on: ``auto`` resolved once, and one error when CUDA is asked for
but not there; the CPU cores and memory a pool may use and a pool's results in order. torch
is imported only when a device has to be resolved."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

from trueneg import cgroup
from trueneg.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

DEVICES = ("auto", "cpu", "cuda")


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """``value`` is one of ``choices``, or a ConfigError naming ``option``."""
    if value not in choices:
        raise ConfigError(f"Unknown {option}", received=value, expected=choices)


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def require_cuda(received: str, fix: str) -> None:
    """Fail when CUDA was asked for and torch sees no GPU."""
    if not cuda_available():
        raise ConfigError(
            "CUDA was requested but no GPU is available to torch",
            received=received,
            expected="cpu or auto on this machine",
            fix=fix,
        )


def pick_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` checked to exist."""
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda":
        require_cuda(device, "Pass --device cpu (or auto), or install a CUDA build of torch")
    return device


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def available_memory() -> int | None:
    """Bytes of memory the system can give without swapping (Linux's ``MemAvailable``, else
    the free pages), at most what this process's cgroup limit still allows (a container's or
    a batch job's, :func:`trueneg.cgroup.headroom`); None where neither says."""
    known = [m for m in (_system_memory(), cgroup.headroom()) if m is not None]
    return min(known) if known else None


def _system_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def in_order(submit: Callable[[T], Future[R]], tasks: Iterable[T], ahead: int) -> Iterator[R]:
    """``submit(task)``'s result for each task, in task order, with no more than ``ahead``
    tasks submitted and not yet given back; those still queued are cancelled when the caller
    stops early."""
    pending: deque[Future[R]] = deque()
    try:
        for task in tasks:
            pending.append(submit(task))
            if len(pending) >= ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
