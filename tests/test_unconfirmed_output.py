"""`vfa grade` / `vfa compare` mark levels with proposed, unaccepted points as unconfirmed
(issue 9; the general `confirmed` flag is issue 8's, this is its pending-proposal part)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from vfa.reading.autoplace import Proposal
from vfa.cli import main
from vfa.method.levels import PointSlot
from vfa.reading.reading import save_reading

from readings_factory import box_points, make_reading


def _proposals(i):
    return {PointSlot.parse(k): Proposal(x, y, 0.8, "one-click") for k, (x, y) in
            box_points(100.0, 50.0 + i * 130.0, 100.0, 100.0, 100.0, depth=120.0).items()}


@pytest.fixture
def pair(tmp_path):
    base = make_reading({}, date=dt.date(2022, 3, 1))
    follow = make_reading({}, date=dt.date(2023, 3, 1))
    follow.remove_vertebra("T12")
    follow.propose("T12", _proposals(8), replace_placed=True)   # T12 is the 9th level
    follow.remove_vertebra("L2")
    follow.propose("L2", _proposals(10), replace_placed=True)
    follow.accept_proposal("L2", "superior_anterior")           # partly accepted: still pending
    b, f = tmp_path / "b.json", tmp_path / "f.json"
    save_reading(base, b)
    save_reading(follow, f)
    return b, f


def test_grade_json_marks_pending_levels_unconfirmed(pair, capsys):
    _, f = pair
    assert main(["grade", str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["level"]: r for r in out["vertebrae"]}
    assert out["proposed_pending"] == ["T12", "L2"]
    for lv in ("T12", "L2"):
        assert rows[lv]["confirmed"] is False and rows[lv]["proposed_pending"] is True
        assert rows[lv]["grade"] is not None  # still measured, only marked
    assert rows["T11"]["proposed_pending"] is False


def test_grade_text_marks_pending_levels(pair, capsys):
    _, f = pair
    assert main(["grade", str(f)]) == 0
    text = capsys.readouterr().out
    lines = {ln.split()[0]: ln for ln in text.splitlines() if ln[:3] in ("T12", "L2 ", "T11")}
    assert "PROPOSED, unconfirmed" in lines["T12"] and "PROPOSED, unconfirmed" in lines["L2"]
    assert "unconfirmed" not in lines["T11"]
    assert "UNCONFIRMED: T12, L2" in text


def test_compare_marks_pending_levels(pair, capsys):
    b, f = pair
    assert main(["compare", str(b), str(f), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {r["level"]: r for r in out["changes"]}
    assert rows["T12"]["confirmed"] is False and rows["T12"]["proposed_pending"] == ["followup"]
    assert rows["T11"]["proposed_pending"] == []
    assert out["proposed_pending"] == {"baseline": [], "followup": ["T12", "L2"]}
    assert main(["compare", str(b), str(f)]) == 0
    text = capsys.readouterr().out
    t12 = [ln for ln in text.splitlines() if ln.startswith("T12")][0]
    assert "PROPOSED, unconfirmed" in t12
    assert "UNCONFIRMED: T12, L2 (follow-up)" in text


def test_fully_accepted_levels_are_not_marked(tmp_path, capsys):
    r = make_reading({})
    r.remove_vertebra("T12")
    r.propose("T12", _proposals(8), replace_placed=True)
    for s in PointSlot:
        r.accept_proposal("T12", s)
    save_reading(r, tmp_path / "r.json")
    assert main(["grade", str(tmp_path / "r.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["proposed_pending"] == []
