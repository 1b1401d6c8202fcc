"""DICOM SR export/import: real files written, read back with pydicom/highdicom, compared."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from cli_runner import run_vfa
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from vfa.outputs import sr
from vfa.films.calibration import Spacing, SpacingSource
from vfa.errors import ExportError
from vfa.method.levels import LEVELS, Level
from vfa.method.morphometry import summarize
from vfa.reading.reading import Reading, load_reading, save_reading
from readings_factory import make_reading

DX = "1.2.840.10008.5.1.4.1.1.1.1"


def make_film(path: Path, reading: Reading | None = None, *, rows: int = 1900, cols: int = 400,
              calibrated: bool = True, name: str = "Doe^Jane", burned_in: bool = False) -> Dataset:
    """A small DX film (For Presentation) with the reading's identity; the reading's series
    UID is set to the film's so that a round trip is exact."""
    sop = (reading.sop_instance_uid if reading is not None and reading.sop_instance_uid
           else generate_uid())
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = DX
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = DX, sop
    ds.StudyInstanceUID = (reading.study_instance_uid if reading is not None else "") or generate_uid()
    ds.SeriesInstanceUID = (reading.series_instance_uid if reading is not None else "") or generate_uid()
    ds.PatientName = name
    ds.PatientID = reading.patient_id if reading is not None else "P1"
    bd = reading.birth_date if reading is not None else None
    ds.PatientBirthDate = bd.strftime("%Y%m%d") if bd else ""
    ds.PatientSex = (reading.patient_sex if reading is not None else None) or "F"
    sd = (reading.study_date if reading is not None else None) or dt.date(2024, 1, 10)
    ds.StudyDate = sd.strftime("%Y%m%d")
    ds.StudyTime, ds.AccessionNumber, ds.StudyID = "101500", "A1", "1"
    ds.ReferringPhysicianName = ""
    ds.Modality, ds.SeriesNumber, ds.InstanceNumber = "DX", 1, 1
    ds.Manufacturer = "test"
    ds.PatientOrientation = ["A", "F"]
    ds.ContentDate, ds.ContentTime = ds.StudyDate, "101500"
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.ViewPosition, ds.BodyPartExamined = "LL", "SPINE"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "US"
    ds.WindowCenter, ds.WindowWidth = 2048, 4096
    ds.PixelIntensityRelationship, ds.PixelIntensityRelationshipSign = "LIN", 1
    ds.PresentationLUTShape = "IDENTITY"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "YES" if burned_in else "NO"
    ds.DetectorType = "SCINTILLATOR"
    if calibrated:
        ds.ImagerPixelSpacing = [0.2, 0.2]
        ds.PixelSpacing = [0.2, 0.2]
    yy, xx = np.mgrid[0:rows, 0:cols]
    ds.PixelData = (1000 + 800 * np.sin(xx / 30.0) * np.cos(yy / 50.0)).astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    if reading is not None:
        reading.series_instance_uid = str(ds.SeriesInstanceUID)
        reading.patient_name = str(ds.PatientName)
        reading.patient_sex = str(ds.PatientSex)
    return ds


def rich_reading(spacing: Spacing | None = None, date: dt.date = dt.date(2024, 1, 10)) -> Reading:
    """Grades incl. 0.5, reader types, a not-evaluable level with points, a partial level,
    a note, non-integer coordinates."""
    r = make_reading({"T12": (70.0, 95.0, 100.0), "L1": (100.0, 72.0, 100.0),
                      "L3": (79.0, 100.0, 100.0)}, spacing=spacing, date=date,
                     birth=dt.date(1950, 3, 3))
    r.set_reader_grade("T12", 2)
    r.set_reader_type("L1", "biconcave")
    r.set_reader_grade("T5", 0.5)
    r.set_reader_grade("L3", 0)
    r.set_status("T8", "not_evaluable", "rotated/oblique")
    r.set_status("T4", "not_evaluable", "overlying hardware (free text)")
    r.vertebrae[Level.T4].points.clear()
    r.set_note("L2", "Schmorl node? ü")
    r.remove_vertebra("L4")
    r.set_point("L4", "superior_anterior", (101.123456, 1610.987654))  # partial vertebra
    r.set_point("T6", "inferior_middle", (160.0004, 50.0 + 2 * 130.0 + 100.0 + 0.3331))
    r.set_confirmed("L1")   # a confirmed suggestion (T12, T5, L3: reader grades confirm)
    return r


