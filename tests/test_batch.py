"""``vfa batch``: a process pool over films/readings, resumable, one line per failure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
import json

import cv2
import numpy as np
import pytest

from cli_runner import run_vfa
from vfa.batch import Job, JobFailure, plan, run_batch
from vfa.synthetic.phantom import Deformity, FilmSpec, make_film, reference_reading, write_dicom
from vfa.reading.reading import save_reading
from vfa.storage.workspace import Workspace
from test_scan import write_film


def _films(folder, n=3):
    for i in range(n):
        write_film(folder / f"sub{i % 2}" / f"f{i}.dcm", patient=f"P{i}")
    (folder / "notes.bin").write_bytes(b"not dicom")


def test_render_in_two_processes_equals_single_renders_and_resumes(tmp_path):
    src, out = tmp_path / "films", tmp_path / "out"
    _films(src)
    p = run_vfa("batch", "render", src, "-o", out, "--jobs", "2")
    assert p.returncode == 0, p.stderr
    assert "render: 3 done, 0 skipped (already done), 0 failed" in p.stdout
    assert p.stderr.count("\n") == 1 and "skipped" in p.stderr and "notes.bin" in p.stderr
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 3
    # each output is what `vfa render` writes for that film
    for f in sorted(src.rglob("*.dcm")):
        single = tmp_path / "single.png"
        assert run_vfa("render", f, "-o", single).returncode == 0
        import pydicom
        sop = pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID
        assert np.array_equal(cv2.imread(str(out / f"{sop}.png"), cv2.IMREAD_UNCHANGED),
                              cv2.imread(str(single), cv2.IMREAD_UNCHANGED))
    # resumable: done outputs are skipped; a missing one is redone
    pngs[0].unlink()
    again = run_vfa("batch", "render", src, "-o", out, "--jobs", "2")
    assert "1 done, 2 skipped (already done), 0 failed" in again.stdout
    forced = run_vfa("batch", "render", src, "-o", out, "--jobs", "1", "--force")
    assert "3 done, 0 skipped" in forced.stdout


def test_failed_inputs_are_one_line_each_and_the_rest_is_done(tmp_path):
    from readings_factory import make_reading
    from test_sr import make_film as make_sr_film
    rd, out = tmp_path / "readings", tmp_path / "out"
    rd.mkdir()
    for i, pid in enumerate(("A", "B")):
        r = make_reading(patient_id=pid, date=dt.date(2024, 1, 10 + i))
        make_sr_film(tmp_path / f"film{pid}.dcm", r)
        r.image_path = str(tmp_path / f"film{pid}.dcm")
        save_reading(r, rd / f"{pid}.json")
    (rd / "broken.json").write_text("{not json")
    lost = make_reading(patient_id="C")
    lost.image_path = str(tmp_path / "gone.dcm")
    save_reading(lost, rd / "lost.json")
    p = run_vfa("batch", "export-sr", rd, "-o", out, "--jobs", "1")
    assert p.returncode == 1
    assert "2 done, 0 skipped (already done), 2 failed" in p.stdout
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in p.stderr
    assert any("broken.json" in l for l in lines) and any("lost.json" in l and "gone.dcm" in l for l in lines)
    names = sorted(x.name for x in out.iterdir())
    assert len(names) == 2 and names[0].startswith("A_2024-01-10_") and names[1].startswith("B_2024-01-11_")


def test_propose_carries_forward_the_earlier_reading_from_the_workspace(tmp_path):
    base = FilmSpec(rows=700, cols=460, pixel_mm=0.6, seed=131, facing="right", tilt_deg=4.0)
    follow = base.with_(seed=132, anatomy_seed=131, offset_mm=(8.0, 10.0),
                        deformities={"L1": Deformity("wedge", 0.3)})
    f0, f1 = make_film(base), make_film(follow)
    films = tmp_path / "films"
    films.mkdir()
    ds0 = write_dicom(f0, films / "base.dcm", patient_id="P-1", study_date=dt.date(2022, 1, 1))
    write_dicom(f1, tmp_path / "follow.dcm", patient_id="P-1", study_date=dt.date(2024, 1, 1))
    write_dicom(f1, tmp_path / "stranger.dcm", patient_id="P-9", study_date=dt.date(2024, 1, 1))
    ws = Workspace(tmp_path / "ws")
    ws.save(reference_reading(f0, ds0, image_path=str(films / "base.dcm")))
    ws.close()
    out = tmp_path / "out"
    p = run_vfa("batch", "propose", tmp_path / "follow.dcm", tmp_path / "stranger.dcm", "-o", out,
                "--workspace", tmp_path / "ws", "--jobs", "1")
    assert p.returncode == 1
    assert "1 done" in p.stdout and "1 failed" in p.stdout
    assert "stranger.dcm" in p.stderr and "no saved reading of an earlier study" in p.stderr
    (proposed,) = out.glob("*.proposed.json")
    data = json.loads(proposed.read_text())
    assert len(data["vertebrae"]) == 13 and data["patient_id"] == "P-1"


def test_plan_refuses_unknown_actions_and_empty_inputs(tmp_path):
    from vfa.batch import BatchError
    with pytest.raises(BatchError, match="unknown batch action"):
        plan("grade", [tmp_path], tmp_path / "o")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchError, match="nothing to do"):
        plan("export-sr", [tmp_path / "empty"], tmp_path / "o")
    with pytest.raises(BatchError, match="takes no option size"):
        plan("export-sr", [tmp_path], tmp_path / "o", options={"size": 10})
    res = run_batch([Job("render", str(tmp_path / "nope.dcm"), str(tmp_path / "o" / "x.png"))])
    assert res.done == [] and len(res.failed) == 1
    (failure,) = res.failed
    assert isinstance(failure, JobFailure) and "not found" in failure.message
    assert failure.error == "DicomLoadError" and failure.bad_input


# ------------------------------------------------------------------------------ issue 22: outputs never shared
def _reading_with_film(tmp_path, folder, pid, day):
    from readings_factory import make_reading
    from test_sr import make_film as make_sr_film
    folder.mkdir(parents=True, exist_ok=True)
    r = make_reading(patient_id=pid, date=dt.date(2024, 1, day))
    make_sr_film(folder / "film.dcm", r)
    r.image_path = "film.dcm"
    save_reading(r, folder / "reading.json")
    return folder / "reading.json"


def test_two_readings_of_the_same_file_name_give_two_srs(tmp_path):
    import pydicom
    a = _reading_with_film(tmp_path, tmp_path / "a", "PAT-A", 10)
    b = _reading_with_film(tmp_path, tmp_path / "b", "PAT-B", 11)
    out = tmp_path / "out"
    p = run_vfa("batch", "export-sr", a, b, "-o", out, "--jobs", "1")
    assert p.returncode == 0, p.stderr
    assert "2 done, 0 skipped (already done), 0 failed" in p.stdout
    srs = sorted(out.glob("*.sr.dcm"))
    assert len(srs) == 2
    assert sorted(pydicom.dcmread(f).PatientID for f in srs) == ["PAT-A", "PAT-B"]
    # the name says whose: patient, study date, film, reader
    assert srs[0].name.startswith("PAT-A_2024-01-10_")
    # rerun: both skipped, none overwritten
    again = run_vfa("batch", "export-sr", a, b, "-o", out, "--jobs", "1")
    assert "0 done, 2 skipped (already done), 0 failed" in again.stdout


def test_two_files_of_one_reading_are_refused_not_overwritten(tmp_path):
    import shutil
    a = _reading_with_film(tmp_path, tmp_path / "a", "PAT-A", 10)
    (tmp_path / "copy").mkdir()
    shutil.copy(a, tmp_path / "copy" / "reading.json")
    shutil.copy(tmp_path / "a" / "film.dcm", tmp_path / "copy" / "film.dcm")
    out = tmp_path / "out"
    p = run_vfa("batch", "export-sr", a, tmp_path / "copy" / "reading.json", "-o", out, "--jobs", "1")
    assert p.returncode == 1
    assert "1 done, 0 skipped (already done), 1 failed" in p.stdout
    assert "same patient, study, film and reader" in p.stderr and str(a) in p.stderr
    assert len(list(out.glob("*.sr.dcm"))) == 1


def test_copies_of_one_film_render_once_and_the_copy_is_reported(tmp_path):
    import shutil
    src = tmp_path / "films"
    write_film(src / "f.dcm", patient="P1")
    shutil.copy(src / "f.dcm", src / "g.dcm")
    p = run_vfa("batch", "render", src, "-o", tmp_path / "out", "--jobs", "1")
    assert p.returncode == 1
    assert "1 done" in p.stdout and "1 failed" in p.stdout and "same film (SOP Instance UID)" in p.stderr
    assert len(list((tmp_path / "out").glob("*.png"))) == 1


# ------------------------------------------------------------------------------ the pool: spawn, parent death
def test_jobs_run_in_spawned_workers_as_in_this_process(tmp_path):
    src = tmp_path / "films"
    _films(src)
    (src / "notes.bin").unlink()
    jobs = plan("render", [src], tmp_path / "pool")
    res = run_batch(jobs, 2, start_method="spawn")
    assert len(res.done) == 3 and res.failed == []
    local = run_batch([Job("render", j.source, str(tmp_path / "local" / Path(j.output).name)) for j in jobs])
    assert len(local.done) == 3
    for j in jobs:
        assert np.array_equal(cv2.imread(j.output, cv2.IMREAD_UNCHANGED),
                              cv2.imread(str(tmp_path / "local" / Path(j.output).name), cv2.IMREAD_UNCHANGED))


_PARENT = """
import sys, time
from vfa.batch import plan, run_batch
jobs = plan("render", [sys.argv[1]], sys.argv[2])
def progress(done, total):
    print("ready", flush=True)
    time.sleep(120)          # the parent hangs here, holding its pool, until it is killed
run_batch(jobs, 2, start_method=sys.argv[3], progress=progress)
"""


def _children(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_workers_die_with_their_parent_killed_by_sigkill(tmp_path, method):
    import os
    import signal
    import subprocess
    import sys
    import time
    src = tmp_path / "films"
    _films(src, n=6)
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(src), str(tmp_path / "out"), method],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        workers = _children(parent.pid)
        assert workers, "the pool has no worker processes"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        alive = workers
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = {w for w in alive if Path(f"/proc/{w}").exists()
                     and Path(f"/proc/{w}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}
        assert alive == set(), f"workers {sorted(alive)} outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()
        for w in _children(parent.pid) | locals().get("workers", set()):
            try:
                os.kill(w, signal.SIGKILL)     # what a failing run left behind
            except ProcessLookupError:
                pass
