"""Export and import of a reading as a DICOM Structured Report (TID 1500 Measurement Report).

The document is a Comprehensive SR (2D SCOORD only, so not Comprehensive 3D) built with
:mod:`highdicom`; its layout and the private coding scheme ``99VFA`` are documented in
docs/exports.md. In short::

    Imaging Measurement Report (TID 1500)
      observer context: the reader (person) when known
      procedure reported: LN 43468-8 "XR unspecified body region"
      Imaging Measurements
        Measurement Group (TID 1501)   tracking id "T4-L4": the spine as a whole
          finding site SCT 421060004 vertebral column; time point context (TID 1502)
          algorithm identification: vfa METHOD_VERSION, parameters = MethodSettings
          NUM SDI, fractured / not-evaluable / graded counts, row/column pixel spacing
          CODE spacing source; TEXT spacing detail
        Measurement Group (TID 1501)   one per vertebra, tracking id = level ("T12")
          finding site SCT <vertebra>; time point context; algorithm identification
          NUM Ha, Hm, Hp (mm or {pixels}), each INFERRED FROM its two-point SCOORD POLYLINE
          NUM Hp_ref, wedge / biconcave / crush ratios ({ratio}), largest reduction (%)
          CODE evaluability, suggested / reader / final Genant grade and deformity type
          TEXT reason not evaluable, DCM Comment (the reader's note)
          SCOORD POINT x6, one per point slot, in the reading's coordinates UNCHANGED

SCOORD and the reading use the same convention (DICOM: (0, 0) is the top-left corner of the
top-left pixel), so no ±0.5 shift is applied anywhere in this module. SCOORD values are 32-bit
floats (VR FL): a round trip keeps points to better than 1e-3 px on films up to 8192 px.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import stat
import struct
import warnings as _warnings
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np

from vfa import METHOD_VERSION, __version__
from vfa.method import age as _age
from vfa.study.adjudication import DECIDED_BY, decided_by
from vfa.atomic import atomic_write_bytes
from vfa.films.calibration import SpacingSource
from vfa import limits as _limits
from vfa.errors import ExportError, ReadingFormatError, VfaWarning
from vfa.method.levels import POINT_SLOTS, DeformityType, Level, PointSlot, Status
from vfa.method.morphometry import LevelResult, ReadingSummary, summarize
from vfa.method.qualitative import Abq, DowngradeReason, EndplateDepression
from vfa.reading.reading import Reading, require_no_pending_proposals
from vfa.method.settings import MethodSettings

# highdicom / pydicom are imported at module level: this module is only imported by the
# export/import commands and by code that needs SR, never by the reading model.
import highdicom as hd  # noqa: E402
from pydicom import Dataset, dcmread  # noqa: E402
from pydicom.dataelem import RawDataElement  # noqa: E402
from pydicom.errors import BytesLengthException, InvalidDicomError  # noqa: E402
from pydicom.filebase import DicomBytesIO  # noqa: E402
from pydicom.sr.coding import Code  # noqa: E402
from pydicom.sr.codedict import codes  # noqa: E402
from pydicom.uid import UID_dictionary  # noqa: E402

# --------------------------------------------------------------------------------------
# Codes
# --------------------------------------------------------------------------------------
#: Private coding scheme of this tool (docs/exports.md, "The 99VFA coding scheme").
SCHEME = "99VFA"
SCHEME_VERSION = "1"
SCHEME_NAME = "VFA vertebral fracture assessment private codes"
#: UUID-derived UID (PS3.5 B.2): 2.25 + uuid5(NAMESPACE_URL, "urn:vfa:coding-scheme:99VFA").
SCHEME_UID = "2.25.59473764226122466292324434990618952555"


def _vfa(value: str, meaning: str) -> Code:
    return Code(value, SCHEME, meaning, SCHEME_VERSION)


#: SNOMED CT codes of the vertebrae T4..L4 (DICOM PS3.16 CID 7151/7602, as shipped in
#: pydicom.sr.codedict ``codes.SCT.<Level>Vertebra``).
LEVEL_CODES: dict[Level, Code] = {
    Level.T4: codes.SCT.T4Vertebra, Level.T5: codes.SCT.T5Vertebra,
    Level.T6: codes.SCT.T6Vertebra, Level.T7: codes.SCT.T7Vertebra,
    Level.T8: codes.SCT.T8Vertebra, Level.T9: codes.SCT.T9Vertebra,
    Level.T10: codes.SCT.T10Vertebra, Level.T11: codes.SCT.T11Vertebra,
    Level.T12: codes.SCT.T12Vertebra, Level.L1: codes.SCT.L1Vertebra,
    Level.L2: codes.SCT.L2Vertebra, Level.L3: codes.SCT.L3Vertebra,
    Level.L4: codes.SCT.L4Vertebra,
}
SPINE_CODE = codes.SCT.StructureOfVertebralColumn          # 421060004
SPINE_TRACKING_ID = "T4-L4"
PROCEDURE_CODE = codes.LN.XRUnspecifiedBodyRegion           # 43468-8 (CID 100)
BASELINE_CODE = codes.UMLS.Baseline                         # C1442488 (CID 6146)
COMMENT_CODE = codes.DCM.Comment                            # 121106
ROW_SPACING_CODE = codes.DCM.VerticalPixelSpacing           # 111066: between rows
COL_SPACING_CODE = codes.DCM.HorizontalPixelSpacing         # 111026: between columns
PERSON_NAME_CODE = codes.DCM.PersonObserverName             # 121008

UNIT_MM = codes.UCUM.Millimeter                             # mm
UNIT_PX = Code("{pixels}", "UCUM", "pixels")
UNIT_RATIO = codes.UCUM.Ratio                               # {ratio}
UNIT_PERCENT = codes.UCUM.Percent                           # %
UNIT_ONE = codes.UCUM.NoUnits                               # 1

# concept names (private)
HA = _vfa("HA", "Anterior vertebral body height (Ha)")
HM = _vfa("HM", "Middle vertebral body height (Hm)")
HP = _vfa("HP", "Posterior vertebral body height (Hp)")
HP_REF = _vfa("HP-REF", "Reference posterior height (mean Hp of qualifying neighbours)")
WEDGE_RATIO = _vfa("WEDGE-RATIO", "Wedge ratio (Ha/Hp)")
BICONCAVE_RATIO = _vfa("BICONC-RATIO", "Biconcavity ratio (Hm/Hp)")
CRUSH_RATIO = _vfa("CRUSH-RATIO", "Crush ratio (Hp/Hp reference)")
REDUCTION_PCT = _vfa("REDUCTION-PCT", "Largest vertebral height reduction")
SQ_SUGGESTED = _vfa("SQ-SUGGESTED", "Suggested Genant semiquantitative grade")
SQ_READER = _vfa("SQ-READER", "Reader Genant semiquantitative grade")
SQ_FINAL = _vfa("SQ-FINAL", "Final Genant semiquantitative grade")
TYPE_SUGGESTED = _vfa("TYPE-SUGGESTED", "Suggested vertebral deformity type")
TYPE_READER = _vfa("TYPE-READER", "Reader vertebral deformity type")
TYPE_FINAL = _vfa("TYPE-FINAL", "Final vertebral deformity type")
EVALUABILITY = _vfa("EVALUABILITY", "Vertebra evaluability")
NE_REASON = _vfa("NE-REASON", "Reason vertebra not evaluable")
SDI = _vfa("SDI", "Spinal Deformity Index")
N_FRACTURED = _vfa("N-FRACTURED", "Number of fractured vertebrae")
N_NOT_EVALUABLE = _vfa("N-NOT-EVALUABLE", "Number of vertebrae not evaluable")
N_GRADED = _vfa("N-GRADED", "Number of graded vertebrae")
SPACING_SOURCE = _vfa("SPACING-SOURCE", "Pixel spacing source")
SPACING_DETAIL = _vfa("SPACING-DETAIL", "Pixel spacing detail")
#: Clinical method v2 (docs/clinical-method.md): whether the final grade is the reader's
#: (a reader grade, or the suggestion confirmed as it stands), coded SCT Yes / No.
GRADE_CONFIRMED = _vfa("SQ-CONFIRMED", "Final Genant grade confirmed by the reader")
CRUSH_NOT_ASSESSABLE = _vfa("CRUSH-NA", "Reason crush ratio not assessable")
#: Clinical method v3 (docs/clinical-method.md §4): the probabilities and the measurement
#: noise they were computed with. Derived values: an import recomputes them from the points.
P_FRACTURE = _vfa("P-FRACTURE", "Probability of a reduction at or above grade 1")
P_CHANGE = _vfa("P-CHANGE", "Probability that the vertebra worsened since baseline")
WITHIN_NOISE = _vfa("WITHIN-NOISE", "Confirmed grade change within measurement noise")
MEAS_SD = _vfa("MEAS-SD", "Measurement SD of the height reduction")
LSC = _vfa("LSC", "Least significant change of the height reduction")
MEAS_SD_SOURCE = _vfa("MEAS-SD-SOURCE", "Source of the measurement SD")
#: Consensus readings (vfa/study/adjudication.py): who decided the level, "agreement" or the
#: adjudicator's name (the vertebra's ``decided_by``).
CONSENSUS_DECIDED_BY = _vfa("DECIDED-BY", "Consensus level decided by")
YES, NO = codes.SCT.Yes, codes.SCT.No
# Sagittal angles (vfa/method/angles.py), in the spine group; UCUM "deg".
KYPHOSIS_COBB = _vfa("KYPH-COBB", "Thoracic kyphosis, modified Cobb angle")
KYPHOSIS_CENTROID = _vfa("KYPH-CENTROID", "Thoracic kyphosis, vertebral centroid angle")
KYPHOSIS_LEVELS = _vfa("KYPH-LEVELS", "Thoracic kyphosis end levels")
LORDOSIS_COBB = _vfa("LORD-L1L4-COBB", "L1-L4 lordosis, Cobb angle")
LORDOSIS_CENTROID = _vfa("LORD-L1L4-CENTR", "L1-L4 lordosis, vertebral centroid angle")
LORDOSIS_LEVELS = _vfa("LORD-L1L4-LEVELS", "L1-L4 lordosis end levels")
#: name -> (Cobb, centroid, levels) concept names.
ANGLE_CODES: dict[str, tuple[Code, Code, Code]] = {
    "kyphosis": (KYPHOSIS_COBB, KYPHOSIS_CENTROID, KYPHOSIS_LEVELS),
    "lordosis_l1_l4": (LORDOSIS_COBB, LORDOSIS_CENTROID, LORDOSIS_LEVELS),
}
UNIT_DEG = codes.UCUM.Degree                                # deg
# The reader's qualitative observations (vfa/method/qualitative.py), per vertebra.
ENDPLATE_DEPRESSION = _vfa("ENDPLATE-DEPR", "Endplate depression")
ABQ = _vfa("ABQ", "Algorithm-based qualitative (ABQ) assessment")
DOWNGRADE_REASON = _vfa("DOWNGRADE", "Reason the reader downgraded the vertebra")
DOWNGRADE_TEXT = _vfa("DOWNGRADE-TEXT", "Reason for downgrading, free text")
ENDPLATE_CODES: dict[EndplateDepression, Code] = {
    EndplateDepression.SUPERIOR: _vfa("EPD-SUPERIOR", "Superior endplate depressed"),
    EndplateDepression.INFERIOR: _vfa("EPD-INFERIOR", "Inferior endplate depressed"),
    EndplateDepression.BOTH: _vfa("EPD-BOTH", "Both endplates depressed"),
    EndplateDepression.NONE: _vfa("EPD-NONE", "No endplate depression"),
}
ABQ_CODES: dict[Abq, Code] = {
    Abq.NORMAL: _vfa("ABQ-NORMAL", "ABQ normal"),
    Abq.NON_FRACTURE_DEFORMITY: _vfa("ABQ-NFD", "ABQ non-fracture deformity"),
    Abq.FRACTURE: _vfa("ABQ-FRACTURE", "ABQ fracture (endplate depression)"),
}
DOWNGRADE_CODES: dict[DowngradeReason, Code] = {
    DowngradeReason.PHYSIOLOGICAL_WEDGING: _vfa("DG-PHYS-WEDGE", "Physiological wedging"),
    DowngradeReason.SCHEUERMANN: _vfa("DG-SCHEUERMANN", "Scheuermann disease"),
    DowngradeReason.SCHMORL_NODE: _vfa("DG-SCHMORL", "Schmorl node"),
    DowngradeReason.UNOSSIFIED_RING_APOPHYSIS: _vfa("DG-RING-APOPH", "Unossified ring apophysis"),
    DowngradeReason.CUPIDS_BOW: _vfa("DG-CUPIDS-BOW", "Cupid's bow"),
    DowngradeReason.PARALLAX: _vfa("DG-PARALLAX", "Projection / parallax"),
    DowngradeReason.OTHER: _vfa("DG-OTHER", "Other reason"),
}
SUBJECT_AGE_CODE = codes.DCM.SubjectAge                     # 121033, in UCUM "a" (years)
UNIT_YEAR = codes.UCUM.Year

#: The six point slots (SCOORD POINT concept names).
SLOT_CODES: dict[PointSlot, Code] = {
    PointSlot.SUPERIOR_ANTERIOR: _vfa("PT-SUP-ANT", "Superior endplate anterior corner"),
    PointSlot.SUPERIOR_MIDDLE: _vfa("PT-SUP-MID", "Superior endplate middle"),
    PointSlot.SUPERIOR_POSTERIOR: _vfa("PT-SUP-POST", "Superior endplate posterior corner"),
    PointSlot.INFERIOR_ANTERIOR: _vfa("PT-INF-ANT", "Inferior endplate anterior corner"),
    PointSlot.INFERIOR_MIDDLE: _vfa("PT-INF-MID", "Inferior endplate middle"),
    PointSlot.INFERIOR_POSTERIOR: _vfa("PT-INF-POST", "Inferior endplate posterior corner"),
}

# coded values (private)
GRADE_CODES: dict[float, Code] = {
    0: _vfa("GENANT-0", "Genant grade 0 (normal)"),
    0.5: _vfa("GENANT-0.5", "Genant grade 0.5 (borderline)"),
    1: _vfa("GENANT-1", "Genant grade 1 (mild)"),
    2: _vfa("GENANT-2", "Genant grade 2 (moderate)"),
    3: _vfa("GENANT-3", "Genant grade 3 (severe)"),
}
TYPE_CODES: dict[DeformityType, Code] = {
    DeformityType.WEDGE: _vfa("WEDGE", "Wedge deformity"),
    DeformityType.BICONCAVE: _vfa("BICONCAVE", "Biconcave deformity"),
    DeformityType.CRUSH: _vfa("CRUSH", "Crush deformity"),
}
STATUS_CODES: dict[Status, Code] = {
    Status.EVALUABLE: _vfa("EVALUABLE", "Evaluable"),
    Status.NOT_EVALUABLE: _vfa("NOT-EVALUABLE", "Not evaluable"),
}
SPACING_CODES: dict[SpacingSource, Code] = {
    SpacingSource.PIXEL_SPACING: _vfa("SP-PIXEL", "Pixel Spacing (calibrated)"),
    SpacingSource.PIXEL_SPACING_DETECTOR: _vfa("SP-PIXEL-DET", "Pixel Spacing, at the detector"),
    SpacingSource.MAGNIFICATION_CORRECTED: _vfa("SP-MAG-CORR",
                                                "Imager Pixel Spacing, magnification-corrected"),
    SpacingSource.IMAGER_PIXEL_SPACING: _vfa("SP-IMAGER", "Imager Pixel Spacing, at the detector"),
    SpacingSource.MANUAL: _vfa("SP-MANUAL", "Manual calibration by the reader"),
    SpacingSource.UNCALIBRATED: _vfa("SP-UNCAL", "Uncalibrated (pixels)"),
}

#: Every private code, for docs/exports.md and the tests.
PRIVATE_CODES: tuple[Code, ...] = (
    HA, HM, HP, HP_REF, WEDGE_RATIO, BICONCAVE_RATIO, CRUSH_RATIO, REDUCTION_PCT,
    SQ_SUGGESTED, SQ_READER, SQ_FINAL, TYPE_SUGGESTED, TYPE_READER, TYPE_FINAL,
    EVALUABILITY, NE_REASON, SDI, N_FRACTURED, N_NOT_EVALUABLE, N_GRADED, SPACING_SOURCE,
    SPACING_DETAIL, GRADE_CONFIRMED, CRUSH_NOT_ASSESSABLE, P_FRACTURE, P_CHANGE, WITHIN_NOISE,
    MEAS_SD, LSC, MEAS_SD_SOURCE,
    *(c for cs in ANGLE_CODES.values() for c in cs),
    ENDPLATE_DEPRESSION, ABQ, DOWNGRADE_REASON, DOWNGRADE_TEXT, *ENDPLATE_CODES.values(),
    *ABQ_CODES.values(), *DOWNGRADE_CODES.values(), *SLOT_CODES.values(), *GRADE_CODES.values(), *TYPE_CODES.values(),
    *STATUS_CODES.values(), *SPACING_CODES.values(),
)

#: The two points each height is measured between (SCOORD POLYLINE of the NUM).
HEIGHT_SLOTS = {
    "ha": (PointSlot.SUPERIOR_ANTERIOR, PointSlot.INFERIOR_ANTERIOR),
    "hm": (PointSlot.SUPERIOR_MIDDLE, PointSlot.INFERIOR_MIDDLE),
    "hp": (PointSlot.SUPERIOR_POSTERIOR, PointSlot.INFERIOR_POSTERIOR),
}

TIME_POINTS = ("baseline", "follow-up")

SR_SOP_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR",
    "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR",
    "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
    "1.2.840.10008.5.1.4.1.1.88.35": "Extensible SR",
}


def _same(a: Any, b: Code) -> bool:
    """Coded concept equality on designator + value (meanings and versions may differ)."""
    try:
        return (str(a.scheme_designator) == b.scheme_designator and str(a.value) == b.value)
    except AttributeError:
        return False


# --------------------------------------------------------------------------------------
# Finding the film
# --------------------------------------------------------------------------------------
def find_film(reading: Reading, image: str | os.PathLike[str] | None = None,
              reading_path: str | os.PathLike[str] | None = None) -> Path:
    """The film of ``reading``: ``image`` if given, else ``reading.image_path`` as an absolute
    path, or relative to the reading file's folder (then the older forms: relative to the
    current folder or a parent folder of the reading, see image_path_candidates)."""
    if image is not None:
        p = Path(image)
        if not p.is_file():
            raise ExportError(f"image {p} does not exist or is not a file")
        return p
    if not reading.image_path:
        raise ExportError("the reading does not say which film it belongs to (no image_path): "
                          "pass the film with --image FILM.dcm")
    from vfa.reading.reading import image_path_candidates
    candidates = image_path_candidates(reading.image_path,
                                       reading_path or getattr(reading, "source_path", None))
    for c in candidates:
        if c.is_file():
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise ExportError(f"cannot find the film of this reading ({reading.image_path}; tried {tried}): "
                      "pass it with --image FILM.dcm")


def read_film_header(path: str | os.PathLike[str], reading: Reading | None = None) -> Dataset:
    """The film's header (no pixels), checked to be an image and the reading's film."""
    p = Path(path)
    try:
        ds = dcmread(p, stop_before_pixels=True)
    except (InvalidDicomError, EOFError, OSError, ValueError) as exc:
        raise ExportError(f"{p} is not a readable DICOM file ({exc.__class__.__name__}): "
                          "pass the DICOM film with --image") from None
    if not _uid_text(ds, "SOPClassUID"):
        raise ExportError(f"{p} has no SOPClassUID: the SR could not reference it")
    if not _uid_text(ds, "SOPInstanceUID") and not (reading is not None and reading.sop_instance_uid):
        raise ExportError(f"{p} has no SOPInstanceUID (and the reading names none): the SR "
                          "could not reference it")
    if str(ds.SOPClassUID) in SR_SOP_CLASSES:
        raise ExportError(f"{p} is a structured report, not a film: pass the radiograph with --image")
    if reading is not None:
        from vfa.reading.reading import check_film
        check_film(reading, ds, p)
    return ds


def _uid_text(ds: Dataset, keyword: str) -> str:
    try:
        return str(ds.get(keyword, "") or "").strip()
    except Exception:  # noqa: BLE001 - a damaged value counts as absent
        return ""


#: Patient/study attributes the SR copies from its film; all are type 2 in the SR's Patient
#: and General Study modules: present, empty when unknown (PS3.3 C.7.1.1, C.7.2.1).
_TYPE2_FROM_FILM = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex",
                    "StudyDate", "StudyTime", "ReferringPhysicianName", "AccessionNumber",
                    "StudyID")


def _valid(keyword: str, value: str) -> bool:
    """Whether a copied value is valid for its VR (an invalid one is replaced, not copied)."""
    import re
    if keyword in ("PatientBirthDate", "StudyDate"):
        return _dicom_date(value) is not None and len(value) == 8
    if keyword == "StudyTime":
        return re.fullmatch(r"\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?", value) is not None
    if keyword == "PatientSex":
        return value in ("M", "F", "O")
    if keyword in ("AccessionNumber", "StudyID"):
        return len(value) <= 16 and "\\" not in value
    if keyword == "PatientID":
        return len(value) <= 64 and "\\" not in value
    return True


def complete_film_header(film: Dataset, reading: Reading | None = None,
                         warnings: list[str] | None = None) -> Dataset:
    """A copy of ``film`` holding every attribute the SR takes from its evidence.

    Films from emergency departments and outside hospitals often lack some. Type 1 UIDs
    (SOP/Study/Series Instance UID) come from the reading, else are generated; each such
    replacement is reported in ``warnings``. Type 2 attributes (patient name/ID/birth date/
    sex, study date/time, accession number, study ID, referring physician) come from the
    reading when it knows them, else are present and empty. Invalid values (a sex of "X",
    a date that is not YYYYMMDD) are treated as absent. The caller's dataset is not modified.
    """
    from pydicom.uid import generate_uid

    notes = warnings if warnings is not None else []
    ds = Dataset()
    ds.update(film)
    if hasattr(film, "file_meta"):
        ds.file_meta = film.file_meta
    r = reading
    for kw, what, from_reading in (
            ("SOPInstanceUID", "SOP Instance UID", r.sop_instance_uid if r else ""),
            ("StudyInstanceUID", "Study Instance UID", r.study_instance_uid if r else ""),
            ("SeriesInstanceUID", "Series Instance UID", r.series_instance_uid if r else "")):
        if _uid_text(film, kw):
            continue
        if from_reading:
            setattr(ds, kw, from_reading)
            notes.append(f"the film has no {what}: the reading's ({from_reading}) was used")
        else:
            uid = str(generate_uid())
            setattr(ds, kw, uid)
            notes.append(f"the film has no {what}: a new one ({uid}) was generated, so the SR "
                         "will not be filed with the film's study on the PACS")
    known = {
        "PatientName": (r.patient_name or "") if r else "",
        "PatientID": (r.patient_id or "") if r else "",
        "PatientBirthDate": r.birth_date.strftime("%Y%m%d") if r and r.birth_date else "",
        "PatientSex": (r.patient_sex or "") if r else "",
        "StudyDate": r.study_date.strftime("%Y%m%d") if r and r.study_date else "",
    }
    for kw in _TYPE2_FROM_FILM:
        try:
            present = kw in film
            value = str(film.get(kw, "") or "").strip() if present else ""
        except Exception:  # noqa: BLE001 - a value pydicom cannot parse counts as absent
            present, value = False, ""
        if value and _valid(kw, value):
            continue
        if value:
            notes.append(f"the film's {kw} is not a valid DICOM value; it was left out")
        fallback = known.get(kw, "")
        setattr(ds, kw, fallback if _valid(kw, fallback) else "")
    return ds


# --------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------
def person_name(reader: str) -> str:
    """The reader as a DICOM PN: a name without component separators gets a trailing caret
    (a family-name-only PN, PS3.5 6.2.1.2), so that it is not read as the retired form."""
    return reader if "^" in reader else f"{reader}^"


def reader_from_person_name(pn: str) -> str:
    """Inverse of :func:`person_name`: drop the trailing carets of a single-component name."""
    return pn.rstrip("^") if pn.rstrip("^").count("^") == 0 else pn


def _settings_parameters(settings: MethodSettings) -> list[str]:
    return [f"{k}={v}" for k, v in settings.to_dict().items() if k != "method_version"]


def _algorithm(settings: MethodSettings) -> hd.sr.AlgorithmIdentification:
    return hd.sr.AlgorithmIdentification(name="vfa", version=METHOD_VERSION,
                                         parameters=_settings_parameters(settings))


def _time_point(time_point: str | None, order: int | None) -> hd.sr.TimePointContext | None:
    if time_point is None:
        return None
    tp = time_point.strip().lower()
    if tp not in TIME_POINTS:
        raise ExportError(f"time point {time_point!r} is not one of: {', '.join(TIME_POINTS)}")
    return hd.sr.TimePointContext(
        time_point=tp, time_point_type=BASELINE_CODE if tp == "baseline" else None,
        time_point_order=order)


def _num(name: Code, value: float, unit: Code, coords: Sequence[Any] | None = None
         ) -> hd.sr.Measurement:
    return hd.sr.Measurement(name=name, value=float(value), unit=unit,
                             referenced_coordinates=list(coords) if coords else None)


def _qual(name: Code, value: Code) -> hd.sr.QualitativeEvaluation:
    return hd.sr.QualitativeEvaluation(name=name, value=value)


def _grade_code(g: float | None) -> Code | None:
    return None if g is None else GRADE_CODES[0.5 if g == 0.5 else int(g)]


def _source_region(film: Dataset) -> hd.sr.SourceImageForRegion:
    return hd.sr.SourceImageForRegion(referenced_sop_class_uid=str(film.SOPClassUID),
                                      referenced_sop_instance_uid=str(film.SOPInstanceUID))


def _source_group(film: Dataset) -> hd.sr.SourceImageForMeasurementGroup:
    return hd.sr.SourceImageForMeasurementGroup(
        referenced_sop_class_uid=str(film.SOPClassUID),
        referenced_sop_instance_uid=str(film.SOPInstanceUID))


def _text(name: Code, value: str) -> hd.sr.TextContentItem:
    return hd.sr.TextContentItem(name=name, value=value,
                                 relationship_type=hd.sr.RelationshipTypeValues.CONTAINS)


def _vertebra_group(reading: Reading, r: LevelResult, film: Dataset,
                    tp: hd.sr.TimePointContext | None, settings: MethodSettings, v3: _V3Items
                    ) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    v = reading.vertebrae[r.level]
    unit = UNIT_MM if reading.spacing.calibrated else UNIT_PX
    meas: list[hd.sr.Measurement] = []
    if r.heights is not None:
        for key, name in (("ha", HA), ("hm", HM), ("hp", HP)):
            a, b = HEIGHT_SLOTS[key]
            line = hd.sr.CoordinatesForMeasurement(
                graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                graphic_data=np.array([v.points[a], v.points[b]], dtype=float),
                source_image=_source_region(film))
            meas.append(_num(name, getattr(r.heights, key), unit, [line]))
    if r.hp_ref is not None:
        meas.append(_num(HP_REF, r.hp_ref, unit))
    for name, val in ((WEDGE_RATIO, r.wedge), (BICONCAVE_RATIO, r.biconcave),
                      (CRUSH_RATIO, r.crush)):
        if val is not None:
            meas.append(_num(name, val, UNIT_RATIO))
    if r.percent is not None:
        meas.append(_num(REDUCTION_PCT, r.percent, UNIT_PERCENT))
    meas.extend(v3.measurements.get(r.level.value, ()))

    quals = [_qual(EVALUABILITY, STATUS_CODES[v.status])]
    for name, g in ((SQ_SUGGESTED, r.suggested_grade), (SQ_READER, v.reader_grade),
                    (SQ_FINAL, r.grade)):
        c = _grade_code(g)
        if c is not None:
            quals.append(_qual(name, c))
    for name, t in ((TYPE_SUGGESTED, r.suggested_type), (TYPE_READER, v.reader_type),
                    (TYPE_FINAL, r.type)):
        if t is not None:
            quals.append(_qual(name, TYPE_CODES[t]))
    if r.graded:
        quals.append(_qual(GRADE_CONFIRMED, YES if r.confirmed else NO))
    tables: tuple[tuple[Any, Mapping[Any, Code], Any], ...] = (
        (ENDPLATE_DEPRESSION, ENDPLATE_CODES, v.endplate_depression), (ABQ, ABQ_CODES, v.abq),
        (DOWNGRADE_REASON, DOWNGRADE_CODES, v.downgrade_reason))
    for name, table, call in tables:
        if call is not None:
            quals.append(_qual(name, table[call]))
    quals.extend(v3.evaluations.get(r.level.value, ()))

    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=r.level.value),
        time_point_context=tp,
        algorithm_id=_algorithm(settings),
        finding_sites=[hd.sr.FindingSite(anatomic_location=LEVEL_CODES[r.level])],
        measurements=meas or None,
        qualitative_evaluations=quals,
        source_images=[_source_group(film)],
    )
    content = group[0].ContentSequence
    if v.status is Status.NOT_EVALUABLE and v.reason:
        content.append(_text(NE_REASON, v.reason))
    if v.note:
        content.append(_text(COMMENT_CODE, v.note))
    if r.heights is not None and not r.crush_assessable and r.crush_reason:
        content.append(_text(CRUSH_NOT_ASSESSABLE, r.crush_reason))
    if v.downgrade_text:
        content.append(_text(DOWNGRADE_TEXT, v.downgrade_text))
    by = decided_by(v)
    if by is not None:
        content.append(_text(CONSENSUS_DECIDED_BY, by))
    for slot in POINT_SLOTS:
        if slot in v.points:
            item = hd.sr.ScoordContentItem(
                name=SLOT_CODES[slot], graphic_type=hd.sr.GraphicTypeValues.POINT,
                graphic_data=np.array([v.points[slot]], dtype=float),
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS)
            item.ContentSequence = [_source_region(film)]  # type: ignore[assignment]  # pydicom accepts a list
            content.append(item)
    return group


def _spine_group(reading: Reading, summary: ReadingSummary, film: Dataset,
                 tp: hd.sr.TimePointContext | None, settings: MethodSettings, v3: _V3Items
                 ) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    sp = reading.spacing
    meas = [
        _num(SDI, summary.sdi, UNIT_ONE),
        _num(N_FRACTURED, summary.fractured, UNIT_ONE),
        _num(N_NOT_EVALUABLE, summary.not_evaluable, UNIT_ONE),
        _num(N_GRADED, summary.graded, UNIT_ONE),
    ]
    from vfa.method.angles import spine_angle
    angle_texts = []
    for name, (cobb, cen, lv_code) in ANGLE_CODES.items():
        a = spine_angle(reading, name)
        if a is not None:
            meas.append(_num(cobb, a.cobb_deg, UNIT_DEG))
            if a.centroid_deg is not None:
                meas.append(_num(cen, a.centroid_deg, UNIT_DEG))
            angle_texts.append(_text(lv_code, a.levels))
    if sp.calibrated:
        meas += [_num(ROW_SPACING_CODE, sp.row_mm, UNIT_MM), _num(COL_SPACING_CODE, sp.col_mm, UNIT_MM)]
    age = reading.age_at_study()
    if age is not None:   # the age the method used (birth date, Patient's Age or the reader's)
        meas.append(_num(SUBJECT_AGE_CODE, round(age, 2), UNIT_YEAR))
    meas.extend(v3.measurements.get(SPINE_TRACKING_ID, ()))
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(uid=hd.UID(), identifier=SPINE_TRACKING_ID),
        time_point_context=tp,
        algorithm_id=_algorithm(settings),
        finding_sites=[hd.sr.FindingSite(anatomic_location=SPINE_CODE)],
        measurements=meas,
        qualitative_evaluations=[_qual(SPACING_SOURCE, SPACING_CODES[sp.source])],
        source_images=[_source_group(film)],
    )
    content = group[0].ContentSequence
    if sp.detail:
        content.append(_text(SPACING_DETAIL, sp.detail))
    content.extend(angle_texts)
    content.extend(v3.texts)
    return group


class _V3Items(NamedTuple):
    """The clinical method v3 items of a report (docs/exports.md), made before the groups so
    that each group's constructor receives them: measurements and qualitative evaluations by
    tracking identifier (a level, or ``SPINE_TRACKING_ID``), and the spine group's TEXT items."""

    measurements: dict[str, list[hd.sr.Measurement]]
    evaluations: dict[str, list[hd.sr.QualitativeEvaluation]]
    texts: list[hd.sr.TextContentItem]


