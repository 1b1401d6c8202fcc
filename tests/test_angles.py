"""Kyphosis (modified Cobb T4–T12), centroid angle and the L1–L4 angle (vfa/method/angles.py)."""

from __future__ import annotations

import json
import math

import pytest

from vfa.method import angles
from vfa.films.calibration import Spacing, SpacingSource
from vfa.cli import main
from vfa.method.levels import LEVELS, Level
from vfa.reading.reading import Reading, save_reading


def synthetic_spine(lean_deg: dict[Level, float], *, facing: str = "left", tilt_deg: float = 0.0,
                    row_mm: float = 0.2, col_mm: float = 0.2, height_mm: float = 24.0,
                    depth_mm: float = 30.0, gap_mm: float = 6.0) -> Reading:
    """Rectangular bodies whose axes lean anteriorly by ``lean_deg`` (per level, degrees),
    chained centre to centre along the mean of neighbouring axes, in anatomical millimetres
    (p = anterior -> posterior, c = caudal), then mirrored for ``facing``, rotated by
    ``tilt_deg`` and converted to pixels with the given spacing."""
    spacing = (Spacing(row_mm, col_mm, SpacingSource.PIXEL_SPACING) if row_mm != col_mm or row_mm != 1
               else Spacing.uncalibrated())
    r = Reading(patient_id="ANG", sop_instance_uid="1.2.3.4", spacing=spacing)
    sx = 1.0 if facing == "left" else -1.0   # anterior on the left: posterior = +x
    th = math.radians(tilt_deg)

    def to_px(p: float, c: float) -> tuple[float, float]:
        x, y = sx * p, c                        # anatomical -> film mm (y down = caudal)
        xr = x * math.cos(th) - y * math.sin(th) + 150.0
        yr = x * math.sin(th) + y * math.cos(th) + 40.0
        return (xr / col_mm, yr / row_mm)

    levels = [lv for lv in LEVELS if lv in lean_deg]
    centre = (0.0, 0.0)
    prev = None
    for lv in levels:
        b = math.radians(lean_deg[lv])
        if prev is not None:
            m = (b + prev) / 2
            step = height_mm + gap_mm
            centre = (centre[0] - step * math.sin(m), centre[1] + step * math.cos(m))
        prev = b
        t = (-math.sin(b), math.cos(b))       # axis, caudal (anterior lean b)
        e = (math.cos(b), math.sin(b))        # endplate, anterior -> posterior
        pts = {}
        for end, k in (("superior", -0.5), ("inferior", 0.5)):
            for pos, j in (("anterior", -0.5), ("middle", 0.0), ("posterior", 0.5)):
                p = centre[0] + k * height_mm * t[0] + j * depth_mm * e[0]
                c = centre[1] + k * height_mm * t[1] + j * depth_mm * e[1]
                pts[f"{end}_{pos}"] = to_px(p, c)
        r.set_points(lv, pts)
    return r


def linear_leans(first: Level, last: Level, total_deg: float, start: float = -20.0) -> dict[Level, float]:
    span = LEVELS[first.index:last.index + 1]
    step = total_deg / (len(span) - 1)
    return {lv: start + i * step for i, lv in enumerate(span)}


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("tilt", [0.0, 17.0, -33.0, 40.0])
@pytest.mark.parametrize("spacing", [(0.2, 0.2), (0.15, 0.3), (1.0, 1.0)])
def test_kyphosis_of_rotated_mirrored_spines(facing, tilt, spacing):
    # T4..T12 leaning from -20 deg to +28 deg: the endplates of T4 (top) and T12 (bottom)
    # differ by 48 deg; centroid tangents T4->T5 and T11->T12 differ by 7/8 of it (42 deg).
    r = synthetic_spine(linear_leans(Level.T4, Level.T12, 48.0), facing=facing, tilt_deg=tilt,
                        row_mm=spacing[0], col_mm=spacing[1])
    a = angles.kyphosis(r)
    assert a is not None and a.levels == "T4–T12"
    assert a.cobb_deg == pytest.approx(48.0, abs=0.1)
    assert a.centroid_deg == pytest.approx(42.0, abs=0.1)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("tilt", [0.0, 25.0])
def test_lordosis_l1_l4_positive_when_converging_posteriorly(facing, tilt):
    # Lumbar bodies lean less and less anteriorly going down: lordosis of 30 deg.
    r = synthetic_spine(linear_leans(Level.L1, Level.L4, -30.0, start=10.0), facing=facing,
                        tilt_deg=tilt, row_mm=0.3, col_mm=0.2)
    a = angles.lordosis_l1_l4(r)
    assert a is not None and a.levels == "L1–L4"
    assert a.cobb_deg == pytest.approx(30.0, abs=0.1)
    assert a.centroid_deg == pytest.approx(20.0, abs=0.1)  # tangents L1->L2 vs L3->L4
    assert angles.kyphosis(r) is None  # no thoracic level


