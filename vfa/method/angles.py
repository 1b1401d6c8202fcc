"""Sagittal angles from the six points: thoracic kyphosis T4–T12 and the L1–L4 angle
(domain.md §9, docs/beyond-the-grade.md).

No extra click: the six points already hold both endplates of every level.

* **Modified Cobb angle**: the angle between the superior endplate line of the upper end
  level (``superior_anterior`` → ``superior_posterior``) and the inferior endplate line of the
  lower end level (``inferior_anterior`` → ``inferior_posterior``).
* **Vertebral centroid angle** (after Harrison 2001 and Briggs 2007): each vertebral body's
  centroid is the intersection of its diagonals (``superior_anterior``–``inferior_posterior``
  and ``superior_posterior``–``inferior_anterior``); the angle is between the line through the
  centroids of the upper end level and the next usable level below it, and the line through
  the centroids of the next usable level above the lower end and the lower end itself.

Both are computed in millimetre coordinates (x × column spacing, y × row spacing; the pixel
aspect ratio on uncalibrated films), so non-square pixels do not distort them.

Sign: kyphosis is positive when the two endplate lines converge on the anterior side;
lordosis (L1–L4) is positive when they converge on the posterior side. The frame is the
anatomy's own (anterior → posterior from the endplates, cranial → caudal from the end levels),
so a film facing left or right, or tilted, gives the same number.

End levels: T4 and T12 (L1 and L4); when one is not usable the nearest usable level inward is
taken and the result names the levels (``"T5–T12"``). A level is usable when it is evaluable,
has all six points and passes the six-point check. Fewer than two usable levels: no angle.
The centroid angle needs three usable levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vfa.errors import GeometryError
from vfa.method.geometry import Point, check_six_points
from vfa.method.levels import Level, PointSlot, Status

if TYPE_CHECKING:  # pragma: no cover
    from vfa.reading.reading import Reading

S = PointSlot
Vec = tuple[float, float]

#: (name, upper end, lower end, sign): sign +1 = positive when converging anteriorly.
REGIONS: dict[str, tuple[Level, Level, int]] = {
    "kyphosis": (Level.T4, Level.T12, +1),
    "lordosis_l1_l4": (Level.L1, Level.L4, -1),
}


@dataclass(frozen=True)
class SpineAngle:
    """One sagittal angle: modified Cobb and centroid angle (degrees), and the end levels."""

    name: str
    upper: Level
    lower: Level
    cobb_deg: float
    centroid_deg: float | None
    #: Endplate lines in image coordinates (x, y), for drawing: ((a, p), (a, p)).
    upper_line: tuple[Point, Point]
    lower_line: tuple[Point, Point]

    @property
    def levels(self) -> str:
        """``"T4–T12"`` (en dash)."""
        return f"{self.upper.value}\u2013{self.lower.value}"

    def to_dict(self) -> dict[str, Any]:
        return {"cobb_deg": round(self.cobb_deg, 2),
                "centroid_deg": None if self.centroid_deg is None else round(self.centroid_deg, 2),
                "levels": self.levels}


def _usable(reading: "Reading", lv: Level) -> bool:
    v = reading.vertebrae.get(lv)
    if v is None or v.status is not Status.EVALUABLE or not v.complete:
        return False
    try:
        check_six_points(lv, v.points)
    except GeometryError:
        return False
    return True


def _unit(v: Vec) -> Vec:
    n = math.hypot(v[0], v[1])
    return (v[0] / n, v[1] / n)


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1]


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1])


def _centroid(p: dict[PointSlot, Vec]) -> Vec:
    """Intersection of the diagonals sa–ip and sp–ia (mean of the four corners if parallel)."""
    a, b = p[S.SUPERIOR_ANTERIOR], p[S.INFERIOR_POSTERIOR]
    c, d = p[S.SUPERIOR_POSTERIOR], p[S.INFERIOR_ANTERIOR]
    r, s = _sub(b, a), _sub(d, c)
    den = r[0] * s[1] - r[1] * s[0]
    if abs(den) < 1e-12:
        return ((a[0] + b[0] + c[0] + d[0]) / 4, (a[1] + b[1] + c[1] + d[1]) / 4)
    t = ((c[0] - a[0]) * s[1] - (c[1] - a[1]) * s[0]) / den
    return (a[0] + t * r[0], a[1] + t * r[1])


def spine_angle(reading: "Reading", name: str) -> SpineAngle | None:
    """The angle ``name`` ("kyphosis" or "lordosis_l1_l4") of a reading, or None when fewer
    than two levels of its range are usable."""
    top, bottom, sign = REGIONS[name]
    span = [Level(lv) for lv in _range(top, bottom)]
    usable = [lv for lv in span if _usable(reading, lv)]
    if len(usable) < 2:
        return None
    up, lo = usable[0], usable[-1]
    rm, cm = reading.spacing.row_mm, reading.spacing.col_mm

    def mm(lv: Level) -> dict[PointSlot, Vec]:
        pts = reading.vertebrae[lv].points
        return {s: (pts[s][0] * cm, pts[s][1] * rm) for s in pts}

    P = {lv: mm(lv) for lv in usable}
    u = _sub(P[up][S.SUPERIOR_POSTERIOR], P[up][S.SUPERIOR_ANTERIOR])   # anterior -> posterior
    w = _sub(P[lo][S.INFERIOR_POSTERIOR], P[lo][S.INFERIOR_ANTERIOR])
    cents = {lv: _centroid(P[lv]) for lv in usable}
    # The anatomy's frame: p = anterior -> posterior, c = cranial -> caudal (perpendicular).
    p = _unit(_add_all([_unit(u), _unit(w)]))
    c = (-p[1], p[0])
    if _dot(c, _sub(cents[lo], cents[up])) < 0:
        c = (-c[0], -c[1])

    def tilt(v: Vec) -> float:  # endplate line angle: caudal rise per posterior step
        return math.atan2(_dot(v, c), _dot(v, p))

    cobb = sign * math.degrees(tilt(w) - tilt(u))
    centroid = None
    if len(usable) >= 3:
        def lean(t: Vec) -> float:  # spine tangent angle: anterior lean per caudal step
            return math.atan2(-_dot(t, p), _dot(t, c))
        t1 = _sub(cents[usable[1]], cents[up])
        t2 = _sub(cents[lo], cents[usable[-2]])
        centroid = sign * math.degrees(lean(t2) - lean(t1))
    pts_up, pts_lo = reading.vertebrae[up].points, reading.vertebrae[lo].points
    return SpineAngle(name, up, lo, cobb, centroid,
                      (pts_up[S.SUPERIOR_ANTERIOR], pts_up[S.SUPERIOR_POSTERIOR]),
                      (pts_lo[S.INFERIOR_ANTERIOR], pts_lo[S.INFERIOR_POSTERIOR]))


def _add_all(vs: list[Vec]) -> Vec:
    return (sum(v[0] for v in vs), sum(v[1] for v in vs))


def _range(top: Level, bottom: Level) -> list[Level]:
    from vfa.method.levels import LEVELS
    return list(LEVELS[top.index:bottom.index + 1])


def kyphosis(reading: "Reading") -> SpineAngle | None:
    """Thoracic kyphosis, modified Cobb T4–T12 (positive = kyphosis)."""
    return spine_angle(reading, "kyphosis")


def lordosis_l1_l4(reading: "Reading") -> SpineAngle | None:
    """L1–L4 angle (positive = lordosis, converging posteriorly)."""
    return spine_angle(reading, "lordosis_l1_l4")


def angles_dict(reading: "Reading") -> dict[str, dict[str, Any] | None]:
    """``{"kyphosis": {...} | None, "lordosis_l1_l4": {...} | None}`` (``vfa grade --json``)."""
    out: dict[str, dict[str, Any] | None] = {}
    for name in REGIONS:
        a = spine_angle(reading, name)
        out[name] = a.to_dict() if a else None
    return out


def describe(a: SpineAngle | None, label: str) -> str:
    """One line for text reports: ``"Kyphosis T4–T12: Cobb 42.0°, centroid 35.1°"``."""
    if a is None:
        return f"{label}: not measurable (fewer than two usable levels)"
    cen = "–" if a.centroid_deg is None else f"{a.centroid_deg:.1f}°"
    return f"{label} {a.levels}: Cobb {a.cobb_deg:.1f}°, centroid {cen}"


def change(base: SpineAngle | None, follow: SpineAngle | None) -> dict[str, Any] | None:
    """Follow-up minus baseline in degrees (Cobb and centroid), with ``same_levels`` False
    when the two visits used different end levels (the difference then mixes ranges)."""
    if base is None or follow is None:
        return None
    cen = (None if base.centroid_deg is None or follow.centroid_deg is None
           else follow.centroid_deg - base.centroid_deg)
    return {"cobb_deg": follow.cobb_deg - base.cobb_deg, "centroid_deg": cen,
            "same_levels": base.levels == follow.levels,
            "levels": base.levels if base.levels == follow.levels
            else f"{base.levels} → {follow.levels}"}


def describe_change(base: SpineAngle | None, follow: SpineAngle | None, label: str) -> str:
    """``"Kyphosis T4–T12 change: Cobb +3.0°, centroid +2.1°"`` or why there is none."""
    c = change(base, follow)
    if c is None:
        return f"{label} change: not available (not measurable at both visits)"
    cen = "–" if c["centroid_deg"] is None else _signed(c["centroid_deg"])
    warn = "" if c["same_levels"] else " (different end levels: compare with care)"
    return f"{label} {c['levels']} change: Cobb {_signed(c['cobb_deg'])}, centroid {cen}{warn}"


def _signed(deg: float) -> str:
    """``+8.3°``, ``-2.0°``; a change that rounds to zero is ``0.0°`` (never ``-0.0°``)."""
    text = f"{deg:+.1f}°"
    return "0.0°" if text in ("+0.0°", "-0.0°") else text


__all__ = ["SpineAngle", "change", "describe_change", "spine_angle", "kyphosis", "lordosis_l1_l4", "angles_dict",
           "describe", "REGIONS"]
