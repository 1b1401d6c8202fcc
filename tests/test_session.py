"""The reading session without Qt (vfa/reading/session.py): edits, undo, drag, guide prompt per tool,
selection, proposals, save/autosave decisions and the relative window/level."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from vfa.method.levels import Level, PointSlot, Status
from vfa.reading.proposal import Proposal
from vfa.films.radiograph import load_radiograph
from vfa.reading.reading import Reading
from vfa.reading.session import ReadingSession, Tool
from vfa.films.windowing import FILE, WindowChoice, from_fraction, to_fraction
from vfa.storage.workspace import Workspace

SA = PointSlot.SUPERIOR_ANTERIOR


def six(i: int, height: float = 60.0) -> list[tuple[float, float]]:
    top = 40 + 90 * i
    return [(100, top), (150, top), (200, top),
            (100, top + height), (150, top + height), (200, top + height)]


class Recorder:
    def __init__(self, session: ReadingSession) -> None:
        self.events = []
        session.connect(self.events.append)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def last(self, kind: str):
        return [e.data for e in self.events if e.kind == kind][-1]


@pytest.fixture
def session(tmp_path):
    ws = Workspace(tmp_path / "ws")
    r = Reading(patient_id="P1", study_instance_uid="1.2.3", series_instance_uid="1.2.3.1",
                sop_instance_uid="1.2.3.4", reader="dr")
    s = ReadingSession(None, r, ws)
    yield s
    s.close()
    ws.close()


def place_all(s: ReadingSession, pts) -> None:
    for x, y in pts:
        assert s.place(x, y)


def test_session_runs_without_qt():
    import subprocess
    code = ("import sys, vfa.reading.session, vfa.films.windowing; "
            "sys.exit(any(m.startswith('PyQt6') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_place_undo_redo_and_events(session):
    rec = Recorder(session)
    assert session.prompt() == "Next: T4 — superior anterior corner"
    place_all(session, six(0))
    assert session.reading.get("T4").complete
    assert session.guide.level is Level.T5 and session.selected_level is Level.T5
    assert session.prompt() == "Next: T5 — superior anterior corner"
    assert session.modified and rec.last("modified") is True
    assert "history" in rec.kinds() and "autosave_due" in rec.kinds()
    assert session.history.undo_label == "place T4 inferior posterior corner"
    session.undo()
    assert len(session.reading.get("T4").points) == 5
    assert session.prompt() == "Next: T4 — inferior posterior corner"
    session.redo()
    assert session.reading.get("T4").complete


def test_a_drag_is_one_undo_step_and_a_click_without_move_is_none(session):
    place_all(session, six(0))
    n = len(session.history)
    session.begin_drag(Level.T4, SA)
    assert session.dragging and session.selected_level is Level.T4 and not session.drag_moved
    for k in range(5):
        session.drag_point(Level.T4, SA, 100 + k, 40 + k)
    assert session.drag_moved
    session.end_drag(Level.T4, SA)
    assert not session.dragging and len(session.history) == n + 1
    assert session.history.undo_label == "move T4 superior anterior corner"
    session.undo()
    assert session.reading.get("T4").points[SA] == (100, 40)
    # a press and release without moving adds no step
    n = len(session.history)
    session.begin_drag(Level.T4, SA)
    session.end_drag(Level.T4, SA)
    assert len(session.history) == n


def test_prompt_speaks_for_the_active_tool(session):
    rec = Recorder(session)
    session.set_tool(Tool.PROPOSE)
    assert session.prompt().startswith("Propose T4: click inside the body of T4")
    assert rec.last("tool") is Tool.PROPOSE and rec.last("guide") == session.prompt()
    session.set_tool("measure")
    assert session.prompt().startswith("Measure")
    session.set_tool(Tool.CALIBRATE)
    assert "known length" in session.prompt()
    session.set_prompt("Propose spine T4–L4: click inside the body of T4 (1 of 2)")
    assert session.prompt().endswith("(1 of 2)")
    session.set_prompt(None)
    session.set_tool(Tool.PLACE)
    assert session.prompt() == "Next: T4 — superior anterior corner"


def test_level_actions_act_on_the_level_the_bar_shows(session):
    place_all(session, six(0))                    # T4 done, guide on T5
    session.select(Level.T4)                      # the reader selects T4 (table / film)
    assert session.current_level is Level.T4
    assert session.prompt().startswith("T4 selected (complete)")
    assert "next: T5 — superior anterior corner" in session.prompt()
    assert session.mark_not_evaluable("hardware")
    assert session.reading.get("T4").status is Status.NOT_EVALUABLE
    assert session.reading.get("T5") is None      # not the guide's level
    # without a selection of its own, the guide's level
    session.select(None)
    assert session.current_level is Level.T5
    assert session.mark_not_evaluable("rotated")
    assert session.reading.get("T5").reason == "rotated"
    assert session.guide.level is Level.T6


def test_proposals_accept_reject_one_step_each(session):
    props = {Level.T6: {sl: Proposal(100 + 10 * i, 300 + 10 * i, 0.9, "one-click")
                        for i, sl in enumerate(PointSlot)}}
    done = session.propose(props, "propose T6")
    assert done == {Level.T6: set(PointSlot)} or set(done) == {Level.T6}
    assert session.pending_levels() == [Level.T6]
    assert session.accept_proposals([Level.T6])
    assert session.pending_levels() == []
    session.undo()
    assert session.pending_levels() == [Level.T6]
    assert session.reject_proposals()
    assert session.reading.get("T6") is None or not session.reading.get("T6").points


def test_save_autosave_discard_and_refusal(session, tmp_path):
    rec = Recorder(session)
    assert session.autosave() is None                 # nothing unsaved yet
    place_all(session, six(0))
    path = session.autosave()
    assert path and rec.last("autosaved") == path
    assert session.workspace.pending_recoveries()
    saved = session.save()
    assert saved and not session.modified and rec.last("saved") == saved
    assert session.save_problem() is None
    # impossible points: saving is refused with the reason
    session.begin_drag(Level.T4, SA)
    session.drag_point(Level.T4, SA, 100, 200)        # superior below inferior
    session.end_drag(Level.T4, SA)
    assert "impossible points" in session.save_problem()
    session.discard()
    assert not session.workspace.autosave_path(session.reading).exists()


def test_errors_are_events_not_exceptions(session):
    rec = Recorder(session)
    assert not session.set_grade(Level.T4, 7)
    assert "error" in rec.kinds()
    assert not session.modified


# --------------------------------------------------------------------------------------
# window/level: relative to each film
# --------------------------------------------------------------------------------------
def two_films(tmp_path):
    from ui.testing import two_visit_films   # pydicom only: no Qt is imported
    return tuple(load_radiograph(p) for p in two_visit_films(tmp_path))


def test_fractions_round_trip_and_extend_beyond_the_range(tmp_path):
    mono1, mono2 = two_films(tmp_path)
    for rg in (mono1, mono2):
        for f in (0.05, 0.3, 0.5, 0.9):
            assert to_fraction(rg, from_fraction(rg, f)) == pytest.approx(f, abs=1e-6)
        assert to_fraction(rg, from_fraction(rg, -0.2)) == pytest.approx(-0.2, abs=1e-6)
        assert to_fraction(rg, from_fraction(rg, 1.3)) == pytest.approx(1.3, abs=1e-6)


def test_a_window_choice_means_the_same_on_a_film_of_other_polarity_and_depth(tmp_path):
    from vfa.films.display import default_settings, render
    mono1, mono2 = two_films(tmp_path)
    # the file's own presentation is the preset "file" on both
    assert WindowChoice.of(mono1, default_settings(mono1)).preset == FILE
    # a narrower, brighter window on the MONOCHROME1 film ...
    w = mono1.auto_window()
    from vfa.films.radiograph import Window
    from vfa.films.display import DisplaySettings
    narrow = DisplaySettings(Window(w.center + w.width * 0.1, w.width * 0.5), None, True)
    choice = WindowChoice.of(mono1, narrow)
    assert choice.preset is None and not choice.inverted
    # ... applied to the MONOCHROME2 film looks alike: same mean brightness and contrast
    a = render(mono1, narrow).astype(float)
    b = render(mono2, choice.settings(mono2)).astype(float)
    assert abs(a.mean() - b.mean()) < 12 and abs(a.std() - b.std()) < 12
    # invert is relative to each film's own polarity
    inv = WindowChoice.of(mono1, default_settings(mono1)).toggled_invert()
    assert inv.settings(mono1).invert is False and inv.settings(mono2).invert is True
    assert np.mean(render(mono2, inv.settings(mono2))) == pytest.approx(
        255 - np.mean(render(mono2)), abs=1.0)


def test_session_display_is_relative(tmp_path):
    mono1, _mono2 = two_films(tmp_path)
    s = ReadingSession(mono1, Reading.for_radiograph(mono1))
    rec = Recorder(s)
    assert s.display == WindowChoice() and s.display_settings().invert is True
    s.set_display(WindowChoice(None, 0.2, 0.8))
    assert rec.last("display") == WindowChoice(None, 0.2, 0.8)
    lo, hi = s.display_settings().window.lower, s.display_settings().window.upper
    assert lo < hi
