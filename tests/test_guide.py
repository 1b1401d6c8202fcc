"""Guided placement (vfa.reading.guide): pure Python, no Qt."""

from __future__ import annotations

import pytest

from readings_factory import box_points, make_reading
from vfa.reading.guide import Direction, Guide, Target
from vfa.method.levels import POINT_SLOTS, Level, PointSlot, Status
from vfa.reading.reading import Reading


def _six(guide, x0=100.0, y0=100.0):
    pts = box_points(x0, y0, 30, 30, 30)
    placed = []
    for slot in POINT_SLOTS:
        t = guide.target
        placed.append(t)
        guide.place(pts[slot.value])
    return placed


def test_text_and_order():
    g = Guide(Reading(), start="T12")
    assert g.text == "T12 — superior anterior corner"
    placed = _six(g)
    assert [t.slot for t in placed] == list(POINT_SLOTS)
    assert all(t.level is Level.T12 for t in placed)
    assert g.reading.get("T12").complete
    assert g.target == Target(Level.L1, PointSlot.SUPERIOR_ANTERIOR)
    assert Target(Level.T12, PointSlot.SUPERIOR_MIDDLE).text == "T12 — superior endplate middle"


def test_direction_up_and_skip_over_done_levels():
    r = Reading()
    g = Guide(r, start="L2", direction="up")
    _six(g)
    assert g.level is Level.L1
    # L1 already done elsewhere -> passed over
    r.set_points("T12", box_points(0, 0, 30, 30, 30))
    g.jump("L1")
    _six(g)
    assert g.level is Level.T11
    assert g.skip() is Level.T10
    assert r.get("T11") is None


def test_not_evaluable_moves_on_and_text():
    r = Reading()
    g = Guide(r, start="T4")
    g.mark_not_evaluable("not visible")
    assert r.get("T4").status is Status.NOT_EVALUABLE
    assert g.level is Level.T5
    g.jump("T4")
    assert g.target is None
    assert g.text == "T4 — not evaluable (not visible)"
    with pytest.raises(ValueError, match="reason"):
        g.mark_not_evaluable("")


def test_end_of_spine_and_resume():
    r = Reading()
    g = Guide(r, start="L4")
    _six(g)
    assert g.level is None and g.target is None
    assert "choose a level" in g.text
    g.resume()  # looks again from T4
    assert g.level is Level.T4
    assert g.place((1.0, 2.0)) == Target(Level.T4, PointSlot.SUPERIOR_ANTERIOR)


def test_jump_to_complete_level_then_resume_after_delete():
    r = make_reading()
    g = Guide(r, start="T4")
    assert g.level is None  # everything done
    g.jump("T9")
    assert g.target is None and "complete" in g.text
    assert g.place((0.0, 0.0)) is None
    r.remove_point("T9", "inferior_middle")
    g.resume()
    assert g.target == Target(Level.T9, PointSlot.INFERIOR_MIDDLE)


def test_set_direction_and_parse():
    g = Guide(Reading(), start="T8")
    g.set_direction(Direction.UP)
    assert g.skip() is Level.T7
    assert Direction.parse(" Down ") is Direction.DOWN
    with pytest.raises(ValueError, match="up.*down"):
        Direction.parse("sideways")
    g.start_at("L3")
    assert g.level is Level.L3
