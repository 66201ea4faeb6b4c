"""Connecting to a Ray cluster: address forms, a fast reachability check, worker counts.

``ray`` is imported only here and only when a run asks for it: ``trueneg[ray]`` is an extra.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from trueneg.errors import ConfigError

logger = logging.getLogger(__name__)

ADDRESS_FORMS = (
    "auto",
    "HOST:PORT (e.g. head-node:6379)",
    "ray://HOST:PORT (e.g. ray://head:10001)",
)
RAY_RETRIEVERS = ("exact", "exact:auto", "exact:cpu", "exact:cuda")
"""Retriever specs that ``--ray`` runs; the others (bm25, hybrid, faiss-*) are refused."""

_ADDRESS = re.compile(r"^(ray://)?(?P<host>[A-Za-z0-9_.\-]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class RayCluster:
    """A connected cluster and the parallelism chosen for it.

    Attributes:
        address: what was asked for (``auto`` or the address given).
        cpus / gpus: the cluster's total logical CPUs and GPUs.
        workers: encoder actors and search shards to run at once.
    """

    address: str
    cpus: int
    gpus: int
    workers: int

    def state(self) -> dict[str, Any]:
        """What a stage records about the cluster it ran on."""
        return {
            "address": self.address,
            "workers": self.workers,
            "cpus": self.cpus,
            "gpus": self.gpus,
        }


def check_address(address: str) -> str:
    """Return ``address`` if it is ``auto``, ``HOST:PORT`` or ``ray://HOST:PORT``."""
    match = _ADDRESS.match(address) if isinstance(address, str) else None
    if address == "auto" or (match and 0 < int(match["port"]) < 65536):
        return address
    raise ConfigError(
        "Not a Ray address",
        received=address,
        expected=ADDRESS_FORMS,
        fix="Pass --ray auto (a running cluster, else a local one) or the head "
        "node's address, e.g. --ray head-node:6379 or --ray ray://head-node:10001",
    )


def check_retriever(retriever: str) -> None:
    """Refuse retrievers that Ray does not run, before any work starts."""
    if retriever not in RAY_RETRIEVERS:
        raise ConfigError(
            "--ray runs exact dense search only",
            received=retriever,
            expected=RAY_RETRIEVERS,
            fix="Use --retriever exact with --ray, or drop --ray for "
            "bm25, hybrid and faiss retrievers",
        )


def import_ray() -> ModuleType:
    """The ``ray`` module, or a clear error saying how to install it."""
    try:
        import ray
        import ray.data  # the encode job needs Ray Data, an extra of ray
    except ImportError:
        raise ConfigError(
            "--ray needs Ray (with Ray Data), which is not installed",
            fix="pip install 'trueneg[ray]'",
        ) from None
    return ray


def connect(
    address: str = "auto", workers: int | None = None, *, timeout_s: float = 5.0
) -> RayCluster:
    """Connect to the cluster at ``address`` (already connected: reuse that connection).

    ``auto`` connects to the cluster in ``RAY_ADDRESS`` or the one ``ray start`` last started
    on this machine, else starts a local Ray instance. ``workers`` defaults to one per GPU,
    else one per CPU of the cluster. An address that does not answer within ``timeout_s``
    seconds fails with a ConfigError instead of Ray's long retry loop.
    """
    check_address(address)
    ray = import_ray()
    if ray.is_initialized():
        logger.info("ray: using the Ray connection already open in this process")
    else:
        target = os.environ.get("RAY_ADDRESS") or address
        if target not in ("auto", "local"):
            check_reachable(check_address(target), timeout_s)
        if address == "auto":  # may start a local instance: no dashboard for it
            ray.init(include_dashboard=False)
        else:
            ray.init(address=address)
    resources = ray.cluster_resources()
    cpus, gpus = int(resources.get("CPU", 0)), int(resources.get("GPU", 0))
    chosen = workers or gpus or cpus or 1
    logger.info("ray: %d CPUs, %d GPUs; %d workers", cpus, gpus, chosen)
    return RayCluster(address=address, cpus=cpus, gpus=gpus, workers=chosen)


def check_reachable(address: str, timeout_s: float) -> None:
    """Open (and close) a TCP connection to ``address``, or raise a ConfigError."""
    match = _ADDRESS.match(address)
    if match is None:  # auto: nothing to check before Ray looks for a cluster
        return
    host, port = match["host"].strip("[]"), int(match["port"])
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConfigError(
            f"Cannot reach the Ray cluster at {address}: {exc}",
            received=address,
            expected="a running Ray head node",
            fix="Start it with `ray start --head` (port 6379; the Ray Client "
            "server listens on 10001), check host, port and firewall, or pass "
            "--ray auto to start a local instance",
        ) from None