def _film_and_reading(tmp_path: Path, spacing: Spacing | None = None) -> tuple[Reading, Path]:
    r = rich_reading(spacing)
    film = tmp_path / "film.dcm"
    make_film(film, r)
    r.image_path = "film.dcm"
    return r, film


def assert_same_reading(a: Reading, b: Reading) -> None:
    for key in ("patient_id", "patient_name", "birth_date", "patient_sex", "study_date",
                "study_instance_uid", "series_instance_uid", "sop_instance_uid", "reader"):
        assert getattr(a, key) == getattr(b, key), key
    assert a.spacing.source is b.spacing.source
    assert a.spacing.detail == b.spacing.detail
    assert a.spacing.row_mm == pytest.approx(b.spacing.row_mm, rel=1e-12)
    assert a.spacing.col_mm == pytest.approx(b.spacing.col_mm, rel=1e-12)
    assert a.settings == b.settings
    assert [v.level for v in a if not v.empty] == [v.level for v in b if not v.empty]
    for va in a:
        if va.empty:
            continue
        vb = b.vertebrae[va.level]
        assert va.status is vb.status, va.level
        assert va.reason == vb.reason, va.level
        assert va.reader_grade == vb.reader_grade, va.level
        assert type(va.reader_grade) is type(vb.reader_grade), va.level
        assert va.reader_type is vb.reader_type, va.level
        assert va.note == vb.note, va.level
        assert va.confirmed == vb.confirmed, va.level
        assert set(va.points) == set(vb.points), va.level
        for s, p in va.points.items():
            q = vb.points[s]
            assert abs(p[0] - q[0]) < 1e-3 and abs(p[1] - q[1]) < 1e-3, (va.level, s, p, q)


# --------------------------------------------------------------------------------------
def test_round_trip_file_is_lossless(tmp_path):
    r, film = _film_and_reading(tmp_path)
    out = sr.export_sr(r, tmp_path / "out.dcm", image=film, time_point="follow-up")
    ds = pydicom.dcmread(out)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    assert ds.Modality == "SR"
    back = sr.import_sr(out)
    assert_same_reading(r, back)
    # measurements agree after the round trip
    s0, s1 = summarize(r), summarize(back)
    assert s0.sdi == s1.sdi and s0.not_evaluable == s1.not_evaluable == 2
    for a, b in zip(s0.results, s1.results):
        assert a.grade == b.grade and a.type is b.type and a.status is b.status
    assert sr.time_point_of(ds) == "follow-up"


def test_sr_references_the_film_and_carries_its_identity(tmp_path):
    r, film = _film_and_reading(tmp_path)
    fds = pydicom.dcmread(film)
    ds = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    for kw in ("PatientID", "PatientName", "PatientBirthDate", "PatientSex", "StudyInstanceUID",
               "StudyDate", "AccessionNumber"):
        assert ds.get(kw) == fds.get(kw), kw
    assert ds.SeriesInstanceUID != fds.SeriesInstanceUID
    ev = ds.CurrentRequestedProcedureEvidenceSequence[0]
    assert ev.StudyInstanceUID == fds.StudyInstanceUID
    ref = ev.ReferencedSeriesSequence[0]
    assert ref.SeriesInstanceUID == fds.SeriesInstanceUID
    assert ref.ReferencedSOPSequence[0].ReferencedSOPClassUID == fds.SOPClassUID
    assert ref.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == fds.SOPInstanceUID
    # every SCOORD is SELECTED FROM the film
    scoords = [i for i in _walk(ds) if i.get("ValueType") == "SCOORD"]
    assert scoords
    for s in scoords:
        img = s.ContentSequence[0]
        assert img.RelationshipType == "SELECTED FROM"
        assert img.ReferencedSOPSequence[0].ReferencedSOPInstanceUID == fds.SOPInstanceUID


