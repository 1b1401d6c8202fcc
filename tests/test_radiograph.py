"""vfa.films.radiograph: what the loader reads, and every way a file can be unusable."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.uid import JPEG2000Lossless, ExplicitVRLittleEndian, UID

import dicom_factory as f
from vfa.films import radiograph as rmod
from vfa.films.calibration import SpacingSource
from vfa.errors import (
    DicomLoadError,
    MissingDecoderError,
    NotAnImageError,
    NotDicomError,
    PixelDataError,
    VfaError,
)
from vfa.films.radiograph import Radiograph, StudyIdentity, Window, load_radiograph


# ---- the basics -------------------------------------------------------------------------
def test_stored_pixels_are_the_integers_of_the_file(tmp_path):
    arr = f.film(bits=12)
    path = f.write_film(tmp_path, arr=arr, bits_stored=12)
    rg = load_radiograph(path)
    assert rg.stored.dtype == np.uint16  # not a float copy
    np.testing.assert_array_equal(rg.stored, arr)
    assert (rg.rows, rg.cols) == arr.shape
    assert rg.bits_stored == 12 and rg.bits_allocated == 16
    assert rg.number_of_frames == 1
    assert rg.photometric == "MONOCHROME2" and rg.invert_default is False
    assert rg.path == path
    assert rg.warnings == []
    assert rg.transfer_syntax.uid == ExplicitVRLittleEndian
    assert rg.transfer_syntax.name == "Explicit VR Little Endian"
    assert rg.dataset is not None and "PixelData" not in rg.dataset
    assert rg.dataset.SOPInstanceUID == rg.identity.sop_instance_uid


def test_stored_pixels_are_read_only(tmp_path):
    rg = load_radiograph(f.write_film(tmp_path))
    with pytest.raises(ValueError):
        rg.stored[0, 0] = 1


def test_source_file_is_not_modified(tmp_path):
    path = f.write_film(tmp_path, WindowCenter=100, WindowWidth=50)
    before = f.sha256(path)
    mtime = os.stat(path).st_mtime_ns
    rg = load_radiograph(path)
    assert rg.stored.size
    assert f.sha256(path) == before
    assert os.stat(path).st_mtime_ns == mtime


def test_loader_opens_read_only(tmp_path, monkeypatch):
    path = f.write_film(tmp_path)
    modes = []
    real_open = open

    def spy(file, mode="r", *a, **k):
        modes.append(mode)
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr("builtins.open", spy)
    load_radiograph(path)
    assert modes and all(m == "rb" for m in modes)


def test_unused_high_bits_are_cleared(tmp_path):
    """12 bits stored in 16: garbage in bits 12-15 (old overlays) must not reach the film."""
    arr = f.film(bits=12)
    dirty = arr | np.uint16(0xF000)
    path = f.write_film(tmp_path, arr=dirty, bits_stored=12)
    np.testing.assert_array_equal(load_radiograph(path).stored, arr)


def test_signed_12_bit_is_sign_extended(tmp_path):
    arr = f.film(bits=12, signed=True)
    assert arr.min() < 0
    raw = (arr.astype(np.int32) & 0x0FFF).astype(np.uint16).view(np.int16)  # no sign bits
    path = f.write_film(tmp_path, arr=raw, bits_stored=12)
    rg = load_radiograph(path)
    assert rg.stored.dtype == np.int16 and rg.signed
    np.testing.assert_array_equal(rg.stored, arr)


def test_8_bit_film(tmp_path):
    arr = f.film(bits=8)
    rg = load_radiograph(f.write_film(tmp_path, arr=arr))
    assert rg.stored.dtype == np.uint8
    np.testing.assert_array_equal(rg.stored, arr)


# ---- modality / VOI attributes ------------------------------------------------------------
def test_rescale_slope_intercept(tmp_path):
    path = f.write_film(tmp_path, RescaleSlope="0.5", RescaleIntercept="-100", RescaleType="US")
    rg = load_radiograph(path)
    assert rg.modality.lut is None and not rg.modality.is_identity
    np.testing.assert_allclose(rg.modality_values(np.array([0, 10, 1000])), [-100, -95, 400])
    r, c = 5, 7
    assert rg.modality_value_at(r, c) == pytest.approx(rg.stored[r, c] * 0.5 - 100)


def test_modality_lut_sequence(tmp_path):
    data = np.arange(100, 0, -1)  # a decreasing LUT over stored 50..149
    item = f.lut_item(data, first_mapped=50, bits=16, explanation="vendor curve")
    path = f.write_film(tmp_path, ModalityLUTSequence=f.sequence(item),
                        RescaleSlope=3, RescaleIntercept=7)  # the LUT wins
    rg = load_radiograph(path)
    lut = rg.modality.lut
    assert lut is not None and lut.first_mapped == 50 and lut.bits == 16
    assert lut.explanation == "vendor curve"
    np.testing.assert_array_equal(rg.modality_values(np.array([0, 50, 51, 149, 150, 4000])),
                                  [100, 100, 99, 1, 1, 1])


def test_modality_lut_as_ow_bytes(tmp_path):
    item = f.lut_item(np.arange(0, 4096) * 2, first_mapped=0, bits=16, as_bytes=True)
    rg = load_radiograph(f.write_film(tmp_path, ModalityLUTSequence=f.sequence(item)))
    np.testing.assert_array_equal(rg.modality_values(np.array([0, 1, 4095])), [0, 2, 8190])


@pytest.mark.parametrize("vr,first", [("US", 65536 - 2048), ("SS", -2048)])
def test_modality_lut_signed_first_mapped(tmp_path, vr, first):
    arr = f.film(bits=12, signed=True)
    item = f.lut_item(np.arange(4096), first_mapped=first, bits=12, descriptor_vr=vr)
    rg = load_radiograph(f.write_film(tmp_path, arr=arr, bits_stored=12,
                                      ModalityLUTSequence=f.sequence(item)))
    assert rg.modality.lut.first_mapped == -2048
    np.testing.assert_array_equal(rg.modality_values(np.array([-2048, 0, 2047])), [0, 2048, 4095])


def test_windows_multi_valued_with_explanations(tmp_path):
    path = f.write_film(tmp_path, WindowCenter=["2000", "1500.5"], WindowWidth=["1000", "3000"],
                        WindowCenterWidthExplanation=["SOFT", "BONE"], VOILUTFunction="SIGMOID")
    rg = load_radiograph(path)
    assert rg.windows == [Window(2000.0, 1000.0, "SOFT"), Window(1500.5, 3000.0, "BONE")]
    assert rg.voi_lut_function == "SIGMOID"


def test_single_window_without_explanation(tmp_path):
    rg = load_radiograph(f.write_film(tmp_path, WindowCenter="40", WindowWidth="400"))
    assert rg.windows == [Window(40.0, 400.0, "")]
    assert rg.voi_lut_function == "LINEAR"


def test_bad_windows_are_dropped_with_a_warning(tmp_path):
    path = f.write_film(tmp_path, WindowCenter=["10", "20", "30"], WindowWidth=["0", "50"],
                        VOILUTFunction="CUBIC")
    rg = load_radiograph(path)
    assert rg.windows == [Window(20.0, 50.0, "")]
    text = " | ".join(rg.warnings)
    assert "3 window centres but 2 widths" in text
    assert "window 1 has width 0" in text
    assert "VOI LUT Function 'CUBIC' is unknown" in text
    assert rg.voi_lut_function == "LINEAR"


def test_voi_lut_sequence(tmp_path):
    a = f.lut_item(np.linspace(0, 4095, 256).astype(int), 1000, 12, "NORMAL")
    b = f.lut_item(np.linspace(4095, 0, 128).astype(int), 0, 12, "INVERSE-ISH")
    rg = load_radiograph(f.write_film(tmp_path, VOILUTSequence=f.sequence(a, b)))
    assert [lut.explanation for lut in rg.voi_luts] == ["NORMAL", "INVERSE-ISH"]
    assert rg.voi_luts[0].first_mapped == 1000 and len(rg.voi_luts[0].data) == 256
    assert rg.voi_luts[0].output_max == 4095
    np.testing.assert_array_equal(rg.voi_luts[0](np.array([0, 1000, 1255, 9999])),
                                  [0, 0, 4095, 4095])


def test_broken_lut_is_ignored_with_warning(tmp_path):
    item = pydicom.Dataset()
    item.LUTDescriptor = [16, 0]  # two values instead of three
    item.add(pydicom.DataElement(0x00283006, "US", list(range(16))))
    rg = load_radiograph(f.write_film(tmp_path, VOILUTSequence=f.sequence(item)))
    assert rg.voi_luts == []
    assert any("VOI LUT 1 cannot be read" in w for w in rg.warnings)


def test_monochrome1(tmp_path):
    rg = load_radiograph(f.write_film(tmp_path, photometric="MONOCHROME1"))
    assert rg.photometric == "MONOCHROME1" and rg.invert_default is True


def test_presentation_lut_shape_inverse(tmp_path):
    rg = load_radiograph(f.write_film(tmp_path, PresentationLUTShape="INVERSE"))
    assert rg.invert_default is True


# ---- identity -------------------------------------------------------------------------------
def test_identity(tmp_path):
    path = f.write_film(tmp_path, AcquisitionDate="20240315")
    ident = load_radiograph(path).identity
    assert ident.patient_id == "PID-0001"
    assert ident.patient_name == "Test^Patient"
    assert ident.birth_date == dt.date(2010, 3, 15)
    assert ident.study_date == dt.date(2024, 3, 14)
    assert ident.sex == "F" and ident.modality == "DX" and ident.view_position == "LL"
    assert ident.body_part == "SPINE" and ident.laterality == "U"
    assert ident.sop_class_uid == f.DX_CLASS
    assert ident.age_at_study() == pytest.approx(13 + 365 / 366, abs=1e-6)  # the day before 14
    assert ident.is_paediatric is True
    assert "Test^Patient" not in repr(ident) and "PID-0001" not in repr(ident)


def test_identity_adult_and_unknown():
    adult = StudyIdentity(birth_date=dt.date(1950, 1, 1), study_date=dt.date(2024, 1, 1))
    assert adult.age_at_study() == pytest.approx(74.0, abs=0.01)
    assert adult.is_paediatric is False
    assert StudyIdentity().age_at_study() is None
    assert StudyIdentity().is_paediatric is None
    # Patient's Age is the fallback when the birth date is missing
    assert StudyIdentity(patient_age="017Y").is_paediatric is True
    assert StudyIdentity(patient_age="018Y").is_paediatric is False
    assert StudyIdentity(patient_age="006M").age_at_study() == pytest.approx(0.5)
    # a birth date after the study date is not an age
    assert StudyIdentity(birth_date=dt.date(2030, 1, 1), study_date=dt.date(2024, 1, 1)).age_at_study() is None


@pytest.mark.filterwarnings("ignore:Invalid value for VR DA")
def test_identity_laterality_fallback_and_bad_dates(tmp_path):
    ds = f.make_dataset(f.film(), Laterality="L", PatientBirthDate="2010-99-99")
    del ds.ImageLaterality
    del ds.StudyDate
    ds.SeriesDate = "20200101"
    rg = Radiograph.from_dataset(ds)
    assert rg.identity.laterality == "L"
    assert rg.identity.birth_date is None
    assert rg.identity.study_date == dt.date(2020, 1, 1)


def test_nothing_identifying_is_logged(tmp_path, caplog):
    path = f.write_film(tmp_path, "Doe_John_PID-0001.dcm", photometric="MONOCHROME1")
    with caplog.at_level(logging.DEBUG, logger="vfa"):
        load_radiograph(path)
    text = caplog.text
    assert "loaded radiograph" in text  # the log is there...
    for secret in ("Test^Patient", "PID-0001", "Doe_John", "20100315"):
        assert secret not in text  # ...without the patient


# ---- spacing (through vfa.films.calibration) ---------------------------------------------------------
@pytest.mark.parametrize("attrs,source,row_mm", [
    ({}, SpacingSource.UNCALIBRATED, 1.0),
    ({"PixelSpacing": [0.1, 0.12]}, SpacingSource.PIXEL_SPACING_DETECTOR, 0.1),
    ({"PixelSpacing": [0.1, 0.1], "ImagerPixelSpacing": [0.15, 0.15],
      "PixelSpacingCalibrationType": "GEOMETRY"}, SpacingSource.PIXEL_SPACING, 0.1),
    ({"ImagerPixelSpacing": [0.15, 0.15], "EstimatedRadiographicMagnificationFactor": 1.5},
     SpacingSource.MAGNIFICATION_CORRECTED, 0.1),
    ({"ImagerPixelSpacing": [0.15, 0.15]}, SpacingSource.IMAGER_PIXEL_SPACING, 0.15),
])
def test_spacing_sources(tmp_path, attrs, source, row_mm):
    rg = load_radiograph(f.write_film(tmp_path, **attrs))
    assert rg.spacing.source is source
    assert rg.spacing.row_mm == pytest.approx(row_mm)


# ---- frames and colour ------------------------------------------------------------------
def test_multi_frame_keeps_the_first_with_a_warning(tmp_path):
    frames = np.stack([f.film(seed=s) for s in range(3)])
    path = f.write_film(tmp_path, arr=frames, frames=3)
    rg = load_radiograph(path)
    np.testing.assert_array_equal(rg.stored, frames[0])
    assert rg.number_of_frames == 3
    assert any("3 frames; only the first" in w for w in rg.warnings)


def test_multi_frame_compressed(tmp_path):
    frames = np.stack([f.film(seed=s) for s in range(2)])
    ds = f.make_dataset(frames, frames=2)
    ds.compress(JPEG2000Lossless)
    ds.save_as(tmp_path / "m.dcm", enforce_file_format=True)
    rg = load_radiograph(tmp_path / "m.dcm")
    np.testing.assert_array_equal(rg.stored, frames[0])
    assert any("2 frames" in w for w in rg.warnings)


def test_rgb_becomes_luma_with_a_warning(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    rg = load_radiograph(f.write_film(tmp_path, arr=rgb))
    expected = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    assert rg.stored.shape == (40, 30) and rg.stored.dtype == np.uint8
    assert np.abs(rg.stored.astype(float) - expected).max() <= 1.0
    assert rg.photometric == "MONOCHROME2"
    assert any("colour image (RGB) converted to grey" in w for w in rg.warnings)


def test_ybr_full_becomes_luma(tmp_path):
    from pydicom.pixels.processing import convert_color_space

    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (24, 20, 3), dtype=np.uint8)
    ybr = convert_color_space(rgb, "RGB", "YBR_FULL")
    rg = load_radiograph(f.write_film(tmp_path, arr=ybr, photometric="YBR_FULL"))
    # the luma of YBR_FULL is its Y channel
    assert np.abs(rg.stored.astype(int) - ybr[..., 0].astype(int)).max() <= 2
    assert any("YBR_FULL" in w for w in rg.warnings)


# ---- from_dataset -----------------------------------------------------------------------------
def test_from_dataset_leaves_the_dataset_alone():
    arr = f.film()
    ds = f.make_dataset(arr, WindowCenter=1, WindowWidth=2)
    before = ds.to_json()
    rg = Radiograph.from_dataset(ds)
    np.testing.assert_array_equal(rg.stored, arr)
    assert rg.path is None
    assert ds.to_json() == before and "PixelData" in ds


def test_from_dataset_without_file_meta():
    arr = f.film()
    ds = f.make_dataset(arr)
    del ds.file_meta
    rg = Radiograph.from_dataset(ds)
    np.testing.assert_array_equal(rg.stored, arr)
    assert rg.transfer_syntax.uid == ExplicitVRLittleEndian


def test_from_dataset_errors_are_vfa_errors():
    ds = f.make_dataset(f.film())
    ds.Rows = 0
    with pytest.raises(PixelDataError, match="0x80 pixels"):
        Radiograph.from_dataset(ds)


# ---- auto window --------------------------------------------------------------------------------
def test_auto_window_ignores_collimation_and_saturation():
    body = np.random.default_rng(0).integers(1000, 3001, (200, 200)).astype(np.uint16)
    img = body.copy()
    img[:, :60] = 0       # collimation: 30 % of the film
    img[:20, :] = 4095    # saturated air
    rg = Radiograph.from_dataset(f.make_dataset(img, bits_stored=12))
    win = rg.auto_window()
    assert win.explanation == "auto"
    assert 1000 <= win.lower <= 1030 and 2970 <= win.upper <= 3000
    assert rg.auto_window() is win  # cached


def test_auto_window_in_modality_units_and_padding():
    img = np.random.default_rng(1).integers(100, 201, (64, 64)).astype(np.uint16)
    img[:10] = 50  # padding (not the minimum of the film)
    img[0, 0] = 0
    ds = f.make_dataset(img, RescaleSlope=2, RescaleIntercept=-1000, PixelPaddingValue=50)
    win = Radiograph.from_dataset(ds).auto_window()
    # body 100..200 -> -800..-600
    assert -800 <= win.lower <= -795 and -605 <= win.upper <= -600


def test_auto_window_samples_large_films(monkeypatch):
    monkeypatch.setattr(rmod, "AUTO_WINDOW_SAMPLE", 100)
    img = np.tile(np.arange(1, 401, dtype=np.uint16), (400, 1))
    rg = Radiograph.from_dataset(f.make_dataset(img))
    assert rg.sample().size == 100  # every 40th row and column
    win = rg.auto_window()
    # sampled columns hold 1, 41, ..., 361; the extremes 1 and 361 are left out
    assert (win.lower, win.upper) == (41, 321)


def test_auto_window_constant_image():
    rg = Radiograph.from_dataset(f.make_dataset(np.full((8, 8), 7, np.uint16)))
    win = rg.auto_window()
    assert win.width >= 1 and win.lower <= 7 <= win.upper


def test_value_range(tmp_path):
    img = np.array([[10, 20], [30, 40]], dtype=np.uint16)
    rg = Radiograph.from_dataset(f.make_dataset(img, RescaleSlope=-1, RescaleIntercept=0))
    assert rg.stored_range() == (10, 40)
    assert rg.value_range() == (-40.0, -10.0)


# ---- Window helpers ---------------------------------------------------------------------------
def test_window_clamp_and_delta():
    w = Window(100, 50, "file")
    assert w.lower == 75 and w.upper == 125
    assert w.clamp() is w
    assert Window(0, 0.2).clamp().width == 1.0
    moved = w.with_delta(10, -60)
    assert moved == Window(110, 1.0, "user")
    assert w.with_delta(1000, 0, value_range=(0, 500)).center == 500


# ---- errors: not there, not DICOM ---------------------------------------------------------------
def test_missing_file(tmp_path):
    with pytest.raises(DicomLoadError, match="'nope.dcm': file not found"):
        load_radiograph(tmp_path / "nope.dcm")


def test_directory(tmp_path):
    with pytest.raises(DicomLoadError, match="is a folder, not a file"):
        load_radiograph(tmp_path)


def test_not_dicom(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Patient has back pain. Please assess T12.\n" * 20)
    with pytest.raises(NotDicomError, match="is not a DICOM file"):
        load_radiograph(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.dcm"
    path.write_bytes(b"")
    with pytest.raises(NotDicomError, match="not a DICOM file"):
        load_radiograph(path)


def test_png_is_not_dicom(tmp_path):
    import cv2

    path = tmp_path / "spine.png"
    cv2.imwrite(str(path), f.film(bits=8))
    with pytest.raises(NotDicomError, match="'spine.png' is not a DICOM file"):
        load_radiograph(path)


@pytest.mark.parametrize("cut", [132 + 20, 300, 420])
def test_truncated_header(tmp_path, cut):
    data = f.write_film(tmp_path, "full.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[:cut])
    with pytest.raises(NotDicomError, match="truncated"):
        load_radiograph(path)


def test_no_preamble_is_accepted_with_a_warning(tmp_path):
    arr = f.film()
    ds = f.make_dataset(arr)
    del ds.file_meta  # bare dataset: no preamble, no 'DICM', no file meta
    path = tmp_path / "raw.dcm"
    ds.save_as(path, enforce_file_format=False, implicit_vr=True, little_endian=True)
    data = path.read_bytes()
    assert data[128:132] != b"DICM" and data[:2] == b"\x08\x00"  # starts with group 0008
    rg = load_radiograph(path)
    np.testing.assert_array_equal(rg.stored, arr)
    assert rg.transfer_syntax.name == "Implicit VR Little Endian"
    assert any("no DICOM preamble" in w for w in rg.warnings)


# ---- errors: not an image ----------------------------------------------------------------------
def _non_image(tmp_path, sop_class, name):
    ds = f.make_dataset(f.film(), sop_class=sop_class)
    for kw in ("PixelData", "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit",
               "PixelRepresentation", "SamplesPerPixel", "PhotometricInterpretation"):
        delattr(ds, kw)
    return f.write(ds, tmp_path / name)


def test_structured_report_is_not_an_image(tmp_path):
    path = _non_image(tmp_path, f.BASIC_TEXT_SR, "sr.dcm")
    with pytest.raises(NotAnImageError, match="Basic Text SR Storage, not an image"):
        load_radiograph(path)


def test_presentation_state_is_not_an_image(tmp_path):
    path = _non_image(tmp_path, f.GSPS_CLASS, "pr.dcm")
    with pytest.raises(NotAnImageError, match="Presentation State.*open the radiograph"):
        load_radiograph(path)


def test_image_class_without_pixel_data(tmp_path):
    path = _non_image(tmp_path, f.DX_CLASS, "nopix.dcm")
    with pytest.raises(NotAnImageError, match="without Pixel Data"):
        load_radiograph(path)


def test_float_pixel_data_is_not_a_radiograph(tmp_path):
    ds = f.make_dataset(f.film())
    del ds.PixelData
    ds.BitsAllocated = 32
    ds.FloatPixelData = np.zeros(f.film().size, np.float32).tobytes()
    with pytest.raises(NotAnImageError, match="floating-point pixel data"):
        load_radiograph(f.write(ds, tmp_path / "float.dcm"))


# ---- errors: pixel data -------------------------------------------------------------------
def test_zero_rows(tmp_path):
    with pytest.raises(PixelDataError, match="0x80 pixels"):
        load_radiograph(f.write_film(tmp_path, Rows=0))


def test_absurd_dimensions(tmp_path):
    with pytest.raises(PixelDataError, match="40000x80 pixels, more than 30000"):
        load_radiograph(f.write_film(tmp_path, Rows=40000))


def test_pixel_data_shorter_than_declared(tmp_path):
    arr = np.zeros((256, 512), np.uint16)
    ds = f.make_dataset(arr)
    ds.Rows = 512  # header says 512x512
    with pytest.raises(PixelDataError,
                       match=r"pixel data has 262144 bytes, 512x512x16 bits needs 524288"):
        load_radiograph(f.write(ds, tmp_path / "short.dcm"))


def test_file_truncated_inside_pixel_data(tmp_path):
    data = f.write_film(tmp_path, "full.dcm", arr=np.zeros((64, 64), np.uint16)).read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[:-1000])
    with pytest.raises(PixelDataError, match=r"pixel data has 7192 bytes, 64x64x16 bits needs 8192"):
        load_radiograph(path)


def test_bad_bits_allocated(tmp_path):
    with pytest.raises(PixelDataError, match="Bits Allocated is 12"):
        load_radiograph(f.write_film(tmp_path, BitsAllocated=12))


def test_damaged_compressed_data(tmp_path):
    ds = f.make_dataset(f.film(), transfer_syntax=JPEG2000Lossless)
    ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(range(256)) * 4])
    with pytest.raises(PixelDataError, match="JPEG 2000.*could not be decoded.*damaged"):
        load_radiograph(f.write(ds, tmp_path / "bad.dcm"))


# ---- errors: decoders ---------------------------------------------------------------------------
@pytest.fixture
def no_j2k_decoder(monkeypatch):
    """pydicom sees no JPEG 2000 plugin and pylibjpeg-openjpeg looks uninstalled."""
    decoder = get_decoder(JPEG2000Lossless)
    monkeypatch.setattr(decoder, "_available", {})
    real = rmod._module_installed
    monkeypatch.setattr(rmod, "_module_installed", lambda m: m != "openjpeg" and real(m))
    return decoder


def test_missing_decoder_names_the_package(tmp_path, no_j2k_decoder):
    ds = f.make_dataset(f.film())
    ds.compress(JPEG2000Lossless)
    path = tmp_path / "j2k.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert not no_j2k_decoder.is_available
    with pytest.raises(MissingDecoderError, match=r"install pylibjpeg-openjpeg \(pip install"):
        load_radiograph(path)


def test_unknown_transfer_syntax(tmp_path):
    ds = f.make_dataset(f.film(), transfer_syntax=UID("1.2.840.10008.1.2.4.100"))  # MPEG2
    ds.PixelData = encapsulate([b"\x00" * 64])
    with pytest.raises(MissingDecoderError, match="MPEG2.*cannot be decoded.*convert the file"):
        load_radiograph(f.write(ds, tmp_path / "mpeg.dcm"))


def test_install_hint_for_each_codec(monkeypatch):
    monkeypatch.setattr(rmod, "_module_installed", lambda m: False)
    assert "pyjpegls" in rmod._install_hint(pydicom.uid.JPEGLSLossless)
    assert "pylibjpeg-libjpeg" in rmod._install_hint(pydicom.uid.JPEGLosslessSV1)
    assert "pip install pylibjpeg pylibjpeg-openjpeg" in rmod._install_hint(pydicom.uid.JPEG2000)


# ---- nothing but DicomLoadError escapes ---------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom complains about the damage
def test_random_corruption_raises_only_vfa_errors(tmp_path):
    good = f.write_film(tmp_path, "good.dcm", WindowCenter=100, WindowWidth=10,
                        VOILUTSequence=f.sequence(f.lut_item(range(64), 0, 8))).read_bytes()
    rng = np.random.default_rng(123)
    outcomes = {"ok": 0, "error": 0}
    for i in range(150):
        data = bytearray(good)
        for _ in range(int(rng.integers(1, 6))):
            pos = int(rng.integers(0, 700))  # in the header, where damage hurts
            data[pos] = int(rng.integers(0, 256))
        path = tmp_path / f"bad{i}.dcm"
        path.write_bytes(bytes(data))
        try:
            load_radiograph(path)
            outcomes["ok"] += 1
        except DicomLoadError as exc:
            assert str(exc)
            outcomes["error"] += 1
    assert outcomes["error"] > 0 and outcomes["ok"] > 0


def test_errors_are_vfa_errors():
    for cls in (NotDicomError, NotAnImageError, MissingDecoderError, PixelDataError):
        assert issubclass(cls, DicomLoadError) and issubclass(cls, VfaError)


def test_core_does_not_import_qt():
    code = ("import sys, vfa.films.radiograph, vfa.films.display; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PyQt6', 'PyQt5', 'PySide6')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.filterwarnings("ignore:End of file reached")
@pytest.mark.parametrize("uid", [JPEG2000Lossless, pydicom.uid.RLELossless])
def test_file_truncated_inside_compressed_pixel_data(tmp_path, uid):
    ds = f.make_dataset(f.film(rows=128, cols=128))
    ds.compress(uid)
    ds.save_as(tmp_path / "full.dcm", enforce_file_format=True)
    data = (tmp_path / "full.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PixelDataError, match=f"truncated inside its pixel data .*has {len(data) // 2} bytes"):
        load_radiograph(path)