def method_v3_items(summary: ReadingSummary, reading: Reading, baseline: Reading | None = None) -> _V3Items:
    """The clinical method v3 items: per vertebra NUM 99VFA P-FRACTURE and, against a
    baseline, NUM P-CHANGE and CODE WITHIN-NOISE (SCT Yes/No); in the spine group NUM MEAS-SD,
    LSC (percentage points) and TEXT MEAS-SD-SOURCE."""
    from vfa.method.comparison import compare
    from vfa.method.noise import noise_for
    comparison = compare(baseline, reading, summary.settings) if baseline is not None else None
    noise = comparison.measurement_noise if comparison is not None else noise_for(summary.settings)
    changes = {c.level.value: c for c in comparison.changes} if comparison is not None else {}
    meas: dict[str, list[hd.sr.Measurement]] = {
        SPINE_TRACKING_ID: [_num(MEAS_SD, noise.sd_pct, UNIT_PERCENT), _num(LSC, noise.lsc_pct, UNIT_PERCENT)]}
    quals: dict[str, list[hd.sr.QualitativeEvaluation]] = {}
    for r in summary.results:
        key = r.level.value
        if r.p_fracture is not None:
            meas.setdefault(key, []).append(_num(P_FRACTURE, round(r.p_fracture, 4), UNIT_ONE))
        ch = changes.get(key)
        if ch is not None and ch.p_change is not None:
            meas.setdefault(key, []).append(_num(P_CHANGE, round(ch.p_change, 4), UNIT_ONE))
            quals.setdefault(key, []).append(_qual(WITHIN_NOISE, YES if ch.within_noise else NO))
    return _V3Items(meas, quals, [_text(MEAS_SD_SOURCE, noise.describe())])


