"""The film as the placement methods see it: bone-bright float pixels and a scale.

Everything in :mod:`vfa.reading.autoplace` works in pixel-CENTRE coordinates (numpy / OpenCV /
scikit-image indices, ``x`` = column, ``y`` = row); conversion from and to the DICOM image
coordinates of readings happens only at the public functions, through
:func:`vfa.method.geometry.to_index_coords` / :func:`vfa.method.geometry.from_index_coords`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, TypeVar

import cv2
import numpy as np

from vfa.errors import VfaError

#: Assumed height of the field of an uncalibrated lateral spine film (mm); gives a rough
#: mm-per-pixel for the size priors only (never for reported measurements).
UNCALIBRATED_FIELD_MM = 430.0

T = TypeVar("T")


class AutoplaceError(VfaError):
    """A proposal cannot be made (click outside the film, nothing found, bad levels...)."""


@dataclass(eq=False)
class FilmImage:
    """Bone-bright pixels (float32, about 0..1) and the anatomical scale (mm per pixel).

    ``mm_per_px`` is used for size priors (search ranges, smoothing); ``calibrated`` says
    whether it came from the film's spacing or from :data:`UNCALIBRATED_FIELD_MM`.
    """

    bone: np.ndarray
    mm_per_px: float
    calibrated: bool = True
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def from_array(cls, pixels: Any, mm_per_px: float | None = None, *, bone_bright: bool = True) -> "FilmImage":
        """``pixels``: the film (2-D); ``bone_bright`` False for MONOCHROME1-like data."""
        a = np.asarray(pixels)
        if a.ndim != 2 or min(a.shape) < 32:
            raise AutoplaceError(f"a film must be a 2-D image of at least 32x32 pixels, got shape {a.shape}")
        a = a.astype(np.float32)
        if not bone_bright:
            a = -a
        sample = a[:: max(1, a.shape[0] // 400), :: max(1, a.shape[1] // 400)]
        lo, hi = np.percentile(sample, [0.5, 99.8])
        if not hi > lo:
            raise AutoplaceError("the film is blank (a single value): nothing to place points on")
        bone = (a - lo) / (hi - lo)
        calibrated = mm_per_px is not None and mm_per_px > 0
        if mm_per_px is None or not calibrated:
            mm_per_px = UNCALIBRATED_FIELD_MM / max(a.shape)
        return cls(bone.astype(np.float32), float(mm_per_px), calibrated)

    @property
    def shape(self) -> tuple[int, int]:
        return self.bone.shape  # type: ignore[return-value]

    def px(self, mm: float) -> float:
        """A length in mm -> pixels."""
        return mm / self.mm_per_px

    def inside(self, x: float, y: float, margin: float = 0.0) -> bool:
        h, w = self.shape
        return margin - 0.5 <= x <= w - 0.5 - margin and margin - 0.5 <= y <= h - 0.5 - margin

    # ---------------------------------------------------------------- derived images (cached)
    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from the film, computed once and kept with it: ``compute()`` the
        first time ``key`` is asked for."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def smooth(self) -> np.ndarray:
        """Gaussian-smoothed (sigma 0.25 mm, at least 0.8 px): the edge-finding image."""
        if "smooth" not in self._cache:
            s = max(0.8, self.px(0.25))
            self._cache["smooth"] = cv2.GaussianBlur(self.bone, (0, 0), s)
        return self._cache["smooth"]

    @property
    def coarse(self) -> np.ndarray:
        """Smoothed more (sigma 0.8 mm): trabecular texture gone, body outlines kept."""
        if "coarse" not in self._cache:
            self._cache["coarse"] = cv2.GaussianBlur(self.bone, (0, 0), max(1.5, self.px(0.8)))
        return self._cache["coarse"]

    def gradient(self) -> tuple[np.ndarray, np.ndarray]:
        if "grad" not in self._cache:
            sm = self.smooth
            gx = cv2.Sobel(sm, cv2.CV_32F, 1, 0, ksize=3) / 8.0
            gy = cv2.Sobel(sm, cv2.CV_32F, 0, 1, ksize=3) / 8.0
            self._cache["grad"] = (gx, gy)
        return self._cache["grad"]

    def reduced(self, mm: float = 1.0) -> tuple[np.ndarray, float]:
        """The film at about ``mm`` per pixel (area averaging) and the factor (reduced px per px)."""
        key = ("reduced", round(mm, 3))
        if key not in self._cache:
            f = min(1.0, self.mm_per_px / mm)
            h, w = self.shape
            size = (max(8, int(round(w * f))), max(8, int(round(h * f))))
            img = cv2.resize(self.bone, size, interpolation=cv2.INTER_AREA)
            self._cache[key] = (img, size[0] / w)
        return self._cache[key]

    # ---------------------------------------------------------------- sampling
    def sample(self, xs: np.ndarray, ys: np.ndarray, image: np.ndarray | None = None) -> np.ndarray:
        """Bilinear samples of ``image`` (default :attr:`smooth`) at pixel-centre coordinates."""
        img = self.smooth if image is None else image
        mx = np.ascontiguousarray(xs, dtype=np.float32)
        my = np.ascontiguousarray(ys, dtype=np.float32)
        shp = mx.shape
        if mx.ndim == 1:
            mx, my = mx[None, :], my[None, :]
        out = cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return out.reshape(shp)


def film_from_radiograph(radiograph: Any) -> FilmImage:
    """A :class:`FilmImage` of a loaded :class:`vfa.films.radiograph.Radiograph`: modality values,
    inverted for MONOCHROME1 (bone bright), scale from the film's spacing."""
    values = radiograph.modality_values(radiograph.stored)
    sp = radiograph.spacing
    mm = math.sqrt(sp.row_mm * sp.col_mm) if sp.calibrated else None
    return FilmImage.from_array(values, mm, bone_bright=not radiograph.invert_default)