def _walk(item):
    for child in item.get("ContentSequence", []) or []:
        yield child
        yield from _walk(child)


def _codes(ds):
    out = set()
    for i in _walk(ds):
        for kw in ("ConceptNameCodeSequence", "ConceptCodeSequence"):
            for c in i.get(kw, []) or []:
                out.add((c.CodingSchemeDesignator, c.CodeValue))
        mv = i.get("MeasuredValueSequence")
        if mv:
            u = mv[0].MeasurementUnitsCodeSequence[0]
            out.add((u.CodingSchemeDesignator, u.CodeValue))
    return out


def test_codes_present(tmp_path):
    r, film = _film_and_reading(tmp_path)
    ds = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film, time_point="baseline"))
    c = _codes(ds)
    # SNOMED CT vertebrae (pydicom's code dictionary, DICOM CID 7151)
    assert ("SCT", "23215003") in c      # T12 vertebra
    assert ("SCT", "66794005") in c      # L1 vertebra
    assert ("SCT", "73071006") in c      # T4 vertebra
    assert ("SCT", "421060004") in c     # vertebral column (spine group)
    assert ("SCT", "363698007") in c     # finding site
    assert ("DCM", "126010") in c        # Imaging Measurements
    assert ("DCM", "125007") in c        # Measurement Group
    assert ("DCM", "121008") in c        # Person Observer Name
    assert ("UMLS", "C1442488") in c     # Baseline (time point type)
    assert ("UCUM", "mm") in c and ("UCUM", "{ratio}") in c and ("UCUM", "%") in c
    assert ("DCM", "111066") in c and ("DCM", "111026") in c  # pixel spacing
    for code in (sr.HA, sr.HM, sr.HP, sr.WEDGE_RATIO, sr.SQ_FINAL, sr.SQ_READER,
                 sr.SPACING_SOURCE, sr.GRADE_CODES[0.5], sr.GRADE_CODES[2],
                 sr.TYPE_CODES[sr.DeformityType.BICONCAVE], sr.STATUS_CODES[sr.Status.NOT_EVALUABLE],
                 *sr.SLOT_CODES.values()):
        assert ("99VFA", code.value) in c, code
    scheme = ds.CodingSchemeIdentificationSequence[0]
    assert scheme.CodingSchemeDesignator == "99VFA"
    # the private code values fit VR SH (16 characters)
    assert all(len(code.value) <= 16 for code in sr.PRIVATE_CODES)


def test_level_codes_are_the_snomed_vertebrae():
    from pydicom.sr.codedict import codes
    for lv in LEVELS:
        code = sr.LEVEL_CODES[lv]
        assert code.scheme_designator == "SCT"
        assert code == getattr(codes.SCT, f"{lv.value}Vertebra")
        assert code.meaning == f"{lv.value} vertebra"


def test_scoord_coordinates_are_unchanged_and_heights_link_their_points(tmp_path):
    r, film = _film_and_reading(tmp_path)
    ds = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    groups = [g for g in _walk(ds) if g.get("ValueType") == "CONTAINER"
              and g.ConceptNameCodeSequence[0].CodeValue == "125007"]
    t12 = next(g for g in groups if any(
        i.get("TextValue") == "T12" for i in g.ContentSequence))
    pts = {}
    for i in t12.ContentSequence:
        if i.get("ValueType") == "SCOORD":
            pts[i.ConceptNameCodeSequence[0].CodeValue] = [float(x) for x in i.GraphicData]
    sa = r.vertebrae[Level.T12].points[sr.PointSlot.SUPERIOR_ANTERIOR]
    assert pts["PT-SUP-ANT"] == pytest.approx(list(sa), abs=1e-4)
    ha = next(i for i in t12.ContentSequence if i.get("ValueType") == "NUM"
              and i.ConceptNameCodeSequence[0].CodeValue == "HA")
    line = ha.ContentSequence[0]
    assert line.RelationshipType == "INFERRED FROM" and line.GraphicType == "POLYLINE"
    ia = r.vertebrae[Level.T12].points[sr.PointSlot.INFERIOR_ANTERIOR]
    assert [float(x) for x in line.GraphicData] == pytest.approx([*sa, *ia], abs=1e-4)
    mv = ha.MeasuredValueSequence[0]
    assert mv.MeasurementUnitsCodeSequence[0].CodeValue == "mm"
    assert float(mv.NumericValue) == pytest.approx(summarize(r).results[Level.T12.index].heights.ha)