def build_sr(reading: Reading, film: Dataset, time_point: str | None = None,
             time_point_order: int | None = None, series_number: int = 990,
             instance_number: int = 1, warnings: list[str] | None = None, *,
             baseline: Reading | None = None) -> hd.sr.ComprehensiveSR:
    """The SR document of ``reading`` on ``film`` (a pydicom header of the source image).

    Attributes the film lacks are completed by :func:`complete_film_header`; what had to be
    taken from the reading or generated is appended to ``warnings``. ``baseline``: the
    reading to compare with (P-CHANGE, WITHIN-NOISE). Every item is made by highdicom's
    public classes and the document by ``hd.sr.ComprehensiveSR`` from the whole content tree,
    so highdicom's checks see all of it (what it refuses is an ExportError)."""
    film = complete_film_header(film, reading, warnings)
    if reading.sop_instance_uid and str(film.SOPInstanceUID) != reading.sop_instance_uid:
        raise ExportError(f"the film (SOP Instance UID {film.SOPInstanceUID}) is not the film of "
                          f"this reading ({reading.sop_instance_uid})")
    settings = reading.settings
    summary = summarize(reading, settings)
    tp = _time_point(time_point, time_point_order)
    v3 = method_v3_items(summary, reading, baseline)
    groups = [_spine_group(reading, summary, film, tp, settings, v3)]
    by_level = {r.level: r for r in summary.results}
    for v in reading:
        if not v.empty:
            groups.append(_vertebra_group(reading, by_level[v.level], film, tp, settings, v3))

    person = None
    if reading.reader:
        person = hd.sr.ObserverContext(
            observer_type=codes.DCM.Person,
            observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(
                name=person_name(reading.reader)))
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=person),
        procedure_reported=PROCEDURE_CODE,
        imaging_measurements=groups,
    )
    sr = _document(film, report[0], hd.UID(), hd.UID(), series_number, instance_number)
    sr.SoftwareVersions = [f"vfa {__version__}", METHOD_VERSION]  # type: ignore[assignment]  # multi-valued LO
    # Reasons, notes and names may hold any character: declare UTF-8 (values are str here,
    # pydicom encodes them on writing).
    sr.SpecificCharacterSet = "ISO_IR 192"
    # Declare the private coding scheme (PS3.3 C.12.1.1.2.1, Coding Scheme Identification).
    scheme = Dataset()
    scheme.CodingSchemeDesignator = SCHEME
    scheme.CodingSchemeVersion = SCHEME_VERSION
    scheme.CodingSchemeName = SCHEME_NAME
    scheme.CodingSchemeUID = SCHEME_UID
    scheme.CodingSchemeResponsibleOrganization = "vfa project (see docs/exports.md)"
    sr.CodingSchemeIdentificationSequence = [scheme]
    return sr


