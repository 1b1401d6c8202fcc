"""vfa.synthetic.phantom: determinism, true points, deformities, geometry transforms, DICOM output."""

from __future__ import annotations

import datetime as dt
import math

import cv2
import numpy as np
import pydicom
import pytest
from pydicom.uid import (DigitalXRayImageStorageForPresentation, ExplicitVRLittleEndian,
                         JPEG2000Lossless, JPEGLSLossless, RLELossless)

from vfa.films.calibration import SpacingSource, spacing_from_dataset
from vfa.method.levels import LEVELS, DeformityType, Level, PointSlot
from vfa.method.morphometry import summarize
from vfa.synthetic.phantom import Deformity, FilmSpec, make_film, reference_reading, write_dicom
from vfa.reading.reading import load_reading, save_reading

S = PointSlot

# Small films keep the tests fast: 600 x 800 with coarse pixels so that T2-S1 fits.
ADULT = dict(rows=800, cols=600, pixel_mm=0.62, magnification=1.12, age_group="adult")
CHILD = dict(rows=800, cols=600, pixel_mm=0.42, magnification=1.10, age_group="child")


def small(**kw) -> FilmSpec:
    base = dict(ADULT)
    base.update(kw)
    return FilmSpec(**base)


@pytest.fixture(scope="module")
def fractured() -> tuple[FilmSpec, object]:
    spec = small(seed=5, deformities={Level.T7: Deformity("wedge", 0.30),
                                      Level.T12: Deformity("crush", 0.35),
                                      Level.L1: Deformity("biconcave", 0.25),
                                      Level.L3: Deformity("wedge", 0.22)})
    return spec, make_film(spec)


def test_same_seed_gives_identical_film():
    spec = small(seed=3, deformities={"T9": Deformity("wedge", 0.25)})
    a, b = make_film(spec), make_film(spec)
    assert a.image.dtype == np.uint16 and a.image.shape == (800, 600)
    assert np.array_equal(a.image, b.image)
    assert a.points == b.points


def test_different_seeds_differ():
    a, b = make_film(small(seed=1)), make_film(small(seed=2))
    assert not np.array_equal(a.image, b.image)
    assert np.mean(a.image != b.image) > 0.5
    assert a.points != b.points  # anatomy_seed defaults to seed: normal shapes vary too


def test_anatomy_seed_keeps_points_and_changes_noise():
    a = make_film(small(seed=1, anatomy_seed=9))
    b = make_film(small(seed=2, anatomy_seed=9))
    assert a.points == b.points
    assert not np.array_equal(a.image, b.image)


def test_points_inside_film_and_bits_stored():
    for kw in (ADULT, CHILD):
        film = make_film(FilmSpec(**kw, seed=4))
        xy = np.array([p for pts in film.points.values() for p in pts.values()])
        assert xy[:, 0].min() > 0 and xy[:, 0].max() < 600
        assert xy[:, 1].min() > 0 and xy[:, 1].max() < 800
        assert film.image.max() <= 4095
    film14 = make_film(small(bits_stored=14))
    assert film14.image.max() > 4095 and film14.image.max() <= 16383


@pytest.mark.parametrize("extra", [
    dict(),
    dict(facing="right", tilt_deg=-15.0),
    dict(tilt_deg=20.0, growth=1.04, **{k: v for k, v in CHILD.items()}),
])
def test_true_points_give_intended_percents(extra):
    kw = dict(ADULT)
    kw.update(extra)
    defs = {Level.T7: Deformity("wedge", 0.30), Level.T12: Deformity("crush", 0.35),
            Level.L1: Deformity("biconcave", 0.25), Level.L3: Deformity("wedge", 0.22)}
    film = make_film(FilmSpec(seed=8, deformities=defs, **kw))
    results = {r.level: r for r in summarize(reference_reading(film)).results}
    for lv in LEVELS:
        r = results[lv]
        if lv in defs:
            d = defs[lv]
            assert r.percent == pytest.approx(d.reduction * 100, abs=0.5), lv
            assert r.suggested_type is DeformityType(d.kind), lv
            assert r.suggested_grade == d.grade
        else:
            assert r.suggested_grade == 0, (lv, r.percent, r.suggested_type)
            assert r.percent < 15.0