def test_uncalibrated_reading_uses_pixel_units(tmp_path):
    r = rich_reading(Spacing.uncalibrated())
    film = tmp_path / "film.dcm"
    make_film(film, r, calibrated=False)
    ds = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    units = {(i.ConceptNameCodeSequence[0].CodeValue,
              i.MeasuredValueSequence[0].MeasurementUnitsCodeSequence[0].CodeValue)
             for i in _walk(ds) if i.get("ValueType") == "NUM" and i.get("MeasuredValueSequence")}
    assert ("HA", "{pixels}") in units and ("HP", "{pixels}") in units
    assert ("WEDGE-RATIO", "{ratio}") in units
    assert not any(u == "mm" for _, u in units)
    assert ("99VFA", "SP-UNCAL") in _codes(ds)
    back = sr.import_sr(tmp_path / "out.dcm")
    assert back.spacing.source is SpacingSource.UNCALIBRATED
    assert_same_reading(r, back)


@pytest.mark.parametrize("spacing", [
    Spacing(0.1432, 0.1511, SpacingSource.MANUAL, "30 mm over 201.3 px"),
    Spacing(0.17391304, 0.17391304, SpacingSource.MAGNIFICATION_CORRECTED, "magnification factor 1.15"),
    Spacing(0.2, 0.2, SpacingSource.IMAGER_PIXEL_SPACING),
])
def test_spacing_round_trip(tmp_path, spacing):
    r, film = _film_and_reading(tmp_path, spacing)
    back = sr.import_sr(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    assert_same_reading(r, back)


def test_reader_without_and_with_components(tmp_path):
    r, film = _film_and_reading(tmp_path)
    for name in ("dr-a", "Smith^Anna", None):
        r.reader = name
        back = sr.import_sr(sr.export_sr(r, tmp_path / "out.dcm", image=film))
        assert back.reader == name


def test_film_found_from_reading_folder_or_cwd(tmp_path, monkeypatch):
    r, film = _film_and_reading(tmp_path)
    sub = tmp_path / "readings"
    sub.mkdir()
    r.image_path = "../film.dcm"
    assert sr.find_film(r, reading_path=sub / "r.json") == (sub / "../film.dcm")
    r.image_path = "film.dcm"
    monkeypatch.chdir(tmp_path)
    assert sr.find_film(r, reading_path=sub / "r.json").resolve() == film.resolve()
    r.image_path = "elsewhere.dcm"
    with pytest.raises(ExportError, match="--image"):
        sr.find_film(r, reading_path=sub / "r.json")


def test_wrong_film_is_refused(tmp_path):
    r, film = _film_and_reading(tmp_path)
    other = tmp_path / "other.dcm"
    make_film(other)
    with pytest.raises(ExportError, match="not the film of this reading"):
        sr.export_sr(r, tmp_path / "out.dcm", image=other)


def test_non_sr_and_foreign_sr_are_refused(tmp_path):
    r, film = _film_and_reading(tmp_path)
    with pytest.raises(ExportError, match="not a structured report"):
        sr.import_sr(film)
    js = tmp_path / "r.json"
    save_reading(r, js)
    with pytest.raises(ExportError, match="not a DICOM file"):
        sr.import_sr(js)
    with pytest.raises(ExportError, match="does not exist"):
        sr.import_sr(tmp_path / "missing.dcm")
    # a foreign TID 1500 report: one planar ROI, no VFA spine group
    import highdicom as hd
    from pydicom.sr.codedict import codes
    fds = pydicom.dcmread(film)
    src = hd.sr.SourceImageForRegion(fds.SOPClassUID, fds.SOPInstanceUID)
    roi = hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier="lesion 1"),
        referenced_region=hd.sr.ImageRegion(
            graphic_type="CIRCLE", graphic_data=np.array([[10.0, 10.0], [15.0, 10.0]]),
            source_image=src),
        finding_type=codes.SCT.Lesion)
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(),
        procedure_reported=codes.LN.XRUnspecifiedBodyRegion, imaging_measurements=[roi])
    foreign = hd.sr.ComprehensiveSR(evidence=[fds], content=report[0],
                                    series_instance_uid=hd.UID(), series_number=1,
                                    sop_instance_uid=hd.UID(), instance_number=1)
    fp = tmp_path / "foreign.dcm"
    foreign.save_as(fp, enforce_file_format=True)
    with pytest.raises(ExportError, match="foreign SR"):
        sr.import_sr(fp)


