import datetime as dt
import json

import pytest

from vfa.errors import WorkspaceError
from vfa.reading.reading import load_reading
from vfa.storage.index import Index
from vfa.storage.workspace import Workspace, default_workspace_dir
from readings_factory import make_reading


def test_default_workspace_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VFA_WORKSPACE", str(tmp_path / "ws"))
    assert default_workspace_dir() == tmp_path / "ws"
    ws = Workspace()
    assert (tmp_path / "ws" / "index.sqlite").is_file()
    ws.close()


def test_save_indexes_and_finds_earlier_visits_by_patient(tmp_path):
    ws = Workspace(tmp_path / "ws")
    base = make_reading(date=dt.date(2023, 1, 5))
    follow = make_reading({"T12": (60.0, 100.0, 100.0)}, date=dt.date(2023, 7, 5))
    other = make_reading(patient_id="P2", date=dt.date(2022, 1, 1))
    p_follow = ws.save(follow)   # saved out of order on purpose
    ws.save(base)
    ws.save(other)
    found = ws.readings_for_patient("P1")
    assert [r.study_date for r in found] == [dt.date(2023, 1, 5), dt.date(2023, 7, 5)]
    assert [p.patient_id for p in ws.patients()] == ["P1", "P2"]
    visits = ws.visits("P1")
    assert [v.study.study_date for v in visits] == [dt.date(2023, 1, 5), dt.date(2023, 7, 5)]
    rec = visits[1].readings[0]
    assert rec.sdi == 3 and rec.fractured == 1 and rec.reader == "dr-a"
    assert load_reading(p_follow).vertebra("T12").points == follow.vertebra("T12").points
    ws.close()


def test_index_survives_reopen_and_resave_replaces(tmp_path):
    ws = Workspace(tmp_path)
    r = make_reading()
    ws.save(r)
    r.set_reader_grade("L1", 2)
    ws.save(r)
    ws.close()
    ws2 = Workspace(tmp_path)
    recs = ws2.index.readings(sop_instance_uid=r.sop_instance_uid)
    assert len(recs) == 1 and recs[0].sdi == 2
    assert ws2.load(r.sop_instance_uid).vertebra("L1").reader_grade == 2
    ws2.close()


def test_two_readers_of_one_film_are_kept_apart(tmp_path):
    ws = Workspace(tmp_path)
    a = make_reading(reader="alice")
    b = make_reading(reader="bob")
    b.set_reader_grade("T8", 1)
    ws.save(a)
    ws.save(b)
    assert ws.load(a.sop_instance_uid, reader="alice").vertebra("T8").reader_grade is None
    assert ws.load(a.sop_instance_uid, reader="bob").vertebra("T8").reader_grade == 1
    assert [r.reader for r in ws.readings_for_patient("P1", reader="bob")] == ["bob"]
    ws.close()


def test_autosave_is_offered_until_saved(tmp_path):
    ws = Workspace(tmp_path)
    r = make_reading()
    ws.autosave(r)
    pending = ws.pending_recoveries()
    assert len(pending) == 1
    assert "P1" not in ws.describe_recovery(pending[0])  # no patient identifiers
    assert ws.recover(pending[0]).vertebra("T4").points == r.vertebra("T4").points
    ws.save(r)
    assert ws.pending_recoveries() == []
    ws.close()


def test_unreadable_reading_file_is_skipped_not_fatal(tmp_path):
    ws = Workspace(tmp_path)
    r1 = make_reading(date=dt.date(2020, 1, 1))
    r2 = make_reading(date=dt.date(2021, 1, 1))
    ws.save(r1)
    p2 = ws.save(r2)
    p2.write_text("{ broken", encoding="utf-8")
    assert [r.study_date for r in ws.readings_for_patient("P1")] == [dt.date(2020, 1, 1)]
    ws.close()


def test_reading_without_uids_cannot_be_filed(tmp_path):
    ws = Workspace(tmp_path)
    r = make_reading()
    r.sop_instance_uid = ""
    with pytest.raises(WorkspaceError, match="SOPInstanceUID"):
        ws.save(r)
    ws.close()


def test_unwritable_workspace_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(WorkspaceError, match="cannot use .* as workspace"):
        Workspace(blocker / "ws")


def test_newer_index_schema_is_refused(tmp_path):
    ix = Index(f"sqlite:///{tmp_path / 'i.sqlite'}")
    with ix.engine.begin() as c:
        c.exec_driver_sql("UPDATE vfa_meta SET value='99' WHERE key='schema_version'")
    ix.close()
    with pytest.raises(WorkspaceError, match="newer vfa"):
        Index(f"sqlite:///{tmp_path / 'i.sqlite'}")


def test_saved_file_is_plain_reading_json(tmp_path):
    ws = Workspace(tmp_path)
    p = ws.save(make_reading())
    data = json.loads(p.read_text())
    assert data["format"] == "vfa-reading" and data["version"] == 1
    assert not list(p.parent.glob("*.tmp"))
    ws.close()


def test_work_in_progress_with_impossible_points_is_never_lost(tmp_path):
    """A vertebra whose points are impossible is saved, reloaded and reported, not refused."""
    from vfa.method.morphometry import summarize
    ws = Workspace(tmp_path)
    r = make_reading()
    v = r.vertebra("T9")
    sa = v.points[next(s for s in v.points if s.value == "superior_anterior")]
    r.set_point("T9", "superior_anterior", (sa[0], sa[1] + 300))  # below the inferior endplate
    ws.autosave(r)
    recovered = ws.recover(ws.pending_recoveries()[0])
    ws.save(recovered)
    again = ws.load(r.sop_instance_uid)
    t9 = {x.level.value: x for x in summarize(again).results}["T9"]
    assert t9.error and "T9" in t9.error and "superior_anterior" in t9.error
    assert t9.heights is None and t9.grade is None