def test_hand_computed_cobb_and_sign():
    # Facing left (anterior at small x). T4's superior endplate rises 10 px over 40 px going
    # posteriorly, T12's inferior endplate falls 10 px: the anterior ends are closer together
    # (converging anteriorly) -> kyphosis +2*atan(10/40) = 28.07 deg.
    r = Reading(patient_id="H", spacing=Spacing.uncalibrated())
    r.set_points("T4", {"superior_anterior": (100, 100), "superior_middle": (120, 95),
                        "superior_posterior": (140, 90), "inferior_anterior": (100, 130),
                        "inferior_middle": (120, 125), "inferior_posterior": (140, 120)})
    r.set_points("T12", {"superior_anterior": (100, 370), "superior_middle": (120, 375),
                         "superior_posterior": (140, 380), "inferior_anterior": (100, 400),
                         "inferior_middle": (120, 405), "inferior_posterior": (140, 410)})
    a = angles.kyphosis(r)
    assert a.cobb_deg == pytest.approx(2 * math.degrees(math.atan(10 / 40)), abs=0.01)
    assert a.centroid_deg is None  # two levels: no centroid angle
    # The mirror image (facing right) gives the same sign.
    m = Reading(patient_id="H", spacing=Spacing.uncalibrated())
    for v in r:
        m.set_points(v.level, {s.value: (500 - x, y) for s, (x, y) in v.points.items()})
    assert angles.kyphosis(m).cobb_deg == pytest.approx(a.cobb_deg, abs=1e-9)
    # Lines that converge posteriorly are a negative kyphosis (thoracic lordosis).
    f = Reading(patient_id="H", spacing=Spacing.uncalibrated())
    f.set_points("T4", {"superior_anterior": (100, 90), "superior_middle": (120, 95),
                        "superior_posterior": (140, 100), "inferior_anterior": (100, 120),
                        "inferior_middle": (120, 125), "inferior_posterior": (140, 130)})
    f.set_points("T12", {"superior_anterior": (100, 380), "superior_middle": (120, 375),
                         "superior_posterior": (140, 370), "inferior_anterior": (100, 410),
                         "inferior_middle": (120, 405), "inferior_posterior": (140, 400)})
    assert angles.kyphosis(f).cobb_deg == pytest.approx(-a.cobb_deg, abs=1e-9)


def test_non_square_pixels_are_corrected():
    # The same anatomy sampled with 0.1 x 0.3 mm pixels gives the same angle; reading the
    # pixels as square would not.
    leans = linear_leans(Level.T4, Level.T12, 40.0)
    r = synthetic_spine(leans, row_mm=0.1, col_mm=0.3)
    assert angles.kyphosis(r).cobb_deg == pytest.approx(40.0, abs=0.1)
    r.spacing = Spacing.uncalibrated()  # wrong aspect: a different number
    assert abs(angles.kyphosis(r).cobb_deg - 40.0) > 1.0
    # Uncalibrated with the Pixel Aspect Ratio (row 1 : column 3) is right again.
    r.spacing = Spacing.uncalibrated((1.0, 3.0))
    assert angles.kyphosis(r).cobb_deg == pytest.approx(40.0, abs=0.1)


def test_missing_end_levels_move_inward_and_are_named():
    leans = linear_leans(Level.T4, Level.T12, 48.0)
    r = synthetic_spine(leans)
    r.set_status("T4", "not_evaluable", "not visible")
    r.remove_vertebra("T12")
    a = angles.kyphosis(r)
    assert a.levels == "T5–T11"
    assert a.cobb_deg == pytest.approx(leans[Level.T11] - leans[Level.T5], abs=0.1)
    # Fewer than two usable levels: null.
    for lv in LEVELS[1:9]:
        if lv != Level.T8:
            r.remove_vertebra(lv)
    assert angles.kyphosis(r) is None
    assert angles.angles_dict(r) == {"kyphosis": None, "lordosis_l1_l4": None}


