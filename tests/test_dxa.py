"""DXA-VFA images: load, display and read them; the committed DXA sample; proposals on it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from vfa.reading.autoplace import LOW_CONFIDENCE, film_from_radiograph, propose_span, propose_vertebra
from vfa.films.calibration import SpacingSource
from vfa.films.display import default_settings, render
from vfa.method.levels import LEVELS, PointSlot
from vfa.method.morphometry import summarize
from vfa.synthetic.phantom import dxa_image, dxa_spec, make_film, write_dxa_dicom
from vfa.films.radiograph import load_radiograph
from vfa.reading.reading import Reading, load_reading
from vfa.synthetic.samples import SAMPLES

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "sample_dicoms" / "manifest.json").read_text(encoding="utf-8"))
(DXA,) = MANIFEST["dxa_films"]


@pytest.fixture(scope="module")
def dxa_film():
    return make_film(dxa_spec(SAMPLES[2].spec))


@pytest.mark.parametrize("encoding", ["mono8", "mono16", "rgb"])
@pytest.mark.parametrize("spacing", [True, False])
def test_dxa_encodings_load_with_their_spacing(tmp_path, dxa_film, encoding, spacing):
    path = tmp_path / "dxa.dcm"
    write_dxa_dicom(dxa_film, path, encoding=encoding, pixel_spacing=spacing)
    rg = load_radiograph(path)
    bits = 16 if encoding == "mono16" else 8
    assert rg.stored.dtype == (np.uint16 if bits == 16 else np.uint8)
    np.testing.assert_array_equal(rg.stored, dxa_image(dxa_film, bits))  # RGB: no loss
    assert rg.photometric == "MONOCHROME2"
    if encoding == "rgb":
        assert any("three equal channels read as grey" in w for w in rg.warnings)
    if spacing:
        assert rg.spacing.source is SpacingSource.PIXEL_SPACING_DETECTOR
        assert rg.spacing.row_mm == pytest.approx(0.5 / 1.02, rel=1e-5)
    else:
        assert rg.spacing.source is SpacingSource.UNCALIBRATED
    img = render(rg, default_settings(rg), None)
    assert img.shape == rg.shape and img.dtype == np.uint8
    # Bone is bright on screen: the body centres are brighter than the soft tissue in front.
    t8 = dxa_film.points[LEVELS[4]]
    cx, cy = np.mean([t8[s] for s in PointSlot], axis=0)
    assert img[int(cy), int(cx)] > img[int(cy), 5] + 40
    # A reading of the film measures heights in mm (pixels when uncalibrated).
    r = Reading.for_radiograph(rg, reader="dr-dxa")
    r.set_points("T8", {s: t8[s] for s in PointSlot})
    res = summarize(r).results[4]
    assert res.unit == ("mm" if spacing else "px") and res.heights.hp > 0


def test_committed_dxa_sample_and_its_reference(tmp_path):
    path = ROOT / DXA["dicom"]
    if shutil.which("dciodvfy"):
        p = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=120)
        assert [l for l in (p.stdout + p.stderr).splitlines() if l.startswith("Error")] == []
    rg = load_radiograph(path)
    assert rg.shape == (DXA["rows"], DXA["cols"])
    assert rg.spacing.source is SpacingSource.PIXEL_SPACING_DETECTOR
    ref = load_reading(ROOT / DXA["reference"])
    assert ref.sop_instance_uid == DXA["sop_instance_uid"]
    assert ((ROOT / DXA["reference"]).parent / ref.image_path).resolve() == path.resolve()
    grades = {x.level.value: x.grade for x in summarize(ref).results}
    assert grades == DXA["expected_grades"]
    # The same visit's radiograph has the same fractures (same anatomy, other modality).
    xr = next(e for e in MANIFEST["films"] if e["patient"] == DXA["patient"] and e["date"] == DXA["date"])
    assert grades == xr["expected_grades"]
    assert summarize(ref).paediatric is True


def test_proposals_on_the_dxa_sample_work_or_say_so():
    """One click at each body's centre: most levels land on the true points (about one
    0.5 mm pixel); a level that does not is flagged low-confidence, never silently wrong.
    Two clicks (T4, L4) find and label all 13 levels."""
    ref = load_reading(ROOT / DXA["reference"])
    F = film_from_radiograph(load_radiograph(ROOT / DXA["dicom"]))
    mm = ref.spacing.row_mm
    good, flagged, silent = [], [], []
    for lv in LEVELS:
        true = ref.get(lv).points
        c = tuple(np.mean([true[s] for s in PointSlot], axis=0))
        fit = propose_vertebra(F, c)
        err = max(float(np.hypot(*(np.array(fit.points[s]) - true[s]))) * mm for s in PointSlot)
        if err <= 1.5:
            good.append(lv.value)
        elif fit.overall_confidence < LOW_CONFIDENCE:
            flagged.append(lv.value)
        else:
            silent.append((lv.value, round(err, 1)))
    assert silent == []
    assert len(good) >= 11, (good, flagged)
    t4, l4 = (tuple(np.mean([ref.get(n).points[s] for s in PointSlot], axis=0)) for n in ("T4", "L4"))
    res = propose_span(F, ("T4", t4), ("L4", l4))
    assert len(res.fits) == 13
    centre_err = [np.hypot(*(np.array(fit.center) - np.mean([ref.get(lv).points[s] for s in PointSlot], axis=0)))
                  * mm for lv, fit in res.fits.items()]
    assert max(centre_err) < 3.0


def test_propose_says_plainly_that_dxa_is_not_its_home(tmp_path, capsys):
    from vfa.cli import main
    ref = load_reading(ROOT / DXA["reference"])
    x, y = np.mean([ref.get("T10").points[s] for s in PointSlot], axis=0)
    out = tmp_path / "p.json"
    assert main(["propose", str(ROOT / DXA["dicom"]), "--at", "T10", f"{x:.1f}", f"{y:.1f}",
                 "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "warning: DXA image: the proposals were developed on radiographs" in text
    # a radiograph gets no such note
    xr = next(e for e in MANIFEST["films"] if e["patient"] == DXA["patient"] and e["date"] == DXA["date"])
    xref = load_reading(ROOT / xr["reference"])
    x, y = np.mean([xref.get("T10").points[s] for s in PointSlot], axis=0)
    assert main(["propose", str(ROOT / xr["dicom"]), "--at", "T10", f"{x:.1f}", f"{y:.1f}",
                 "-o", str(tmp_path / "q.json")]) == 0
    assert "DXA image" not in capsys.readouterr().out
