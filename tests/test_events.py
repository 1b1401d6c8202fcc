"""Typed events (vfa/events.py): the reading's and the session's kinds are enums, and one
failing listener is logged without patient data while the others still run."""

from __future__ import annotations

import logging

import pytest

from readings_factory import make_reading
from vfa.events import EventEmitter
from vfa.method.levels import Level, PointSlot, Status
from vfa.reading.reading import ReadingEvent, ReadingEventKind
from vfa.reading.session import ReadingSession, SessionEvent, SessionEventKind

SECRET = "PAT-SECRET-0042"


def test_every_reading_edit_announces_a_typed_kind():
    r = make_reading(patient_id=SECRET)
    seen: list[ReadingEvent] = []
    r.events.connect(seen.append)
    r.set_point(Level.T7, PointSlot.SUPERIOR_ANTERIOR, (10.0, 20.0))
    r.set_status(Level.T8, Status.NOT_EVALUABLE, "not visible")
    r.set_note(Level.T9, "note")
    r.restore(r.copy())
    kinds = [e.kind for e in seen]
    assert kinds == [ReadingEventKind.POINT, ReadingEventKind.STATUS, ReadingEventKind.NOTE,
                     ReadingEventKind.RESET]
    assert all(isinstance(k, ReadingEventKind) for k in kinds)
    assert seen[0].level is Level.T7 and seen[0].slot is PointSlot.SUPERIOR_ANTERIOR
    assert len(ReadingEventKind) == 13


def test_every_session_event_is_typed():
    s = ReadingSession(None, make_reading())
    seen: list[SessionEvent] = []
    s.connect(seen.append)
    s.select(Level.T10)
    s.reading.set_status(Level.T10, Status.NOT_EVALUABLE, "not visible")
    assert seen and all(isinstance(e.kind, SessionEventKind) for e in seen)
    assert SessionEventKind.SELECTION in [e.kind for e in seen]
    assert SessionEventKind.READING in [e.kind for e in seen]


def test_one_failing_listener_is_logged_and_the_others_still_run(caplog):
    r = make_reading(patient_id=SECRET)
    first: list[ReadingEvent] = []
    last: list[ReadingEvent] = []

    def broken(event: ReadingEvent) -> None:
        raise RuntimeError(f"cannot show patient {SECRET}")

    r.events.connect(first.append)
    r.events.connect(broken)
    r.events.connect(last.append)
    with caplog.at_level(logging.ERROR, logger="vfa.events"):
        r.set_status(Level.L1, Status.NOT_EVALUABLE, "not visible")
        r.set_status(Level.L2, Status.NOT_EVALUABLE, "not visible")
    assert [e.level for e in first] == [e.level for e in last] == [Level.L1, Level.L2]
    errors = [rec for rec in caplog.records if rec.name == "vfa.events"]
    assert len(errors) == 2
    text = errors[0].getMessage()
    assert "broken" in text and "RuntimeError" in text and "status" in text
    assert SECRET not in caplog.text           # the message (patient data) is never logged


def test_disconnect_and_a_typed_emitter_of_any_event():
    em: EventEmitter[int] = EventEmitter()
    got: list[int] = []
    em.connect(got.append)
    em.emit(1)
    em.disconnect(got.append)
    em.emit(2)
    assert got == [1]
    with pytest.raises(ValueError):
        em.disconnect(got.append)
