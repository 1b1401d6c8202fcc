"""Proposals as a first-class, round-tripping part of the reading format."""

from __future__ import annotations

import json

import pytest

from vfa.reading.autoplace import Proposal, apply_to_reading
from vfa.errors import ReadingFormatError
from vfa.method.levels import PointSlot
from vfa.reading.reading import Reading, load_reading, save_reading
from readings_factory import box_points


def proposals(method="one-click", conf=0.8):
    return {PointSlot.parse(k): Proposal(x, y, conf, method) for k, (x, y) in
            box_points(100.0, 200.0, 80.0, 78.0, 80.0).items()}


def test_round_trip_through_a_file(tmp_path):
    r = Reading(patient_id="P")
    apply_to_reading(r, {"T8": proposals(), "L1": proposals("carry-forward", 0.3)})
    r.accept_proposal("T8", "superior_anterior")
    r.set_point("T8", "inferior_middle", (121.0, 281.0))
    save_reading(r, tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    t8 = [v for v in data["vertebrae"] if v["level"] == "T8"][0]
    assert t8["proposals"]["superior_anterior"]["state"] == "accepted"
    assert t8["proposals"]["inferior_middle"]["state"] == "moved"
    assert t8["proposals"]["inferior_middle"]["x"] == 120.0          # where it was proposed
    assert t8["points"]["inferior_middle"] == [121.0, 281.0]          # where the reader put it
    back = load_reading(tmp_path / "r.json")
    assert back.get("T8").proposals == r.get("T8").proposals
    assert back.get("L1").proposals[PointSlot.SUPERIOR_MIDDLE].method == "carry-forward"
    assert back.to_dict()["vertebrae"] == r.to_dict()["vertebrae"]


def test_files_without_proposals_unchanged():
    r = Reading(patient_id="P")
    r.set_points("T8", box_points(100.0, 200.0, 80.0, 78.0, 80.0))
    assert "proposals" not in r.to_dict()["vertebrae"][0]


def test_accept_and_reject_emit_events_and_keep_reader_points():
    r = Reading(patient_id="P")
    events = []
    r.events.connect(events.append)
    apply_to_reading(r, {"T8": proposals()})
    assert [e.kind for e in events] == ["point"]
    assert len(r.get("T8").pending_proposals) == 6
    r.set_point("T8", "superior_posterior", (139.0, 201.0))     # moved by the reader
    assert r.accept_proposal("T8", "superior_anterior") == [PointSlot.SUPERIOR_ANTERIOR]
    assert events[-1].kind == "proposal" and events[-1].slot is PointSlot.SUPERIOR_ANTERIOR
    removed = r.reject_proposal("T8")   # all still pending ones
    assert set(removed) == {PointSlot.SUPERIOR_MIDDLE, PointSlot.INFERIOR_ANTERIOR,
                            PointSlot.INFERIOR_MIDDLE, PointSlot.INFERIOR_POSTERIOR}
    v = r.get("T8")
    assert set(v.points) == {PointSlot.SUPERIOR_ANTERIOR, PointSlot.SUPERIOR_POSTERIOR}
    assert v.proposals[PointSlot.SUPERIOR_POSTERIOR].state == "moved"
    # a second proposal does not overwrite what the reader accepted or moved
    apply_to_reading(r, {"T8": proposals("refine")})
    assert v.points[PointSlot.SUPERIOR_POSTERIOR] == (139.0, 201.0)
    assert v.proposals[PointSlot.SUPERIOR_ANTERIOR].state == "accepted"
    assert v.proposals[PointSlot.INFERIOR_MIDDLE].method == "refine"


@pytest.mark.parametrize("bad, pattern", [
    ({"superior_anterior": {"x": 1, "y": 2, "confidence": 2, "method": "one-click"}}, "confidence"),
    ({"superior_anterior": {"x": 1, "y": 2, "confidence": 0.5, "method": "magic"}}, "method"),
    ({"superior_anterior": {"x": 1, "y": 2, "confidence": 0.5, "method": "span", "state": "x"}}, "state"),
    ({"superior_anterior": {"x": 1, "confidence": 0.5, "method": "span"}}, "'y' is missing"),
    ({"inferior_middle": {"x": 1, "y": 2, "confidence": 0.5, "method": "span"}}, "needs its point"),
    ([], "must be an object"),
])
def test_bad_proposals_refused_with_the_field_named(bad, pattern):
    data = Reading(patient_id="P").to_dict()
    data["vertebrae"] = [{"level": "T8", "points": {"superior_anterior": [1, 2]}, "proposals": bad}]
    with pytest.raises(ReadingFormatError, match=pattern):
        Reading.from_dict(data)