def test_crush_reduces_posterior_height_against_neighbours(fractured):
    _, film = fractured
    res = {r.level: r for r in summarize(reference_reading(film)).results}
    t12 = res[Level.T12]
    # L1 (biconcave 25 %) and L3 (wedge 22 %) are no candidates: the line goes through T9-T11 and L2
    assert [lv.value for lv in t12.reference_levels] == ["T9", "T10", "T11", "L2"]
    assert t12.crush == pytest.approx(0.65, abs=1e-9)
    assert t12.wedge > 0.85 and t12.biconcave > 0.8


def test_deformity_validation():
    with pytest.raises(ValueError):
        Deformity("compression", 0.3)
    with pytest.raises(ValueError):
        Deformity("wedge", 0.95)
    with pytest.raises(ValueError, match="adjacent crush"):
        small(deformities={"T11": Deformity("crush", 0.3), "T12": Deformity("crush", 0.3)})
    with pytest.raises(ValueError):
        small(facing="up")
    assert Deformity("wedge", 0.2).grade == 1 and Deformity("wedge", 0.399).grade == 2


def test_facing_mirrors_points_and_image():
    common = dict(seed=6, noise=0.0, marker=False, deformities={"T8": Deformity("wedge", 0.3)})
    left = make_film(small(facing="left", **common))
    right = make_film(small(facing="right", **common))
    for lv in LEVELS:
        for s in S:
            xl, yl = left.points[lv][s]
            xr, yr = right.points[lv][s]
            assert xr == pytest.approx(600 - xl, abs=1e-9)
            assert yr == pytest.approx(yl, abs=1e-9)
    # the images are mirrors of each other too (up to the unmirrored random texture): the
    # best horizontal alignment is at shift 0, which fails if the renderer's pixel centres
    # were not at +0.5 (a half-pixel error moves the optimum by one column)
    a = cv2.GaussianBlur(left.image.astype(np.float32), (0, 0), 2)
    b = cv2.GaussianBlur(right.image[:, ::-1].astype(np.float32), (0, 0), 2)

    def err(shift: float) -> float:
        m = np.float32([[1, 0, shift], [0, 1, 0]])
        bb = cv2.warpAffine(b, m, (600, 800))
        return float(np.mean(np.abs(a[150:650, 10:-10] - bb[150:650, 10:-10])))

    e0 = err(0.0)
    assert e0 < err(-0.5) and e0 < err(0.5)
    assert e0 < 0.8 * min(err(-1.0), err(1.0))


@pytest.mark.parametrize("tilt", [12.0, -20.0])
def test_tilt_rotates_points_about_the_film_centre(tilt):
    off = (10.0, -6.0)
    base = make_film(small(seed=2, offset_mm=off))
    tilted = make_film(small(seed=2, offset_mm=off, tilt_deg=tilt))
    cx, cy = 300 + off[0] / 0.62, 400 + off[1] / 0.62
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    for lv in LEVELS:
        for slot in S:
            x, y = base.points[lv][slot]
            xt, yt = tilted.points[lv][slot]
            assert xt == pytest.approx(cx + (x - cx) * c - (y - cy) * s, abs=1e-6)
            assert yt == pytest.approx(cy + (x - cx) * s + (y - cy) * c, abs=1e-6)
    # clockwise as displayed: with anterior on the left, positive tilt moves T4 to the right
    if tilt > 0:
        assert (tilted.points[Level.T4][S.SUPERIOR_POSTERIOR][0]
                > base.points[Level.T4][S.SUPERIOR_POSTERIOR][0])


