"""The committed sample set (sample_dicoms/) matches vfa.synthetic.samples and tells its clinical story."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import JPEG2000Lossless

from vfa.films.calibration import SpacingSource, spacing_from_dataset
from vfa.method.levels import LEVELS, Level
from vfa.method.morphometry import summarize
from vfa.reading.reading import load_reading
from vfa.synthetic.samples import SAMPLES, build

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_dicoms"
MANIFEST = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
FILMS = MANIFEST["films"]


def _ds(entry: dict) -> pydicom.Dataset:
    return pydicom.dcmread(ROOT / entry["dicom"])


def _grades(entry: dict) -> dict[str, int]:
    r = load_reading(ROOT / entry["reference"])
    return {res.level.value: res.grade for res in summarize(r).results}


def _film(patient: str, visit_index: int) -> dict:
    return [e for e in FILMS if e["patient"] == patient][visit_index]


def test_manifest_matches_the_plan():
    assert len(FILMS) == len(SAMPLES)
    for e, f in zip(FILMS, SAMPLES):
        assert e["dicom"] == f"sample_dicoms/{f.dicom_rel}"
        assert e["reference"] == f"sample_dicoms/{f.reading_rel}"
        assert e["expected_grades"] == f.expected_grades()
        assert e["photometric"] == f.photometric and e["spacing_mode"] == f.spacing_mode
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    for e in FILMS:
        assert e["dicom"] in readme


def test_total_size_under_15_mb():
    total = sum(p.stat().st_size for p in SAMPLE_DIR.rglob("*") if p.is_file())
    assert total < 15 * 1024 * 1024


@pytest.mark.parametrize("entry", FILMS, ids=lambda e: e["dicom"])
def test_each_film_matches_its_manifest_entry(entry):
    ds = _ds(entry)
    assert ds.PhotometricInterpretation == entry["photometric"]
    assert ds.file_meta.TransferSyntaxUID == entry["transfer_syntax"]
    assert ds.StudyInstanceUID == entry["study_instance_uid"]
    assert ds.SOPInstanceUID == entry["sop_instance_uid"]
    assert ds.PatientID == entry["patient_id"] and str(ds.PatientName).startswith("SYNTHETIC^")
    assert ds.StudyDate == entry["date"].replace("-", "")
    assert (ds.Rows, ds.Columns) == (entry["rows"], entry["cols"])
    assert ds.ViewPosition == ("LL" if entry["facing"] == "left" else "RL")
    arr = ds.pixel_array
    assert arr.dtype == np.uint16 and arr.max() <= (1 << ds.BitsStored) - 1
    mode = entry["spacing_mode"]
    assert ("PixelSpacing" in ds) == (mode in ("pixel_spacing", "calibrated", "pixel_spacing_only"))
    assert ("ImagerPixelSpacing" in ds) == (mode in ("pixel_spacing", "calibrated", "imager_only",
                                                     "imager_with_magnification"))


def test_variants_present():
    modes = {e["spacing_mode"] for e in FILMS}
    assert {"imager_only", "none"} <= modes
    assert any(e["photometric"] == "MONOCHROME1" for e in FILMS)
    assert any(e["transfer_syntax"] == JPEG2000Lossless for e in FILMS)
    assert any(e["facing"] == "right" for e in FILMS) and any(e["facing"] == "left" for e in FILMS)
    assert any(abs(e["tilt_deg"]) >= 5 for e in FILMS)
    sources = {spacing_from_dataset(_ds(e)).source for e in FILMS}
    assert {SpacingSource.IMAGER_PIXEL_SPACING, SpacingSource.UNCALIBRATED,
            SpacingSource.PIXEL_SPACING} <= sources
    mono1 = [e for e in FILMS if e["photometric"] == "MONOCHROME1"][0]
    assert _ds(mono1).PresentationLUTShape == "INVERSE"


def test_uids_consistent_per_visit_and_patient():
    studies = [e["study_instance_uid"] for e in FILMS]
    assert len(set(studies)) == len(studies)          # one study per visit
    for patient in {e["patient"] for e in FILMS}:
        ids = {_ds(e).PatientID for e in FILMS if e["patient"] == patient}
        assert len(ids) == 1


@pytest.mark.parametrize("entry", FILMS, ids=lambda e: e["reference"])
def test_reference_reading_loads_and_matches(entry):
    r = load_reading(ROOT / entry["reference"])
    ds = _ds(entry)
    assert r.reader == "reference"
    # image_path is relative to the reading file itself (works from any current folder)
    ref = ROOT / entry["reference"]
    assert not Path(r.image_path).is_absolute() and "\\" not in r.image_path
    assert r.image_path.startswith("../")
    assert (ref.parent / r.image_path).resolve() == (ROOT / entry["dicom"]).resolve()
    assert r.sop_instance_uid == ds.SOPInstanceUID
    assert r.spacing.source is spacing_from_dataset(ds).source
    for lv in LEVELS:
        v = r.get(lv)
        assert v is not None and v.complete
        for x, y in v.points.values():
            assert 0 < x < ds.Columns and 0 < y < ds.Rows
    assert _grades(entry) == entry["expected_grades"]


def test_child_story():
    base, six, twelve = (_grades(_film("child01", i)) for i in range(3))
    assert all(summarize(load_reading(ROOT / _film("child01", i)["reference"])).paediatric
               for i in range(3))
    assert sum(g >= 1 for g in base.values()) >= 2                       # prevalent fractures
    incident = [lv for lv in base if base[lv] == 0 and six[lv] >= 1]
    worsened = [lv for lv in base if base[lv] >= 1 and six[lv] > base[lv]]
    assert incident or worsened
    assert incident == ["T9"]
    reshaped = [lv for lv in six if twelve[lv] < six[lv]]
    assert reshaped == ["L1"] and six["L1"] == 2 and twelve["L1"] == 1


def test_child_story_through_the_comparison():
    """The clinical method v2 account of the same story: confirmed reference reads, T9 a new
    fracture at 6 months, L1 reshaping at 12 months with its biconcave gain."""
    from vfa.method.comparison import compare
    base, six, twelve = (load_reading(ROOT / _film("child01", i)["reference"]) for i in range(3))
    assert all(summarize(r).unconfirmed == [] for r in (base, six, twelve))
    c6 = compare(base, six)
    assert c6.incident == [Level.T9] and c6.uncertain == [] and c6.reshaped == []
    c12 = compare(six, twelve)
    l1 = next(ch for ch in c12.changes if ch.level is Level.L1)
    assert c12.improved == [Level.L1] and l1.reshaping == "partial"
    assert l1.ratio_change_pp["biconcave"] >= 5.0
    assert l1.reshaping_text().startswith("L1 reshaped partially: biconcave ratio +")


def test_adult_story():
    base, follow = (_grades(_film("adult01", i)) for i in range(2))
    r = load_reading(ROOT / _film("adult01", 1)["reference"])
    assert summarize(r).paediatric is False
    assert base["L1"] == 2
    incident = [lv for lv in base if base[lv] == 0 and follow[lv] >= 1]
    assert incident == ["T12"]
    t12 = {x.level.value: x for x in summarize(r).results}["T12"]
    assert t12.suggested_type.value == "crush"


def test_regeneration_is_identical(tmp_path):
    """Rebuilding the smallest film reproduces the committed pixels, UIDs and reading."""
    f = min(SAMPLES, key=lambda s: s.spec.rows * s.spec.cols)
    out = tmp_path / "sample_dicoms"
    build(out, samples=[f])
    new = pydicom.dcmread(out / f.dicom_rel)
    old = pydicom.dcmread(SAMPLE_DIR / f.dicom_rel)
    assert new.SOPInstanceUID == old.SOPInstanceUID
    assert new.StudyInstanceUID == old.StudyInstanceUID
    assert np.array_equal(new.pixel_array, old.pixel_array)
    r_new, r_old = load_reading(out / f.reading_rel), load_reading(SAMPLE_DIR / f.reading_rel)
    assert r_new.image_path == r_old.image_path
    assert r_new.spacing == r_old.spacing
    for lv in LEVELS:
        assert r_new.vertebra(lv).points == r_old.vertebra(lv).points
