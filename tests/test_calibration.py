"""Pixel spacing and its source (domain.md §5), with real pydicom Datasets."""

from __future__ import annotations

import pytest
from pydicom import Dataset
from pydicom.dataelem import RawDataElement
from pydicom.tag import Tag

from vfa.films.calibration import Spacing, SpacingSource, spacing_from_dataset
from vfa.method.geometry import distance

PIXEL_SPACING = Tag(0x0028, 0x0030)
IMAGER_PIXEL_SPACING = Tag(0x0018, 0x1164)


def raw(ds: Dataset, tag: Tag, vr: str, value: bytes) -> None:
    """Put an element exactly as a file would hold it (no validation on assignment)."""
    ds[tag] = RawDataElement(tag, vr, len(value), value, 0, True, True)


# ------------------------------------------------------------------ rule 1
@pytest.mark.parametrize("ctype", ["GEOMETRY", "FIDUCIAL"])
def test_rule1_pixel_spacing_differing_from_imager_with_calibration_type(ctype):
    ds = Dataset()
    ds.PixelSpacing = [0.15, 0.12]
    ds.ImagerPixelSpacing = [0.2, 0.2]
    ds.PixelSpacingCalibrationType = ctype
    sp = spacing_from_dataset(ds)
    assert (sp.row_mm, sp.col_mm) == (0.15, 0.12)
    assert sp.source is SpacingSource.PIXEL_SPACING
    assert sp.detail == f"calibration type {ctype}"
    assert ctype in sp.description
    assert sp.calibrated and sp.unit == "mm" and not sp.at_detector_only


def test_rule1_without_calibration_type_has_no_detail():
    ds = Dataset()
    ds.PixelSpacing = [0.15, 0.15]
    ds.ImagerPixelSpacing = [0.2, 0.2]
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.PIXEL_SPACING
    assert sp.detail == ""
    assert sp.description == "Pixel Spacing (calibrated)"


# ------------------------------------------------------------------ rule 2
def test_rule2_pixel_spacing_equal_to_imager_is_at_the_detector():
    ds = Dataset()
    ds.PixelSpacing = [0.2, 0.1]
    ds.ImagerPixelSpacing = [0.2, 0.1]
    ds.PixelSpacingCalibrationType = "GEOMETRY"  # ignored: nothing was corrected
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.PIXEL_SPACING_DETECTOR
    assert (sp.row_mm, sp.col_mm) == (0.2, 0.1)
    assert "at the detector" in sp.description
    assert sp.at_detector_only


def test_rule2_pixel_spacing_alone():
    ds = Dataset()
    ds.PixelSpacing = [0.139, 0.14]
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.PIXEL_SPACING_DETECTOR
    assert (sp.row_mm, sp.col_mm) == (0.139, 0.14)  # order kept: row first


def test_rule2_pixel_spacing_with_unusable_imager_spacing():
    ds = Dataset()
    ds.PixelSpacing = [0.2, 0.2]
    ds.ImagerPixelSpacing = [0, 0]
    assert spacing_from_dataset(ds).source is SpacingSource.PIXEL_SPACING_DETECTOR


# ------------------------------------------------------------------ rule 3
def test_rule3_imager_spacing_divided_by_magnification():
    ds = Dataset()
    ds.ImagerPixelSpacing = [0.23, 0.115]
    ds.EstimatedRadiographicMagnificationFactor = 1.15
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.MAGNIFICATION_CORRECTED
    assert sp.row_mm == pytest.approx(0.2)
    assert sp.col_mm == pytest.approx(0.1)
    assert sp.detail == "magnification factor 1.15"
    assert "magnification-corrected estimate" in sp.description
    assert not sp.at_detector_only


def test_pixel_spacing_wins_over_imager_spacing_with_magnification():
    ds = Dataset()
    ds.PixelSpacing = [0.17, 0.17]
    ds.ImagerPixelSpacing = [0.2, 0.2]
    ds.EstimatedRadiographicMagnificationFactor = 1.15
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.PIXEL_SPACING
    assert sp.row_mm == 0.17


@pytest.mark.parametrize("factor", [0, -1.2])
def test_unusable_magnification_falls_back_to_rule4(factor):
    ds = Dataset()
    ds.ImagerPixelSpacing = [0.2, 0.2]
    ds.EstimatedRadiographicMagnificationFactor = factor
    assert spacing_from_dataset(ds).source is SpacingSource.IMAGER_PIXEL_SPACING


