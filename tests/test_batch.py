"""``vfa batch``: a process pool over films/readings, resumable, one line per failure."""

from __future__ import annotations

import datetime as dt
import json

import cv2
import numpy as np
import pytest

from cli_runner import run_vfa
from vfa.batch import Job, plan, run_batch
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
    assert sorted(x.name for x in out.iterdir()) == ["A.sr.dcm", "B.sr.dcm"]


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
    res = run_batch([Job("x", str(tmp_path / "o" / "x.png"), ("render", str(tmp_path / "nope.dcm"),
                                                               "-o", str(tmp_path / "o" / "x.png")))])
    assert res.done == [] and len(res.failed) == 1 and "not found" in res.failed[0][1]
