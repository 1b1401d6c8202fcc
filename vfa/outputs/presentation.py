"""Markers on any PACS: a Grayscale Softcopy Presentation State and an annotated secondary
capture of a reading (docs/exports.md, "Presentation state" and "Secondary capture").

Many PACS viewers do not draw SR TID 1500 coordinates; they do apply Grayscale Softcopy
Presentation States (GSPS) to the film they reference, and they show any secondary capture.

* :func:`build_gsps` (highdicom ``GrayscaleSoftcopyPresentationState``): references the film;
  per level a closed POLYLINE outline through the six points, the six points as small CIRCLEs,
  and the label and grade as TEXT ("T12 G2 wedge"), on one graphic layer per grade colour;
  the kyphosis endplate lines and value on a layer of their own; the window the reader used.
* :func:`build_capture` (highdicom ``SCImage``): the film rendered with the reading drawn on it
  (vfa/outputs/annotate.py), RGB, in the film's study, with the film's pixel spacing.

Coordinates: the GSPS graphic data are the reading's coordinates unchanged (DICOM's convention,
units PIXEL); nothing is shifted by 0.5.

The window: a reading does not store one. The viewer passes the window on screen; the command
line takes ``--window C,W``; otherwise the film's own presentation is used (its first VOI LUT or
window, copied by highdicom from the film; else the automatic window of vfa/films/radiograph.py).
MONOCHROME1 films get Presentation LUT Shape INVERSE so they look as intended.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import highdicom as hd
import numpy as np
from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO

from vfa import __version__
from vfa.atomic import atomic_write_bytes
from vfa.errors import ExportError
from vfa.method.levels import PointSlot, Status

if TYPE_CHECKING:  # pragma: no cover
    from vfa.films.radiograph import Radiograph, Window
    from vfa.reading.reading import Reading

S = PointSlot
GSPS_SERIES_NUMBER = 991
CAPTURE_SERIES_NUMBER = 992

#: Graphic layers (CS: upper case, at most 16 characters) and their colours (RGB).
LAYERS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "VFA_GRADE_0": ("grade 0 (normal)", (60, 190, 60)),
    "VFA_GRADE_0_5": ("grade 0.5 (borderline)", (235, 215, 0)),
    "VFA_GRADE_1": ("grade 1 (mild)", (255, 230, 0)),
    "VFA_GRADE_2": ("grade 2 (moderate)", (255, 140, 0)),
    "VFA_GRADE_3": ("grade 3 (severe)", (235, 40, 40)),
    "VFA_NOT_EVAL": ("not evaluable", (150, 150, 150)),
    "VFA_UNGRADED": ("not graded", (40, 170, 235)),
    "VFA_ANGLES": ("kyphosis and L1-L4 endplate lines", (0, 220, 255)),
}


def _layer_of(result: Any) -> str:
    if result is None or result.grade is None:
        return "VFA_UNGRADED" if result is None or result.status is Status.EVALUABLE else "VFA_NOT_EVAL"
    if result.status is Status.NOT_EVALUABLE:
        return "VFA_NOT_EVAL"
    return "VFA_GRADE_0_5" if result.grade == 0.5 else f"VFA_GRADE_{int(result.grade)}"


def _check_film(reading: "Reading", film: Dataset) -> None:
    from vfa.reading.reading import check_film
    check_film(reading, film)


def _person(reader: str | None) -> str | None:
    if not reader:
        return None
    from vfa.outputs.sr import person_name
    return person_name(reader)


def build_gsps(reading: "Reading", film: Dataset, *, window: "Window | None" = None,
               invert: bool | None = None) -> hd.pr.GrayscaleSoftcopyPresentationState:
    """The GSPS of ``reading`` on ``film`` (a pydicom header of the source image).

    ``window``: the window the reader used (modality units); None = the film's own VOI
    (copied from the film) or, when it has none, the automatic window. ``invert``: the
    display is inverted (default: MONOCHROME1)."""
    from vfa.outputs.annotate import label_for
    from vfa.method.angles import describe, spine_angle
    from vfa.method.morphometry import measure_reading

    _check_film(reading, film)
    rows, cols = int(film.Rows), int(film.Columns)
    results = {r.level: r for r in measure_reading(reading)}
    radius = max(2.0, max(rows, cols) / 400)
    objects: dict[str, tuple[list[Any], list[Any]]] = {}

    def add(layer: str, graphic: Any = None, text: Any = None) -> None:
        g, t = objects.setdefault(layer, ([], []))
        if graphic is not None:
            g.append(graphic)
        if text is not None:
            t.append(text)

    def clamp(p: tuple[float, float]) -> tuple[float, float]:  # PIXEL units: 0..Columns, 0..Rows
        return (min(max(p[0], 0.0), float(cols)), min(max(p[1], 0.0), float(rows)))

    for v in reading:
        if not v.points:
            continue
        res = results.get(v.level)
        layer = _layer_of(res)
        if v.complete:
            outline = [v.points[s] for s in (S.SUPERIOR_ANTERIOR, S.SUPERIOR_MIDDLE,
                                             S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR,
                                             S.INFERIOR_MIDDLE, S.INFERIOR_ANTERIOR)]
            outline.append(outline[0])
            add(layer, hd.pr.GraphicObject(hd.pr.GraphicTypeValues.POLYLINE,
                                           np.array(outline, dtype=float), "PIXEL",
                                           tracking_id=f"{v.level.value} outline",
                                           tracking_uid=hd.UID()))
        for s, p in v.points.items():
            add(layer, hd.pr.GraphicObject(hd.pr.GraphicTypeValues.CIRCLE,
                                           np.array([p, (p[0] + radius, p[1])], dtype=float),
                                           "PIXEL"))
        xs = [p[0] for p in v.points.values()]
        ys = [p[1] for p in v.points.values()]
        ant = [v.points[s][0] for s in (S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR) if s in v.points]
        post = [v.points[s][0] for s in (S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR) if s in v.points]
        faces_left = (sum(ant) / len(ant) < sum(post) / len(post)) if ant and post else True
        gap = radius * 4 + cols * 0.04
        anchor = clamp(((min(xs) - gap) if faces_left else (max(xs) + gap), sum(ys) / len(ys)))
        add(layer, text=hd.pr.TextObject(label_for(v.level, res), "PIXEL", anchor_point=anchor,
                                         anchor_point_visible=False))
    for name, label in (("kyphosis", "Kyphosis"), ("lordosis_l1_l4", "Lordosis")):
        a = spine_angle(reading, name)
        if a is None:
            continue
        for line in (a.upper_line, a.lower_line):
            (ax, ay), (px, py) = line
            dx, dy = px - ax, py - ay  # drawn 1.5 x longer on each side, as a viewer would
            pts = [clamp((ax - 1.5 * dx, ay - 1.5 * dy)), clamp((px + 1.5 * dx, py + 1.5 * dy))]
            add("VFA_ANGLES", hd.pr.GraphicObject(hd.pr.GraphicTypeValues.POLYLINE,
                                                  np.array(pts, dtype=float), "PIXEL"))
        text = describe(a, label).replace("\u2013", "-").replace("\u00b0", " deg")
        (ax, ay), _ = a.upper_line
        add("VFA_ANGLES", text=hd.pr.TextObject(text, "PIXEL",
                                                anchor_point=clamp((ax, ay - radius * 6)),
                                                anchor_point_visible=False))

    layers, annotations = [], []
    for order, (name, (desc, rgb)) in enumerate(LAYERS.items(), 1):
        if name not in objects:
            continue
        gl = hd.pr.GraphicLayer(name, order, description=desc,
                                display_color=hd.color.CIELabColor.from_rgb(*rgb))
        layers.append(gl)
        g, t = objects[name]
        annotations.append(hd.pr.GraphicAnnotation(referenced_images=[film], graphic_layer=gl,
                                                   graphic_objects=g or None,
                                                   text_objects=t or None))
    voi = None
    if window is not None:
        voi = [_voi(window.center, window.width, window.explanation or "reader's window")]
    elif "VOILUTSequence" not in film and "PixelData" in film:
        # The film's first window (vfa's reading of it), else the automatic window. A film
        # with only a VOI LUT table keeps it: highdicom copies it into the GSPS.
        from vfa.films.radiograph import Radiograph
        rg = Radiograph.from_dataset(film)
        w = rg.windows[0] if rg.windows else rg.auto_window()
        voi = [_voi(w.center, w.width, w.explanation or "vfa automatic window")]
    if invert is None:
        invert = str(film.get("PhotometricInterpretation", "")) == "MONOCHROME1"
    plut = hd.PresentationLUTTransformation(
        presentation_lut_shape=hd.PresentationLUTShapeValues.INVERSE if invert
        else hd.PresentationLUTShapeValues.IDENTITY)
    try:
        pr = hd.pr.GrayscaleSoftcopyPresentationState(
            referenced_images=[film],
            series_instance_uid=hd.UID(),
            series_number=GSPS_SERIES_NUMBER,
            sop_instance_uid=hd.UID(),
            instance_number=1,
            manufacturer="vfa",
            manufacturer_model_name="vfa",
            software_versions=f"vfa {__version__}",
            device_serial_number="none",
            content_label="VFA",
            content_description=(f"Vertebral fracture assessment, reader {reading.reader}"
                                 if reading.reader else "Vertebral fracture assessment")[:64],
            graphic_annotations=annotations or None,
            graphic_layers=layers or None,
            content_creator_name=_person(reading.reader),
            voi_lut_transformations=voi,
            presentation_lut_transformation=plut,
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise ExportError(f"the presentation state could not be built from the film's header: {exc}") from None
    pr.SeriesDescription = "VFA markers (presentation state)"
    pr.SpecificCharacterSet = "ISO_IR 192"   # the reader's name may hold any character
    _body_part(pr, film)
    return pr


def _voi(center: float, width: float, explanation: str) -> Any:
    # Lists of one: highdicom 0.28 would split a plain string into characters.
    return hd.pr.SoftcopyVOILUTTransformation(window_center=[float(center)],
                                              window_width=[float(width)],
                                              window_explanation=[explanation[:64]])


def _body_part(ds: Dataset, film: Dataset) -> None:
    """Body Part Examined of the film (else SPINE): an unpaired part, so that General Series
    Laterality (Type 2C, paired parts only) is rightly absent."""
    ds.BodyPartExamined = str(film.get("BodyPartExamined", "") or "SPINE")


def _film_and_reading(reading: "Reading", image: str | os.PathLike[str] | None,
                      reading_path: str | os.PathLike[str] | None, allow_proposed: bool
                      ) -> tuple[Path, Dataset]:
    from vfa.reading.reading import require_no_pending_proposals
    from vfa.outputs.sr import find_film
    if not allow_proposed:
        require_no_pending_proposals([reading])
    path = find_film(reading, image, reading_path)
    try:
        import pydicom
        ds = pydicom.dcmread(path)
    except Exception as exc:  # noqa: BLE001 - any reading failure is the user's file
        raise ExportError(f"{path} cannot be read as DICOM: {exc}") from None
    _check_film(reading, ds)
    return path, ds


def _write(ds: Dataset, out: str | os.PathLike[str]) -> Path:
    buf = DicomBytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return atomic_write_bytes(out, buf.getvalue())


def export_gsps(reading: "Reading", out: str | os.PathLike[str], *,
                image: str | os.PathLike[str] | None = None,
                reading_path: str | os.PathLike[str] | None = None,
                window: "Window | None" = None, invert: bool | None = None,
                allow_proposed: bool = False) -> Path:
    """Write the GSPS of ``reading`` (atomically); the film is found as for the SR."""
    _path, film = _film_and_reading(reading, image, reading_path, allow_proposed)
    return _write(build_gsps(reading, film, window=window, invert=invert), out)


def build_capture(reading: "Reading", radiograph: "Radiograph", film: Dataset, *,
                  window: "Window | None" = None, invert: bool | None = None,
                  max_size: int | None = 2048) -> hd.sc.SCImage:
    """An RGB secondary capture of the film with the reading drawn on it (vfa/outputs/annotate.py)."""
    import cv2

    from vfa.method.angles import describe, kyphosis, lordosis_l1_l4
    from vfa.outputs.annotate import draw_reading
    from vfa.films.display import default_settings, render

    _check_film(reading, film)
    settings = default_settings(radiograph)
    if window is not None:
        settings = settings.with_window(window)
    if invert is not None and invert != settings.invert:
        settings = settings.toggled_invert()
    grey = render(radiograph, settings, max_size)
    bgr = draw_reading(grey, reading, stored_shape=(radiograph.rows, radiograph.cols))
    h, w = bgr.shape[:2]
    lines = [describe(kyphosis(reading), "Kyphosis"), describe(lordosis_l1_l4(reading), "Lordosis")]
    fs = max(0.4, max(h, w) / 1600)
    for i, text in enumerate(lines):  # bottom left, clear of the film's own side marker
        text = text.replace("\u2013", "-").replace("\u00b0", " deg")
        org = (8, int(h - 8 - 20 * fs * 1.6 * (len(lines) - 1 - i)))
        cv2.putText(bgr, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(bgr, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255), 1, cv2.LINE_AA)
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    spacing = None
    if reading.spacing.calibrated:
        spacing = (reading.spacing.row_mm * radiograph.rows / h,
                   reading.spacing.col_mm * radiograph.cols / w)
    try:
        sc = hd.sc.SCImage.from_ref_dataset(
            ref_dataset=film, pixel_array=rgb, photometric_interpretation="RGB",
            bits_allocated=8, coordinate_system="PATIENT", series_instance_uid=hd.UID(),
            series_number=CAPTURE_SERIES_NUMBER, sop_instance_uid=hd.UID(), instance_number=1,
            manufacturer="vfa", pixel_spacing=spacing,
            patient_orientation=tuple(film.PatientOrientation) if film.get("PatientOrientation")
            and len(film.PatientOrientation) == 2 else ("A", "F"),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise ExportError(f"the secondary capture could not be built from the film's header: {exc}") from None
    sc.SeriesDescription = "VFA markers (secondary capture)"
    _body_part(sc, film)
    sc.BurnedInAnnotation = "YES"
    sc.ImageType = ["DERIVED", "SECONDARY"]
    sc.SoftwareVersions = f"vfa {__version__}"
    sc.DerivationDescription = "film rendered with the VFA reading's markers and grades drawn on it"
    return sc


def export_capture(reading: "Reading", out: str | os.PathLike[str], *,
                   image: str | os.PathLike[str] | None = None,
                   reading_path: str | os.PathLike[str] | None = None,
                   window: "Window | None" = None, invert: bool | None = None,
                   allow_proposed: bool = False, max_size: int | None = 2048) -> Path:
    """Write the annotated secondary capture of ``reading`` (atomically)."""
    from vfa.films.radiograph import load_radiograph
    path, film = _film_and_reading(reading, image, reading_path, allow_proposed)
    rg = load_radiograph(path)
    return _write(build_capture(reading, rg, film, window=window, invert=invert,
                                max_size=max_size), out)


__all__ = ["build_gsps", "export_gsps", "build_capture", "export_capture", "LAYERS"]
