"""Load a radiograph from a DICOM file: stored pixels, modality/VOI attributes, identity.

:func:`load_radiograph` reads one DICOM file read-only with pydicom 3 and returns a
:class:`Radiograph` holding

* ``stored``: the *stored* pixel values of the first frame, integers exactly as decoded
  (uint8/uint16/int16/...), read-only, shape (rows, cols). No float copy of the film is
  ever made: display goes through one lookup table indexed by stored value
  (:mod:`vfa.films.display`).
* the modality transform (rescale slope/intercept or a Modality LUT Sequence),
* every window of the file (Window Center/Width, multi-valued, with explanations), every
  VOI LUT of the VOI LUT Sequence, and the VOI LUT Function,
* photometric interpretation (MONOCHROME1 is displayed inverted by default),
* the pixel spacing and its source (:func:`vfa.films.calibration.spacing_from_dataset`),
* a :class:`StudyIdentity` (patient, study, series, view...), never logged.

Every failure is a :class:`vfa.errors.DicomLoadError` subclass whose message says what is
wrong and what to do; no pydicom/numpy exception escapes :func:`load_radiograph`.
Log messages never contain patient-identifying values or file names.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib.util
import logging
import math
import os
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np
import pydicom
import pydicom.encaps
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from vfa.method import age as _age
from vfa.films.calibration import Spacing, spacing_from_dataset
from vfa.errors import (
    DicomLoadError,
    MissingDecoderError,
    NotAnImageError,
    NotDicomError,
    PixelDataError,
    is_native_panic,
)

__all__ = [
    "MAX_DIMENSION",
    "LookupTable",
    "ModalityTransform",
    "Radiograph",
    "StudyIdentity",
    "TransferSyntax",
    "VOI_LUT_FUNCTIONS",
    "Window",
    "load_radiograph",
]

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Largest number of rows or columns accepted (a 43 cm detector at 0.1 mm is 4300).
MAX_DIMENSION = 30000
#: VOI LUT Functions of PS3.3 C.11.2.1.3 (anything else is read as LINEAR with a warning).
VOI_LUT_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
#: Number of pixels sampled for the automatic window (strided, as pyqtgraph does).
AUTO_WINDOW_SAMPLE = 1_000_000
#: Percentiles of the histogram body used by :meth:`Radiograph.auto_window`.
AUTO_WINDOW_PERCENTILES = (0.5, 99.5)


# --------------------------------------------------------------------------------------
# Small value types
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """A VOI window in modality units (PS3.3 C.11.2.1.2): centre and width."""

    center: float
    width: float
    explanation: str = ""

    @property
    def lower(self) -> float:
        return self.center - self.width / 2.0

    @property
    def upper(self) -> float:
        return self.center + self.width / 2.0

    def clamp(self, min_width: float = 1.0, value_range: tuple[float, float] | None = None) -> "Window":
        """Width at least ``min_width``; centre inside ``value_range`` (lo, hi) when given."""
        width = max(float(self.width), float(min_width))
        center = float(self.center)
        if value_range is not None:
            lo, hi = value_range
            center = min(max(center, lo), hi)
        if width == self.width and center == self.center:
            return self
        return Window(center, width, self.explanation)

    def with_delta(self, d_center: float = 0.0, d_width: float = 0.0, *, min_width: float = 1.0,
                   value_range: tuple[float, float] | None = None) -> "Window":
        """A new window moved by ``d_center`` and widened by ``d_width`` (then clamped).

        The explanation becomes "user" since the window no longer is the file's.
        """
        return Window(self.center + d_center, self.width + d_width, "user").clamp(min_width, value_range)


@dataclass(frozen=True, eq=False)
class LookupTable:
    """A Modality LUT or VOI LUT item: ``data[i]`` is the output for input ``first_mapped + i``.

    Inputs below ``first_mapped`` map to ``data[0]``, above the last entry to ``data[-1]``
    (PS3.3 C.11.1.1 / C.11.2.1.1). ``bits`` is the third LUT Descriptor value.
    """

    data: np.ndarray
    first_mapped: int
    bits: int
    explanation: str = ""

    @property
    def output_max(self) -> int:
        """Largest output the LUT can produce: 2**bits - 1 (or the data's max if larger)."""
        nominal = (1 << int(self.bits)) - 1 if 0 < self.bits <= 32 else 0
        return int(max(nominal, int(self.data.max()) if self.data.size else 0, 1))

    def __call__(self, values: Any) -> np.ndarray:
        x = np.rint(np.asarray(values, dtype=np.float64)).astype(np.int64) - int(self.first_mapped)
        np.clip(x, 0, len(self.data) - 1, out=x)
        return self.data[x]


@dataclass(frozen=True)
class ModalityTransform:
    """Stored value -> modality value: Modality LUT if present, else rescale (PS3.3 C.11.1)."""

    slope: float = 1.0
    intercept: float = 0.0
    lut: LookupTable | None = None
    rescale_type: str = ""

    @property
    def is_identity(self) -> bool:
        return self.lut is None and self.slope == 1.0 and self.intercept == 0.0

    def apply(self, stored_values: Any) -> np.ndarray:
        """Modality values (float64, or the LUT's integers) of the given stored values."""
        if self.lut is not None:
            return self.lut(stored_values)
        values = np.asarray(stored_values, dtype=np.float64)
        if self.is_identity:
            return values
        return values * self.slope + self.intercept


@dataclass(frozen=True)
class TransferSyntax:
    uid: str
    name: str
    compressed: bool

    def __str__(self) -> str:
        return f"{self.name} ({self.uid})"


@dataclass(frozen=True)
class StudyIdentity:
    """Who and what the film is. Patient fields are hidden from ``repr`` (logs, tracebacks)."""

    patient_id: str = field(default="", repr=False)
    patient_name: str = field(default="", repr=False)
    birth_date: _dt.date | None = field(default=None, repr=False)
    sex: str = ""
    patient_age: str = field(default="", repr=False)  # (0010,1010), e.g. "012Y"
    study_date: _dt.date | None = None
    study_instance_uid: str = ""
    series_instance_uid: str = ""
    sop_instance_uid: str = ""
    sop_class_uid: str = ""
    modality: str = ""
    view_position: str = ""
    body_part: str = ""
    laterality: str = ""

    def age_at_study(self) -> float | None:
        """Age in years at the study date (birth date, else Patient's Age); None if unknown."""
        return _age.age_at_study(self.birth_date, self.study_date, self.patient_age)[0]

    @property
    def age_source(self) -> str | None:
        return _age.age_at_study(self.birth_date, self.study_date, self.patient_age)[1]

    @property
    def is_paediatric(self) -> bool | None:
        """True when under 18 at the study date (docs/clinical-method.md); None if unknown."""
        from vfa.method.settings import DEFAULT_SETTINGS
        age = self.age_at_study()
        return None if age is None else age < DEFAULT_SETTINGS.paediatric_age_years


# --------------------------------------------------------------------------------------
# The radiograph
# --------------------------------------------------------------------------------------
@dataclass(eq=False)
class Radiograph:
    """A loaded radiograph (first frame). See the module docstring.

    ``stored`` is read-only: nothing in the viewer may change the film.
    """

    stored: np.ndarray
    photometric: str
    modality: ModalityTransform
    windows: list[Window]
    voi_luts: list[LookupTable]
    voi_lut_function: str
    spacing: Spacing
    identity: StudyIdentity
    transfer_syntax: TransferSyntax
    bits_stored: int
    bits_allocated: int
    pixel_representation: int
    number_of_frames: int = 1
    presentation_lut_shape: str = ""
    pixel_padding: tuple[int, int] | None = None
    lossy_compression: bool = False
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    #: The header (pixel data removed), for exports that reference the source image.
    dataset: Dataset | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    # -- shape ------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        return int(self.stored.shape[0])

    @property
    def cols(self) -> int:
        return int(self.stored.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.cols

    @property
    def signed(self) -> bool:
        return self.stored.dtype.kind == "i"

    @property
    def invert_default(self) -> bool:
        """Display inverted by default: MONOCHROME1 (or Presentation LUT Shape INVERSE).

        In DX objects MONOCHROME1 comes with INVERSE: both describe the same single inversion.
        """
        return self.photometric == "MONOCHROME1" or self.presentation_lut_shape == "INVERSE"

    # -- values -----------------------------------------------------------------------
    def modality_values(self, stored_values: Any) -> np.ndarray:
        """Modality values (what the status bar shows) of stored values."""
        return self.modality.apply(stored_values)

    def modality_value_at(self, row: int, col: int) -> float:
        """Modality value of one pixel (row, col are array indices)."""
        return float(self.modality.apply(self.stored[row, col]))

    def stored_range(self) -> tuple[int, int]:
        """Smallest and largest stored value of the film (one pass, cached)."""
        if "stored_range" not in self._cache:
            self._cache["stored_range"] = (int(self.stored.min()), int(self.stored.max()))
        return self._cache["stored_range"]

    def value_range(self) -> tuple[float, float]:
        """Range of modality values of the film (for window/level limits)."""
        lo, hi = self.stored_range()
        if self.modality.lut is not None:  # a LUT need not be monotonic
            vals = self.modality.apply(np.arange(lo, hi + 1)) if hi - lo < (1 << 20) \
                else self.modality.lut.data
        else:
            vals = self.modality.apply(np.array([lo, hi]))
        return float(np.min(vals)), float(np.max(vals))

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """A value derived from the film, computed once and kept with it (the display's
        lookup tables, the brightness distribution...): ``compute()`` the first time."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def sample(self) -> np.ndarray:
        """A strided subsample of about :data:`AUTO_WINDOW_SAMPLE` stored pixels (a view)."""
        n = self.rows * self.cols
        step = max(1, int(math.ceil(math.sqrt(n / AUTO_WINDOW_SAMPLE))))
        return self.stored[::step, ::step]

    def histogram(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The film's brightness histogram on :meth:`sample`: (stored values present,
        ascending; their pixel counts; the counts of the *body*). The body leaves out the
        Pixel Padding Value range and, when more than three values are present, the single
        lowest and highest stored values (collimation, background, saturated detector),
        which often hold a large share of a radiograph's pixels; if nothing is left, the
        body is every pixel. The one histogram of the automatic window and of
        :mod:`vfa.films.windowing`; cached."""
        return self.cached("histogram", self._histogram)

    def _histogram(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sample = np.asarray(self.sample()).ravel()
        vmin, vmax = int(sample.min()), int(sample.max())
        if vmax - vmin <= 16_777_216:
            counts = np.bincount(sample.astype(np.int64) - vmin, minlength=vmax - vmin + 1)
            values = np.arange(vmin, vmax + 1, dtype=np.int64)
            keep = counts > 0
            values, counts = values[keep], counts[keep]
        else:  # 32-bit data with a huge range: fall back on sorting
            values, counts = np.unique(sample, return_counts=True)
            values = values.astype(np.int64)
        counts = counts.astype(np.int64)
        body = counts.copy()
        if self.pixel_padding is not None:
            p0, p1 = sorted(self.pixel_padding)
            body[(values >= p0) & (values <= p1)] = 0
        if len(values) > 3:
            body[0] = body[-1] = 0
        if body.sum() == 0:
            body = counts.copy()
        return values, counts, body

    def auto_window(self) -> Window:
        """Window from the 0.5-99.5 % percentiles of the body of the histogram
        (:meth:`histogram`, on a strided sample of ~1 M pixels)."""
        return self.cached("auto_window", self._auto_window)

    def _auto_window(self) -> Window:
        values, _, body = self.histogram()
        cdf = np.cumsum(body) / float(body.sum())
        lo_p, hi_p = AUTO_WINDOW_PERCENTILES
        i_lo = int(np.searchsorted(cdf, lo_p / 100.0, side="left"))
        i_hi = int(np.searchsorted(cdf, hi_p / 100.0, side="left"))
        i_hi = min(i_hi, len(values) - 1)
        m = self.modality.apply(np.array([values[i_lo], values[i_hi]]))
        lo, hi = float(np.min(m)), float(np.max(m))
        width = max(hi - lo, 1.0)
        return Window((lo + hi) / 2.0, width, "auto")

    # -- construction -----------------------------------------------------------------
    @classmethod
    def from_dataset(cls, ds: Dataset, path: str | os.PathLike | None = None) -> "Radiograph":
        """Build a radiograph from a pydicom dataset (read from a file or made in memory).

        The dataset is not modified.
        """
        try:
            return _build(ds, Path(path) if path is not None else None, [])
        except DicomLoadError:
            raise
        except MemoryError as exc:
            raise PixelDataError(f"{_label(path)}: not enough memory to decode the image: "
                                 "close other films and try again") from exc
        except BaseException as exc:  # noqa: BLE001 - the loader's promise: only DicomLoadError
            if not isinstance(exc, Exception) and not is_native_panic(exc):
                raise
            raise _unreadable(_label(path), ds, exc) from exc


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------
def load_radiograph(path: str | os.PathLike) -> Radiograph:
    """Load the first frame of a DICOM radiograph (read-only; the file is never written).

    Raises a :class:`~vfa.errors.DicomLoadError` subclass (and nothing else) on failure.
    """
    t0 = time.perf_counter()
    try:
        p = Path(path)
    except TypeError as exc:
        raise DicomLoadError(f"{path!r} is not a file path") from exc
    label = _label(p)
    if not p.exists():
        raise DicomLoadError(f"{label}: file not found: check the path (was it moved or on a "
                             "drive that is not connected?)")
    if p.is_dir():
        raise DicomLoadError(f"{label} is a folder, not a file: open one of the DICOM files "
                             "inside it (or import the folder into the workspace)")
    if not p.is_file():  # a FIFO would block for ever, /dev/zero or /dev/urandom never end
        raise DicomLoadError(f"{label} is not a regular file (a pipe, device or socket): open a "
                             "DICOM file")
    warnings: list[str] = []
    try:
        with open(p, "rb") as fp:  # read-only
            ds = _read_dataset(fp, label, warnings)
    except DicomLoadError:
        raise
    except PermissionError as exc:
        raise DicomLoadError(f"{label}: permission denied: ask for read access to the file") from exc
    except OSError as exc:
        raise DicomLoadError(f"{label}: the file cannot be read ({exc.strerror or exc}): "
                             "check the disk or network share") from exc
    except MemoryError as exc:
        raise PixelDataError(f"{label}: not enough memory to read the file") from exc
    except Exception as exc:  # noqa: BLE001
        raise NotDicomError(f"{label}: the DICOM header cannot be parsed ({type(exc).__name__}): "
                            "the file is truncated, damaged or not DICOM; copy it again from "
                            "its source") from exc
    try:
        rg = _build(ds, p, warnings)
    except DicomLoadError:
        raise
    except MemoryError as exc:
        raise PixelDataError(f"{label}: not enough memory to decode the image: close other "
                             "films and try again") from exc
    except BaseException as exc:  # noqa: BLE001 - Exception or a native decoder's panic only
        if not isinstance(exc, Exception) and not is_native_panic(exc):
            raise
        raise _unreadable(label, ds, exc) from exc
    logger.debug("loaded radiograph %dx%d, %d bits stored, %s, %d frame(s), %d warning(s), "
                 "%.1f ms", rg.rows, rg.cols, rg.bits_stored, rg.transfer_syntax.name,
                 rg.number_of_frames, len(rg.warnings), (time.perf_counter() - t0) * 1e3)
    return rg


def _ts_name(ds: Dataset) -> str:
    """The transfer syntax of ``ds`` for a message ('RLE Lossless'), or 'unknown'."""
    try:
        uid = ds.file_meta.get("TransferSyntaxUID")
        return UID(str(uid)).name if uid else "unknown transfer syntax"
    except Exception:  # noqa: BLE001
        return "unknown transfer syntax"


def _unreadable(label: str, ds: Dataset, exc: BaseException) -> PixelDataError:
    """The one error for any unexpected failure while building the image (named file and
    transfer syntax, no traceback)."""
    return PixelDataError(
        f"{label}: the image ({_ts_name(ds)}) could not be read ({type(exc).__name__}: "
        f"{_first_line(str(exc))[:120]}): the file may be damaged or use an unusual encoding; "
        "re-export it from the PACS or modality")


def _label(path: Any) -> str:
    """How a file is named in error messages (shown to the user, never logged)."""
    if path is None:
        return "dataset"
    try:
        return f"'{Path(path).name}'"
    except TypeError:
        return "file"


def _read_dataset(fp: Any, label: str, warnings: list[str]) -> Dataset:
    try:
        ds = pydicom.dcmread(fp, force=False)
    except InvalidDicomError:
        # No preamble/'DICM': accept only a dataset that clearly is an image.
        fp.seek(0)
        try:
            ds = pydicom.dcmread(fp, force=True)
        except Exception as exc:  # noqa: BLE001
            raise NotDicomError(f"{label} is not a DICOM file (no 'DICM' marker): "
                                "choose a DICOM image (.dcm) exported by the PACS") from exc
        if not _looks_like_image(ds):
            raise NotDicomError(f"{label} is not a DICOM file (no 'DICM' marker at byte 128 and "
                                "no readable image attributes): choose a DICOM image exported "
                                "by the PACS")
        warnings.append("the file has no DICOM preamble/file meta header; it was read anyway")
    if "PixelData" not in ds:
        _check_truncated_pixel_data(fp, ds, label)
    _check_truncated_header(ds, label)
    return ds


def _check_truncated_pixel_data(fp: Any, ds: Dataset, label: str) -> None:
    """pydicom drops the whole dataset when a file ends inside encapsulated pixel data:
    re-read the header alone to tell that apart from an object without pixels."""
    try:
        fp.seek(0)
        header = pydicom.dcmread(fp, stop_before_pixels=True, force=True)
        fp.seek(0, os.SEEK_END)
        size = fp.tell()
    except Exception:  # noqa: BLE001
        return
    if len(header) > len(ds) and "Rows" in header and "Columns" in header:
        raise PixelDataError(f"{label}: the file is truncated inside its pixel data (the file "
                             f"has {size} bytes and ends before the image does): copy it again "
                             "from its source")


def _looks_like_image(ds: Dataset) -> bool:
    try:
        return ("PixelData" in ds and int(ds.get("Rows", 0) or 0) > 0
                and int(ds.get("Columns", 0) or 0) > 0 and "BitsAllocated" in ds)
    except Exception:  # noqa: BLE001
        return False


def _check_truncated_header(ds: Dataset, label: str) -> None:
    """pydicom reads a truncated file silently; find an element shorter than declared."""
    for tag in list(ds.keys()):
        raw = ds.get_item(tag)
        length = getattr(raw, "length", None)
        value = getattr(raw, "value", None)
        if (tag == 0x7FE00010 or length is None or length == 0xFFFFFFFF
                or not isinstance(value, (bytes, bytearray))):
            continue
        if len(value) < length:
            raise NotDicomError(f"{label}: the file is truncated: it ends inside the header at "
                                f"element ({tag >> 16:04X},{tag & 0xFFFF:04X}); copy the file "
                                "again from its source")


_NON_IMAGE_WORDS = ("SR Storage", "Presentation State", "Key Object", "Encapsulated",
                    "Waveform", "Raw Data", "Spectroscopy", "Segmentation", "Registration",
                    "Real World Value", "Surface", "Radiation Dose")


def _sop_class_name(uid: str) -> str:
    try:
        name = UID(uid).name
    except Exception:  # noqa: BLE001
        name = ""
    return name if name and name != uid else (f"object of SOP class {uid}" if uid else
                                              "DICOM object")


def _build(ds: Dataset, path: Path | None, warnings: list[str]) -> Radiograph:
    label = _label(path)
    sop_class = str(ds.get("SOPClassUID", "") or "")
    # ---- is it an image at all? -------------------------------------------------------
    if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        raise NotAnImageError(f"{label} holds floating-point pixel data "
                              f"({_sop_class_name(sop_class)}), not a radiograph: open the "
                              "radiograph itself")
    if "PixelData" not in ds:
        name = _sop_class_name(sop_class)
        if not sop_class and "Rows" not in ds and "Modality" not in ds:
            raise NotDicomError(f"{label}: the file ends before its dataset (no SOP class, no "
                                "image): it is truncated or empty; copy it again from its source")
        if any(w in name for w in _NON_IMAGE_WORDS):
            what = f"a {name}"
        else:
            what = f"a {name} without Pixel Data"
        raise NotAnImageError(f"{label} is {what}, not an image: open the radiograph it refers to")

    # ---- transfer syntax ---------------------------------------------------------------
    ts_uid = _transfer_syntax(ds, warnings)
    ts = TransferSyntax(str(ts_uid), ts_uid.name, bool(ts_uid.is_compressed))

    # ---- image pixel module -----------------------------------------------------------
    rows = _int(ds, "Rows")
    cols = _int(ds, "Columns")
    if rows is None or cols is None:
        raise PixelDataError(f"{label}: Rows/Columns are missing: the image size is unknown; "
                             "the file is damaged")
    if rows <= 0 or cols <= 0:
        raise PixelDataError(f"{label}: the image has {rows}x{cols} pixels (zero size): the "
                             "file is damaged; re-export it")
    if rows > MAX_DIMENSION or cols > MAX_DIMENSION:
        raise PixelDataError(f"{label}: the image claims {rows}x{cols} pixels, more than "
                             f"{MAX_DIMENSION} per side: the header is damaged")
    bits_alloc = _int(ds, "BitsAllocated")
    if bits_alloc not in (1, 8, 16, 32):
        raise PixelDataError(f"{label}: Bits Allocated is {bits_alloc}; only 1, 8, 16 or 32 bit "
                             "pixels are supported")
    bits_stored = _int(ds, "BitsStored")
    if bits_stored is None or not 1 <= bits_stored <= bits_alloc:
        warnings.append(f"Bits Stored ({bits_stored}) is invalid; {bits_alloc} was used")
        bits_stored = bits_alloc
    spp = _int(ds, "SamplesPerPixel") or 1
    if spp not in (1, 3):
        raise PixelDataError(f"{label}: {spp} samples per pixel are not supported (1 or 3)")
    pixel_rep = _int(ds, "PixelRepresentation") or 0
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    if not photometric:
        photometric = "MONOCHROME2" if spp == 1 else "RGB"
        warnings.append(f"Photometric Interpretation is missing; {photometric} was assumed")
    try:
        n_frames = int(ds.get("NumberOfFrames", 1) or 1)
    except (TypeError, ValueError):
        n_frames = 1
    n_frames = max(n_frames, 1)

    # ---- native pixel data length -----------------------------------------------------
    if not ts.compressed:
        _check_native_length(ds, label, rows, cols, bits_alloc, spp, photometric, n_frames,
                             warnings)
    else:
        _check_compressed_size(ds, label, rows, cols, bits_alloc, spp)

    # ---- decode frame 1 ---------------------------------------------------------------
    arr, bits_stored = _decode_first_frame(ds, ts_uid, label, rows, cols, bits_alloc, pixel_rep,
                                           bits_stored, photometric, spp, warnings)
    if n_frames > 1:
        warnings.append(f"the file has {n_frames} frames; only the first is shown and measured")

    # ---- colour -> grey ---------------------------------------------------------------
    if (arr.ndim == 3 and arr.shape[-1] == 3 and photometric == "RGB"
            and np.array_equal(arr[..., 0], arr[..., 1]) and np.array_equal(arr[..., 0], arr[..., 2])):
        # Greyscale-equivalent RGB (three equal channels), as DXA densitometers often send
        # their lateral images: one channel is the grey image, exactly.
        arr = np.ascontiguousarray(arr[..., 0])
        warnings.append("RGB image with three equal channels read as grey (no loss), as "
                        "densitometers send DXA images; check that it is the film and not a screenshot")
        photometric = "MONOCHROME2"
        bits_stored = int(arr.dtype.itemsize * 8)
        pixel_rep = 0
    elif arr.ndim == 3 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        arr = _to_grey(arr, ds, photometric, label)
        warnings.append(f"colour image ({photometric}) converted to grey (luma); check that this "
                        "is the radiograph and not a screenshot")
        photometric = "MONOCHROME2"
        bits_stored = int(arr.dtype.itemsize * 8)
        pixel_rep = 0
    if arr.shape != (rows, cols):
        raise PixelDataError(f"{label}: decoded image is {arr.shape}, the header says "
                             f"{rows}x{cols}: the file is damaged")
    arr = np.ascontiguousarray(arr)
    arr.setflags(write=False)

    # ---- transforms ----------------------------------------------------------------------
    little = _is_little_endian(ds, ts_uid)
    modality = _modality_transform(ds, little, pixel_rep == 1, warnings)
    windows = _windows(ds, warnings)
    modality_can_be_negative = modality.lut is None and (pixel_rep == 1 or modality.intercept < 0
                                                         or modality.slope < 0)
    voi_luts = _voi_luts(ds, little, modality_can_be_negative, warnings)
    voi_function = str(ds.get("VOILUTFunction", "") or "LINEAR").strip().upper()
    if voi_function not in VOI_LUT_FUNCTIONS:
        warnings.append(f"VOI LUT Function {voi_function!r} is unknown; LINEAR was used")
        voi_function = "LINEAR"
    padding = _padding(ds)
    lossy = str(ds.get("LossyImageCompression", "") or "").strip() == "01" or ts_uid in (
        pydicom.uid.JPEGBaseline8Bit, pydicom.uid.JPEGExtended12Bit, pydicom.uid.JPEGLSNearLossless)
    if lossy:
        warnings.append("the image was lossy-compressed; fine detail may be altered")

    header = _header_copy(ds)
    return Radiograph(
        stored=arr,
        photometric=photometric,
        modality=modality,
        windows=windows,
        voi_luts=voi_luts,
        voi_lut_function=voi_function,
        spacing=spacing_from_dataset(ds, warnings),
        identity=_identity(ds),
        transfer_syntax=ts,
        bits_stored=bits_stored,
        bits_allocated=int(arr.dtype.itemsize * 8) if bits_alloc != 1 else 1,
        pixel_representation=pixel_rep,
        number_of_frames=n_frames,
        presentation_lut_shape=str(ds.get("PresentationLUTShape", "") or "").strip().upper(),
        pixel_padding=padding,
        lossy_compression=lossy,
        path=path,
        warnings=warnings,
        dataset=header,
    )


def _int(ds: Dataset, keyword: str) -> int | None:
    try:
        value = ds.get(keyword)
        if value is None or value == "":
            return None
        return int(value)
    except (TypeError, ValueError):
        return None


def _transfer_syntax(ds: Dataset, warnings: list[str]) -> UID:
    meta = getattr(ds, "file_meta", None)
    uid = meta.get("TransferSyntaxUID") if meta is not None else None
    if uid:
        return UID(str(uid))
    # A dataset without file meta (no preamble or made in memory): use how it was read.
    implicit, little = getattr(ds, "original_encoding", (None, None))
    if implicit is None:
        implicit, little = False, True
    if ds["PixelData"].is_undefined_length:
        raise PixelDataError("compressed pixel data without a Transfer Syntax UID: the codec "
                             "is unknown; re-export the file with its file meta header")
    if implicit:
        return pydicom.uid.ImplicitVRLittleEndian
    return pydicom.uid.ExplicitVRLittleEndian if little else pydicom.uid.ExplicitVRBigEndian


def _is_little_endian(ds: Dataset, ts: UID) -> bool:
    if ts == pydicom.uid.ExplicitVRBigEndian:
        return False
    return True


def _check_native_length(ds: Dataset, label: str, rows: int, cols: int, bits_alloc: int,
                         spp: int, photometric: str, n_frames: int, warnings: list[str]) -> None:
    raw = ds.get_item("PixelData")
    value = getattr(raw, "value", None)
    if value is None:
        value = ds.PixelData
    try:
        have = len(value)
    except TypeError:  # deferred read: trust the declared length
        return
    pixels = rows * cols
    if photometric == "YBR_FULL_422":
        frame_bits = pixels * bits_alloc * 2
    else:
        frame_bits = pixels * bits_alloc * spp
    need = (frame_bits + 7) // 8
    per = f"{rows}x{cols}x{bits_alloc} bits" + (f"x{spp} samples" if spp > 1 else "")
    if have < need:
        raise PixelDataError(f"{label}: pixel data has {have} bytes, {per} needs {need}: the "
                             "file is truncated or damaged; copy or export it again")
    if n_frames > 1 and have < need * n_frames:
        warnings.append(f"pixel data holds fewer than the {n_frames} declared frames")
    left = have - need * n_frames
    if left > 1:  # one byte is the padding to an even length
        frames = f" x {n_frames} frames" if n_frames > 1 else ""
        warnings.append(f"pixel data has {have} bytes but {per}{frames} needs {need * n_frames}: "
                        f"{left} bytes are left over, so Rows, Columns, Bits Allocated or Number "
                        "of Frames is probably wrong and the image shown may be incomplete")


#: A compressed frame may decode to at most this many times its compressed bytes, once it is
#: larger than :data:`DECODED_FREE_BYTES` (a header claiming 30000x30000 pixels over a few
#: hundred bytes of data would otherwise make the decoder allocate gigabytes).
MAX_COMPRESSION_RATIO = 1000
DECODED_FREE_BYTES = 64 * 2**20


def _check_compressed_size(ds: Dataset, label: str, rows: int, cols: int, bits_alloc: int,
                           spp: int) -> None:
    """Refuse a compressed image whose declared size the bytes present cannot hold, before
    any decoder allocates the declared size."""
    try:
        have = len(ds.PixelData)
    except Exception:  # noqa: BLE001 - missing or deferred pixel data: the decoder says so
        return
    need = (rows * cols * bits_alloc * spp + 7) // 8
    if need > DECODED_FREE_BYTES and need > MAX_COMPRESSION_RATIO * max(have, 1):
        raise PixelDataError(
            f"{label}: the header claims a {rows}x{cols} image ({need // 2**20} MB decoded) but the "
            f"compressed pixel data holds only {have} bytes (more than {MAX_COMPRESSION_RATIO}:1): "
            "the header is damaged; re-export the film")


#: pip packages that decode each compressed transfer syntax (what to tell the user).
_DECODER_PACKAGES: dict[str, tuple[tuple[str, str], ...]] = {
    # uid: ((pip package, importable module), ...) in order of preference
    pydicom.uid.JPEGBaseline8Bit: (("pylibjpeg-libjpeg", "libjpeg"), ("pillow", "PIL")),
    pydicom.uid.JPEGExtended12Bit: (("pylibjpeg-libjpeg", "libjpeg"),),
    pydicom.uid.JPEGLossless: (("pylibjpeg-libjpeg", "libjpeg"),),
    pydicom.uid.JPEGLosslessSV1: (("pylibjpeg-libjpeg", "libjpeg"),),
    pydicom.uid.JPEGLSLossless: (("pyjpegls", "jpeg_ls"), ("pylibjpeg-libjpeg", "libjpeg")),
    pydicom.uid.JPEGLSNearLossless: (("pyjpegls", "jpeg_ls"), ("pylibjpeg-libjpeg", "libjpeg")),
    pydicom.uid.JPEG2000Lossless: (("pylibjpeg-openjpeg", "openjpeg"),),
    pydicom.uid.JPEG2000: (("pylibjpeg-openjpeg", "openjpeg"),),
    pydicom.uid.HTJ2KLossless: (("pylibjpeg-openjpeg", "openjpeg"),),
    pydicom.uid.HTJ2KLosslessRPCL: (("pylibjpeg-openjpeg", "openjpeg"),),
    pydicom.uid.HTJ2K: (("pylibjpeg-openjpeg", "openjpeg"),),
    pydicom.uid.RLELossless: (("pylibjpeg-rle", "rle"),),
}


def _module_installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _install_hint(ts: UID) -> str:
    """'install pylibjpeg-openjpeg (pip install pylibjpeg pylibjpeg-openjpeg)' or similar."""
    options = _DECODER_PACKAGES.get(ts, ())
    if not options:
        return ("no Python decoder is known for it: convert the file to an uncompressed or "
                "JPEG 2000 transfer syntax (e.g. with DCMTK dcmdjpeg or gdcmconv)")
    missing = [pkg for pkg, mod in options if not _module_installed(mod)]
    pkg = (missing or [options[0][0]])[0]
    extra = "pylibjpeg " if pkg.startswith("pylibjpeg-") and not _module_installed("pylibjpeg") else ""
    return f"install {pkg} (pip install {extra}{pkg})"


#: Decoders that verify their stream, used alone when installed: pydicom would otherwise fall
#: back on pylibjpeg-libjpeg, which decodes a damaged or truncated JPEG-LS stream to a
#: plausible-looking but wrong image without a word.
_STRICT_PLUGINS: dict[str, str] = {
    pydicom.uid.JPEGLSLossless: "pyjpegls",
    pydicom.uid.JPEGLSNearLossless: "pyjpegls",
}
#: Share of sampled pixels with bits set above Bits Stored from which Bits Stored is judged
#: impossible (a few such pixels are overlay bits or noise, and are masked as the standard says).
BITS_STORED_IMPOSSIBLE_SHARE = 0.01


def _decode_first_frame(ds: Dataset, ts: UID, label: str, rows: int, cols: int, bits_alloc: int,
                        pixel_rep: int, bits_stored: int, photometric: str, spp: int,
                        warnings: list[str] | None = None) -> tuple[np.ndarray, int]:
    """The first frame (stored values) and the Bits Stored actually used."""
    warnings = warnings if warnings is not None else []
    try:
        decoder = get_decoder(ts)
    except NotImplementedError as exc:
        raise MissingDecoderError(
            f"{label}: transfer syntax {ts.name} ({ts}) cannot be decoded: "
            f"{_install_hint(ts)}") from exc
    if not decoder.is_available:
        deps = "; ".join(decoder.missing_dependencies)
        raise MissingDecoderError(
            f"{label}: no decoder for {ts.name} is installed: {_install_hint(ts)}"
            + (f" (pydicom also accepts: {deps})" if deps else ""))
    options: dict[str, Any] = {}
    mask_unused = 0
    if not decoder.is_encapsulated and spp == 1 and bits_alloc in (8, 16, 32):
        # A view on the pixel bytes (no copy). pydicom would copy then shift twice to clear
        # unused high bits; for unsigned data one masking pass does the same job.
        options["view_only"] = True
        if bits_stored < bits_alloc:
            if pixel_rep == 0:
                options["correct_unused_bits"] = False
                mask_unused = (1 << bits_stored) - 1
            else:
                options["view_only"] = False  # signed: pydicom's sign-extending shift
    strict = _STRICT_PLUGINS.get(ts)
    if strict and strict in getattr(decoder, "available_plugins", ()):
        options["decoding_plugin"] = strict
        _require_end_of_image(ds, ts, label)
    try:
        if decoder.is_encapsulated:
            with _native_stderr_captured():
                arr, props = decoder.as_array(ds, index=0, **options)
        else:
            arr, props = decoder.as_array(ds, index=0, **options)
    except MemoryError:
        raise
    except BaseException as exc:  # noqa: BLE001 - Exception, or a native decoder's panic only
        if not isinstance(exc, Exception) and not is_native_panic(exc):
            raise  # KeyboardInterrupt, SystemExit, GeneratorExit
        detail = _first_line(str(exc))
        if not isinstance(exc, Exception):
            detail = f"the decoder crashed: {detail}"
        if decoder.is_encapsulated:
            options_ = _DECODER_PACKAGES.get(ts, ())
            missing = [pkg for pkg, mod in options_ if not _module_installed(mod)]
            if missing:
                raise MissingDecoderError(
                    f"{label}: the installed decoders could not decode {ts.name} "
                    f"({detail}): {_install_hint(ts)}") from exc
            raise PixelDataError(f"{label}: the compressed pixel data ({ts.name}) could not be "
                                 f"decoded ({detail}): the file may be damaged; re-export "
                                 "it") from exc
        raise PixelDataError(f"{label}: the pixel data ({ts.name}) could not be read "
                             f"({detail}): the file may be damaged; re-export it") from exc
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not arr.dtype.isnative:  # big endian signed data can come back as '>i2'
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if pixel_rep == 0 and arr.ndim == 2 and arr.dtype.kind == "u" and bits_stored < bits_alloc:
        used = _bits_really_used(arr, bits_stored)
        if used is not None:
            warnings.append(f"Bits Stored is {bits_stored} but the pixel values use {used} bits "
                            f"(of {bits_alloc} allocated): the header is wrong; {used} bits were "
                            "used. Check the image against the original")
            bits_stored = used
            mask_unused = (1 << used) - 1 if mask_unused and used < bits_alloc else 0
    if mask_unused:
        arr = np.bitwise_and(arr, np.array(mask_unused, dtype=arr.dtype))
    return arr, bits_stored


def _require_end_of_image(ds: Dataset, ts: UID, label: str) -> None:
    """Refuse a JPEG-LS frame that has lost its end (no End Of Image marker, FFD9).

    The strict decoder (CharLS) needs many seconds to give up on such a stream; a truncated
    file is named at once instead."""
    try:
        frame = next(pydicom.encaps.generate_frames(
            ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1) or 1)))
    except Exception:  # noqa: BLE001 - unreadable fragments: the decoder says what is wrong
        return
    if not bytes(frame[-16:]).rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise PixelDataError(f"{label}: the compressed pixel data ({ts.name}) is truncated (the "
                             "first frame has no end-of-image marker): the file is damaged or "
                             "was cut short in transfer; re-export it")


def _bits_really_used(arr: np.ndarray, bits_stored: int) -> int | None:
    """The bits the values need when Bits Stored cannot be right, else None.

    Bits above Bits Stored may legitimately hold anything (old overlay planes, a constant
    0xF000): those are masked. Bits Stored is judged impossible when, in a strided sample,
    more than :data:`BITS_STORED_IMPOSSIBLE_SHARE` of the pixels have higher bits set AND
    those higher bits take more than 16 different values (image data, not a few overlay
    planes) or Bits Stored is below 6 (no radiograph has fewer grey levels; the DX IOD
    asks for 6 to 16)."""
    step = max(1, int(math.ceil(math.sqrt(arr.size / 250_000))))
    sample = arr[::step, ::step]
    high = sample >> bits_stored
    over = int(np.count_nonzero(high))
    if over <= BITS_STORED_IMPOSSIBLE_SHARE * sample.size:
        return None
    if bits_stored >= 6 and len(np.unique(high)) <= 16:
        return None
    return max(int(sample.max()).bit_length(), bits_stored + 1)


_STDERR_LOCK = threading.Lock()


@contextlib.contextmanager
def _native_stderr_captured():
    """Hold back what native code writes on file descriptor 2 while a compressed frame is
    decoded. A Rust decoder that panics (pylibjpeg-rle on damaged RLE data) prints its panic
    message and a backtrace straight on the process's stderr before Python sees the
    exception; the loader reports the failure in one line of its own instead. Anything else
    written meanwhile (by any thread) is passed on afterwards, unless a panic occurred."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield  # no usable fd 2 (embedded interpreter): nothing to hold back
        return
    with _STDERR_LOCK, tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        panicked = False
        try:
            yield
        except BaseException as exc:
            panicked = is_native_panic(exc)
            raise
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            if not panicked:
                held.seek(0)
                data = held.read()
                if data:
                    try:
                        os.write(2, data)
                    except OSError:
                        pass


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    # pydicom's "all plugins failed" message lists each plugin on its own line
    return " / ".join(lines[:3])[:300] if lines else "no detail"


def _to_grey(arr: np.ndarray, ds: Dataset, photometric: str, label: str) -> np.ndarray:
    import cv2  # local: only colour files need it

    if photometric == "PALETTE COLOR":
        from pydicom.pixels.processing import apply_color_lut

        try:
            arr = apply_color_lut(arr, ds)
        except Exception as exc:  # noqa: BLE001
            raise PixelDataError(f"{label}: the palette colour image cannot be converted "
                                 f"({_first_line(str(exc))})") from exc
    if arr.ndim == 2:
        return arr
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise PixelDataError(f"{label}: unexpected colour image shape {arr.shape}")
    arr = np.ascontiguousarray(arr)
    if arr.dtype in (np.uint8, np.uint16):
        return cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY)
    # other integer types: BT.601 luma in float, once (colour files are small and rare)
    grey = arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114
    return np.rint(grey).astype(arr.dtype)


# ---- LUTs --------------------------------------------------------------------------
def _parse_lut(item: Dataset, little: bool, signed_input: bool, what: str,
               warnings: list[str]) -> LookupTable | None:
    try:
        desc = [int(v) for v in item.LUTDescriptor]
        if len(desc) != 3:
            raise ValueError("LUT Descriptor needs 3 values")
        n_entries = (desc[0] % 65536) or 65536  # read as SS, 40000 entries would be < 0
        first = desc[1]
        if signed_input and first >= 32768:
            first -= 65536  # US encoding of a signed first value (VR 'US or SS')
        bits = desc[2]
        raw = item.LUTData
        if isinstance(raw, (bytes, bytearray, memoryview)):
            buf = bytes(raw)
            if bits <= 8 and len(buf) in (n_entries, n_entries + 1):
                data: np.ndarray = np.frombuffer(buf, dtype=np.uint8)[:n_entries]
            else:
                data = np.frombuffer(buf[: 2 * (len(buf) // 2)], dtype="<u2" if little else ">u2")
                data = data[:n_entries].astype(np.uint16)
        else:
            values = [raw] if isinstance(raw, (int, float)) else list(raw)
            data = np.asarray(values, dtype=np.int64)[:n_entries]
            data = data.astype(np.uint16 if data.min(initial=0) >= 0 and data.max(initial=0) < 65536
                               else np.int64)
        if data.size == 0:
            raise ValueError("LUT Data is empty")
        if data.size < n_entries:
            warnings.append(f"{what}: LUT Data has {data.size} entries, the descriptor says "
                            f"{n_entries}; the entries present were used")
        explanation = str(item.get("LUTExplanation", "") or "").strip()
        data = np.ascontiguousarray(data)
        data.setflags(write=False)
        return LookupTable(data, first, bits, explanation)
    except Exception as exc:  # noqa: BLE001
        warnings.append(f"{what} cannot be read ({_first_line(str(exc))}); it was ignored")
        return None


def _modality_transform(ds: Dataset, little: bool, signed: bool,
                        warnings: list[str]) -> ModalityTransform:
    seq = ds.get("ModalityLUTSequence")
    if seq:
        lut = _parse_lut(seq[0], little, signed, "Modality LUT", warnings)
        if lut is not None:
            return ModalityTransform(lut=lut, rescale_type=str(seq[0].get("ModalityLUTType", "")))
    slope, intercept = 1.0, 0.0
    try:
        if "RescaleSlope" in ds:
            slope = float(ds.RescaleSlope)
        if "RescaleIntercept" in ds:
            intercept = float(ds.RescaleIntercept)
        if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
            raise ValueError("not a usable number")
    except (TypeError, ValueError):
        warnings.append("Rescale Slope/Intercept are not usable numbers; stored values are shown")
        slope, intercept = 1.0, 0.0
    return ModalityTransform(slope, intercept, None, str(ds.get("RescaleType", "") or ""))


def _multi(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, (str, bytes, int, float)):
        return [value]
    try:
        return list(value)
    except TypeError:
        return [value]


def _windows(ds: Dataset, warnings: list[str]) -> list[Window]:
    try:
        centers = _multi(ds.get("WindowCenter"))
        widths = _multi(ds.get("WindowWidth"))
        explanations = [str(e) for e in _multi(ds.get("WindowCenterWidthExplanation"))]
    except Exception:  # noqa: BLE001
        warnings.append("Window Center/Width cannot be read; they were ignored")
        return []
    if len(centers) != len(widths):
        warnings.append(f"{len(centers)} window centres but {len(widths)} widths; "
                        "the pairs present were used")
    out: list[Window] = []
    for i, (c, w) in enumerate(zip(centers, widths)):
        try:
            c, w = float(c), float(w)
        except (TypeError, ValueError):
            warnings.append(f"window {i + 1} is not a number; it was ignored")
            continue
        if not (math.isfinite(c) and math.isfinite(w)) or w <= 0:
            warnings.append(f"window {i + 1} has width {w:g}; it was ignored")
            continue
        out.append(Window(c, w, explanations[i].strip() if i < len(explanations) else ""))
    return out


def _voi_luts(ds: Dataset, little: bool, signed_input: bool,
              warnings: list[str]) -> list[LookupTable]:
    out = []
    for i, item in enumerate(ds.get("VOILUTSequence") or []):
        lut = _parse_lut(item, little, signed_input, f"VOI LUT {i + 1}", warnings)
        if lut is not None:
            out.append(lut)
    return out


def _padding(ds: Dataset) -> tuple[int, int] | None:
    value = _int(ds, "PixelPaddingValue")
    if value is None:
        return None
    limit = _int(ds, "PixelPaddingRangeLimit")
    return (value, value if limit is None else limit)


def _header_copy(ds: Dataset) -> Dataset:
    """A shallow copy of the dataset without the pixel data (the caller's is untouched)."""
    header = Dataset()
    for elem in ds:
        if elem.tag != 0x7FE00010:
            header.add(elem)
    if hasattr(ds, "file_meta"):
        header.file_meta = ds.file_meta
    return header


# ---- identity ----------------------------------------------------------------------
def _date(value: Any) -> _dt.date | None:
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})\.?(\d{2})\.?(\d{2}).*", text)
    if not m:
        return None
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _parse_age_string(text: str) -> float | None:
    return _age.parse_patient_age(text)


def _text(ds: Dataset, keyword: str) -> str:
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001
        return ""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, pydicom.multival.MultiValue)):
        value = "\\".join(str(v) for v in value)
    return str(value).strip()


def identity_from_dataset(ds: Dataset) -> StudyIdentity:
    """The film's identity from its header alone (no pixel data needed)."""
    return _identity(ds)


def _identity(ds: Dataset) -> StudyIdentity:
    study_date = None
    for kw in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate"):
        study_date = _date(ds.get(kw))
        if study_date is not None:
            break
    return StudyIdentity(
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        birth_date=_date(ds.get("PatientBirthDate")),
        sex=_text(ds, "PatientSex"),
        patient_age=_text(ds, "PatientAge"),
        study_date=study_date,
        study_instance_uid=_text(ds, "StudyInstanceUID"),
        series_instance_uid=_text(ds, "SeriesInstanceUID"),
        sop_instance_uid=_text(ds, "SOPInstanceUID"),
        sop_class_uid=_text(ds, "SOPClassUID"),
        modality=_text(ds, "Modality"),
        view_position=_text(ds, "ViewPosition"),
        body_part=_text(ds, "BodyPartExamined"),
        laterality=_text(ds, "ImageLaterality") or _text(ds, "Laterality"),
    )
