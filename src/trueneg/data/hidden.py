"""Hidden positives: trueneg's one draw of which labeled positives to hide.

Both users of hidden positives draw with :func:`draw_hidden` and differ only in how many
positives each query keeps: ``trueneg compare``'s hidden splits (the benchmarks' published
ones: :func:`trueneg.compare.hidden.hide_extra_positives`, one positive kept per query, in qrels
file order) and the audit's hidden-qrels protocol (:mod:`trueneg.audit.hidden`, a share of
each query's positives hidden, each query's positives sorted by doc id).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence


def draw_hidden(
    positives: Mapping[str, Sequence[str]], seed: int, keep: Callable[[int], int]
) -> dict[str, tuple[list[str], list[str]]]:
    """Per query, its ``(visible, hidden)`` positives.

    The contract: queries are taken in sorted id order and one ``random.Random(seed)``
    shuffles each query's positives, in the order given; the first ``keep(n)`` of the
    shuffled list stay visible (in that order) and the rest are hidden (``n``: the query's
    number of positives). A query with fewer than two positives draws no number, so it moves
    no other query's draw. The draw depends on ``seed``, the query ids and each query's
    positives in the order given, nothing else; a caller that wants it independent of row
    order passes each query's positives sorted.
    """
    rng = random.Random(seed)
    out = {}
    for query_id in sorted(positives):
        docs = list(positives[query_id])
        rng.shuffle(docs)
        count = keep(len(docs))
        out[query_id] = (docs[:count], docs[count:])
    return out
