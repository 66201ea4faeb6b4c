"""Encode and exact search on a Ray cluster (``pip install 'trueneg[ray]'``).

``mine(..., ray="auto" | ADDRESS)`` encodes with a Ray Data job over text shards (one encoder
actor per GPU, CPU actors otherwise) into the usual embedding cache, and runs exact search as
one Ray task per corpus shard whose top-k lists are merged into the single-process result.
``mine(..., devices="all" | "cuda:0,cuda:1" | "cpu,cpu")`` does the same on one machine
without Ray: one worker process per device (:mod:`trueneg.distributed.local`).
Importing this package does not import Ray.
"""

from trueneg.distributed.cluster import (
    ADDRESS_FORMS,
    RAY_RETRIEVERS,
    RayCluster,
    check_address,
    check_retriever,
    connect,
)
from trueneg.distributed.encode import encode_on_ray
from trueneg.distributed.local import (
    DeviceWorkers,
    check_devices,
    encode_on_devices,
    parse_devices,
    search_on_devices,
    spec_kind,
)
from trueneg.distributed.search import search_on_ray, shard_bounds
from trueneg.distributed.standins import DevicesEncode, DevicesSearch, RayEncode, RaySearch

__all__ = [
    "ADDRESS_FORMS",
    "RAY_RETRIEVERS",
    "DeviceWorkers",
    "DevicesEncode",
    "DevicesSearch",
    "RayCluster",
    "RayEncode",
    "RaySearch",
    "check_address",
    "check_devices",
    "check_retriever",
    "connect",
    "encode_on_devices",
    "encode_on_ray",
    "parse_devices",
    "search_on_devices",
    "search_on_ray",
    "shard_bounds",
    "spec_kind",
]
