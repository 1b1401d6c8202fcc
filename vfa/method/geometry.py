"""Points, distances and the geometric sanity check of six vertebral points.

Coordinates follow DICOM's pixel convention (domain.md §1): ``x`` along columns, ``y`` along
rows, (0, 0) the top-left corner of the top-left pixel. Conversions to pixel-centre
coordinates (numpy/OpenCV/scikit-image indices) go through :func:`to_index_coords` and
:func:`from_index_coords` only.
"""

from __future__ import annotations

import math
from typing import Mapping

from vfa.errors import GeometryError
from vfa.method.levels import Level, PointSlot

Point = tuple[float, float]

#: A height shorter than this (in pixels) is "zero height".
MIN_HEIGHT_PX = 0.01
#: Largest coordinate accepted, in pixels: far beyond any film (30000 px per side at most),
#: small enough that heights and ratios stay finite (1e308 would overflow them).
MAX_COORDINATE_PX = 1e6


def to_index_coords(p: Point) -> Point:
    """DICOM/Qt image coordinates -> pixel-centre coordinates (numpy, OpenCV, skimage)."""
    return (p[0] - 0.5, p[1] - 0.5)


def from_index_coords(p: Point) -> Point:
    """Pixel-centre coordinates (numpy, OpenCV, skimage) -> DICOM/Qt image coordinates."""
    return (p[0] + 0.5, p[1] + 0.5)


def distance(p: Point, q: Point, row_mm: float = 1.0, col_mm: float = 1.0) -> float:
    """Euclidean distance with row/column spacing (domain.md §2)."""
    return math.hypot((p[0] - q[0]) * col_mm, (p[1] - q[1]) * row_mm)


def parse_point(value: object, where: str) -> Point:
    """``[x, y]`` with two finite numbers, else ValueError naming ``where``."""
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise ValueError(f"{where} must be a pair of numbers [x, y], got {value!r}")
    x, y = float(value[0]), float(value[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"{where} has a coordinate that is not a finite number: {value!r}")
    if abs(x) > MAX_COORDINATE_PX or abs(y) > MAX_COORDINATE_PX:
        raise ValueError(f"{where} has a coordinate beyond {MAX_COORDINATE_PX:g} pixels "
                         f"({value!r}): no film is that large; the file is damaged")
    return (x, y)


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def check_six_points(level: Level | str, points: Mapping[PointSlot, Point]) -> None:
    """Raise :class:`GeometryError` if six points cannot describe a vertebral body.

    Checks (domain.md §1): both anterior points on the same side of the posterior wall
    (line inferior_posterior -> superior_posterior); each superior point above its inferior
    point along the vertebra's own axis (the posterior wall, oriented towards the top of the
    film); no zero height. Works for spines facing left or right and tilted.
    """
    lv = Level.parse(level)
    missing = [s.value for s in PointSlot if s not in points]
    if missing:
        raise GeometryError(f"{lv}: points missing: {', '.join(missing)}")
    P = {s: (float(points[s][0]), float(points[s][1])) for s in PointSlot}
    SA, SM, SP = P[PointSlot.SUPERIOR_ANTERIOR], P[PointSlot.SUPERIOR_MIDDLE], P[PointSlot.SUPERIOR_POSTERIOR]
    IA, IM, IP = P[PointSlot.INFERIOR_ANTERIOR], P[PointSlot.INFERIOR_MIDDLE], P[PointSlot.INFERIOR_POSTERIOR]

    for a, b, name in ((SA, IA, "anterior"), (SM, IM, "middle"), (SP, IP, "posterior")):
        if math.hypot(a[0] - b[0], a[1] - b[1]) < MIN_HEIGHT_PX:
            raise GeometryError(
                f"{lv}: {name} height is zero (superior_{name} and inferior_{name} coincide); "
                "move one of the two points onto its endplate"
            )
    if math.hypot(SP[0] - IP[0], SP[1] - IP[1]) < MIN_HEIGHT_PX:
        raise GeometryError(f"{lv}: posterior points coincide")

    # Anterior points on one side of the posterior wall line.
    ca = _cross(IP, SP, SA)
    ci = _cross(IP, SP, IA)
    if ca == 0 or ci == 0 or (ca > 0) != (ci > 0):
        bad = "superior_anterior" if abs(ca) < abs(ci) else "inferior_anterior"
        raise GeometryError(
            f"{lv}: {bad} lies on the other side of the posterior wall from the other anterior "
            "point; anterior points must both be in front of the posterior points"
        )

    # Vertebral axis: along the posterior wall, pointing up the film (decreasing y); if the
    # wall is horizontal, use the perpendicular of the endplates' anterior direction.
    ax, ay = SP[0] - IP[0], SP[1] - IP[1]
    if ay > 0 or (ay == 0 and ax < 0):
        ax, ay = -ax, -ay
    norm = math.hypot(ax, ay)
    ax, ay = ax / norm, ay / norm
    for slot_s, slot_i in (
        (PointSlot.SUPERIOR_ANTERIOR, PointSlot.INFERIOR_ANTERIOR),
        (PointSlot.SUPERIOR_MIDDLE, PointSlot.INFERIOR_MIDDLE),
        (PointSlot.SUPERIOR_POSTERIOR, PointSlot.INFERIOR_POSTERIOR),
    ):
        s, i = P[slot_s], P[slot_i]
        if (s[0] - i[0]) * ax + (s[1] - i[1]) * ay <= 0:
            raise GeometryError(
                f"{lv}: {slot_s.value} is not above {slot_i.value} along the vertebra's axis; "
                "superior points go on the upper endplate"
            )
