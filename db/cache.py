"""Infrastructure for fast repeated reads; no rules, no SQL.

- ``gc_paused``: building a grid or merit list makes tens of thousands of small
  objects that all survive; each automatic cyclic collection re-scans them
  (over half the time for 2,000 candidates). Nothing built under it forms a
  reference cycle, so pausing the collector is safe.
- ``CampaignCache``: values kept per database engine and campaign. Keyed
  weakly by engine, so a disposed test database takes its entries with it;
  a lock, because workers on threads read and write it.
- ``totals_of``/``moved``/``same_totals``: cheap sums of consensus scores, so
  a cached value can be checked against the database without re-reading it.
"""

from __future__ import annotations

import gc
import math
import threading
import weakref
from contextlib import contextmanager
from typing import Any, Generic, Iterator, Mapping, TypeVar

__all__ = ["gc_paused", "CampaignCache", "clear_cache", "totals_of", "moved", "same_totals"]

T = TypeVar("T")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects (see the module note)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_caches: "weakref.WeakSet[CampaignCache]" = weakref.WeakSet()


class CampaignCache(Generic[T]):
    """One value per (database engine, campaign id)."""

    def __init__(self) -> None:
        self._store: "weakref.WeakKeyDictionary[Any, dict[int, T]]" = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        _caches.add(self)

    def get(self, bind: Any, campaign_id: int) -> T | None:
        with self._lock:
            return self._store.get(bind, {}).get(campaign_id)

    def put(self, bind: Any, campaign_id: int, value: T) -> None:
        with self._lock:
            self._store.setdefault(bind, {})[campaign_id] = value

    def clear(self) -> None:
        with self._lock:
            self._store.clear()


def clear_cache() -> None:
    """Forget every cached value (tests, benchmarks)."""
    for cache in list(_caches):
        cache.clear()


Totals = tuple  # (count, sum, sum of score x item id, sum of squares)


def totals_of(consensus: Mapping[int, Mapping[int, float]]) -> Totals:
    """(count, sum, sum of score x item id, sum of squares) of candidate -> item -> score."""
    values = [(i, v) for per_item in consensus.values() for i, v in per_item.items()]
    return (
        len(values), math.fsum(v for _, v in values), math.fsum(v * i for i, v in values),
        math.fsum(v * v for _, v in values),
    )


def moved(totals: Totals, old: Mapping[int, float], new: Mapping[int, float]) -> Totals:
    """Totals after one candidate's item -> score changed from old to new."""
    a, b = totals_of({0: new}), totals_of({0: old})
    return (totals[0] + a[0] - b[0],) + tuple(t + x - y for t, x, y in zip(totals[1:], a[1:], b[1:]))


def same_totals(a: Totals, b: Totals) -> bool:
    return len(a) == len(b) == 4 and a[0] == b[0] and all(
        math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-6) for x, y in zip(a[1:], b[1:])
    )
