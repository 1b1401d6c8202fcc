"""PDF report: real files written by the CLI, rendered and text-extracted with poppler."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cli_runner import run_vfa

from vfa.outputs.annotate import GRADE_COLOURS, draw_reading, label_for
from vfa.method.levels import LEVELS, Level
from vfa.method.morphometry import measure_reading, summarize
from vfa.reading.reading import save_reading
from vfa.outputs.report_pdf import VisitInput, write_report
from vfa.storage.workspace import Workspace
from readings_factory import make_reading
from test_sr import make_film

NAME = "Doe^Jane"


def vfa(*args, cwd=None):
    return run_vfa(*args, cwd=cwd)


def pdftotext_pages(pdf: Path) -> list[str]:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


@pytest.fixture
def visits(tmp_path):
    """Baseline and follow-up of one patient with films, saved beside their films."""
    b = make_reading({"T12": (82.0, 95.0, 100.0)}, date=dt.date(2023, 1, 10),
                     birth=dt.date(1950, 3, 3))
    b.set_status("T4", "not_evaluable", "not visible")
    b.set_reader_grade("L2", 0.5)
    f = make_reading({"T12": (70.0, 95.0, 100.0), "L1": (100.0, 65.0, 100.0)},
                     date=dt.date(2024, 1, 12), birth=dt.date(1950, 3, 3))
    f.set_status("T4", "not_evaluable", "not visible")
    paths = []
    for r, n in ((b, "base"), (f, "follow")):
        make_film(tmp_path / f"{n}.dcm", r, name=NAME)
        r.image_path = f"{n}.dcm"
        save_reading(r, tmp_path / f"{n}.json")
        paths.append(tmp_path / f"{n}.json")
    return b, f, paths


def test_report_cli_follow_up(tmp_path, visits):
    b, f, (bj, fj) = visits
    out = tmp_path / "report.pdf"
    p = vfa("report", fj, bj, "-o", out)  # any order: baseline is the earliest
    assert p.returncode == 0, p.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    pages = pdftotext_pages(out)
    assert len(pages) >= 3
    text = "\n".join(pages)
    for lv in LEVELS:
        assert lv.value in text
    assert "SDI" in text
    sf = summarize(f)
    assert f"SDI {sf.sdi}" in text and f"SDI {summarize(b).sdi}" in text
    assert "INCIDENT" in text.upper() and "incident" in text
    assert "not visible" in text and "Not evaluable (1)" in text
    assert "Doe^Jane" in text and "P1" in text and "1950-03-03" in text
    assert "Trends over time" in text
    # spacing source and method version on every page (footer)
    for page in pages:
        assert "Spacing source" in page and "Pixel Spacing (calibrated)" in page
        assert "vfa-six-point/3" in page


def test_report_renders_with_pdftoppm(tmp_path, visits):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    b, f, _ = visits
    out = write_report([VisitInput(b, tmp_path / "base.dcm"), VisitInput(f, tmp_path / "follow.dcm")],
                       tmp_path / "r.pdf")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(out),
                    str(tmp_path / "page")], check=True, timeout=120)
    png = next(tmp_path.glob("page*.png"))
    import cv2
    img = cv2.imread(str(png))
    assert img is not None and img.shape[0] > 300
    # the annotated film is in colour (markers), the rest of the page is black on white
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    assert (hsv[..., 1] > 120).sum() > 50


def test_report_deidentified_has_no_identifiers(tmp_path, visits):
    b, f, (bj, fj) = visits
    out = tmp_path / "deid.pdf"
    p = vfa("report", bj, fj, "-o", out, "--deidentify")
    assert p.returncode == 0, p.stderr
    text = "\n".join(pdftotext_pages(out))
    assert "Doe" not in text and "Jane" not in text
    assert "1950-03-03" not in text and "1950" not in text
    assert "Patient ID" not in text
    assert "73 years" in text and "de-identified" in text


def test_deidentified_report_hides_films_with_burned_in_annotation(tmp_path):
    r = make_reading(date=dt.date(2024, 1, 12))
    make_film(tmp_path / "film.dcm", r, burned_in=True)
    out = write_report([VisitInput(r, tmp_path / "film.dcm")], tmp_path / "r.pdf", deidentify=True)
    text = "\n".join(pdftotext_pages(out))
    assert "burned-in annotation" in text


def test_paediatric_note_and_missing_film(tmp_path):
    r = make_reading({"L1": (75.0, 100.0, 100.0)}, date=dt.date(2024, 1, 12),
                     birth=dt.date(2014, 5, 1))
    r.image_path = "missing.dcm"
    rj = tmp_path / "child.json"
    save_reading(r, rj)
    out = tmp_path / "child.pdf"
    p = vfa("report", rj, "-o", out)
    assert p.returncode == 1 and "--allow-missing-images" in p.stderr and not out.exists()
    p = vfa("report", rj, "-o", out, "--allow-missing-images")
    assert p.returncode == 0, p.stderr
    text = " ".join(" ".join(pdftotext_pages(out)).split())
    assert "Paediatric" in text and "advisory" in text
    assert "film not available" in text
    assert "9.7 years" in text


def test_report_from_workspace_patient_id(tmp_path, visits):
    b, f, _ = visits
    ws_dir = tmp_path / "ws"
    ws = Workspace(ws_dir)
    for r in (b, f):
        r.image_path = str(tmp_path / Path(r.image_path).name)
        ws.save(r)
    ws.close()
    out = tmp_path / "ws.pdf"
    p = vfa("report", "P1", "-o", out, "--workspace", ws_dir)
    assert p.returncode == 0, p.stderr
    text = "\n".join(pdftotext_pages(out))
    assert "follow-up 1" in text and "INCIDENT" in text


def test_report_cli_errors_are_one_line(tmp_path, visits):
    b, f, (bj, fj) = visits
    for args, pattern in (
        (["report", tmp_path / "nope.json", "-o", tmp_path / "x.pdf"], "does not exist"),
        (["report", "UNKNOWN-PATIENT", "-o", tmp_path / "x.pdf", "--workspace", tmp_path / "ws"],
         "no saved readings"),
    ):
        p = vfa(*args)
        assert p.returncode == 1 and "Traceback" not in p.stderr
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        assert len(lines) == 1 and pattern in lines[0], p.stderr
    other = make_reading(patient_id="P2")
    oj = tmp_path / "other.json"
    save_reading(other, oj)
    p = vfa("report", bj, oj, "-o", tmp_path / "x.pdf")
    assert p.returncode == 1 and "different patients" in p.stderr
    assert not (tmp_path / "x.pdf").exists()


# --------------------------------------------------------------------------------------
# annotate.py (pure numpy/cv2)
# --------------------------------------------------------------------------------------
def test_annotate_draws_in_grade_colours_at_scaled_positions():
    r = make_reading({"T12": (55.0, 100.0, 100.0)})
    r.set_status("T5", "not_evaluable", "hardware")
    gray = np.full((1000, 200), 40, np.uint8)  # half-size display of a 2000 x 400 film
    out = draw_reading(gray, r, stored_shape=(2000, 400))
    assert out.shape == (1000, 200, 3) and out.dtype == np.uint8
    assert gray.max() == 40  # input untouched
    res = {x.level: x for x in measure_reading(r)}
    assert res[Level.T12].grade == 3
    # T12's superior anterior corner (100, 1135) -> display (50, 567.5) -> index (49.5, 567)
    from vfa.method.levels import PointSlot
    sa = r.vertebrae[Level.T12].points[PointSlot.SUPERIOR_ANTERIOR]
    assert sa == (100.0, 1135.0)
    x, y = int(sa[0] / 2), int(sa[1] / 2)
    patch = out[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3)
    red = np.array(GRADE_COLOURS[3])
    assert (np.abs(patch.astype(int) - red).sum(axis=1) < 60).any()
    assert label_for(Level.T12, res[Level.T12]).startswith("T12 G3")
    assert label_for(Level.T5, res[Level.T5]) == "T5 n/e"
    # the suggestion is unconfirmed: "?" on the film; once confirmed, no mark
    assert label_for(Level.T12, res[Level.T12]) == "T12 G3? wedge"
    r.set_confirmed("T12")
    t12 = next(x for x in measure_reading(r) if x.level is Level.T12)
    assert label_for(Level.T12, t12) == "T12 G3 wedge"


def test_annotate_rejects_bad_images():
    r = make_reading()
    with pytest.raises(ValueError, match="uint8"):
        draw_reading(np.zeros((10, 10), np.float32), r)
