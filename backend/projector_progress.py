"""What this process knows of the read models' progress, kept by the Projector (a mixin, kept
apart to keep files small): the position each model has applied (read-your-writes waits on it,
ADR 0003), how many times each model's rows changed (in-process copies check it before they
serve, ADR 0010), and who is told of each change and of each step the live follower commits
(the live feed hub, ADR 0017)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from uuid import UUID

from projections.base import Envelope, Projection

# Told after a commit which read models changed: (names, streams per name, where known)
ChangeWatcher = Callable[[Sequence[str], Mapping[str, Collection[UUID]]], None]
StepFollower = Callable[[int, int, Sequence[Envelope]], None]


class ReadModelProgress:
    """Positions reached, changes counted and their listeners, for `projections`."""

    projections: list[Projection]

    def __init__(self) -> None:
        self._progress = asyncio.Condition()
        self._positions: dict[str, int] = {}
        self._lowest: int | None = None  # min of _positions, kept until they move
        self._changes: dict[str, int] = {}  # per model: how many times its rows changed
        self._watchers: list[ChangeWatcher] = []
        self._step_followers: dict[str, list[StepFollower]] = {}

    async def wait_until(self, position: int, timeout: float = 5.0) -> bool:
        """Wait until every read model has applied `position` (read-your-writes)."""

        def reached() -> bool:
            return all(self._positions.get(p.name, 0) >= position for p in self.projections)

        if reached():
            return True
        try:
            async with asyncio.timeout(timeout), self._progress:
                await self._progress.wait_for(reached)
        except TimeoutError:
            return False
        return True

    async def positions_reached(self, checkpoints: dict[str, int]) -> None:
        self._reached(checkpoints)
        async with self._progress:
            self._progress.notify_all()

    def _reached(self, checkpoints: dict[str, int]) -> None:
        self._positions.update(checkpoints)
        self._lowest = None

    def position_of(self, name: str) -> int:
        """The position this process last knew the read model `name` to have applied."""
        return self._positions.get(name, 0)

    def moved_elsewhere(self, checkpoints: dict[str, int]) -> list[str]:
        """The read models whose checkpoint (as just read) is past what this process knew:
        another process applied events to them, which may have changed their rows."""
        return [name for name, at in checkpoints.items() if at > self.position_of(name)]

    def changed(
        self, names: Sequence[str], streams: Mapping[str, Collection[UUID]] | None = None
    ) -> None:
        """These read models' rows changed (or may have: another process moved them), and are
        committed. `streams[name]`, where given, holds every stream whose events changed that
        model's rows in this step; a name without it may have changed anywhere."""
        for name in names:
            self._changes[name] = self._changes.get(name, 0) + 1
        if names:
            for watcher in self._watchers:
                watcher(names, streams or {})

    def watch(self, watcher: ChangeWatcher) -> None:
        """Have `watcher` told of every change `changed` counts, as it is counted (it must
        not raise: the step is committed)."""
        self._watchers.append(watcher)

    def follow_steps(self, name: str, follower: StepFollower) -> None:
        """Have `follower(after, up_to, events)` told of each step this process's live follower
        commits for the read model `name`: it applied `events` (those it handles) and with them
        every position in (after, up_to]. Steps of other processes are not told (it must not
        raise: the step is committed)."""
        self._step_followers.setdefault(name, []).append(follower)

    def applied(self, steps: Mapping[str, tuple[int, int, Sequence[Envelope]]]) -> None:
        """The live follower committed these steps (read model → after, up to, its events)."""
        for name, (after, up_to, events) in steps.items():
            for follower in self._step_followers.get(name, ()):
                follower(after, up_to, events)

    def changes(self, name: str) -> int:
        """How many times the read model's rows changed, as far as this process knows: a copy
        made from them stays valid while this has not moved (read it before the copy)."""
        return self._changes.get(name, 0)

    def lowest_position(self) -> int:
        """The position every read model has applied (asked on each cached read: kept)."""
        if self._lowest is None:
            self._lowest = min(
                (self._positions.get(p.name, 0) for p in self.projections), default=0
            )
        return self._lowest
