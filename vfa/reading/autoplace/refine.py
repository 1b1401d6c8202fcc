"""Refine one point: move a rough click onto the nearby corner or endplate edge (1).

* Corner slots: :func:`cv2.cornerSubPix` on the edge image finds where the two edges of the
  corner meet (the sharp corner of their tangents); the point then moves along the mean
  gradient direction (the corner's bisector) onto the outline itself, i.e. onto the rounded
  corner of the body.
* Middle slots: the local edge direction (structure tensor of the gradients around the
  click) gives the normal of the endplate; the point moves along it onto the steepest fall
  from the bright body to the dark disc.

When the evidence is weak (no edge, no corner-like structure, the answer far from the click)
the point is left where it is, with a low confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from vfa.method.geometry import from_index_coords, to_index_coords
from vfa.method.levels import PointSlot
from vfa.reading.autoplace.film import FilmImage, strongest_drop
from vfa.reading.proposal import Proposal


@dataclass(frozen=True)
class RefineResult:
    """Where the point went (DICOM image coordinates), how sure, and whether it moved."""

    x: float
    y: float
    confidence: float
    moved: bool
    reason: str = ""

    def proposal(self) -> Proposal:
        return Proposal(self.x, self.y, float(np.clip(self.confidence, 0, 1)), "refine")


def _window(film: FilmImage, c: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    gx, gy = film.gradient()
    h, w = film.shape
    x0, y0 = max(0, int(c[0]) - r), max(0, int(c[1]) - r)
    x1, y1 = min(w, int(c[0]) + r + 1), min(h, int(c[1]) + r + 1)
    return gx[y0:y1, x0:x1], gy[y0:y1, x0:x1], film.smooth[y0:y1, x0:x1], x0, y0


def _film_edge_level(film: FilmImage) -> float:
    """The 99th percentile of the gradient magnitude over the film (cached): what a clear
    bone edge looks like on this film, so that faint local structure is not taken for one."""
    def compute() -> float:
        gx, gy = film.gradient()
        st = max(1, int(np.sqrt(gx.size / 250_000)))
        return float(np.percentile(np.hypot(gx[::st, ::st], gy[::st, ::st]), 99))
    return film.cached("edge_level", compute)


def refine_point(film: FilmImage, slot: PointSlot | str, xy: tuple[float, float], *,
                 radius_mm: float = 3.0, inward: tuple[float, float] | None = None) -> RefineResult:
    """Refine the point of ``slot`` clicked at ``xy`` (DICOM image coordinates).

    ``radius_mm``: how far the point may move (and the size of the local window);
    ``inward``: optional direction from the point into the body (e.g. towards the body's
    centre, when known), which resolves which side of an edge is the body.
    """
    sl = PointSlot.parse(slot)
    c = np.array(to_index_coords((float(xy[0]), float(xy[1]))))
    R = max(3.0, film.px(radius_mm))
    if not film.inside(c[0], c[1], margin=R + 2):
        return RefineResult(float(xy[0]), float(xy[1]), 0.0, False, "too close to the film's edge")
    r = int(math.ceil(R * 1.5))
    gx, gy, _, x0, y0 = _window(film, c, r)
    yy, xx = np.mgrid[y0:y0 + gx.shape[0], x0:x0 + gx.shape[1]]
    wgt = np.exp(-((xx - c[0]) ** 2 + (yy - c[1]) ** 2) / (2 * (0.7 * R) ** 2))
    mag2 = gx * gx + gy * gy
    # structure tensor
    Jxx, Jxy, Jyy = (wgt * gx * gx).sum(), (wgt * gx * gy).sum(), (wgt * gy * gy).sum()
    tr = Jxx + Jyy
    if tr <= 1e-12:
        return RefineResult(float(xy[0]), float(xy[1]), 0.0, False, "no edge near the click")
    disc = math.sqrt(max(0.0, (Jxx - Jyy) ** 2 / 4 + Jxy ** 2))
    l1, l2 = tr / 2 + disc, tr / 2 - disc
    # mean gradient: points from the dark side into the bright body
    mg = np.array([(wgt * gx).sum(), (wgt * gy).sum()])
    if inward is not None:
        inn = np.array(inward, float)
        if np.dot(mg, inn) < 0:
            mg = -mg if np.hypot(*mg) > 0 else inn
    if np.hypot(*mg) < 1e-12:
        return RefineResult(float(xy[0]), float(xy[1]), 0.0, False, "no edge near the click")
    out_dir = -mg / np.hypot(*mg)
    # typical edge strength near the click, to judge the found edge
    ref = max(float(np.percentile(np.sqrt(mag2), 95)), 0.3 * _film_edge_level(film))
    if sl.value.endswith("middle"):
        # edge normal: principal eigenvector of the structure tensor, oriented outward
        ang = 0.5 * math.atan2(2 * Jxy, Jxx - Jyy)
        n = np.array([math.cos(ang), math.sin(ang)])
        if np.dot(n, out_dir) < 0:
            n = -n
        start = c
        conf_shape = (l1 - l2) / (l1 + l2 + 1e-12)   # 1 for a straight edge
    else:
        img = film.smooth
        pt = np.array([[c]], dtype=np.float32)
        win = max(2, int(round(R * 0.8)))
        try:
            cv2.cornerSubPix(img, pt, (win, win), (-1, -1),
                             (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_COUNT, 40, 0.01))
            start = pt.reshape(2).astype(float)
        except cv2.error:
            start = c
        if not np.all(np.isfinite(start)) or np.hypot(*(start - c)) > R:
            start = c
        n = out_dir
        conf_shape = min(1.0, 4 * l2 / (l1 + 1e-12))   # 1 when both edge directions are present
    step = 0.25
    s = np.arange(-R, R + step / 2, step)
    P = start[None, :] + s[:, None] * n[None, :]
    prof = film.sample(P[:, 0][None, :], P[:, 1][None, :])
    pos, st = strongest_drop(prof, step)
    new = start + (-R + pos[0] * step) * n
    dist = float(np.hypot(*(new - c)))
    strength = float(st[0]) / (ref + 1e-9)
    conf = float(np.clip(min(1.0, strength) * (0.4 + 0.6 * conf_shape), 0, 1))
    if dist > R or conf < 0.2:
        return RefineResult(float(xy[0]), float(xy[1]), min(conf, 0.2), False,
                            "no clear corner or edge near the click: left where it is")
    X, Y = from_index_coords((float(new[0]), float(new[1])))
    return RefineResult(X, Y, conf, True)
