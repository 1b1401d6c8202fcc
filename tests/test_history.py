"""Undo/redo of readings (vfa.reading.history): pure Python, no Qt."""

from __future__ import annotations

import pytest

from readings_factory import box_points, make_reading
from vfa.reading.history import History, changed_levels, snapshot
from vfa.method.levels import Level, PointSlot, Status
from vfa.reading.reading import Reading


def _events(reading):
    seen = []
    reading.events.connect(lambda e: seen.append(e.kind))
    return seen


def test_commit_undo_redo_points():
    r = Reading(patient_id="P", sop_instance_uid="1.2.3")
    h = History(r)
    assert not h.can_undo and not h.modified
    r.set_point("T12", "superior_anterior", (10.0, 20.0))
    assert h.commit("place T12 superior anterior")
    r.set_point("T12", "superior_middle", (30.0, 21.0))
    h.commit("place T12 superior middle")
    assert h.modified and len(h) == 2
    assert h.undo_label == "place T12 superior middle"

    assert h.undo() == [Level.T12]
    assert set(r.get("T12").points) == {PointSlot.SUPERIOR_ANTERIOR}
    assert h.redo_label == "place T12 superior middle"
    h.undo()
    assert r.get("T12") is None or not r.get("T12").points
    assert not h.can_undo and not h.modified
    h.redo()
    h.redo()
    assert r.get("T12").points[PointSlot.SUPERIOR_MIDDLE] == (30.0, 21.0)
    assert not h.can_redo


def test_drag_is_one_step_and_empty_commit_ignored():
    r = make_reading()
    h = History(r)
    start = r.get("L1").points[PointSlot.SUPERIOR_ANTERIOR]
    for i in range(20):  # many moves of one drag
        r.set_point("L1", "superior_anterior", (start[0] + i, start[1]))
    assert h.pending
    assert h.commit("move L1 superior anterior")
    assert not h.commit("nothing")
    assert len(h) == 1
    h.undo()
    assert r.get("L1").points[PointSlot.SUPERIOR_ANTERIOR] == start


def test_new_commit_drops_redo_and_revert():
    r = make_reading()
    h = History(r)
    r.set_reader_grade("T8", 2)
    h.commit("grade")
    h.undo()
    r.set_status("T9", Status.NOT_EVALUABLE, "hardware")
    h.commit("status")
    assert not h.can_redo
    r.set_note("T9", "screw")
    h.revert()
    assert r.get("T9").note is None


def test_undo_emits_reset_and_keeps_listeners():
    r = make_reading()
    h = History(r)
    seen = _events(r)
    r.remove_vertebra("T5")
    h.commit("delete T5")
    h.undo()
    assert seen[-1] == "reset"
    assert r.get("T5").complete


def test_invalid_geometry_states_can_be_undone():
    """Snapshots are not file round trips, so impossible geometry does not break undo."""
    r = make_reading()
    h = History(r)
    pts = r.get("T6").points
    r.set_point("T6", "superior_anterior", (pts[PointSlot.INFERIOR_ANTERIOR][0],
                                            pts[PointSlot.INFERIOR_ANTERIOR][1] + 50))
    h.commit("bad move")
    r.set_point("T6", "superior_middle", (0.0, 0.0))
    h.commit("another")
    h.undo()
    h.redo()
    assert r.get("T6").points[PointSlot.SUPERIOR_MIDDLE] == (0.0, 0.0)


def test_saved_marker():
    r = make_reading()
    h = History(r)
    r.set_reader_grade("L2", 1)
    h.commit("grade")
    h.mark_saved()
    assert not h.modified
    h.undo()
    assert h.modified
    h.redo()
    assert not h.modified
    h.mark_unsaved()
    assert h.modified


def test_limit():
    r = Reading(patient_id="P")
    h = History(r, limit=3)
    for i in range(6):
        r.set_point("L1", "superior_anterior", (float(i), 1.0))
        h.commit(f"move {i}")
    assert len(h) == 3
    while h.can_undo:
        h.undo()
    assert r.get("L1").points[PointSlot.SUPERIOR_ANTERIOR] == (2.0, 1.0)
    with pytest.raises(ValueError, match="at least 1"):
        History(r, limit=0)


def test_relabel_and_spacing_are_undoable():
    r = make_reading()
    r.remove_vertebra("L4")
    h = History(r)
    old_spacing = r.spacing
    r.relabel(+1)
    h.commit("relabel")
    from vfa.films.calibration import Spacing
    r.set_spacing(Spacing.manual((0, 0), (100, 0), 20.0))
    h.commit("calibrate")
    h.undo()
    assert r.spacing == old_spacing
    h.undo()
    assert r.get("T4").complete and r.get("L4") is None


def test_snapshot_and_changed_levels():
    a = make_reading()
    b = snapshot(a)
    assert changed_levels(a, b) == []
    b.vertebrae[Level.T7].points = dict(box_points(0, 0, 10, 10, 10))
    assert changed_levels(a, b) == [Level.T7]