def test_magnification_scales_points():
    a = make_film(small(seed=2, magnification=1.0))
    b = make_film(small(seed=2, magnification=1.2))
    pa = np.array(a.points[Level.T4][S.SUPERIOR_ANTERIOR]) - (300, 400)
    pb = np.array(b.points[Level.T4][S.SUPERIOR_ANTERIOR]) - (300, 400)
    assert np.allclose(pb, 1.2 * pa)


def _sample(img: np.ndarray, p: np.ndarray) -> float:
    """Mean of the 3x3 pixels around DICOM image point p (pixel containing p at the centre)."""
    c, r = int(math.floor(p[0])), int(math.floor(p[1]))
    return float(img[r - 1:r + 2, c - 1:c + 2].mean())


@pytest.mark.parametrize("kw", [dict(ADULT), dict(CHILD, facing="right", tilt_deg=10.0)])
def test_body_brighter_than_disc_at_endplate_middles(kw):
    kw2 = dict(kw)
    kw2["pixel_mm"] = kw2["pixel_mm"] * 0.6     # finer pixels: a few pixels per mm
    kw2["rows"], kw2["cols"] = 1300, 1000
    spec = FilmSpec(seed=7, deformities={"L1": Deformity("biconcave", 0.3)}, **kw2)
    film = make_film(spec)
    px_per_mm = spec.magnification / spec.pixel_mm
    for lv in LEVELS:
        pts = {s: np.array(v) for s, v in film.points[lv].items()}
        axis = pts[S.SUPERIOR_MIDDLE] - pts[S.INFERIOR_MIDDLE]
        axis /= np.linalg.norm(axis)      # towards the head
        sup_in = _sample(film.image, pts[S.SUPERIOR_MIDDLE] - 2.0 * px_per_mm * axis)
        sup_out = _sample(film.image, pts[S.SUPERIOR_MIDDLE] + 1.0 * px_per_mm * axis)
        inf_in = _sample(film.image, pts[S.INFERIOR_MIDDLE] + 2.0 * px_per_mm * axis)
        inf_out = _sample(film.image, pts[S.INFERIOR_MIDDLE] - 1.0 * px_per_mm * axis)
        assert sup_in > sup_out, lv
        assert inf_in > inf_out, lv


def test_monochrome1_is_written_inverted(tmp_path):
    film = make_film(small(seed=1))
    d2 = write_dicom(film, tmp_path / "m2.dcm", photometric="MONOCHROME2")
    d1 = write_dicom(film, tmp_path / "m1.dcm", photometric="MONOCHROME1",
                     transfer_syntax=JPEG2000Lossless)
    m2 = pydicom.dcmread(tmp_path / "m2.dcm")
    m1 = pydicom.dcmread(tmp_path / "m1.dcm")
    assert m1.PhotometricInterpretation == "MONOCHROME1"
    assert m1.PresentationLUTShape == "INVERSE" and m2.PresentationLUTShape == "IDENTITY"
    assert np.array_equal(m1.pixel_array.astype(int), 4095 - m2.pixel_array.astype(int))
    assert float(m1.WindowCenter) == 4095 - float(m2.WindowCenter)
    assert float(m1.WindowWidth) == float(m2.WindowWidth)
    assert d1.SOPInstanceUID == d2.SOPInstanceUID  # same film, same derived UID


