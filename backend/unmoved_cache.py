"""Answers read from the read models, kept in process while they still hold: each entry is
stamped with what it was read at (the read models' position, and whatever else it depends on)
and served only while a new read would be stamped the same."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class UnmovedCache(Generic[K, V]):
    def __init__(self, bound: int) -> None:
        self._entries: dict[K, tuple[Hashable, V]] = {}
        self._bound = bound

    def get(self, key: K, stamp: Hashable) -> tuple[bool, V | None]:
        """(True, the value kept for `key`) if it was read at `stamp`, else (False, None)."""
        found = self._entries.get(key)
        if found is not None and found[0] == stamp:
            return True, found[1]
        return False, None

    def __contains__(self, key: K) -> bool:
        """Whether something is kept for `key`, current or not."""
        return key in self._entries

    def drop(self, key: K) -> None:
        self._entries.pop(key, None)

    def put(self, key: K, stamp: Hashable, value: V) -> None:
        if len(self._entries) >= self._bound:
            self._entries.clear()  # a burst of new keys: start again rather than grow
        self._entries[key] = (stamp, value)
