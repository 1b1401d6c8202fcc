"""The index schema by Alembic, optimistic concurrency, and the shared PostgreSQL index.

The PostgreSQL tests run against a real server started on loopback by tests/postgres.py
(skipped locally when PostgreSQL is not installed, a failure under CI).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import (Column, Date, DateTime, Float, Integer, MetaData, String, Table,
                        UniqueConstraint, create_engine, inspect, text)

from postgres import postgres  # noqa: F401 - fixture
from readings_factory import make_reading
from vfa.errors import WorkspaceError
from vfa.storage.index import (Index, SCHEMA_VERSION, StaleReadingError, VERSION_TABLE,
                         current_revision, head_revision)
from vfa.storage.workspace import Workspace

SOP = "1.2.826.0.1.3680043.10.1.55.1"


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request, tmp_path):
    """A fresh, empty index URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


def _vfa01_schema(url: str) -> None:
    """The index exactly as vfa 0.1 created it (hand-written tables, schema_version 1,
    no Alembic), with one reading."""
    md = MetaData()
    Table("patients", md, Column("patient_id", String(128), primary_key=True),
          Column("patient_name", String(256)), Column("birth_date", Date), Column("sex", String(16)))
    Table("studies", md, Column("study_instance_uid", String(128), primary_key=True),
          Column("patient_id", String(128), index=True, nullable=False), Column("study_date", Date))
    Table("images", md, Column("sop_instance_uid", String(128), primary_key=True),
          Column("study_instance_uid", String(128), index=True, nullable=False),
          Column("series_instance_uid", String(128)), Column("path", String(4096)),
          Column("modality", String(16)), Column("view_position", String(16)))
    Table("readings", md, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("sop_instance_uid", String(128), index=True, nullable=False),
          Column("reader", String(128), nullable=False), Column("path", String(4096), nullable=False),
          Column("saved_at", DateTime), Column("sdi", Integer), Column("fractured", Integer),
          Column("not_evaluable", Integer), Column("graded", Integer), Column("max_grade", Float),
          UniqueConstraint("sop_instance_uid", "reader", name="uq_reading_sop_reader"))
    Table("vfa_meta", md, Column("key", String(64), primary_key=True), Column("value", String(256)))
    eng = create_engine(url)
    md.create_all(eng)
    with eng.begin() as c:
        c.execute(text("INSERT INTO vfa_meta (key, value) VALUES ('schema_version', '1')"))
        c.execute(text("INSERT INTO readings (sop_instance_uid, reader, path, sdi) "
                       "VALUES ('1.2.3', 'alice', 'readings/x/1.2.3.alice.json', 2)"))
    eng.dispose()


def test_fresh_index_is_created_by_the_migrations(index_url):
    ix = Index(index_url)
    try:
        assert ix.migrated[:3] == ["0001", "0002", "0003"] and ix.migrated[-1] == head_revision()
        assert current_revision(ix.engine) == head_revision()
        names = set(inspect(ix.engine).get_table_names())
        assert {"patients", "studies", "images", "readings", "vfa_meta", "reading_lists",
                "reading_list_items", "clinical_events", VERSION_TABLE} <= names
        cols = {c["name"] for c in inspect(ix.engine).get_columns("readings")}
        assert "version" in cols
    finally:
        ix.close()
    again = Index(index_url)  # already at head: nothing to do
    assert again.migrated == []
    again.close()


def test_vfa01_index_is_upgraded_in_place(index_url):
    _vfa01_schema(index_url)
    ix = Index(index_url)
    try:
        assert ix.migrated[:3] == ["0001", "0002", "0003"] and ix.migrated[-1] == head_revision()
        [rec] = ix.readings(sop_instance_uid="1.2.3")
        assert rec.reader == "alice" and rec.sdi == 2 and rec.version == 1
        with ix.engine.connect() as c:
            v = c.execute(text("SELECT value FROM vfa_meta WHERE key='schema_version'")).scalar()
        assert v == str(SCHEMA_VERSION) == "2"  # vfa 0.1 now refuses this index
    finally:
        ix.close()


def test_newer_schema_is_refused_on_both_backends(index_url):
    Index(index_url).close()
    eng = create_engine(index_url)
    with eng.begin() as c:
        c.execute(text("UPDATE vfa_meta SET value='99' WHERE key='schema_version'"))
    eng.dispose()
    with pytest.raises(WorkspaceError, match="newer vfa"):
        Index(index_url)