def test_bad_time_point():
    with pytest.raises(ExportError, match="time point"):
        sr._time_point("midway", None)


# --------------------------------------------------------------------------------------
# dciodvfy (dicom3tools)
# --------------------------------------------------------------------------------------
@pytest.mark.skipif(shutil.which("dciodvfy") is None,
                    reason="dciodvfy (Debian package dicom3tools) is not installed; CI installs it")
def test_dciodvfy_reports_no_errors(tmp_path):
    r, film = _film_and_reading(tmp_path)
    out = sr.export_sr(r, tmp_path / "out.dcm", image=film, time_point="baseline")
    p = subprocess.run(["dciodvfy", str(out)], capture_output=True, timeout=120)
    text = (p.stdout + p.stderr).decode("utf-8", errors="replace")
    errors = [l for l in text.splitlines() if l.startswith("Error")]
    assert not errors, text
    assert "ComprehensiveSR" in text
    # the only accepted warnings: the private coding scheme's designator and UID are not
    # DICOM defined terms (expected for a private scheme)
    warnings = [l for l in text.splitlines() if l.startswith("Warning")]
    unexpected = [w for w in warnings if "99VFA" not in w and sr.SCHEME_UID not in w]
    assert not unexpected, text


# --------------------------------------------------------------------------------------
# CLI (in-process vfa.cli.main)
# --------------------------------------------------------------------------------------
def vfa(*args, cwd=None):
    return run_vfa(*args, cwd=cwd)


def one_line_error(p, pattern):
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, p.stderr
    assert pattern in lines[0], lines[0]


def test_cli_export_import_round_trip(tmp_path):
    r, film = _film_and_reading(tmp_path)
    rj = tmp_path / "r.json"
    save_reading(r, rj)
    p = vfa("export-sr", rj, "-o", tmp_path / "out.dcm", "--time-point", "baseline",
            cwd=Path(__file__).resolve().parent.parent)  # film found beside the reading file
    assert p.returncode == 0, p.stderr
    p = vfa("import-sr", tmp_path / "out.dcm", "-o", tmp_path / "back.json", "--image", film)
    assert p.returncode == 0, p.stderr
    back = load_reading(tmp_path / "back.json")
    assert_same_reading(r, back)
    assert Path(back.image_path) == film.resolve()


def test_cli_errors_are_one_line(tmp_path):
    r, film = _film_and_reading(tmp_path)
    rj = tmp_path / "r.json"
    r.image_path = "nowhere.dcm"
    save_reading(r, rj)
    one_line_error(vfa("export-sr", rj, "-o", tmp_path / "o.dcm"), "--image")
    one_line_error(vfa("export-sr", tmp_path / "none.json", "-o", tmp_path / "o.dcm"), "does not exist")
    one_line_error(vfa("import-sr", film, "-o", tmp_path / "b.json"), "not a structured report")
    one_line_error(vfa("import-sr", rj, "-o", tmp_path / "b.json"), "not a DICOM file")
    assert not (tmp_path / "o.dcm").exists() and not (tmp_path / "b.json").exists()


