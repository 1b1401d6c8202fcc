"""Two readers creating the same patient, study or film at the same moment (issue 22, item 5).

Two real processes save readings of two films of one NEW patient (same patient and study,
one film each) at the same instant, 20 rounds, against the test suite's PostgreSQL
(tests/postgres.py) and SQLite: creating the patient and study twice is an upsert, never a
refusal ("cannot update the workspace index: IntegrityError" was 18 of 20 rounds on
PostgreSQL), and both readings are in the index and on disk. Two ``vfa scan --register`` of
one folder at once both register everything (the loser skipped all films and exited 0).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from postgres import postgres  # noqa: F401 - fixture
from vfa.storage.index import Index
from vfa.storage.workspace import Workspace

ROUNDS = 20
HERE = Path(__file__).resolve().parent


@pytest.fixture(params=["sqlite", "postgresql"])
def index_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'index.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


WORKER = r"""
import datetime, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[7])
from readings_factory import make_reading
from vfa.errors import VfaError
from vfa.storage.workspace import Workspace
root, url, me, rounds, sync = sys.argv[1:6]
film_no = int(sys.argv[6])
sync = Path(sync)
def wait(name):
    t = time.monotonic()
    while not (sync / name).exists():
        if time.monotonic() - t > 120:
            raise SystemExit("timed out waiting for " + name)
        time.sleep(0.001)
ws = Workspace(root, url)
out = []
for k in range(int(rounds)):
    # round k: a new patient; both processes create it, its study, and one film each
    r = make_reading(patient_id=f"NEW-{k:03d}", date=datetime.date(2024, 1, 1) + datetime.timedelta(k),
                     sop=f"1.2.826.0.1.3680043.10.22.{k}.{film_no}", reader=me)
    (sync / f"ready-{k}-{me}").touch()
    wait(f"go-{k}")
    try:
        ws.save(r)
        out.append("saved")
    except VfaError as exc:
        out.append("refused: " + str(exc))
ws.close()
print(json.dumps(out))
"""


def _wait_for(paths, timeout=120):
    t = time.monotonic()
    while not all(p.exists() for p in paths):
        if time.monotonic() - t > timeout:
            raise AssertionError(f"workers did not reach {paths}")
        time.sleep(0.002)


def test_two_readers_creating_one_new_patient_at_once_both_save(tmp_path, index_url):
    root, sync = tmp_path / "ws", tmp_path / "sync"
    sync.mkdir()
    Workspace(root, index_url).close()  # the schema exists before the race
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    procs = {me: subprocess.Popen([sys.executable, "-c", WORKER, str(root), index_url, me,
                                   str(ROUNDS), str(sync), str(n), str(HERE)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for n, me in enumerate(("alice", "bob"), 1)}
    try:
        for k in range(ROUNDS):
            _wait_for([sync / f"ready-{k}-alice", sync / f"ready-{k}-bob"])
            (sync / f"go-{k}").touch()
        results = {}
        for me, p in procs.items():
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
            results[me] = json.loads(out)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
    refusals = [o for outs in results.values() for o in outs if o != "saved"]
    assert not refusals, f"{len(refusals)} refusal(s) in {ROUNDS} rounds: {refusals[:3]}"
    ix = Index(index_url)
    try:
        for k in range(ROUNDS):
            pid = f"NEW-{k:03d}"
            assert ix.patient(pid) is not None
            got = {(r.sop_instance_uid, r.reader) for r in ix.readings(patient_id=pid)}
            assert got == {(f"1.2.826.0.1.3680043.10.22.{k}.1", "alice"),
                           (f"1.2.826.0.1.3680043.10.22.{k}.2", "bob")}, (k, got)
            for sop, reader in got:
                rec = ix.readings(sop_instance_uid=sop, reader=reader)[0]
                assert (root / rec.path).is_file()
    finally:
        ix.close()


def test_two_scans_registering_one_folder_at_once_both_succeed(tmp_path, index_url):
    """Both processes exit 0 and every film is registered; a scan that could not register
    films would exit 1 and say how many (see test_scan_register_failure_exits_1)."""
    from conftest import SAMPLES
    env = dict(os.environ, VFA_DATABASE_URL=index_url, PYTHONPATH=str(HERE.parent))
    ws = tmp_path / "ws"
    Workspace(ws, index_url).close()
    for _ in range(3):
        procs = [subprocess.Popen([sys.executable, "-m", "vfa.cli", "scan", str(SAMPLES), "--register",
                                   "--workspace", str(ws)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (_out, err) in zip(procs, outs):
            assert p.returncode == 0, err
            assert "IntegrityError" not in err and "not registered" not in err
    from vfa.films.scan import scan_paths
    films = scan_paths([SAMPLES]).films
    ix = Index(index_url)
    try:
        assert {i.sop_instance_uid for i in ix.all_images()} == {f.sop_instance_uid for f in films}
    finally:
        ix.close()


def test_scan_register_failure_exits_1_and_says_how_many(tmp_path, capsys, monkeypatch):
    """An index that refuses the writes (opened read-only): the films are listed, but the
    scan exits 1 naming how many were not registered and why (it exited 0 before)."""
    from conftest import SAMPLES
    from vfa.cli import main
    ws = tmp_path / "ws"
    Workspace(ws).close()
    src = tmp_path / "films"
    shutil.copytree(SAMPLES / "adult01", src)
    monkeypatch.setenv("VFA_DATABASE_URL", f"sqlite:///file:{ws / 'index.sqlite'}?mode=ro&uri=true")
    rc = main(["scan", str(src), "--register", "--workspace", str(ws)])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "2 film(s) were not registered in the workspace" in err


def test_index_sqlite_follows_the_umask(tmp_path):
    old = os.umask(0o002)
    try:
        Workspace(tmp_path / "ws").close()
    finally:
        os.umask(old)
    assert (tmp_path / "ws" / "index.sqlite").stat().st_mode & 0o777 == 0o664


def test_migrations_use_no_private_alembic_api(tmp_path):
    src = (HERE.parent / "vfa" / "storage" / "index.py").read_text()
    assert "._upgrade_revs" not in src and "script._" not in src
    ix = Index(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    try:
        assert ix.migrated and ix.migrated[-1] == "c13_clinical_events"
        assert ix.migrated == ["0001", "0002", "0003", "c13_clinical_events"]
    finally:
        ix.close()
