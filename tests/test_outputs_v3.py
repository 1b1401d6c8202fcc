"""Clinical method v3 in every output (issue 19, "Where it shows"): the PDF report, the CSV
export, the cohort and the timeline carry p_fracture, p_change, within_noise, the measurement
noise and "crush n/a"."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from readings_factory import make_reading
from test_sr import make_film
from vfa.method.comparison import compare
from vfa.method.levels import Level
from vfa.method.noise import p_change, phi
from vfa.outputs.export_csv import export_csv, summary_path_for
from vfa.outputs.report_pdf import VisitInput, change_lines, write_report

NAME = "Doe^Jane"


def pair(birth: dt.date | None = dt.date(1950, 3, 3)):
    """Baseline and follow-up: T9 incident far beyond the noise; L1 graded 1 -> 2 by the
    reader with 24.9 % -> 25.1 % measured (within noise), its crush not assessable (T11 a
    26 % wedge and L2-L4 not read leave two reference levels)."""
    b = make_reading({"T11": (74.0, 100.0, 100.0), "L1": (75.1, 100.0, 100.0)},
                     date=dt.date(2023, 1, 10), birth=birth)
    f = make_reading({"T9": (70.0, 100.0, 100.0), "T11": (74.0, 100.0, 100.0), "L1": (74.9, 100.0, 100.0)},
                     date=dt.date(2024, 1, 12), birth=birth)
    for r, g in ((b, 1), (f, 2)):
        for lv in ("L2", "L3", "L4"):
            r.remove_vertebra(lv)
        r.set_reader_grade("L1", g)
    return b, f


def test_the_pair_has_what_the_outputs_show():
    b, f = pair()
    c = compare(b, f)
    l1 = c.changes[Level.L1.index]
    assert l1.within_noise and c.within_noise == [Level.L1]
    assert c.baseline.results[Level.L1.index].crush_na and c.followup.results[Level.L1.index].crush_na
    assert c.incident == [Level.T9]
    assert change_lines(c) == [
        f"T9 incident (P = {c.changes[Level.T9.index].p_change:.2f} that it truly worsened)",
        "L1 worsened 1→2, within measurement noise (change 0.2 points, LSC 8.3)"]


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_report_change_table_words_noise_and_crush_na(tmp_path):
    b, f = pair()
    for r, n in ((b, "base"), (f, "follow")):
        make_film(tmp_path / f"{n}.dcm", r, name=NAME)
    out = write_report([VisitInput(b, tmp_path / "base.dcm"), VisitInput(f, tmp_path / "follow.dcm")],
                       tmp_path / "r.pdf")
    text = _pdf_text(out)
    flat = " ".join(text.split())
    assert "T9 incident (P = 1.00 that it truly worsened)" in flat
    assert "L1 worsened 1→2, within measurement noise (change 0.2 points, LSC 8.3)" in flat
    assert "within measurement noise: L1" in flat
    assert "within noise" in flat and "P = 1.00 worse" in flat
    assert "crush n/a" in flat
    assert "SD 3.0 points (setting precision_sd_pct), LSC 8.3 points" in flat
    # the per-level table: P fx of T11 (26 %: Φ(2) = 0.98) and the grade with crush n/a beside it
    assert "P fx" in flat and " 0.98 " in flat
    if shutil.which("pdftoppm") is not None:
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "2", "-l", "2", str(out),
                        str(tmp_path / "page")], check=True, timeout=120)
        assert list(tmp_path.glob("page*.png"))


def test_report_says_reshaping_not_assessed_with_the_age_unknown(tmp_path):
    b, f = pair(birth=None)
    out = write_report([VisitInput(b), VisitInput(f)], tmp_path / "r.pdf", allow_missing_images=True)
    assert "reshaping not assessed (age unknown)" in " ".join(_pdf_text(out).split())


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_has_the_v3_columns(tmp_path):
    b, f = pair(birth=None)
    out = tmp_path / "x.csv"
    export_csv([b, f], out)
    rows = {(r["study_date"], r["level"]): r for r in _rows(out)}
    base_t11 = rows[("2023-01-10", "T11")]
    assert float(base_t11["p_fracture"]) == pytest.approx(round(phi(2.0), 4))
    assert base_t11["p_change"] == "" and base_t11["within_noise"] == ""   # the baseline
    l1 = rows[("2024-01-12", "L1")]
    assert l1["within_noise"] == "true" and l1["crush_assessable"] == "false"
    assert float(l1["p_change"]) == pytest.approx(round(p_change(24.9, 25.1, 3.0), 4), abs=2e-4)
    assert rows[("2024-01-12", "T10")]["within_noise"] == "false"
    assert rows[("2024-01-12", "L3")]["p_fracture"] == ""                 # not read
    s = {r["study_date"]: r for r in _rows(summary_path_for(out))}
    fu = s["2024-01-12"]
    assert fu["within_noise"] == "1" and fu["within_noise_levels"] == "L1"
    assert fu["sd_pct"] == "3.0" and fu["sd_source"] == "setting" and fu["lsc_pct"] == "8.3"
    assert fu["reshaped_levels"] == "not assessed"
    assert s["2023-01-10"]["sd_pct"] == ""


def test_cohort_and_timeline_carry_within_noise_and_reshaping_not_assessed(tmp_path):
    from vfa.study.cohort import interval_bits, text_lines
    from vfa.study.timeline import patient_course
    b, f = pair(birth=None)
    course = patient_course([b, f])
    o = course.overall
    assert o is not None and o.within_noise == (Level.L1,) and not o.reshaping_assessed
    d = o.to_dict()
    assert d["reshaped_levels"] is None and d["reshaping_assessed"] is False
    assert d["within_noise_levels"] == ["L1"]
    assert "within noise L1" in interval_bits(d) and "reshaping not assessed (age unknown)" in interval_bits(d)
    cell = course.cell(Level.L1, 1)
    assert cell.within_noise and cell.p_change == pytest.approx(p_change(24.9, 25.1, 3.0), abs=1e-3)
    assert not course.cell(Level.T9, 1).within_noise

    from vfa.study.cohort import build_cohort
    cohort = build_cohort([b, f])
    pd = cohort.patient_dicts()[0]
    assert pd["reshaped"] is None and pd["reshaped_levels"] is None and pd["reshaping_assessed"] is False
    assert pd["within_noise_levels"] == ["L1"]
    s = cohort.summary()
    assert s["patients_reshaping_not_assessed"] == 1 and s["patients_with_within_noise"] == 1
    assert s["patients_with_reshaping"] == 0
    lines = "\n".join(text_lines(cohort))
    assert "n/a" in lines and "not assessed in 1, age unknown" in lines
    assert "1 with a confirmed change within measurement noise (1 level(s))" in lines

    # a child with a known age: reshaping assessed, none found -> 0, not null
    kb, kf = pair(birth=dt.date(2015, 1, 1))
    o2 = patient_course([kb, kf]).overall
    assert o2 is not None and o2.reshaping_assessed and o2.to_dict()["reshaped_levels"] == []


# ------------------------------------------------------------------ DICOM SR
def _items(ds, out=None):
    """(level or 'T4-L4', concept code value, item) for every item under a measurement group."""
    out = [] if out is None else out
    for grp in ds.ContentSequence[-1].ContentSequence:             # Imaging Measurements
        items = list(grp.ContentSequence)
        ident = next(str(i.TextValue) for i in items if i.ConceptNameCodeSequence[0].CodeValue == "112039")
        out += [(ident, i.ConceptNameCodeSequence[0].CodeValue, i) for i in items]
    return out


def _num(item) -> float:
    return float(item.MeasuredValueSequence[0].NumericValue)


def test_sr_carries_probabilities_noise_and_round_trips(tmp_path):
    import pydicom
    from cli_runner import run_vfa
    from vfa.outputs import sr
    from vfa.reading.reading import load_reading, save_reading
    b, f = pair()
    film = tmp_path / "follow.dcm"
    make_film(film, f, name=NAME)
    f.image_path = "follow.dcm"
    bj, fj = save_reading(b, tmp_path / "b.json"), save_reading(f, tmp_path / "f.json")
    out = tmp_path / "sr.dcm"
    p = run_vfa("export-sr", fj, "--baseline", bj, "-o", out)
    assert p.returncode == 0, p.stderr
    ds = pydicom.dcmread(out)
    items = _items(ds)
    got = {(lv, code): it for lv, code, it in items if lv and code in (
        "P-FRACTURE", "P-CHANGE", "WITHIN-NOISE", "MEAS-SD", "LSC", "MEAS-SD-SOURCE", "CRUSH-NA")}
    c = compare(b, f)
    fu = c.followup.results
    assert _num(got[("T11", "P-FRACTURE")]) == pytest.approx(fu[Level.T11.index].p_fracture, abs=1e-4)
    assert _num(got[("T9", "P-CHANGE")]) == pytest.approx(c.changes[Level.T9.index].p_change, abs=1e-4)
    assert got[("L1", "WITHIN-NOISE")].ConceptCodeSequence[0].CodeValue == "373066001"   # SCT Yes
    assert got[("T9", "WITHIN-NOISE")].ConceptCodeSequence[0].CodeValue == "373067005"   # SCT No
    assert got[("L1", "CRUSH-NA")].TextValue == "too few reference levels"
    assert _num(got[("T4-L4", "MEAS-SD")]) == 3.0 and _num(got[("T4-L4", "LSC")]) == 8.3
    assert "setting precision_sd_pct" in got[("T4-L4", "MEAS-SD-SOURCE")].TextValue
    assert ("L2", "P-FRACTURE") not in got                        # not read: no probability
    # without a baseline: P-FRACTURE, no P-CHANGE
    alone = _items(pydicom.dcmread(sr.export_sr(f, tmp_path / "alone.dcm", image=film)))
    codes = {code for _lv, code, _ in alone}
    assert "P-FRACTURE" in codes and "P-CHANGE" not in codes and "WITHIN-NOISE" not in codes
    # import: the derived values are recomputed from the points, the reading comes back whole
    back = load_reading(save_reading(sr.import_sr(out), tmp_path / "back.json"))
    # (points are FL in the SR: equal to 1e-4)
    assert [r.p_fracture for r in compare(b, back).followup.results] == pytest.approx(
        [r.p_fracture for r in fu], abs=1e-4)
    assert compare(b, back).within_noise == [Level.L1]
    if shutil.which("dciodvfy") is not None:
        p = subprocess.run(["dciodvfy", str(out)], capture_output=True, timeout=120)
        text = (p.stdout + p.stderr).decode("utf-8", errors="replace")
        assert not [line for line in text.splitlines() if line.startswith("Error")], text
        warnings = [line for line in text.splitlines() if line.startswith("Warning")]
        assert not [w for w in warnings if "99VFA" not in w and sr.SCHEME_UID not in w], text
