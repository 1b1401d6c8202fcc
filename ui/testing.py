"""Helpers for the viewer's tests, benchmark and screenshots (no test framework needed).

:func:`write_film` writes a small synthetic lateral "spine" (bright blocks on a darker
background) as a DICOM file with pydicom; :func:`click_image` / :func:`drag_image` drive a
:class:`~ui.film_view.FilmView` with real mouse events at image coordinates.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np


def film_array(rows: int = 640, cols: int = 512, seed: int = 0, blocks: int = 6) -> np.ndarray:
    """uint16 12-bit image: background ~800, soft tissue band, vertebra-like blocks ~2600."""
    rng = np.random.default_rng(seed)
    img = np.full((rows, cols), 800, dtype=np.float32)
    img[:, cols // 5: cols * 4 // 5] += 600
    h = rows / (blocks + 1)
    for i in range(blocks):
        y0 = int(h * (i + 0.6))
        y1 = int(y0 + h * 0.7)
        x0, x1 = int(cols * 0.35), int(cols * 0.65)
        img[y0:y1, x0:x1] += 1200
    img += rng.normal(0, 25, img.shape)
    return np.clip(img, 0, 4095).astype(np.uint16)


def make_dataset(rows: int = 640, cols: int = 512, *, patient_id: str = "TEST001",
                 patient_name: str = "Test^Patient", birth_date: str = "19500101",
                 study_date: str = "20240110", study_uid: str | None = None,
                 sop_uid: str | None = None, pixel_spacing: tuple[float, float] | None = (0.2, 0.2),
                 imager_spacing: tuple[float, float] | None = (0.25, 0.25),
                 window: tuple[float, float] | None = (2000.0, 3000.0),
                 photometric: str = "MONOCHROME2", seed: int = 0, pixels: np.ndarray | None = None):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

    sop_class = "1.2.840.10008.5.1.4.1.1.1.1"  # Digital X-Ray Image Storage - For Presentation
    sop_uid = sop_uid or generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = patient_id
    ds.PatientName = patient_name
    ds.PatientBirthDate = birth_date
    ds.PatientSex = "F"
    ds.StudyDate = study_date
    ds.Modality = "DX"
    ds.ViewPosition = "LL"
    ds.BodyPartExamined = "SPINE"
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    if pixel_spacing is not None:
        ds.PixelSpacing = [f"{pixel_spacing[0]:g}", f"{pixel_spacing[1]:g}"]
    if imager_spacing is not None:
        ds.ImagerPixelSpacing = [f"{imager_spacing[0]:g}", f"{imager_spacing[1]:g}"]
    if window is not None:
        ds.WindowCenter = f"{window[0]:g}"
        ds.WindowWidth = f"{window[1]:g}"
        ds.WindowCenterWidthExplanation = "NORMAL"
    arr = pixels if pixels is not None else film_array(rows, cols, seed)
    ds.PixelData = np.ascontiguousarray(arr.astype(np.uint16)).tobytes()
    return ds


def write_film(path: str | Path, **kwargs) -> Path:
    """Write a synthetic film (see :func:`make_dataset` for the keyword arguments)."""
    ds = make_dataset(**kwargs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def two_visit_films(folder: str | Path, patient_id: str = "CMP001") -> tuple[Path, Path]:
    """Two visits of one patient on films that differ in photometric interpretation and bit
    depth: a 12-bit MONOCHROME1 baseline (2022) and a 16-bit MONOCHROME2 follow-up (2024)
    of the same spine, without windows in the files (the comparison's window/level test)."""
    folder = Path(folder)
    arr = film_array(seed=3).astype(np.int64)
    base = make_dataset(patient_id=patient_id, study_date="20220110", window=None,
                        photometric="MONOCHROME1", pixels=(4095 - arr).astype(np.uint16))
    follow = make_dataset(patient_id=patient_id, study_date="20240110", window=None,
                          pixels=np.clip(arr * 14 + 3000, 0, 65535).astype(np.uint16))
    follow.BitsStored, follow.HighBit = 16, 15
    paths = []
    for ds, name in ((base, "baseline_mono1.dcm"), (follow, "followup_mono2.dcm")):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths[0], paths[1]


def date(s: str) -> _dt.date:
    return _dt.date.fromisoformat(s)


# ---------------------------------------------------------------------- mouse helpers
def _qtbot_mouse():
    from PyQt6.QtTest import QTest
    return QTest


def view_point(view, x: float, y: float):
    """Viewport pixel (QPoint) of image point (x, y)."""
    return view.mapFromScene(__import__("PyQt6.QtCore", fromlist=["QPointF"]).QPointF(x, y))


def click_image(view, x: float, y: float, button=None) -> None:
    from PyQt6.QtCore import Qt
    QTest = _qtbot_mouse()
    QTest.mouseClick(view.viewport(), button or Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, view_point(view, x, y))


def send_mouse(widget, kind: str, pos, button, buttons=None) -> None:
    """A real QMouseEvent (QTest.mouseMove cannot hold a button down)."""
    from PyQt6.QtCore import QEvent, QPointF, Qt
    from PyQt6.QtGui import QMouseEvent
    from PyQt6.QtWidgets import QApplication
    t = {"press": QEvent.Type.MouseButtonPress, "move": QEvent.Type.MouseMove,
         "release": QEvent.Type.MouseButtonRelease}[kind]
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == "release" else button
    local = QPointF(pos)
    glob = QPointF(widget.mapToGlobal(pos))
    ev = QMouseEvent(t, local, glob, Qt.MouseButton.NoButton if kind == "move" else button,
                     buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, ev)


def drag_view(view, p0, p1, button=None, steps: int = 5) -> None:
    """Press at viewport point p0, move in ``steps`` to p1, release (real events)."""
    from PyQt6.QtCore import QPoint, Qt
    button = button or Qt.MouseButton.LeftButton
    vp = view.viewport()
    send_mouse(vp, "press", p0, button)
    for i in range(1, steps + 1):
        p = QPoint(round(p0.x() + (p1.x() - p0.x()) * i / steps),
                   round(p0.y() + (p1.y() - p0.y()) * i / steps))
        send_mouse(vp, "move", p, button)
    send_mouse(vp, "release", p1, button)


def drag_image(view, x0: float, y0: float, x1: float, y1: float, button=None, steps: int = 5) -> None:
    drag_view(view, view_point(view, x0, y0), view_point(view, x1, y1), button, steps)


# ---------------------------------------------------------------------- dialogs / windows
def answer_dialogs(monkeypatch) -> dict:
    """Replace every question of :mod:`ui.dialogs` by a recorded answer (never blocks).

    Returns ``{"errors": [...], "unsaved": [...], "recover": [...], "answers": {...}}``;
    change ``answers`` to steer the next replies (``answers["save_path"]``: the file an
    export dialog returns, None = cancelled; ``answers["save_first"]``: save before export;
    ``answers["item"]``: the index chosen in a list, ``"default"`` = the preselected one, None =
    cancelled; ``answers["span"]``: the two levels of Propose spine, ``"default"`` = as offered)."""
    from ui import dialogs
    asked: dict = {"errors": [], "unsaved": [], "recover": [], "lengths": [], "reasons": [],
                   "save_paths": [], "save_first": [], "warnings": [], "items": [], "spans": []}
    rec = {"unsaved": dialogs.DISCARD, "recover": dialogs.LATER, "length": 20.0,
           "reason": "hardware", "shift": 1, "save_path": None, "save_first": True,
           "item": "default", "span": "default", "age": 11.0}
    asked["answers"] = rec

    def unsaved(parent, what):
        asked["unsaved"].append(what)
        return rec["unsaved"]

    def recover(parent, descriptions):
        asked["recover"].append(list(descriptions))
        return rec["recover"]

    def length(parent, px):
        asked["lengths"].append(px)
        return rec["length"]

    def reason(parent, level):
        asked["reasons"].append(level)
        return rec["reason"]

    def save_path(parent, title, suggested, file_filter):
        asked["save_paths"].append((title, str(suggested)))
        p = rec["save_path"]
        return Path(p) if p is not None else None

    def save_first(parent, what):
        asked["save_first"].append(what)
        return rec["save_first"]

    def item(parent, title, label, items, current=0):
        asked["items"].append((title, list(items), current))
        return current if rec["item"] == "default" else rec["item"]

    def span(parent, first=None, last=None):
        asked["spans"].append((first, last))
        return (first, last) if rec["span"] == "default" else rec["span"]

    monkeypatch.setattr(dialogs, "show_warning",
                        lambda parent, text, title="VFA": asked["warnings"].append(str(text)))
    monkeypatch.setattr(dialogs, "ask_item", item)
    monkeypatch.setattr(dialogs, "ask_span_levels", span)
    monkeypatch.setattr(dialogs, "ask_save_path", save_path)
    monkeypatch.setattr(dialogs, "ask_save_first", save_first)
    monkeypatch.setattr(dialogs, "show_error",
                        lambda parent, err, title="VFA": asked["errors"].append(str(err)))
    monkeypatch.setattr(dialogs, "ask_unsaved", unsaved)
    monkeypatch.setattr(dialogs, "ask_recover", recover)
    monkeypatch.setattr(dialogs, "ask_length_mm", length)
    monkeypatch.setattr(dialogs, "ask_reason", reason)
    monkeypatch.setattr(dialogs, "ask_shift", lambda parent: rec["shift"])
    asked["ages"] = []

    def age(parent, current):
        asked["ages"].append(current)
        return rec["age"]

    monkeypatch.setattr(dialogs, "ask_age", age)
    return asked


def body_points(i: int, rows: int = 640, blocks: int = 6, wedge_px: float = 0.0,
                x0: float = 180, x1: float = 330) -> list[tuple[float, float]]:
    """Six points (guide order) on block ``i`` of :func:`film_array`'s synthetic film."""
    y0 = rows / (blocks + 1) * (i + 0.6)
    y1 = y0 + rows / (blocks + 1) * 0.7
    xm = (x0 + x1) / 2
    return [(x0, y0 + wedge_px), (xm, y0 + 1), (x1, y0), (x0, y1), (xm, y1 - 1), (x1, y1)]
