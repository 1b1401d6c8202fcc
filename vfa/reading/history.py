"""Undo/redo of a reading as a stack of snapshots (no Qt).

Every edit of the viewer (place, move, delete, grade, type, status, note, relabel,
calibration) is made on the :class:`~vfa.reading.reading.Reading` through its own methods and then
*committed* here with a label::

    history = History(reading)
    reading.set_point("T12", "superior_anterior", (120.5, 80.25))
    history.commit("place T12 superior anterior corner")
    history.undo()     # reading.restore(previous state): listeners see a 'reset' event

A drag is many ``set_point`` calls followed by one :meth:`History.commit` on release: one undo
step per drag. A commit that changed nothing is ignored.

Snapshots are deep copies of the reading's content, not its file form, so a state that would
not pass the file format's geometry check (a reader halfway through fixing a vertebra) can
still be undone and redone. :attr:`History.modified` tells whether the reading differs from
the last state marked saved (the ``*`` of the window title).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from vfa.method.levels import LEVELS, Level
from vfa.reading.reading import Reading

#: Snapshot attributes besides the vertebrae (everything :meth:`Reading.restore` takes).
_ATTRS = ("patient_id", "patient_name", "birth_date", "patient_sex", "study_date",
          "study_instance_uid", "series_instance_uid", "sop_instance_uid", "image_path",
          "reader", "spacing", "settings", "patient_age", "age_years")


def snapshot(reading: Reading) -> Reading:
    """A detached copy of ``reading``'s content (no listeners, no validation)."""
    r = Reading()
    for name in _ATTRS:
        setattr(r, name, getattr(reading, name))
    r.vertebrae = copy.deepcopy(reading.vertebrae)
    r.extra = copy.deepcopy(reading.extra)
    return r


def content_key(reading: Reading) -> Any:
    """A comparable form of a reading's content (to skip empty commits)."""
    d = reading.to_dict()
    d.pop("software", None)
    return d


@dataclass(frozen=True)
class _State:
    reading: Reading
    key: Any
    label: str


def changed_levels(a: Reading, b: Reading) -> list[Level]:
    """Levels whose vertebra differs between two readings (top to bottom)."""
    out = []
    for lv in LEVELS:
        va, vb = a.vertebrae.get(lv), b.vertebrae.get(lv)
        da = va.to_dict() if va is not None and not va.empty else None
        db = vb.to_dict() if vb is not None and not vb.empty else None
        if da != db:
            out.append(lv)
    return out


class History:
    """Linear undo/redo for one reading."""

    def __init__(self, reading: Reading, limit: int = 500) -> None:
        if limit < 1:
            raise ValueError(f"history limit must be at least 1, got {limit!r}")
        self.reading = reading
        self.limit = limit
        self._states: list[_State] = []
        self._index = -1
        self._saved_key: Any = None
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self, mark_saved: bool = True) -> None:
        """Forget all steps; the reading's current content is the base state."""
        snap = snapshot(self.reading)
        self._states = [_State(snap, content_key(snap), "")]
        self._index = 0
        if mark_saved:
            self._saved_key = self._states[0].key

    def commit(self, label: str) -> bool:
        """Record the reading's current content as one undo step. False if nothing changed."""
        snap = snapshot(self.reading)
        key = content_key(snap)
        if key == self._states[self._index].key:
            return False
        del self._states[self._index + 1:]
        self._states.append(_State(snap, key, label))
        if len(self._states) > self.limit + 1:
            del self._states[0]
        self._index = len(self._states) - 1
        return True

    def revert(self) -> None:
        """Put back the last committed state (e.g. a drag cancelled with Escape)."""
        if content_key(self.reading) != self._states[self._index].key:
            self.reading.restore(self._states[self._index].reading)

    @property
    def pending(self) -> bool:
        """True when the reading was edited since the last commit (a drag in progress)."""
        return content_key(self.reading) != self._states[self._index].key

    # ------------------------------------------------------------------ undo / redo
    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index + 1 < len(self._states)

    @property
    def undo_label(self) -> str | None:
        return self._states[self._index].label if self.can_undo else None

    @property
    def redo_label(self) -> str | None:
        return self._states[self._index + 1].label if self.can_redo else None

    def undo(self) -> list[Level]:
        """Go one step back; returns the levels that changed (empty if nothing to undo)."""
        if not self.can_undo:
            return []
        return self._go(self._index - 1)

    def redo(self) -> list[Level]:
        """Go one step forward; returns the levels that changed."""
        if not self.can_redo:
            return []
        return self._go(self._index + 1)

    def _go(self, index: int) -> list[Level]:
        before = snapshot(self.reading)
        self._index = index
        self.reading.restore(self._states[index].reading)
        return changed_levels(before, self.reading)

    # ------------------------------------------------------------------ saved marker
    def mark_saved(self) -> None:
        """The reading's current content is what the workspace holds."""
        self._saved_key = content_key(self.reading)

    def mark_unsaved(self, saved: Reading | None = None) -> None:
        """Force :attr:`modified` (e.g. a recovered autosave that is not yet saved). With
        ``saved`` (the reading the workspace holds), :attr:`modified` compares with it: undoing
        back to it leaves nothing unsaved."""
        self._saved_key = content_key(saved) if saved is not None else object()

    @property
    def modified(self) -> bool:
        return content_key(self.reading) != self._saved_key

    def __len__(self) -> int:
        """Number of undo steps available."""
        return self._index
