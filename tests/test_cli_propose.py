"""``vfa propose`` (in-process ``vfa.cli.main``): one click, span, carry-forward, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli_runner import run_vfa

from vfa.method.levels import Level, PointSlot
from vfa.synthetic.phantom import Deformity, FilmSpec, make_film, reference_reading, write_dicom
from vfa.reading.reading import load_reading, save_reading


def vfa(*args):
    return run_vfa(*args)


def one_line_error(p, pattern):
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert pattern in lines[0], lines[0]


def centre(points):
    x, y = np.mean([points[s] for s in PointSlot], axis=0)
    return f"{x:.1f}", f"{y:.1f}"


@pytest.fixture(scope="module")
def films(tmp_path_factory):
    d = tmp_path_factory.mktemp("propose")
    base = FilmSpec(rows=900, cols=600, pixel_mm=0.5, seed=131, facing="right", tilt_deg=5.0)
    follow = base.with_(seed=132, anatomy_seed=131, offset_mm=(10.0, 15.0), tilt_deg=2.0,
                        deformities={"L1": Deformity("wedge", 0.3)})
    f0, f1 = make_film(base), make_film(follow)
    ds0 = write_dicom(f0, d / "base.dcm", photometric="MONOCHROME1", patient_id="P-1")
    write_dicom(f1, d / "follow.dcm", patient_id="P-1")
    write_dicom(f1, d / "other.dcm", patient_id="P-2")
    earlier = reference_reading(f0, ds0, image_path=str(d / "base.dcm"))
    save_reading(earlier, d / "base.json")
    return d, f0, f1


def test_at_writes_a_reading_of_proposed_points(films):
    d, f0, f1 = films
    out = d / "at.json"
    p = vfa("propose", d / "base.dcm", "--at", "T8", *centre(f0.points[Level.T8]),
            "--at", "l2", *centre(f0.points[Level.L2]), "-o", out)
    assert p.returncode == 0, p.stderr
    assert "2 level(s) proposed" in p.stdout and "facing right" in p.stdout
    r = load_reading(out)
    assert r.patient_id == "P-1" and r.spacing.calibrated
    for lv in (Level.T8, Level.L2):
        v = r.get(lv)
        assert v.complete and len(v.pending_proposals) == 6
        assert {p.method for p in v.proposals.values()} == {"one-click"}
        err = max(np.hypot(*(np.subtract(v.points[s], f0.points[lv][s]))) for s in PointSlot)
        assert err * 0.5 / 1.12 < 1.5


def test_span_labels_every_level(films):
    d, f0, f1 = films
    out = d / "span.json"
    p = vfa("propose", d / "base.dcm", "--span", "T5", *centre(f0.points[Level.T5]),
            "L3", *centre(f0.points[Level.L3]), "-o", out)
    assert p.returncode == 0, p.stderr
    r = load_reading(out)
    assert [v.level.value for v in r] == ["T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2", "L3"]
    data = json.loads(out.read_text())
    assert data["vertebrae"][0]["proposals"]["superior_anterior"]["method"] == "span"


def test_from_carries_forward_and_finds_the_new_fracture(films):
    d, f0, f1 = films
    out = d / "carry.json"
    p = vfa("propose", d / "follow.dcm", "--from", d / "base.json", "-o", out)
    assert p.returncode == 0, p.stderr
    assert "13 level(s) proposed" in p.stdout
    g = json.loads(vfa("grade", out, "--json").stdout)
    rows = {row["level"]: row for row in g["vertebrae"]}
    assert rows["L1"]["suggested_grade"] == 2
    assert all(rows[lv]["suggested_grade"] == 0 for lv in ("T12", "L2"))


@pytest.mark.parametrize("args, pattern", [
    (["--at", "T99", "10", "10"], "unknown vertebral level"),
    (["--at", "T8", "ten", "10"], "are not numbers"),
    (["--at", "T8", "5000", "10"], "outside the film"),
    (["--at", "T8", "3", "3"], "vertebral body"),
    (["--span", "T8", "100", "100", "T8", "200", "300"], "two different levels"),
    (["--anchor", "T8", "100", "100", "--at", "T8", "1", "1"], "--anchor goes with --from"),
])
def test_bad_input_is_one_clear_line(films, args, pattern):
    d, f0, f1 = films
    one_line_error(vfa("propose", d / "base.dcm", *args, "-o", d / "bad.json"), pattern)
    assert not (d / "bad.json").exists()


def test_bad_files_are_one_clear_line(films, tmp_path):
    d, f0, f1 = films
    (tmp_path / "x.dcm").write_text("not dicom")
    one_line_error(vfa("propose", tmp_path / "x.dcm", "--at", "T8", "1", "1", "-o", tmp_path / "o.json"), "")
    one_line_error(vfa("propose", d / "other.dcm", "--from", d / "base.json", "-o", tmp_path / "o.json"),
                   "carry forward only within one patient")
    one_line_error(vfa("propose", d / "follow.dcm", "--from", tmp_path / "missing.json", "-o", tmp_path / "o.json"),
                   "does not exist")
    r = load_reading(d / "base.json")
    r.image_path = str(tmp_path / "gone.dcm")
    save_reading(r, tmp_path / "moved.json")
    one_line_error(vfa("propose", d / "follow.dcm", "--from", tmp_path / "moved.json", "-o", tmp_path / "o.json"),
                   "--earlier-film")
    p = vfa("propose", d / "follow.dcm", "--from", tmp_path / "moved.json", "--earlier-film", d / "base.dcm",
            "-o", tmp_path / "o.json")
    assert p.returncode == 0, p.stderr
    one_line_error(vfa("propose", d / "base.dcm", "--at", "T8", "1", "1", "-o", tmp_path / "o.txt"), "must end in .json")


def test_exports_refuse_unaccepted_proposals_unless_allowed(films):
    """Proposed points are not the reader's measurements until accepted."""
    d, f0, _ = films
    out = d / "pending.json"
    assert vfa("propose", d / "base.dcm", "--at", "T8", *centre(f0.points[Level.T8]), "-o", out).returncode == 0
    for cmd in (["export-sr", out, "-o", d / "p.dcm"], ["export-csv", out, "-o", d / "p.csv"],
                ["report", out, "-o", d / "p.pdf"]):
        one_line_error(vfa(*cmd), "proposed points not yet accepted")
        assert not (d / cmd[-1].name).exists()
    p = vfa("export-csv", out, "-o", d / "p.csv", "--allow-proposed")
    assert p.returncode == 0, p.stderr
    assert (d / "p.csv").is_file()
    r = load_reading(out)
    r.accept_proposal("T8")
    save_reading(r, out)
    p = vfa("export-sr", out, "-o", d / "p.dcm")
    assert p.returncode == 0, p.stderr