def test_stale_save_is_refused_in_process(tmp_path, index_url):
    root = tmp_path / "ws"
    ws1, ws2 = Workspace(root, index_url), Workspace(root, index_url)
    try:
        r = make_reading(sop=SOP, reader="alice")
        ws1.save(r)
        assert r.index_version == 1
        mine, theirs = ws1.load(SOP, "alice"), ws2.load(SOP, "alice")
        theirs.set_reader_grade("T12", 3)
        ws2.save(theirs)
        assert theirs.index_version == 2
        mine.set_reader_grade("T12", 1)
        with pytest.raises(StaleReadingError, match=r"saved by another session since this one "
                                                    r"opened it \(version 2, this session started "
                                                    r"from version 1\); not saved"):
            ws1.save(mine)
        # nothing overwritten: the file and the index hold the other session's save
        assert ws1.load(SOP, "alice").get("T12").reader_grade == 3
        assert ws1.index.reading_version(SOP, "alice") == 2
        # a second "new" reading of the same film by the same reader is refused too
        with pytest.raises(StaleReadingError, match="while this one was working on a new reading"):
            ws2.save(make_reading(sop=SOP, reader="alice"))
        # reopening gives the current version, which saves
        fresh = ws1.load(SOP, "alice")
        fresh.set_reader_grade("T12", 2)
        ws1.save(fresh)
        assert fresh.index_version == 3
        # an explicit import replaces whatever is there
        other = tmp_path / "other.json"
        from vfa.reading.reading import save_reading
        save_reading(make_reading(sop=SOP, reader="alice"), other)
        ws2.import_reading(other)
        assert ws2.index.reading_version(SOP, "alice") == 4
    finally:
        ws1.close()
        ws2.close()


def test_autosave_recovery_keeps_the_version_it_started_from(tmp_path):
    ws = Workspace(tmp_path / "ws")
    try:
        r = make_reading(sop=SOP, reader="alice")
        ws.save(r)
        mine = ws.load(SOP, "alice")
        mine.set_reader_grade("T9", 1)
        auto = tmp_path / "kept-autosave.json"
        auto.write_bytes(ws.autosave(mine).read_bytes())  # the crashed session's autosave
        assert "vfa_index_version" not in mine.extra
        other = ws.load(SOP, "alice")
        other.set_reader_grade("T9", 2)
        ws.save(other)
        recovered = ws.recover(auto)
        assert recovered.index_version == 1 and "vfa_index_version" not in recovered.extra
        with pytest.raises(StaleReadingError):
            ws.save(recovered)
    finally:
        ws.close()


# --------------------------------------------------------------------------- two processes
WORKER = r"""
import json, sys, time
from pathlib import Path
from vfa.storage.index import StaleReadingError
from vfa.storage.workspace import Workspace
root, url, sop, me, rounds, sync = sys.argv[1:]
sync = Path(sync)
def wait(name):
    t = time.monotonic()
    while not (sync / name).exists():
        if time.monotonic() - t > 120:
            raise SystemExit("timed out waiting for " + name)
        time.sleep(0.002)
ws = Workspace(root, url)
out = []
for k in range(int(rounds)):
    r = ws.load(sop, reader="alice")
    (sync / f"ready-{k}-{me}").touch()
    wait(f"go-{k}")
    r.set_note("T12", f"{me} round {k}")
    try:
        ws.save(r)
        out.append("saved")
    except StaleReadingError as exc:
        out.append("stale: " + str(exc))
    (sync / f"done-{k}-{me}").touch()
    wait(f"next-{k}")
ws.close()
print(json.dumps(out))
"""


def _wait_for(paths, timeout=120):
    t = time.monotonic()
    while not all(p.exists() for p in paths):
        if time.monotonic() - t > timeout:
            raise AssertionError(f"workers did not reach {paths}")
        time.sleep(0.005)