# ------------------------------------------------------------------ rule 4
def test_rule4_imager_spacing_alone_overstates_anatomy():
    ds = Dataset()
    ds.ImagerPixelSpacing = [0.2, 0.15]
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.IMAGER_PIXEL_SPACING
    assert (sp.row_mm, sp.col_mm) == (0.2, 0.15)
    assert "at the detector (overstates anatomy)" in sp.description
    assert sp.at_detector_only and sp.calibrated


# ------------------------------------------------------------------ rule 5
def assert_uncalibrated(sp: Spacing, aspect=(1.0, 1.0)):
    assert sp.source is SpacingSource.UNCALIBRATED
    assert not sp.calibrated
    assert sp.unit == "px"
    assert sp.as_list() is None
    assert (sp.row_mm, sp.col_mm) == pytest.approx(aspect)
    assert "uncalibrated" in sp.description and "millimetre rules off" in sp.description


def test_rule5_nothing():
    assert_uncalibrated(spacing_from_dataset(Dataset()))


@pytest.mark.parametrize("value", [[0, 0], [0.2, 0], [-0.2, 0.2], [0.2, -0.2]])
def test_rule5_zero_or_negative(value):
    ds = Dataset()
    ds.PixelSpacing = value
    ds.ImagerPixelSpacing = value
    assert_uncalibrated(spacing_from_dataset(ds))


def test_rule5_one_value():
    ds = Dataset()
    ds.PixelSpacing = 0.2
    ds.ImagerPixelSpacing = 0.2
    assert_uncalibrated(spacing_from_dataset(ds))


def test_rule5_three_values():
    ds = Dataset()
    ds.PixelSpacing = [0.2, 0.2, 0.2]
    assert_uncalibrated(spacing_from_dataset(ds))


@pytest.mark.parametrize("value", [b"abc\\def", b"0.2\\xyz", b"", b"nan\\0.2", b"inf\\inf"])
def test_rule5_garbage_in_the_file(value):
    ds = Dataset()
    raw(ds, PIXEL_SPACING, "DS", value)
    raw(ds, IMAGER_PIXEL_SPACING, "DS", value)
    assert_uncalibrated(spacing_from_dataset(ds))


def test_garbage_pixel_spacing_falls_back_to_good_imager_spacing():
    ds = Dataset()
    raw(ds, PIXEL_SPACING, "DS", b"abc\\def")
    ds.ImagerPixelSpacing = [0.2, 0.2]
    assert spacing_from_dataset(ds).source is SpacingSource.IMAGER_PIXEL_SPACING


def test_rule5_with_pixel_aspect_ratio():
    ds = Dataset()
    ds.PixelAspectRatio = [2, 1]  # vertical : horizontal
    sp = spacing_from_dataset(ds)
    assert_uncalibrated(sp, (2.0, 1.0))
    # heights in pixels times the aspect: a 10-row step is 20 "px", a 10-column step is 10
    assert distance((0, 0), (0, 10), sp.row_mm, sp.col_mm) == pytest.approx(20.0)
    assert distance((0, 0), (10, 0), sp.row_mm, sp.col_mm) == pytest.approx(10.0)


def test_pixel_aspect_ratio_is_normalised_to_column_pixels():
    ds = Dataset()
    ds.PixelAspectRatio = [4, 3]
    sp = spacing_from_dataset(ds)
    assert sp.col_mm == 1.0
    assert sp.row_mm == pytest.approx(4 / 3)


def test_unusable_pixel_aspect_ratio_is_square():
    ds = Dataset()
    ds.PixelAspectRatio = [0, 1]
    assert_uncalibrated(spacing_from_dataset(ds))


def test_pixel_aspect_ratio_ignored_when_calibrated():
    ds = Dataset()
    ds.PixelSpacing = [0.1, 0.1]
    ds.PixelAspectRatio = [2, 1]
    sp = spacing_from_dataset(ds)
    assert (sp.row_mm, sp.col_mm) == (0.1, 0.1)


def test_uncalibrated_rejects_bad_aspect():
    with pytest.raises(ValueError, match=r"pixel aspect ratio .* must be two positive numbers"):
        Spacing.uncalibrated((0.0, 1.0))


# ------------------------------------------------------------------ manual calibration
def test_manual_calibration_square_pixels():
    sp = Spacing.manual((10, 10), (10, 110), 20.0)
    assert sp.source is SpacingSource.MANUAL
    assert sp.calibrated and sp.unit == "mm"
    assert (sp.row_mm, sp.col_mm) == pytest.approx((0.2, 0.2))
    assert sp.detail == "20 mm over 100.0 px"
    assert sp.as_list() == pytest.approx([0.2, 0.2])


