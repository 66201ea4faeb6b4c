"""Encode and exact search on a Ray cluster (``pip install 'trueneg[ray]'``).

``mine(..., ray="auto" | ADDRESS)`` encodes with a Ray Data job over text shards (one encoder
actor per GPU, CPU actors otherwise) into the usual embedding cache, and runs exact search as
one Ray task per corpus shard whose top-k lists are merged into the single-process result.
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
from trueneg.distributed.search import search_on_ray, shard_bounds
from trueneg.distributed.standins import RayEncode, RaySearch

__all__ = [
    "ADDRESS_FORMS",
    "RAY_RETRIEVERS",
    "RayCluster",
    "RayEncode",
    "RaySearch",
    "check_address",
    "check_retriever",
    "connect",
    "encode_on_ray",
    "search_on_ray",
    "shard_bounds",
]