@pytest.mark.parametrize("mode, source, ps, ips", [
    ("pixel_spacing", SpacingSource.PIXEL_SPACING_DETECTOR, 0.62, 0.62),
    ("calibrated", SpacingSource.PIXEL_SPACING, 0.62 / 1.12, 0.62),
    ("imager_only", SpacingSource.IMAGER_PIXEL_SPACING, None, 0.62),
    ("imager_with_magnification", SpacingSource.MAGNIFICATION_CORRECTED, None, 0.62),
    ("pixel_spacing_only", SpacingSource.PIXEL_SPACING_DETECTOR, 0.62, None),
    ("none", SpacingSource.UNCALIBRATED, None, None),
])
def test_spacing_modes(tmp_path, mode, source, ps, ips):
    film = make_film(small(seed=1))
    write_dicom(film, tmp_path / "f.dcm", spacing_mode=mode)
    ds = pydicom.dcmread(tmp_path / "f.dcm")
    sp = spacing_from_dataset(ds)
    assert sp.source is source
    if ps is None:
        assert "PixelSpacing" not in ds
    else:
        assert [float(v) for v in ds.PixelSpacing] == pytest.approx([ps, ps], rel=1e-5)
    if ips is None:
        assert "ImagerPixelSpacing" not in ds
        assert ds.Modality == "CR"
    else:
        assert [float(v) for v in ds.ImagerPixelSpacing] == pytest.approx([ips, ips])
        assert ds.Modality == "DX" and ds.SOPClassUID == DigitalXRayImageStorageForPresentation
    if mode in ("calibrated", "imager_with_magnification"):
        assert sp.row_mm == pytest.approx(0.62 / 1.12, rel=1e-5)  # anatomy at the spine plane
    if mode == "calibrated":
        assert ds.PixelSpacingCalibrationType == "GEOMETRY"


@pytest.mark.parametrize("ts", [ExplicitVRLittleEndian, RLELossless, JPEG2000Lossless,
                                JPEGLSLossless])
def test_dicom_round_trip(tmp_path, ts):
    film = make_film(small(seed=1, facing="right"))
    write_dicom(film, tmp_path / "f.dcm", transfer_syntax=ts, patient_name="SYNTHETIC^TEST",
                patient_id="VFA-T-1", birth_date=dt.date(1950, 2, 3), patient_sex="F",
                study_date=dt.date(2024, 5, 6))
    ds = pydicom.dcmread(tmp_path / "f.dcm")
    assert ds.file_meta.TransferSyntaxUID == ts
    assert np.array_equal(ds.pixel_array, film.image)  # lossless
    assert ds.Rows == 800 and ds.Columns == 600
    assert ds.BitsAllocated == 16 and ds.BitsStored == 12 and ds.HighBit == 11
    assert ds.PixelRepresentation == 0 and ds.SamplesPerPixel == 1
    assert ds.Modality == "DX" and ds.PresentationIntentType == "FOR PRESENTATION"
    assert ds.ViewPosition == "RL" and list(ds.PatientOrientation) == ["A", "F"]
    assert ds.BodyPartExamined == "TLSPINE"
    assert str(ds.PatientName) == "SYNTHETIC^TEST" and ds.PatientAge == "074Y"
    assert ds.StudyDate == "20240506" and ds.LossyImageCompression == "00"
    assert ds.WindowCenterWidthExplanation
    lo, hi = float(ds.WindowCenter) - float(ds.WindowWidth) / 2, float(ds.WindowCenter) + float(ds.WindowWidth) / 2
    assert 0 <= lo < hi <= 4095 + 1


def test_reference_reading_from_dataset_round_trip(tmp_path, fractured):
    _, film = fractured
    ds = write_dicom(film, tmp_path / "f.dcm", spacing_mode="calibrated", patient_id="VFA-X",
                     birth_date=dt.date(2014, 1, 1), study_date=dt.date(2024, 1, 1))
    r = reference_reading(film, pydicom.dcmread(tmp_path / "f.dcm"), image_path="x/f.dcm")
    assert r.reader == "reference" and r.patient_id == "VFA-X"
    assert r.sop_instance_uid == ds.SOPInstanceUID
    assert r.spacing.source is SpacingSource.PIXEL_SPACING
    assert r.is_paediatric() is True
    save_reading(r, tmp_path / "r.json")
    back = load_reading(tmp_path / "r.json")
    assert back.image_path == "x/f.dcm"
    for lv in LEVELS:
        for s in S:
            assert back.vertebra(lv).points[s] == pytest.approx(film.points[lv][s])
    assert back.vertebra("T12").extra["synthetic_deformity"]["kind"] == "crush"
    sm = summarize(back)
    assert {r.level.value for r in sm.results if r.fractured} == {"T7", "T12", "L1", "L3"}