def gradient_last(f: np.ndarray) -> np.ndarray:
    """``np.gradient(f, axis=-1)`` of a float array with at least 3 samples per row: the same
    differences and divisions (interior by 2.0, ends by 1.0), without its argument handling."""
    if f.dtype.kind != "f" or f.shape[-1] < 3:
        return np.gradient(f, axis=-1)
    out = np.empty_like(f)
    out[..., 1:-1] = (f[..., 2:] - f[..., :-2]) / 2.0
    out[..., 0] = (f[..., 1] - f[..., 0]) / 1.0
    out[..., -1] = (f[..., -1] - f[..., -2]) / 1.0
    return out


def strongest_drop(profiles: np.ndarray, step: float, lo: int = 0, hi: int | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``profiles`` (sampled every ``step`` px going OUTWARD from a body): the
    sub-pixel position (in samples) of the steepest fall of intensity between ``lo`` and
    ``hi``, and its strength (fall per pixel, >= 0)."""
    d = gradient_last(profiles) / step
    hi = d.shape[-1] if hi is None else hi
    seg = d[..., lo:hi]
    k = np.argmin(seg, axis=-1)
    idx = np.arange(seg.shape[0])
    kk = np.clip(k, 1, seg.shape[-1] - 2)
    ym, y0, yp = seg[idx, kk - 1], seg[idx, kk], seg[idx, kk + 1]
    den = ym - 2 * y0 + yp
    off = np.where(np.abs(den) > 1e-9, 0.5 * (ym - yp) / np.where(den == 0, 1, den), 0.0)
    off = np.clip(off, -0.5, 0.5)
    pos = np.where((k >= 1) & (k <= seg.shape[-1] - 2), kk + off, k).astype(np.float64)
    return pos + lo, np.maximum(-seg[idx, k], 0.0)


#: Said with every proposal on a DXA image (docs/samples.md, "DXA-VFA"; tests/test_dxa.py).
DXA_NOTE = ("DXA image: the proposals were developed on radiographs and are less sure here "
            "(lower confidences, now and then a fit on the neighbouring body); check every point")


def modality_note(radiograph: Any) -> str | None:
    """A plain warning for films the proposals were not made for (DXA, Modality BMD), else
    None."""
    ident = getattr(radiograph, "identity", None)
    if str(getattr(ident, "modality", "") or "").upper() == "BMD":
        return DXA_NOTE
    return None
