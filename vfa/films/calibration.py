"""Pixel spacing of a radiograph and where it came from (docs/domain.md §5).

:func:`spacing_from_dataset` applies the order of preference of the domain rules to the
attributes of a pydicom dataset; :meth:`Spacing.manual` is the reader's own calibration
(a line drawn over a known length).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import Any, Sequence

from vfa.limits import SPACING_RANGE_MM as _SPACING_RANGE_MM
from vfa.limits import spacing_usable


class SpacingSource(str, enum.Enum):
    """Where the spacing used for millimetres came from. The value is stored in readings."""

    PIXEL_SPACING = "pixel_spacing"                    # rule 1: calibrated by the modality
    PIXEL_SPACING_DETECTOR = "pixel_spacing_detector"  # rule 2: equal to / without Imager PS
    MAGNIFICATION_CORRECTED = "magnification_corrected"  # rule 3
    IMAGER_PIXEL_SPACING = "imager_pixel_spacing"      # rule 4: at the detector
    MANUAL = "manual"                                  # reader drew a known length
    UNCALIBRATED = "uncalibrated"                      # rule 5: heights in pixels

    def __str__(self) -> str:
        return self.value


#: Words shown to the reader and printed on reports, per source.
SOURCE_DESCRIPTIONS = {
    SpacingSource.PIXEL_SPACING: "Pixel Spacing (calibrated)",
    SpacingSource.PIXEL_SPACING_DETECTOR: "Pixel Spacing, at the detector",
    SpacingSource.MAGNIFICATION_CORRECTED: "Imager Pixel Spacing / magnification factor, "
    "magnification-corrected estimate",
    SpacingSource.IMAGER_PIXEL_SPACING: "Imager Pixel Spacing, at the detector (overstates anatomy)",
    SpacingSource.MANUAL: "manual calibration by the reader",
    SpacingSource.UNCALIBRATED: "uncalibrated: heights in pixels, millimetre rules off",
}


@dataclass(frozen=True)
class Spacing:
    """Row and column spacing in mm (``row_mm`` = first value of DICOM Pixel Spacing).

    For an uncalibrated film ``row_mm``/``col_mm`` are the pixel aspect (1, 1 by default),
    ``calibrated`` is False and heights are in pixels.
    """

    row_mm: float
    col_mm: float
    source: SpacingSource
    detail: str = ""  # e.g. "calibration type GEOMETRY", "magnification 1.15"

    @property
    def calibrated(self) -> bool:
        return self.source is not SpacingSource.UNCALIBRATED

    @property
    def unit(self) -> str:
        return "mm" if self.calibrated else "px"

    @property
    def description(self) -> str:
        text = SOURCE_DESCRIPTIONS[self.source]
        return f"{text} ({self.detail})" if self.detail else text

    @property
    def at_detector_only(self) -> bool:
        """True when millimetres are not corrected for magnification (banner in the viewer)."""
        return self.source in (
            SpacingSource.PIXEL_SPACING_DETECTOR,
            SpacingSource.IMAGER_PIXEL_SPACING,
        )

    def as_list(self) -> list[float] | None:
        """``[row_mm, col_mm]`` for a calibrated film, None otherwise (reading files)."""
        return [self.row_mm, self.col_mm] if self.calibrated else None

    @classmethod
    def uncalibrated(cls, aspect: tuple[float, float] = (1.0, 1.0)) -> "Spacing":
        """Pixels; ``aspect`` is the Pixel Aspect Ratio (row, column) when the file gives one.

        The ratio is normalised so that a column step is one pixel and a row step is
        ``row/column`` pixels (DICOM 4\\3 -> row_mm 1.333..., col_mm 1): heights are "pixels
        times the Pixel Aspect Ratio" (domain.md §2), whatever integers the file used.
        """
        r, c = float(aspect[0]), float(aspect[1])
        if not (math.isfinite(r) and math.isfinite(c) and r > 0 and c > 0):
            raise ValueError(f"pixel aspect ratio {aspect!r} must be two positive numbers")
        return cls(r / c, 1.0, SpacingSource.UNCALIBRATED)

    @classmethod
    def manual(cls, p0: tuple[float, float], p1: tuple[float, float], length_mm: float,
               aspect: tuple[float, float] = (1.0, 1.0)) -> "Spacing":
        """Calibrate from a line (image coords x, y) drawn over ``length_mm`` millimetres.

        Pixels are assumed to keep the aspect ratio ``aspect`` (row, column); the returned
        spacing makes the line measure exactly ``length_mm``.
        """
        if not (isinstance(length_mm, (int, float)) and math.isfinite(length_mm) and length_mm > 0):
            raise ValueError(f"known length {length_mm!r} mm is not a positive number")
        ar, ac = aspect
        dx = (p1[0] - p0[0]) * ac
        dy = (p1[1] - p0[1]) * ar
        length_units = math.hypot(dx, dy)
        if length_units < 2:
            raise ValueError("calibration line is shorter than 2 pixels: draw it over a longer known length")
        k = length_mm / length_units
        row_mm, col_mm = ar * k, ac * k
        if not spacing_usable(row_mm, col_mm):
            lo, hi = SPACING_RANGE_MM
            raise ValueError(f"{length_mm:g} mm over {math.hypot(p1[0]-p0[0], p1[1]-p0[1]):.1f} px would give "
                             f"a spacing of {_mm(row_mm)} x {_mm(col_mm)} mm per pixel, outside {lo:g}-{hi:g} mm "
                             "(domain rule): check the known length and draw the line over it again")
        return cls(row_mm, col_mm, SpacingSource.MANUAL,
                   f"{length_mm:g} mm over {math.hypot(p1[0]-p0[0], p1[1]-p0[1]):.1f} px")


def _two_positive(value: Any) -> tuple[float, float] | None:
    """Two finite positive numbers from a DICOM multi-value, or None."""
    if value is None:
        return None
    try:
        seq: Sequence[Any] = list(value) if not isinstance(value, (str, bytes)) else str(value).split("\\")
        if len(seq) != 2:
            return None
        a, b = float(seq[0]), float(seq[1])
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        return None
    return a, b


#: A spacing value is usable when both numbers are finite and within this range (mm),
#: domain.md §5; anything else is refused to the next rule with a warning. Stated in
#: vfa/limits.py for every source (tags, reading files, SR, the reader's calibration).
SPACING_RANGE_MM = _SPACING_RANGE_MM


def _mm(x: float) -> str:
    return f"{x:.4g}" if math.isfinite(x) else str(x)

#: A usable Estimated Radiographic Magnification Factor (0018,1114): a lateral spine film is
#: magnified by 1.0-1.5 in practice; anything outside 0.5-3 is a damaged or hostile header
#: (1e-320 would give an infinite spacing, 1e5 a film of 10^10 "pixels" to the proposer).
MAGNIFICATION_RANGE = (0.5, 3.0)

_TAGS = {"PixelSpacing": "Pixel Spacing (0028,0030)",
         "ImagerPixelSpacing": "Imager Pixel Spacing (0018,1164)"}


def _raw_text(value: Any) -> str:
    if isinstance(value, (str, bytes)):
        return value.decode("latin-1", "replace") if isinstance(value, bytes) else value
    try:
        return "\\".join(str(x) for x in value)
    except TypeError:
        return str(value)


def _usable_spacing(ds: Any, keyword: str, warnings: list[str] | None) -> tuple[float, float] | None:
    """Two finite numbers within :data:`SPACING_RANGE_MM` from ``keyword``, else None; a
    value that is present but unusable is reported in ``warnings`` (tag and value)."""
    try:
        value = ds.get(keyword)
    except Exception:  # noqa: BLE001 - a broken element is as good as absent, but say so
        value = "unreadable"
    if value is None or (isinstance(value, (str, bytes)) and not value.strip()):
        return None
    lo, hi = SPACING_RANGE_MM
    pair = None
    try:
        seq: Sequence[Any] = (list(value) if not isinstance(value, (str, bytes))
                              else _raw_text(value).split("\\"))
        if len(seq) == 2:
            pair = float(seq[0]), float(seq[1])
    except (TypeError, ValueError):
        pair = None
    if pair is not None and all(math.isfinite(x) and lo <= x <= hi for x in pair):
        return pair
    if warnings is not None:
        warnings.append(f"{_TAGS[keyword]} is '{_raw_text(value)}': not usable (two finite numbers "
                        f"between {lo:g} and {hi:g} mm are needed); it was refused and the next "
                        "calibration rule applied")
    return None


def _aspect(ds: Any) -> tuple[float, float]:
    par = _two_positive(ds.get("PixelAspectRatio"))
    return par if par else (1.0, 1.0)


def spacing_from_dataset(ds: Any, warnings: list[str] | None = None) -> Spacing:
    """Apply domain.md §5 to a pydicom dataset (or any mapping-like with ``.get``).

    A spacing that is present but unusable (``0\\0``, negative, ``1e300``, one number) is
    skipped to the next rule; the refusal is appended to ``warnings`` when given."""
    ps = _usable_spacing(ds, "PixelSpacing", warnings)
    ips = _usable_spacing(ds, "ImagerPixelSpacing", warnings)
    if ps is not None:
        same = ips is not None and all(math.isclose(a, b, rel_tol=1e-6) for a, b in zip(ps, ips))
        if ips is not None and not same:
            ctype = str(ds.get("PixelSpacingCalibrationType", "") or "").strip()
            detail = f"calibration type {ctype}" if ctype else ""
            return Spacing(ps[0], ps[1], SpacingSource.PIXEL_SPACING, detail)
        return Spacing(ps[0], ps[1], SpacingSource.PIXEL_SPACING_DETECTOR)
    if ips is not None:
        mag = ds.get("EstimatedRadiographicMagnificationFactor")
        try:
            m = float(mag) if mag not in (None, "") else None
        except (TypeError, ValueError):
            m = None
        if m is not None and math.isfinite(m) and MAGNIFICATION_RANGE[0] <= m <= MAGNIFICATION_RANGE[1]:
            sr, sc = ips[0] / m, ips[1] / m
            lo, hi = SPACING_RANGE_MM
            if lo <= sr <= hi and lo <= sc <= hi:
                return Spacing(sr, sc, SpacingSource.MAGNIFICATION_CORRECTED,
                               f"magnification factor {m:g}")
        if mag not in (None, "") and warnings is not None:
            lo, hi = MAGNIFICATION_RANGE
            warnings.append(f"Estimated Radiographic Magnification Factor (0018,1114) is "
                            f"'{_raw_text(mag)[:40]}': not usable (a number between {lo:g} and {hi:g} "
                            "giving a spacing within the usable range is needed); it was refused "
                            "and the spacing at the detector applied")
        return Spacing(ips[0], ips[1], SpacingSource.IMAGER_PIXEL_SPACING)
    return Spacing.uncalibrated(_aspect(ds))
