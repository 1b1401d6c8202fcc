"""Accept all never swallows doubt (issue 20): it takes the confident, assessable levels and
leaves the others, saying which and why, to be accepted one by one."""

from __future__ import annotations

import pytest

from vfa.method.levels import LEVELS, Level, PointSlot
from vfa.reading.proposal import Proposal
from vfa.reading.reading import Reading
from vfa.reading.session import ReadingSession, bulk_accept_split
from vfa.synthetic.phantom import FilmSpec, make_film
from vfa.storage.workspace import Workspace


@pytest.fixture(scope="module")
def truth():
    return make_film(FilmSpec(rows=900, cols=600, pixel_mm=0.5, seed=301)).points


@pytest.fixture
def session(tmp_path):
    ws = Workspace(tmp_path / "ws")
    r = Reading(patient_id="P1", study_instance_uid="1.2.3", series_instance_uid="1.2.3.1",
                sop_instance_uid="1.2.3.4", reader="dr")
    s = ReadingSession(None, r, ws)
    yield s
    s.close()
    ws.close()


def proposals(truth, levels, low=(), conf=0.9, low_conf=0.3):
    return {lv: {s: Proposal(*truth[lv][s], low_conf if lv in low and s is PointSlot.INFERIOR_POSTERIOR else conf,
                             "span") for s in PointSlot} for lv in levels}


def states(session, lv) -> set[str]:
    return {p.state for p in session.reading.get(lv).proposals.values()}


def test_accept_all_leaves_the_one_low_confidence_level(session, truth):
    assert session.propose(proposals(truth, LEVELS, low={Level.T9}), "propose spine")
    take, skipped = session.bulk_accept_split()
    assert Level.T9 not in take and set(skipped) == {Level.T9}
    assert skipped[Level.T9] == "low confidence (0.30)"
    accepted, left = session.accept_all_proposals()
    assert accepted == [lv for lv in LEVELS if lv is not Level.T9] and left == skipped
    assert session.pending_levels() == [Level.T9]
    for lv in LEVELS:
        assert states(session, lv) == ({"proposed"} if lv is Level.T9 else {"accepted"})
    # one undo step; the skipped level is accepted on its own
    session.undo()
    assert session.pending_levels() == list(LEVELS)
    session.redo()
    assert session.accept_proposals([Level.T9])
    assert session.pending_levels() == []
    # nothing left: Accept all does nothing and says nothing was skipped
    assert session.accept_all_proposals() == ([], {})


def test_accept_all_leaves_levels_whose_crush_cannot_be_assessed(session, truth):
    """A level whose reference line has too few candidates (domain §2: at least four of its
    six nearest levels) has no assessable crush (a crush fracture would go unseen), so it waits
    for the reader: with T4-T9 and L3 proposed, T9's six nearest (T8, T10, T7, T11, T6, T12)
    hold only three read levels, and L3 none; T4-T8 have four or five."""
    levels = [Level.T4, Level.T5, Level.T6, Level.T7, Level.T8, Level.T9, Level.L3]
    assert session.propose(proposals(truth, levels), "propose")
    take, skipped = bulk_accept_split(session.reading)
    assert take == [Level.T4, Level.T5, Level.T6, Level.T7, Level.T8]
    assert list(skipped) == [Level.T9, Level.L3]
    assert all(why.startswith("crush not assessable") for why in skipped.values())
    accepted, _ = session.accept_all_proposals()
    assert accepted == take and session.pending_levels() == [Level.T9, Level.L3]


def test_everything_doubtful_accepts_nothing(session, truth):
    assert session.propose(proposals(truth, [Level.T8, Level.T9, Level.T10], conf=0.45), "propose")
    accepted, skipped = session.accept_all_proposals()
    assert accepted == [] and set(skipped) == {Level.T8, Level.T9, Level.T10}
    assert not session.history.can_undo or session.history.undo_label != "accept all proposals"
    assert session.pending_levels() == [Level.T8, Level.T9, Level.T10]