def test_two_processes_saving_at_once_never_lose_an_update(tmp_path, index_url):
    """Two processes load the same reading, then save at the same moment, ROUNDS times:
    every round exactly one save wins, the other is refused with a clear message, and the
    file and the index hold the winner's reading (no lost update, no silent overwrite)."""
    rounds = 6
    root, sync = tmp_path / "ws", tmp_path / "sync"
    sync.mkdir()
    ws = Workspace(root, index_url)
    ws.save(make_reading(sop=SOP, reader="alice"))
    procs = {me: subprocess.Popen([sys.executable, "-c", WORKER, str(root), index_url, SOP, me,
                                   str(rounds), str(sync)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
             for me in ("p1", "p2")}
    winners = []
    try:
        for k in range(rounds):
            _wait_for([sync / f"ready-{k}-p1", sync / f"ready-{k}-p2"])
            (sync / f"go-{k}").touch()
            _wait_for([sync / f"done-{k}-p1", sync / f"done-{k}-p2"])
            saved = ws.load(SOP, "alice")
            assert saved.index_version == k + 2
            winners.append(saved.get("T12").note.split()[0])
            (sync / f"next-{k}").touch()
        results = {}
        for me, p in procs.items():
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            results[me] = json.loads(out)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        ws.close()
    for k in range(rounds):
        outcomes = {me: results[me][k] for me in results}
        assert sorted(o.split(":")[0] for o in outcomes.values()) == ["saved", "stale"], outcomes
        winner = [me for me, o in outcomes.items() if o == "saved"][0]
        assert winners[k] == winner
        loser = [o for o in outcomes.values() if o != "saved"][0]
        assert "saved by another session since this one opened it" in loser
    print(f"{index_url.split(':')[0]}: winners per round {winners}")


# --------------------------------------------------------------------------- drivers
def test_postgres_url_without_driver_says_what_to_install(monkeypatch, tmp_path):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "psycopg" else real(name, *a))
    with pytest.raises(WorkspaceError, match=r"needs the Python module 'psycopg': install the "
                                             r"PostgreSQL extra: pip install 'vfa\[postgresql\]'"):
        Workspace(tmp_path / "ws", "postgresql+psycopg://u:secret@db.example/vfa")
    with pytest.raises(WorkspaceError) as exc:
        Workspace(tmp_path / "ws", "postgresql://u:secret@db.example/vfa")
    assert "secret" not in str(exc.value)


def test_plain_postgresql_url_uses_psycopg3(postgres, tmp_path):
    url = postgres.new_database().replace("postgresql+psycopg://", "postgresql://")
    ws = Workspace(tmp_path / "ws", url)
    try:
        assert ws.index.engine.dialect.driver == "psycopg"
        ws.save(make_reading(sop=SOP, reader="alice"))
        assert ws.load(SOP, "alice") is not None
    finally:
        ws.close()


def test_scan_register_into_postgresql(postgres, tmp_path, monkeypatch, capsys):
    """The bug of issue 12: `vfa scan --register` on a PostgreSQL index ('No module named
    psycopg'). With the extra it registers the sample films into the server."""
    from conftest import SAMPLES
    from vfa.cli import main
    url = postgres.new_database()
    monkeypatch.setenv("VFA_DATABASE_URL", url)
    assert main(["scan", str(SAMPLES), "--register", "--workspace", str(tmp_path / "ws")]) == 0
    capsys.readouterr()
    ix = Index(url)
    try:
        from vfa.films.scan import scan_paths
        films = scan_paths([SAMPLES]).films  # every sample film (the set grows with the issues)
        pids = {p.patient_id for p in ix.patients()}
        assert pids == {f.patient_id for f in films} and len(pids) == 2
        assert {i.sop_instance_uid for i in ix.all_images()} == {f.sop_instance_uid for f in films}
    finally:
        ix.close()


def test_head_revision_constant_is_alembics_head():
    """Opening an up-to-date index skips Alembic by comparing with HEAD_REVISION: it must name
    the newest migration, or a new migration would never run."""
    from vfa.storage.index import HEAD_REVISION
    assert HEAD_REVISION == head_revision()


def test_opening_an_up_to_date_index_does_not_load_alembic(tmp_path):
    """Start-up cost: Alembic loads only when the index needs a migration (a new process, as a
    viewer start is)."""
    import subprocess
    import sys
    code = ("import sys; from vfa.storage.workspace import Workspace; "
            f"w = Workspace({str(tmp_path)!r}); w.close(); print('alembic' in sys.modules)")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout.strip() == "True"      # a new index is created by the migrations
    assert again.stdout.strip() == "False"