def _without_times(obj):
    """A DICOM JSON dict without date/time values (they differ between two builds)."""
    if isinstance(obj, dict):
        if obj.get("vr") in ("DA", "TM", "DT"):
            return None
        return {k: _without_times(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_without_times(v) for v in obj]
    return obj


@pytest.mark.parametrize("spacing", [None, Spacing(0.2, 0.2, SpacingSource.UNCALIBRATED)])
def test_highdicom_parses_and_checks_the_whole_content(tmp_path, spacing):
    """The document is built by highdicom from the whole content tree: its parsed content is
    the measurement report with every group, and the tree written is the one it parsed."""
    r, film = _film_and_reading(tmp_path, spacing)
    header = sr.read_film_header(film, r)
    doc = sr.build_sr(r, header, time_point="baseline")
    parsed = doc.content[0]   # highdicom's parse of the whole tree, as content item classes
    assert isinstance(parsed, sr.hd.sr.ContainerContentItem)
    assert len(parsed.ContentSequence) == len(doc.ContentSequence)
    assert all(isinstance(i, sr.hd.sr.ContentItem) for i in parsed.ContentSequence)
    assert [i.to_json_dict() for i in parsed.ContentSequence] == [i.to_json_dict() for i in doc.ContentSequence]
    groups = sr.hd.sr.ComprehensiveSR.from_dataset(doc).content.get_image_measurement_groups()
    levels = [v.level.value for v in r if not v.empty]
    assert [g.tracking_identifier for g in groups] == [sr.SPINE_TRACKING_ID, *levels]
    written = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    assert len(written.ContentSequence) == len(doc.ContentSequence)


def test_highdicom_refuses_content_referencing_an_image_not_in_the_evidence(tmp_path, monkeypatch):
    """highdicom's evidence check sees the content: a SCOORD on another image is refused
    with one line (ExportError), not written."""
    r, film = _film_and_reading(tmp_path)
    header = sr.read_film_header(film, r)
    real = sr._source_region

    def elsewhere(film_ds):
        item = real(film_ds)
        item.ReferencedSOPSequence[0].ReferencedSOPInstanceUID = "1.2.826.0.1.3680043.10.1.999"
        return item
    monkeypatch.setattr(sr, "_source_region", elsewhere)
    with pytest.raises(ExportError, match="No evidence was provided") as err:
        sr.build_sr(r, header)
    assert "\n" not in str(err.value)


def test_confirmed_flag_and_settings_travel_in_the_sr(tmp_path):
    r, film = _film_and_reading(tmp_path)
    r.settings = r.settings.with_(grade_thresholds_pct=(18.0, 25.0, 40.0), precision_sd_pct=4.0)
    ds = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    c = _codes(ds)
    assert ("99VFA", "SQ-CONFIRMED") in c and ("SCT", "373066001") in c and ("SCT", "373067005") in c
    back = sr.import_sr(tmp_path / "out.dcm")
    assert back.get("L1").confirmed and back.get("T12").confirmed and not back.get("L2").confirmed
    assert back.settings.grade_thresholds_pct == (18.0, 25.0, 40.0)
    assert back.settings.precision_sd_pct == 4.0


def test_reader_entered_age_travels_as_subject_age(tmp_path):
    r, film = _film_and_reading(tmp_path)
    r.birth_date = None
    fds = pydicom.dcmread(film)
    fds.PatientBirthDate = ""
    if "PatientAge" in fds:
        del fds.PatientAge
    fds.save_as(film)
    r.set_age_years(9.5)
    ds = pydicom.dcmread(sr.export_sr(r, tmp_path / "out.dcm", image=film))
    assert ("DCM", "121033") in _codes(ds) and ("UCUM", "a") in _codes(ds)
    back = sr.import_sr(tmp_path / "out.dcm")
    assert back.birth_date is None and back.age_years == 9.5 and back.is_paediatric() is True