def _document(film: Dataset, report: Dataset, series_uid: str, sop_uid: str,
              series_number: int, instance_number: int) -> hd.sr.ComprehensiveSR:
    """The Comprehensive SR document (modules, flags, evidence) holding ``report``.

    highdicom's constructor parses a copy of the whole content tree back into its content
    item classes (value types, relationships, coded concepts, SCOORD graphic data) and checks
    that every image the content references is in the evidence (only ``film`` is): what it
    refuses is an ExportError. The content tree itself is built once, by the caller; the copy
    is highdicom's own (``document.content``, the parsed tree)."""
    try:
        return hd.sr.ComprehensiveSR(
            evidence=[film],
            content=report,
            series_instance_uid=series_uid,
            series_number=series_number,
            sop_instance_uid=sop_uid,
            instance_number=instance_number,
            manufacturer="vfa",
            is_complete=True,
            is_final=False,
            series_description="Vertebral fracture assessment (VFA)",
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise ExportError(f"the structured report could not be built ({_one_line(exc)}): "
                          "the film's header or the reading holds a value DICOM does not allow") from None


def export_sr(reading: Reading, out: str | os.PathLike[str], *,
              image: str | os.PathLike[str] | None = None,
              reading_path: str | os.PathLike[str] | None = None,
              time_point: str | None = None, allow_proposed: bool = False,
              warnings: list[str] | None = None, baseline: Reading | None = None) -> Path:
    """Write the SR of ``reading`` to ``out`` (atomically). Returns the path.

    Refuses a reading with pending proposed points unless ``allow_proposed``. What the film
    lacked and had to be taken from the reading or generated is appended to ``warnings``."""
    if not allow_proposed:
        require_no_pending_proposals([reading])
    film_path = find_film(reading, image, reading_path)
    film = read_film_header(film_path, reading)
    sr = build_sr(reading, film, time_point=time_point, warnings=warnings, baseline=baseline)
    buf = DicomBytesIO()
    sr.save_as(buf, enforce_file_format=True)
    return atomic_write_bytes(out, buf.getvalue())


# --------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------
def _key(concept: Any) -> tuple[str, str]:
    return (str(concept.scheme_designator), str(concept.value))


class _Group:
    """One TID 1501 measurement group, read through highdicom's accessors.

    NUM items are found and made as ``get_measurements`` does, CODE items come from
    ``get_qualitative_evaluations`` (each item re-made by highdicom's ``Measurement`` /
    ``QualitativeEvaluation`` classes, so their checks apply on reading too). highdicom has
    no accessor for a group's TEXT and SCOORD items (TID 1501 names none): those are found
    with ``highdicom.sr.utils.find_content_items`` and their values read as pydicom
    attributes (TextValue, GraphicType, GraphicData). Each kind is gathered in one pass and
    indexed by concept name (designator + value)."""

    def __init__(self, group: hd.sr.MeasurementsAndQualitativeEvaluations) -> None:
        self.tracking_identifier = group.tracking_identifier
        self.finding_sites = [s.value for s in group.finding_sites]
        # What get_measurements() does (find the NUM items, make each a Measurement), keeping
        # each item as stored beside its Measurement: Measurement.from_sequence re-makes the
        # item from highdicom's value, which prefers the optional Floating Point Value.
        self.nums: dict[tuple[str, str], list[tuple[hd.sr.Measurement, Dataset]]] = {}
        for item in hd.sr.utils.find_content_items(group[0], value_type=hd.sr.ValueTypeValues.NUM):
            m = hd.sr.Measurement.from_sequence([item])
            self.nums.setdefault(_key(m.name), []).append((m, item))
        self.codes: dict[tuple[str, str], list[hd.sr.QualitativeEvaluation]] = {}
        for q in group.get_qualitative_evaluations():
            self.codes.setdefault(_key(q.name), []).append(q)
        self.items: dict[tuple[str, str, str], list[Dataset]] = {}
        for vt in (hd.sr.ValueTypeValues.TEXT, hd.sr.ValueTypeValues.SCOORD):
            for item in hd.sr.utils.find_content_items(group[0], value_type=vt):
                key = (*_key(item.ConceptNameCodeSequence[0]), vt.value)
                self.items.setdefault(key, []).append(item)

    def num(self, name: Code) -> float | None:
        """The NUM's Numeric Value (DS, type 1). highdicom's ``Measurement.value`` prefers the
        optional Floating Point Value; a file whose two values disagree would then be read
        with the one no other viewer shows, so the DS is read (as every DICOM reader does)."""
        found = self.nums.get(_key(name))
        return float(found[0][1].MeasuredValueSequence[0].NumericValue) if found else None

    def code(self, name: Code) -> Any:
        found = self.codes.get(_key(name))
        return found[0].value if found else None

    def texts(self, name: Code) -> list[str]:
        return [str(i.TextValue) for i in self.items.get((*_key(name), "TEXT"), [])]

    def text(self, name: Code) -> str | None:
        found = self.texts(name)
        return found[0] if found else None

    def scoord(self, name: Code) -> Dataset | None:
        found = self.items.get((*_key(name), "SCOORD"))
        return found[0] if found else None


def _decode(mapping: dict[Any, Code], concept: Any, what: str, where: str) -> Any:
    for k, c in mapping.items():
        if _same(concept, c):
            return k
    raise ExportError(f"{where}: unknown {what} code "
                      f"({getattr(concept, 'scheme_designator', '?')}, {getattr(concept, 'value', '?')})")


def _parse_settings(params: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in params:
        key, sep, raw = p.partition("=")
        if not sep:
            continue
        raw = raw.strip()
        if raw.startswith("["):  # a list setting (grade_thresholds_pct)
            try:
                out[key.strip()] = [float(x) for x in raw.strip("[]").split(",")]
            except ValueError:
                pass
            continue
        if raw in ("True", "False"):
            out[key.strip()] = raw == "True"
        else:
            try:
                out[key.strip()] = float(raw)
            except ValueError:
                continue
    return out


def _dicom_date(value: Any) -> str | None:
    s = str(value or "").strip()
    if len(s) >= 8 and s[:8].isdigit():
        try:
            return _dt.date(int(s[:4]), int(s[4:6]), int(s[6:8])).isoformat()
        except ValueError:
            return None
    return None


#: What pydicom and highdicom raise on a damaged or hostile file (besides their own error
#: types): unknown VRs ('JV': NotImplementedError), truncated items ("No tag to read at file
#: position": OSError / struct.error / EOFError), wrong value lengths (BytesLengthException, a
#: RuntimeError), bad encodings (LookupError, UnicodeError), deep nesting (RecursionError),
#: absurd lengths (MemoryError, OverflowError) and missing or mistyped attributes. Reading an
#: SR, each of them means a bad input (ExportError, exit 1), never a traceback.
HOSTILE_SR_ERRORS: tuple[type[BaseException], ...] = (
    InvalidDicomError, BytesLengthException, RuntimeError, OSError, EOFError, struct.error, ValueError, LookupError,
    TypeError, AttributeError, IndexError, KeyError, OverflowError, MemoryError, ArithmeticError)


def _one_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's text on one short line (highdicom's can quote whole datasets)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _bad_sr(source: str, exc: BaseException) -> ExportError:
    return ExportError(f"{source} cannot be read as a VFA structured report ({exc.__class__.__name__}: "
                       f"{_one_line(exc)}): the file is damaged or not written by 'vfa export-sr'")


def _check_depth(ds: Dataset, source: str) -> None:
    """Refuse sequences nested deeper than ``limits.SR_DEPTH`` before anything recurses
    through them (iterative; every element's value is decoded here, so that a damaged one
    fails now, as a bad input)."""
    stack: list[tuple[Dataset, int]] = [(ds, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > _limits.SR_DEPTH:
            raise ExportError(f"{source}: sequences nested deeper than {_limits.SR_DEPTH} levels "
                              "(a VFA SR needs 5): the file is damaged or not a VFA report")
        for elem in item:
            if elem.VR == "SQ":
                stack.extend((child, depth + 1) for child in elem.value)


def _check_complete(ds: Dataset, source: str) -> None:
    """Refuse a file that ends inside an element: pydicom keeps a defined-length value that
    the end of the file cuts short (the top-level Content Sequence, usually), which would
    import as a shorter but plausible report. Checked on the raw elements, before decoding."""
    for tag in ds.keys():
        raw = ds.get_item(tag)
        if (isinstance(raw, RawDataElement) and raw.value is not None and raw.length != 0xFFFFFFFF
                and len(raw.value) < raw.length):
            raise ExportError(f"{source} is truncated: it ends inside {raw.tag} ({len(raw.value):,} of "
                              f"{raw.length:,} bytes): the file is damaged, copy it again")


def read_sr_dataset(path: str | os.PathLike[str]) -> Dataset:
    """Read ``path`` and check that it is a DICOM SR (ExportError otherwise): a regular file
    of at most ``limits.SR_FILE_BYTES`` bytes whose sequences nest at most ``limits.SR_DEPTH``
    deep; whatever pydicom raises on a damaged file becomes an ExportError."""
    p = Path(path)
    name = str(p) if len(str(p)) <= 200 else f"{str(p)[:80]}...{str(p)[-80:]}"
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ExportError(f"{name} does not exist") from None
    except (OSError, ValueError) as exc:  # ENAMETOOLONG, EACCES, embedded NUL
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ExportError(f"cannot read {name}: {why}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ExportError(f"{name} is a folder, not a DICOM SR file")
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(f"{name} is not a regular file (a pipe or a device): give a DICOM SR file")
    if st.st_size > _limits.SR_FILE_BYTES:
        raise ExportError(f"{name} is {st.st_size:,} bytes: a VFA structured report is at most "
                          f"{_limits.SR_FILE_BYTES:,} bytes")
    try:
        ds = dcmread(p)
        _check_complete(ds, name)
        _check_depth(ds, name)
        cls = str(ds.get("SOPClassUID", "") or "")
    except (InvalidDicomError, EOFError) as exc:
        raise ExportError(f"{name} is not a DICOM file ({exc.__class__.__name__}): expected a VFA "
                          "structured report written by 'vfa export-sr'") from None
    except ExportError:
        raise
    except HOSTILE_SR_ERRORS as exc:
        raise _bad_sr(name, exc) from None
    if cls not in SR_SOP_CLASSES:
        name_ = UID_dictionary.get(cls, ("unknown SOP class",))[0] if cls else "no SOP Class UID"
        raise ExportError(f"{name} is a DICOM {name_} object, not a structured report")
    return ds


def sr_to_reading(ds: Dataset, source: str = "SR") -> Reading:
    """Rebuild a reading from a VFA SR dataset (validated with highdicom; ``ds`` is not
    modified). Whatever a damaged or hostile dataset makes pydicom or highdicom raise is an
    ExportError (a bad input)."""
    return _converted(ds, source, copy=True)


def _converted(ds: Dataset, source: str, *, copy: bool) -> Reading:
    try:
        return _sr_to_reading(ds, source, copy)
    except (ExportError, ReadingFormatError):
        raise
    except HOSTILE_SR_ERRORS as exc:
        raise _bad_sr(source, exc) from None


def _sr_to_reading(ds: Dataset, source: str, copy: bool) -> Reading:
    cls = str(ds.get("SOPClassUID", ""))
    hd_classes: dict[str, Any] = {
        "1.2.840.10008.5.1.4.1.1.88.22": hd.sr.EnhancedSR,
        "1.2.840.10008.5.1.4.1.1.88.33": hd.sr.ComprehensiveSR,
        "1.2.840.10008.5.1.4.1.1.88.34": hd.sr.Comprehensive3DSR,
    }
    if cls not in hd_classes:
        raise ExportError(f"{source} is a {SR_SOP_CLASSES.get(cls, 'DICOM object')}, not a "
                          "VFA measurement report (expected Comprehensive SR)")
    try:
        sr = hd_classes[cls].from_dataset(ds, copy=copy)
        report = sr.content
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ExportError(f"{source} is not a valid structured report ({_one_line(exc)})") from None
    if not isinstance(report, hd.sr.MeasurementReport):
        raise ExportError(f"{source} is a structured report but not a TID 1500 measurement report "
                          "(a foreign SR): it was not written by 'vfa export-sr'")
    try:
        groups = [_Group(g) for g in report.get_image_measurement_groups()]
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise ExportError(f"{source}: the measurement groups cannot be read ({_one_line(exc)})") from None

    spine: _Group | None = None
    vert_groups: list[tuple[Level, _Group]] = []
    for g in groups:
        tid = g.tracking_identifier or ""
        if tid == SPINE_TRACKING_ID and any(_same(s, SPINE_CODE) for s in g.finding_sites):
            spine = g
            continue
        try:
            lv = Level.parse(tid)
        except ValueError:
            continue
        if not any(_same(s, LEVEL_CODES[lv]) for s in g.finding_sites):
            raise ExportError(f"{source}: measurement group {tid!r} has a finding site that is not "
                              f"the {lv} vertebra")
        vert_groups.append((lv, g))
    if spine is None:
        raise ExportError(f"{source} is a measurement report but not a VFA vertebral fracture "
                          f"report (no '{SPINE_TRACKING_ID}' group with {SCHEME} codes): a foreign SR")

    # -- spacing and settings
    src_code = spine.code(SPACING_SOURCE)
    if src_code is None:
        raise ExportError(f"{source}: the spacing source ({SCHEME} SPACING-SOURCE) is missing")
    src = _decode(SPACING_CODES, src_code, "spacing source", source)
    pixel_spacing = None
    sr_warnings: list[str] = []
    if src is not SpacingSource.UNCALIBRATED:
        row, col = spine.num(ROW_SPACING_CODE), spine.num(COL_SPACING_CODE)
        if row is None or col is None:
            raise ExportError(f"{source}: a calibrated reading needs the vertical and horizontal "
                              "pixel spacing (DCM 111066 / 111026)")
        pixel_spacing = [row, col]
        if not _limits.spacing_usable(*pixel_spacing):
            lo, hi = _limits.SPACING_RANGE_MM
            sr_warnings.append(f"{source}: the pixel spacing (DCM 111066 / 111026) is "
                               f"{pixel_spacing[0]:g} \\ {pixel_spacing[1]:g} mm ({src.value}): not "
                               f"usable (two finite numbers between {lo:g} and {hi:g} mm are needed); "
                               "it was refused and the reading is uncalibrated (heights in pixels)")
            src, pixel_spacing = SpacingSource.UNCALIBRATED, None
    settings = _parse_settings(spine.texts(codes.DCM.AlgorithmParameters))
    age = spine.num(SUBJECT_AGE_CODE)

    # -- identity
    evidence = [e for e in sr.get_evidence()]
    if not evidence:
        raise ExportError(f"{source} references no image (no evidence sequence)")
    study_uid, series_uid, sop_uid, _cls = evidence[0]
    reader = None
    for ctx in report.get_observer_contexts(observer_type=codes.DCM.Person):
        person = ctx.observer_identifying_attributes.name
        if person:
            reader = reader_from_person_name(str(person))
            break

    data: dict[str, Any] = {
        "format": "vfa-reading", "version": 1,
        "patient_id": str(ds.get("PatientID", "") or ""),
        "patient_name": str(ds.get("PatientName", "") or "") or None,
        "birth_date": _dicom_date(ds.get("PatientBirthDate")),
        "patient_sex": str(ds.get("PatientSex", "") or "") or None,
        "patient_age": str(ds.get("PatientAge", "") or "") or None,
        "study_date": _dicom_date(ds.get("StudyDate")),
        "study_instance_uid": str(study_uid),
        "series_instance_uid": str(series_uid),
        "sop_instance_uid": str(sop_uid),
        "image_path": None,
        "reader": reader,
        "pixel_spacing_mm": pixel_spacing,
        "spacing_source": src.value,
        "spacing_detail": spine.text(SPACING_DETAIL),
        "settings": settings,
        "vertebrae": [],
    }

    seen: set[Level] = set()
    for lv, g in sorted(vert_groups, key=lambda t: t[0].index):
        where = f"{source}, {lv}"
        if lv in seen:
            raise ExportError(f"{where}: level {lv} appears twice")
        seen.add(lv)
        status = Status.EVALUABLE
        st = g.code(EVALUABILITY)
        if st is not None:
            status = _decode(STATUS_CODES, st, "evaluability", where)
        grade = g.code(SQ_READER)
        dtype = g.code(TYPE_READER)
        conf = g.code(GRADE_CONFIRMED)
        qual: dict[str, Any] = {}
        for key, name, table in (("endplate_depression", ENDPLATE_DEPRESSION, ENDPLATE_CODES),
                                 ("abq", ABQ, ABQ_CODES),
                                 ("downgrade_reason", DOWNGRADE_REASON, DOWNGRADE_CODES)):
            found_q = g.code(name)
            if found_q is not None:
                qual[key] = _decode(table, found_q, key.replace("_", " "), where).value
        dg_text = g.text(DOWNGRADE_TEXT)
        if dg_text is not None:
            qual["downgrade_text"] = dg_text
        by = g.text(CONSENSUS_DECIDED_BY)
        if by:
            qual[DECIDED_BY] = by
        points: dict[str, list[float]] = {}
        for slot, code in SLOT_CODES.items():
            found = g.scoord(code)
            if found is None:
                continue
            gd = [float(x) for x in found.GraphicData]
            if str(found.get("GraphicType", "")) != "POINT" or len(gd) != 2:
                raise ExportError(f"{where}: point {slot.value} is not a single SCOORD POINT")
            if not all(math.isfinite(x) for x in gd):
                raise ExportError(f"{where}: point {slot.value} has a coordinate that is not finite")
            points[slot.value] = gd
        data["vertebrae"].append({
            "level": lv.value,
            "status": status.value,
            "reason": g.text(NE_REASON),
            "points": points or None,
            "reader_grade": _decode(GRADE_CODES, grade, "Genant grade", where) if grade is not None else None,
            "reader_type": _decode(TYPE_CODES, dtype, "deformity type", where).value if dtype is not None else None,
            "note": g.text(COMMENT_CODE),
            "confirmed": conf is not None and _same(conf, YES),
            **qual,
        })
    try:
        r = Reading.from_dict(data)
        for w in sr_warnings:
            _warnings.warn(w, VfaWarning, stacklevel=4)
        r.load_warnings[:0] = sr_warnings
        if r.age_at_study() is None and age is not None:   # the header does not give it: the reader's
            try:
                r.age_years = _age.valid_age_years(age)
            except ValueError as exc:
                raise ExportError(f"{source}: Subject Age (DCM 121033): {exc}") from None
        return r
    except ReadingFormatError as exc:
        raise ExportError(f"{source}: the SR does not describe a valid reading: {exc}") from None


def import_sr(path: str | os.PathLike[str]) -> Reading:
    """Read a VFA SR file and rebuild its reading (the dataset read here is highdicom's to
    keep: no copy)."""
    ds = read_sr_dataset(path)
    return _converted(ds, str(path), copy=False)


def time_point_of(ds: Dataset) -> str | None:
    """The time point ('baseline' / 'follow-up') recorded in a VFA SR, if any (TID 1502's
    TEXT "Time Point", found with ``highdicom.sr.utils.find_content_items``)."""
    found = hd.sr.utils.find_content_items(ds, name=Code("C2348792", "UMLS", "Time Point"),
                                           value_type=hd.sr.ValueTypeValues.TEXT, recursive=True)
    return str(found[0].TextValue) if found else None


__all__ = [
    "SCHEME", "LEVEL_CODES", "PRIVATE_CODES", "SLOT_CODES", "GRADE_CODES", "TYPE_CODES",
    "STATUS_CODES", "SPACING_CODES", "build_sr", "export_sr", "import_sr", "sr_to_reading",
    "read_sr_dataset", "read_film_header", "find_film", "time_point_of", "complete_film_header",
]
