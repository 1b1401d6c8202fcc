"""Guided placement of the six points, level after level (no Qt).

The guide always knows the next level and point to place ("T12 — superior anterior corner").
Points go in the canonical slot order (:data:`vfa.method.levels.POINT_SLOTS`); when the six points
of a vertebra are placed the guide moves to the next level in the reader's direction
(``down``: T4 → L4, ``up``: L4 → T4), passing over levels that are already complete or
marked not evaluable. The reader chooses the start level, can jump to any level, skip one
(it stays unannotated) or mark it not evaluable with a reason.

The guide edits the reading only through :class:`~vfa.reading.reading.Reading`'s methods; undo is the
caller's business (:mod:`vfa.reading.history`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vfa.method.geometry import Point
from vfa.method.levels import LEVELS, Level, PointSlot, Status
from vfa.reading.reading import Reading


class Direction(str, enum.Enum):
    DOWN = "down"   # cranial to caudal: T4, T5, ... L4
    UP = "up"       # caudal to cranial: L4, L3, ... T4

    @property
    def step(self) -> int:
        return 1 if self is Direction.DOWN else -1

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: "Direction | str") -> "Direction":
        if isinstance(value, Direction):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"unknown direction {value!r}: expected 'up' or 'down'") from None


@dataclass(frozen=True)
class Target:
    """The next point to place."""

    level: Level
    slot: PointSlot

    @property
    def text(self) -> str:
        return f"{self.level} — {self.slot.label}"

    def __str__(self) -> str:
        return self.text


def level_done(reading: Reading, level: Level) -> bool:
    """A level needs no more points: six placed, or marked not evaluable."""
    v = reading.get(level)
    return v is not None and (v.complete or v.status is Status.NOT_EVALUABLE)


class Guide:
    """Where the next click goes. ``level`` is the level being worked on."""

    def __init__(self, reading: Reading, start: Level | str = Level.T4,
                 direction: Direction | str = Direction.DOWN) -> None:
        self.reading = reading
        self.direction = Direction.parse(direction)
        self.level: Level | None = Level.parse(start)
        self._settle()

    # ------------------------------------------------------------------ navigation
    def _walk(self, level: Level | None) -> Level | None:
        """From ``level`` (inclusive) in the direction, the first level not done."""
        while level is not None and level_done(self.reading, level):
            level = level.shifted(self.direction.step)
        return level

    def _settle(self) -> None:
        self.level = self._walk(self.level)

    def set_direction(self, direction: Direction | str) -> None:
        self.direction = Direction.parse(direction)
        self._settle()

    def start_at(self, level: Level | str) -> None:
        """Start (or restart) at ``level``; done levels from there on are passed over."""
        self.level = Level.parse(level)
        self._settle()

    def jump(self, level: Level | str) -> None:
        """Work on ``level`` now, even if it is complete (its next point is then None)."""
        self.level = Level.parse(level)

    def skip(self) -> Level | None:
        """Leave the current level unannotated and go to the next one; returns it."""
        if self.level is None:
            return None
        self.level = self._walk(self.level.shifted(self.direction.step))
        return self.level

    def resume(self) -> None:
        """After an outside change (undo, delete, recovery): stay if work remains here,
        otherwise move on."""
        if self.level is not None and not level_done(self.reading, self.level):
            return
        self._settle()
        if self.level is None:  # nothing left in the direction: look from the start
            first = LEVELS[0] if self.direction is Direction.DOWN else LEVELS[-1]
            self.level = self._walk(first)

    # ------------------------------------------------------------------ queries
    @property
    def target(self) -> Target | None:
        """The next point, or None when the current level is done / no level is left."""
        if self.level is None:
            return None
        v = self.reading.get(self.level)
        if v is None:
            return Target(self.level, PointSlot.SUPERIOR_ANTERIOR)
        if v.status is Status.NOT_EVALUABLE:
            return None
        slot = v.next_slot()
        return Target(self.level, slot) if slot is not None else None

    @property
    def text(self) -> str:
        """What the viewer shows: 'T12 — superior anterior corner'."""
        t = self.target
        if t is not None:
            return t.text
        if self.level is None:
            return (f"All levels {'below' if self.direction is Direction.DOWN else 'above'} "
                    "are done — choose a level to continue")
        v = self.reading.get(self.level)
        if v is not None and v.status is Status.NOT_EVALUABLE:
            return f"{self.level} — not evaluable ({v.reason})"
        return f"{self.level} — complete"

    # ------------------------------------------------------------------ edits
    def place(self, xy: Point) -> Target | None:
        """Put the next point at ``xy`` (image coordinates); returns where it went.

        When this completes the vertebra, the guide moves to the next level."""
        t = self.target
        if t is None:
            return None
        self.reading.set_point(t.level, t.slot, xy)
        if level_done(self.reading, t.level):
            nxt = t.level.shifted(self.direction.step)
            self.level = self._walk(nxt)
        return t

    def mark_not_evaluable(self, reason: str, level: Level | str | None = None) -> None:
        """Mark ``level`` (default: the current one) not evaluable and move on."""
        lv = Level.parse(level) if level is not None else self.level
        if lv is None:
            raise ValueError("no level selected to mark not evaluable")
        self.reading.set_status(lv, Status.NOT_EVALUABLE, reason)
        if lv == self.level:
            self._settle()