def test_grade_json_text_and_csv(tmp_path, capsys):
    r = synthetic_spine({**linear_leans(Level.T4, Level.T12, 48.0),
                         **linear_leans(Level.L1, Level.L4, -30.0, start=12.0)})
    p = save_reading(r, tmp_path / "r.json")
    assert main(["grade", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kyphosis"]["levels"] == "T4–T12"
    assert out["kyphosis"]["cobb_deg"] == pytest.approx(48.0, abs=0.1)
    assert out["kyphosis"]["centroid_deg"] == pytest.approx(42.0, abs=0.1)
    assert out["lordosis_l1_l4"]["cobb_deg"] == pytest.approx(30.0, abs=0.1)
    assert main(["grade", str(p)]) == 0
    text = capsys.readouterr().out
    assert "Kyphosis T4–T12: Cobb 48.0°, centroid 42.0°" in text
    assert "Lordosis L1–L4: Cobb 30.0°" in text

    from vfa.outputs.export_csv import export_csv
    import csv
    _, summary, _, _ = export_csv([r], tmp_path / "o.csv")
    row = next(csv.DictReader(summary.open(encoding="utf-8")))
    assert float(row["kyphosis_cobb_deg"]) == pytest.approx(48.0, abs=0.1)
    assert row["kyphosis_levels"] == "T4–T12"
    assert float(row["lordosis_l1_l4_cobb_deg"]) == pytest.approx(30.0, abs=0.1)


def test_compare_reports_the_change_of_the_angles(tmp_path, capsys):
    import datetime as dt
    b = synthetic_spine(linear_leans(Level.T4, Level.T12, 40.0))
    f = synthetic_spine(linear_leans(Level.T4, Level.T12, 48.0))
    f.remove_vertebra("T4")
    b.study_date, f.study_date = dt.date(2023, 1, 1), dt.date(2024, 1, 1)
    pb, pf = save_reading(b, tmp_path / "b.json"), save_reading(f, tmp_path / "f.json")
    assert main(["compare", str(pb), str(pf), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    k = out["kyphosis_change"]
    assert k["same_levels"] is False and k["levels"] == "T4–T12 → T5–T12"
    assert k["cobb_deg"] == pytest.approx((48.0 - 6.0) - 40.0, abs=0.1)   # T5 leans 6 deg more
    assert out["lordosis_l1_l4_change"] is None
    assert main(["compare", str(pb), str(pf)]) == 0
    assert "Kyphosis T4–T12 → T5–T12 change: Cobb +2.0°" in capsys.readouterr().out


def test_pdf_report_shows_angles_and_their_change(tmp_path):
    import datetime as dt
    from test_report import pdftotext_pages
    from vfa.outputs.report_pdf import VisitInput, write_report
    b = synthetic_spine(linear_leans(Level.T4, Level.T12, 40.0))
    f = synthetic_spine(linear_leans(Level.T4, Level.T12, 48.0))
    for r, d in ((b, dt.date(2023, 1, 1)), (f, dt.date(2024, 1, 1))):
        r.study_date = d
    out = write_report([VisitInput(b), VisitInput(f)], tmp_path / "r.pdf")
    text = " ".join(" ".join(p.split()) for p in pdftotext_pages(out))
    assert "Kyphosis T4–T12: Cobb 40.0°, centroid 35.0°" in text
    assert "Kyphosis T4–T12: Cobb 48.0°, centroid 42.0°" in text
    assert "Kyphosis T4–T12 change: Cobb +8.0°, centroid +7.0°" in text
    assert "Lordosis: not measurable" in text
    assert "Thoracic kyphosis (degrees" in text


def test_sr_carries_the_angles_with_their_codes(tmp_path):
    from pydicom import dcmread
    from test_sr import make_film
    from vfa.outputs import sr
    r = synthetic_spine(linear_leans(Level.T4, Level.T12, 48.0))
    make_film(tmp_path / "f.dcm", r, rows=2400, cols=900)
    r.image_path = str(tmp_path / "f.dcm")
    out = sr.export_sr(r, tmp_path / "sr.dcm")
    ds = dcmread(out)
    found = {}

    def walk(items):
        for it in items:
            name = it.ConceptNameCodeSequence[0].CodeValue if "ConceptNameCodeSequence" in it else None
            if it.ValueType == "NUM":
                mv = it.MeasuredValueSequence[0]
                found[name] = (float(mv.NumericValue), mv.MeasurementUnitsCodeSequence[0].CodeValue)
            elif it.ValueType == "TEXT":
                found[name] = it.TextValue
            walk(getattr(it, "ContentSequence", []))
    walk(ds.ContentSequence)
    assert found["KYPH-COBB"][0] == pytest.approx(48.0, abs=0.1) and found["KYPH-COBB"][1] == "deg"
    assert found["KYPH-CENTROID"][0] == pytest.approx(42.0, abs=0.1)
    assert found["KYPH-LEVELS"] == "T4–T12"
    assert "LORD-L1L4-COBB" not in found  # no lumbar level: no angle
    # The SR still imports (the angles are recomputed from the points).
    back = sr.import_sr(out)
    assert angles.kyphosis(back).cobb_deg == pytest.approx(48.0, abs=0.1)


def test_phantom_films_facing_and_tilt_give_the_same_angles():
    from vfa.synthetic.phantom import make_film, reference_reading
    from vfa.synthetic.samples import SAMPLES
    base = SAMPLES[1].spec.with_(rows=900, cols=650, pixel_mm=0.33)
    got = set()
    for facing, tilt in (("left", -10.0), ("right", 12.0)):
        r = reference_reading(make_film(base.with_(facing=facing, tilt_deg=tilt)))
        k, l = angles.kyphosis(r), angles.lordosis_l1_l4(r)
        assert k.cobb_deg > 20 and l.cobb_deg > 5   # a kyphotic thorax and a lordotic lumbar spine
        got.add((round(k.cobb_deg, 1), round(k.centroid_deg, 1), round(l.cobb_deg, 1)))
    assert len(got) == 1


def test_a_change_that_rounds_to_zero_has_no_sign():
    a = synthetic_spine(linear_leans(Level.T4, Level.T12, 40.0))
    b = synthetic_spine(linear_leans(Level.T4, Level.T12, 40.0 - 1e-4))
    text = angles.describe_change(angles.kyphosis(a), angles.kyphosis(b), "Kyphosis")
    assert text == "Kyphosis T4–T12 change: Cobb 0.0°, centroid 0.0°"