def test_manual_calibration_diagonal_line_measures_its_length():
    p0, p1 = (3.0, 4.0), (63.0, 84.0)  # 100 px
    sp = Spacing.manual(p0, p1, 25.0)
    assert distance(p0, p1, sp.row_mm, sp.col_mm) == pytest.approx(25.0)
    assert sp.row_mm == pytest.approx(0.25)


def test_manual_calibration_keeps_non_square_aspect():
    # rows twice as tall as columns are wide; a vertical 50-row line is drawn over 10 mm
    sp = Spacing.manual((0, 0), (0, 50), 10.0, aspect=(2.0, 1.0))
    assert sp.row_mm == pytest.approx(0.2)
    assert sp.col_mm == pytest.approx(0.1)
    assert sp.row_mm / sp.col_mm == pytest.approx(2.0)
    # and an oblique line measures exactly its known length
    sp2 = Spacing.manual((0, 0), (30, 40), 12.0, aspect=(2.0, 1.0))
    assert distance((0, 0), (30, 40), sp2.row_mm, sp2.col_mm) == pytest.approx(12.0)
    assert sp2.row_mm / sp2.col_mm == pytest.approx(2.0)


@pytest.mark.parametrize("length", [0, -5, float("nan"), float("inf"), "10"])
def test_manual_calibration_rejects_bad_length(length):
    with pytest.raises(ValueError, match=r"known length .* mm is not a positive number"):
        Spacing.manual((0, 0), (0, 100), length)


def test_manual_calibration_rejects_too_short_line():
    with pytest.raises(ValueError, match=r"calibration line is shorter than 2 pixels"):
        Spacing.manual((5, 5), (6, 5), 10.0)


def test_sources_are_stable_strings():
    # stored in reading files: must never change
    assert [s.value for s in SpacingSource] == [
        "pixel_spacing", "pixel_spacing_detector", "magnification_corrected",
        "imager_pixel_spacing", "manual", "uncalibrated"]


@pytest.mark.parametrize("factor", [b"abc", b"1.1\\1.2", b""])
def test_garbage_magnification_falls_back_to_rule4(factor):
    ds = Dataset()
    ds.ImagerPixelSpacing = [0.2, 0.2]
    raw(ds, Tag(0x0018, 0x1114), "DS", factor)
    sp = spacing_from_dataset(ds)
    assert sp.source is SpacingSource.IMAGER_PIXEL_SPACING
    assert (sp.row_mm, sp.col_mm) == (0.2, 0.2)


# ------------------------------------------------------------------ drawn calibration, domain §5
@pytest.mark.parametrize("length_mm, px, spacing", [
    (5000.0, 100, "50 x 50"),      # 50 mm per pixel: 5000 mm vertebrae
    (1.0, 100, "0.01 x 0.01"),     # 0.01 mm per pixel
    (201.0, 100, "2.01 x 2.01"),   # just above the range
])
def test_drawn_calibration_outside_the_range_is_refused_with_the_spacing_it_would_give(length_mm, px, spacing):
    with pytest.raises(ValueError, match=rf"{length_mm:g} mm over {px:.1f} px would give a spacing of "
                                         rf"{spacing} mm per pixel, outside 0.02-2 mm"):
        Spacing.manual((0, 0), (0, px), length_mm)


@pytest.mark.parametrize("length_mm", [2.0, 200.0])   # 0.02 and 2.0 mm per pixel: the limits are usable
def test_drawn_calibration_at_the_limits_is_accepted(length_mm):
    sp = Spacing.manual((0, 0), (0, 100), length_mm)
    assert sp.source is SpacingSource.MANUAL and sp.col_mm == pytest.approx(length_mm / 100)


def test_drawn_calibration_outside_the_range_leaves_the_session_uncalibrated(tmp_path):
    from vfa.reading.session import ReadingSession
    from vfa.reading.reading import Reading
    errors: list[str] = []
    s = ReadingSession(None, Reading(patient_id="P"))
    s.connect(lambda ev: errors.append(str(ev.data)) if ev.kind == "error" else None)
    assert s.calibrate((0, 0), (0, 100), 5000.0) is False
    assert not s.reading.spacing.calibrated
    assert errors and "would give a spacing of 50 x 50 mm per pixel" in errors[-1]
