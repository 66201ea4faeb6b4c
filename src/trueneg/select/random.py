"""Hash-based random draws: the same (row, seed) always gives the same number.

Samplers never use a global random generator. Each candidate's draw comes from
``splitmix64(row_key ^ mix(seed))``, so a pick depends only on the candidate itself and the
seed — not on row order, on sharding, or on which other queries are in the frame.
"""

from __future__ import annotations

import numpy as np

_MASK64 = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser applied elementwise to a ``uint64`` array (wrapping arithmetic)."""
    z = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MUL1
        z = (z ^ (z >> np.uint64(27))) * _MUL2
    return z ^ (z >> np.uint64(31))


def seed_mix(seed: int) -> np.uint64:
    """A well-mixed 64-bit value for a Python int seed (any sign or size)."""
    return splitmix64(np.array([int(seed) & _MASK64], dtype=np.uint64))[0]


def uniform(row_key: np.ndarray, seed: int) -> np.ndarray:
    """One float64 per row, uniform on the open interval (0, 1)."""
    bits = splitmix64(np.asarray(row_key, dtype=np.uint64) ^ seed_mix(seed))
    return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * (2.0**-53)


def gumbel(row_key: np.ndarray, seed: int) -> np.ndarray:
    """One standard Gumbel draw per row; ``log(w) + gumbel`` ranks rows for weighted sampling."""
    return -np.log(-np.log(uniform(row_key, seed)))
