"""Synthetic lateral thoracolumbar radiographs with known six points (a phantom).

:func:`make_film` draws a deterministic (seeded) lateral radiograph of the spine from T2 to S1
and returns the image together with the TRUE six points of T4 to L4 (docs/domain.md §1), in
DICOM image coordinates: ``x`` along columns, ``y`` along rows, (0, 0) the top-left corner of
the top-left pixel, so that the centre of pixel (row r, column c) is (c + 0.5, r + 0.5). The
image is rendered by evaluating every field at those pixel centres, so no other conversion
exists in this module.

What is modelled (docs/samples.md has the details): a spine built vertebra by vertebra from
the sacrum upwards, whose thoracic kyphosis and lumbar lordosis come from the wedging of the
bodies and discs; vertebral bodies whose outline passes exactly through the six points, with
rounded corners, a bright cortical rim, oriented trabecular texture and concave endplates;
discs; pedicles, articular pillars and spinous processes; ribs (left and right, at two
magnifications) crossing the thoracic bodies; soft tissue with the back skin line, lungs, heart,
two diaphragm domes and bowel gas; scatter, detector blur, quantum-like noise and the
dynamic-range compression and edge enhancement of a processed DX image.

Fractures are given per level as :class:`Deformity` and change the true points so that the
ratios of domain.md §2 measured on them give the intended percent exactly (``wedge``:
Ha = (1 - r) Hp; ``biconcave``: Hm = (1 - r) Hp; ``crush``: Hp = (1 - r) Hp_ref with Hp_ref
from the reference line of the six nearest levels, as vfa.method.morphometry computes it).

:func:`write_dicom` stores a film as a DX (or, without Imager Pixel Spacing, CR) image and
:func:`reference_reading` gives the true points as a :class:`vfa.reading.reading.Reading`.

Every film regenerates byte for byte on any machine: the drawing, blurring, resampling and
transcendental functions are those of :mod:`vfa.synthetic.exact` (IEEE-exact operations in a
fixed order), never OpenCV's or numpy's SIMD paths (docs/samples.md, "Same bytes everywhere").
This module uses numpy and never Qt.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, cast

import numpy as np

from vfa.method import grading
from vfa.method.levels import LEVELS, Level, PointSlot
from vfa.synthetic import exact as xa

S = PointSlot

#: Version of the generator; stored in reference readings and DICOM files.
GENERATOR_VERSION = "vfa-phantom/3"

# ---------------------------------------------------------------------------- anatomy tables
#: Vertebrae drawn, top to bottom; T2, T3, L5 and S1 are context only (no points).
BODIES: tuple[str, ...] = ("T2", "T3") + tuple(lv.value for lv in LEVELS) + ("L5", "S1")
_FIRST = 2  # index of T4 in BODIES

# Adult reference sizes in mm (posterior height Hp, depth D), normal Ha/Hp, per body.
_HP = (16.8, 17.4, 18.0, 18.6, 19.2, 19.8, 20.4, 21.0, 21.8, 22.7, 23.7, 24.8, 25.8, 26.5,
       27.0, 25.5, 24.0)
_DEPTH = (23.5, 24.2, 25.0, 25.8, 26.6, 27.4, 28.2, 29.0, 29.8, 30.7, 31.6, 32.6, 33.6, 34.4,
          35.0, 35.5, 37.0)
_WEDGE = (0.96, 0.95, 0.95, 0.94, 0.93, 0.92, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 1.00, 1.02,
          1.04, 1.12, 1.10)
# Disc below each body except S1: (posterior height, anterior height) in mm.
_DISC = ((3.3, 2.9), (3.5, 3.0), (3.6, 3.0), (3.8, 3.1), (4.0, 3.2), (4.1, 3.4), (4.3, 3.7),
         (4.5, 4.1), (4.8, 4.6), (5.0, 5.2), (5.3, 6.0), (6.0, 8.5), (6.5, 10.0), (7.0, 11.5),
         (7.5, 13.0), (6.0, 14.0))

#: Child size relative to adult (bodies, depth, discs): about 60-70 % (domain.md §6 users).
_CHILD_BODY, _CHILD_DEPTH, _CHILD_DISC = 0.64, 0.66, 0.78


@dataclass(frozen=True)
class Deformity:
    """A fracture of one level: ``kind`` wedge | biconcave | crush, ``reduction`` 0-0.8.

    The true points are changed so that the measured ratio gives ``reduction`` exactly:
    wedge Ha/Hp, biconcave Hm/Hp, crush Hp/Hp_ref (domain.md §2).
    """

    kind: str
    reduction: float

    def __post_init__(self) -> None:
        if self.kind not in ("wedge", "biconcave", "crush"):
            raise ValueError(f"deformity kind {self.kind!r}: expected wedge, biconcave or crush")
        if not (isinstance(self.reduction, (int, float)) and 0.0 <= self.reduction <= 0.8):
            raise ValueError(f"deformity reduction {self.reduction!r}: expected 0 to 0.8")

    @property
    def percent(self) -> float:
        return grading.round_percent(self.reduction * 100.0)

    @property
    def grade(self) -> int:
        """The Genant grade the reduction should produce (domain.md §3)."""
        return grading.grade_from_percent(self.percent)


@dataclass(frozen=True)
class FilmSpec:
    """Everything that defines a synthetic film. Same spec -> identical image and points.

    Geometry: ``pixel_mm`` is the detector pixel size; ``magnification`` the geometric
    magnification of the spine plane, so one pixel covers ``pixel_mm / magnification`` mm of
    anatomy. ``offset_mm`` moves the spine (at the detector) from the film centre; ``tilt_deg``
    rotates it clockwise as displayed; ``facing`` is the side of the film the anterior
    (belly) side of the spine is on. ``growth`` scales all bodies and discs (a child grows
    2-4 % per 6 months). ``anatomy_seed`` fixes the small per-level variation of normal shapes
    (default ``seed``), so that visits of one patient can share an anatomy and still differ in
    noise; ``seed`` drives texture, noise, ribs and gas.
    """

    rows: int = 2000
    cols: int = 1300
    pixel_mm: float = 0.25
    magnification: float = 1.12
    age_group: str = "adult"            # 'adult' | 'child'
    facing: str = "left"                # anterior side on the film: 'left' | 'right'
    tilt_deg: float = 0.0
    offset_mm: tuple[float, float] = (0.0, 0.0)
    growth: float = 1.0
    deformities: Mapping[Level | str, Deformity] = field(default_factory=dict)
    seed: int = 0
    anatomy_seed: int | None = None
    noise: float = 1.0                  # 0 = noiseless
    ribs: bool = True
    bits_stored: int = 12               # 12 or 14
    bone_density: float = 1.0           # < 1: osteopenic (fainter bodies, coarser texture)
    curvature: float = 1.0              # scales the wedging of the discs (kyphosis/lordosis)
    treatment_lines: int = 0            # bisphosphonate "bone-in-bone" lines inside bodies
    aortic_calcification: bool = False
    marker: bool = True                 # lead side marker ('L' or 'R') in a corner

    @property
    def deformed(self) -> Mapping[Level, Deformity]:
        """``deformities`` as ``__post_init__`` leaves them: keyed by :class:`Level`."""
        return cast("Mapping[Level, Deformity]", self.deformities)

    def __post_init__(self) -> None:
        if self.rows < 64 or self.cols < 64:
            raise ValueError(f"film {self.rows}x{self.cols} is too small (64x64 at least)")
        for name in ("pixel_mm", "magnification", "growth", "bone_density"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a positive number, got {v!r}")
        if self.age_group not in ("adult", "child"):
            raise ValueError(f"age_group {self.age_group!r}: expected 'adult' or 'child'")
        if self.facing not in ("left", "right"):
            raise ValueError(f"facing {self.facing!r}: expected 'left' or 'right'")
        if not -45.0 <= self.tilt_deg <= 45.0:
            raise ValueError(f"tilt_deg {self.tilt_deg!r} outside -45..45")
        if self.bits_stored not in (12, 14):
            raise ValueError(f"bits_stored {self.bits_stored!r}: expected 12 or 14")
        if self.noise < 0:
            raise ValueError("noise must be >= 0")
        defs = {Level.parse(k): v for k, v in dict(self.deformities).items()}
        for lv, d in defs.items():
            if not isinstance(d, Deformity):
                raise ValueError(f"{lv}: deformity must be a Deformity, got {d!r}")
        crush = sorted(lv.index for lv, d in defs.items() if d.kind == "crush")
        if any(b - a == 1 for a, b in zip(crush, crush[1:])):
            raise ValueError("adjacent crush deformities are not supported (Hp_ref would be circular)")
        object.__setattr__(self, "deformities", defs)
        object.__setattr__(self, "offset_mm", (float(self.offset_mm[0]), float(self.offset_mm[1])))

    @property
    def anatomical_pixel_mm(self) -> float:
        """Millimetres of anatomy (spine plane) per pixel: ``pixel_mm / magnification``."""
        return self.pixel_mm / self.magnification

    @property
    def max_value(self) -> int:
        return (1 << self.bits_stored) - 1

    def with_(self, **changes: Any) -> "FilmSpec":
        return replace(self, **changes)


Points = dict[PointSlot, tuple[float, float]]


@dataclass
class SyntheticFilm:
    """A rendered film. ``image``: uint16, MONOCHROME2 (bone bright), ``bits_stored`` bits.

    ``points``: true six points of T4-L4 in DICOM image coordinates (x = column, y = row,
    pixel corner convention). ``outlines``: each body's outline polygon (N x 2, same
    coordinates) for T2-S1. ``window``: (center, width) suited to the vertebral bodies.
    """

    image: np.ndarray
    points: dict[Level, Points]
    spec: FilmSpec
    outlines: dict[str, np.ndarray]
    window: tuple[float, float]

    @property
    def bits_stored(self) -> int:
        return self.spec.bits_stored

    def stored(self, photometric: str = "MONOCHROME2") -> np.ndarray:
        """Stored values for ``photometric`` (MONOCHROME1 inverts: max - value)."""
        if photometric == "MONOCHROME2":
            return self.image
        if photometric == "MONOCHROME1":
            return (self.spec.max_value - self.image.astype(np.int32)).astype(np.uint16)
        raise ValueError(f"photometric {photometric!r}: expected MONOCHROME1 or MONOCHROME2")

    def intended_percent(self, level: Level | str) -> float:
        d = self.spec.deformities.get(Level.parse(level))
        return d.percent if d else 0.0


# ---------------------------------------------------------------------------- vertebra shapes
@dataclass
class _Body:
    name: str
    D: float
    Hp: float
    Ha: float
    cs: float   # superior endplate concavity (mm, inward)
    ci: float   # inferior endplate concavity
    ant_bow: float = -0.7   # anterior wall: negative = concave waist, positive = bulge
    deformity: Deformity | None = None


def _rot90(v: np.ndarray) -> np.ndarray:
    return np.array([-v[1], v[0]])


def _local_points(b: _Body) -> dict[PointSlot, np.ndarray]:
    """Six points in the body's frame: a along the inferior endplate (anterior +), h up."""
    IP = np.array([0.0, 0.0])
    IA = np.array([b.D, 0.0])
    SP = np.array([0.0, b.Hp])
    SA = np.array([b.D, b.Ha])
    s = (SA - SP) / xa.norm2(SA - SP)
    SM = (SA + SP) / 2 - b.cs * _rot90(s)
    IM = (IA + IP) / 2 + b.ci * np.array([0.0, 1.0])
    return {S.SUPERIOR_ANTERIOR: SA, S.SUPERIOR_MIDDLE: SM, S.SUPERIOR_POSTERIOR: SP,
            S.INFERIOR_ANTERIOR: IA, S.INFERIOR_MIDDLE: IM, S.INFERIOR_POSTERIOR: IP}


def _hm(b: _Body) -> float:
    p = _local_points(b)
    return xa.norm2(p[S.SUPERIOR_MIDDLE] - p[S.INFERIOR_MIDDLE])


def _qualifies(b: _Body) -> bool:
    """Neighbour rule of domain.md §2 (wedge and biconcave reductions below 20 %)."""
    return (grading.percent_from_ratio(b.Ha / b.Hp) < 20.0
            and grading.percent_from_ratio(_hm(b) / b.Hp) < 20.0)


def _build_bodies(spec: FilmSpec) -> list[_Body]:
    rng = np.random.default_rng([spec.seed if spec.anatomy_seed is None else spec.anatomy_seed, 7])
    child = spec.age_group == "child"
    kb = (_CHILD_BODY if child else 1.0) * spec.growth
    kd = (_CHILD_DEPTH if child else 1.0) * spec.growth
    bodies: list[_Body] = []
    for i, name in enumerate(BODIES):
        jit_h = 1.0 + 0.02 * rng.uniform(-1, 1)
        jit_w = 0.012 * rng.uniform(-1, 1)
        w = _WEDGE[i]
        if child:
            w = 1.0 - 0.6 * (1.0 - w)
        w = w + jit_w
        Hp = _HP[i] * kb * jit_h
        conc = (0.5 if name.startswith("T") else 0.8) * (0.6 if child else 1.0) * spec.growth
        bodies.append(_Body(name, _DEPTH[i] * kd * (1.0 + 0.015 * rng.uniform(-1, 1)), Hp,
                            w * Hp, conc, conc))
    # wedge and biconcave first (Hp unchanged), then crush (needs the neighbours' Hp)
    for lv, d in spec.deformed.items():
        b = bodies[_FIRST + lv.index]
        b.deformity = d
        if d.kind == "wedge":
            b.Ha = (1.0 - d.reduction) * b.Hp
            b.ant_bow = 0.5 if d.reduction >= 0.2 else b.ant_bow
        elif d.kind == "biconcave":
            target = (1.0 - d.reduction) * b.Hp
            lo, hi = 0.0, b.Hp
            for _ in range(80):  # Hm decreases with the concavity: bisection
                c = (lo + hi) / 2
                b.cs, b.ci = 0.55 * c, 0.45 * c
                if _hm(b) > target:
                    lo = c
                else:
                    hi = c
            if abs(_hm(b) - target) > 1e-6:
                raise ValueError(f"{lv}: biconcave reduction {d.reduction} is not reachable")
    # crush against the reference line of domain.md §2 (the same function the measurement
    # uses): the line depends on the other levels' Hp, crushed ones included, so the scale of
    # each crushed body is found by fixed-point iteration until every crush is exact
    crushes = [(lv, d, bodies[_FIRST + lv.index]) for lv, d in spec.deformed.items() if d.kind == "crush"]
    if crushes:
        from vfa.method.morphometry import reference_line
        cands = {lv for lv in LEVELS if _qualifies(bodies[_FIRST + lv.index])}
        for _ in range(200):
            worst = 0.0
            for lv, d, b in crushes:
                line = reference_line(lv, {x: bodies[_FIRST + x.index].Hp for x in LEVELS}, cands)
                if line.hp_ref is None:
                    raise ValueError(f"{lv}: crush needs a reference line (at least four levels "
                                     "without wedge/biconcave deformity among its six nearest)")
                k = (1.0 - d.reduction) * line.hp_ref / b.Hp
                worst = max(worst, abs(k - 1.0))
                b.Hp, b.Ha, b.cs, b.ci = b.Hp * k, b.Ha * k, b.cs * k, b.ci * k
            if worst < 1e-13:
                break
        for _, d, b in crushes:
            b.ant_bow = 0.4
            b.deformity = d
    return bodies


def _place(spec: FilmSpec, bodies: list[_Body]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(IP, d, up) of each body in the aligned anatomical frame (mm, a anterior, z cranial).

    Built from S1 upwards: each disc rotates the next inferior endplate by its wedge angle.
    Then the frame is rotated so that the line from the centre of L4 to the centre of T4 is
    vertical, with its midpoint at the origin.
    """
    child = spec.age_group == "child"
    kdisc = (_CHILD_DISC if child else 1.0) * spec.growth
    n = len(bodies)
    frames: list[Any] = [None] * n
    ip = np.array([0.0, 0.0])
    d = np.array([xa.cos(math.radians(-30)), xa.sin(math.radians(-30))])
    for i in range(n - 1, -1, -1):
        b = bodies[i]
        up = _rot90(d)
        frames[i] = (ip, d, up)
        if i == 0:
            break
        loc = _local_points(b)
        SP = ip + loc[S.SUPERIOR_POSTERIOR][0] * d + loc[S.SUPERIOR_POSTERIOR][1] * up
        SA = ip + loc[S.SUPERIOR_ANTERIOR][0] * d + loc[S.SUPERIOR_ANTERIOR][1] * up
        s = (SA - SP) / xa.norm2(SA - SP)
        dp, da = _DISC[i - 1]
        dp, da = dp * kdisc, da * kdisc
        alpha = xa.atan2(da - dp, bodies[i - 1].D) * spec.curvature
        ca, sa = xa.cos(alpha), xa.sin(alpha)
        d = np.array([ca * s[0] - sa * s[1], sa * s[0] + ca * s[1]])
        ip = SP + dp * _rot90(s)

    def centre(i: int) -> np.ndarray:
        ipp, dd, uu = frames[i]
        pts = _local_points(bodies[i])
        return _mean_points([ipp + p[0] * dd + p[1] * uu for p in pts.values()])

    c4, cl4 = centre(_FIRST), centre(_FIRST + 12)
    axis = c4 - cl4
    rot = math.pi / 2 - xa.atan2(axis[1], axis[0])
    cr, sr = xa.cos(rot), xa.sin(rot)
    mid = (c4 + cl4) / 2

    def turn(v: np.ndarray) -> np.ndarray:     # the rotation, without BLAS (same bits everywhere)
        return np.array([cr * v[0] - sr * v[1], sr * v[0] + cr * v[1]])

    return [(turn(ipp - mid), turn(dd), turn(uu)) for ipp, dd, uu in frames]


def _mean_points(pts: list[np.ndarray]) -> np.ndarray:
    """Mean of 2-D points, summed in their order."""
    sx, sy = 0.0, 0.0
    for p in pts:
        sx, sy = sx + float(p[0]), sy + float(p[1])
    return np.array([sx / len(pts), sy / len(pts)])


def _steps(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    """``np.linspace`` in plain arithmetic: start + j * step."""
    div = (n - 1) if endpoint else n
    step = (stop - start) / div
    out = [j * step + start for j in range(n)]
    if endpoint and n > 1:
        out[-1] = stop
    return out


def _outline(b: _Body, radius: float, n_side: int = 48, n_arc: int = 10) -> np.ndarray:
    """Closed outline (local frame) through the six points, corners rounded by ``radius``.

    Each corner is filleted so that the middle of the fillet arc is the true corner point;
    endplates bow inward through the middle points (sin^2 profile, flat near the corners).
    """
    P = _local_points(b)
    corners = [P[S.SUPERIOR_ANTERIOR], P[S.SUPERIOR_POSTERIOR], P[S.INFERIOR_POSTERIOR],
               P[S.INFERIOR_ANTERIOR]]
    centroid = _mean_points(corners)
    # inward bow of each side at its middle: superior, posterior wall, inferior, anterior wall
    mids = [P[S.SUPERIOR_MIDDLE], None, P[S.INFERIOR_MIDDLE], None]
    wall_bow = [None, 0.35 * math.sqrt(b.Hp / 20.0), None, -b.ant_bow]
    n = 4
    # fillet geometry per corner
    V, L_t, dirs_in, dirs_out, phis = [], [], [], [], []
    for k in range(n):
        Pk = corners[k]
        prev, nxt = corners[k - 1], corners[(k + 1) % n]
        d1 = (Pk - prev) / xa.norm2(Pk - prev)
        d2 = (nxt - Pk) / xa.norm2(nxt - Pk)
        cosphi = min(1.0, max(-1.0, xa.dot2(-d1, d2)))
        phi = xa.acos(cosphi)
        bout = d1 - d2
        bout /= xa.norm2(bout)
        r = min(radius, 0.25 * min(xa.norm2(Pk - prev), xa.norm2(nxt - Pk)))
        delta = r * (1 / xa.sin(phi / 2) - 1)
        V.append(Pk + delta * bout)
        L_t.append(r / xa.tan(phi / 2))
        dirs_in.append(d1)
        dirs_out.append(d2)
        phis.append((phi, r, bout))
    out: list[np.ndarray] = []
    for k in range(n):
        a, e = corners[k], corners[(k + 1) % n]
        L = xa.norm2(e - a)
        u = (e - a) / L
        nin = _rot90(u)
        if xa.dot2(nin, centroid - (a + e) / 2) < 0:
            nin = -nin
        if mids[k] is not None:
            amp = xa.dot2(mids[k] - (a + e) / 2, nin)
        else:
            amp = float(wall_bow[k] or 0.0)   # mids[k] is None: the wall's bow is set
        # arc at corner k (start of this side)
        phi, r, bout = phis[k]
        Vk = V[k]
        centre = Vk - (r / xa.sin(phi / 2)) * bout
        T1 = Vk - L_t[k] * dirs_in[k]
        T2 = Vk + L_t[k] * dirs_out[k]
        a1 = xa.atan2(*(T1 - centre)[::-1])
        a2 = xa.atan2(*(T2 - centre)[::-1])
        da = (a2 - a1 + math.pi) % (2 * math.pi) - math.pi
        for t in _steps(0.0, 1.0, n_arc, endpoint=False):
            ang = a1 + da * t
            out.append(centre + r * np.array([xa.cos(ang), xa.sin(ang)]))
        ta, tb = L_t[k] / L, 1 - L_t[(k + 1) % n] / L
        Va, Ve = V[k] - a, V[(k + 1) % n] - e
        for t in _steps(ta, tb, n_side):
            disp = Va * max(0.0, 1 - 2 * t) + Ve * max(0.0, 2 * t - 1)
            sn = xa.sin(math.pi * t)
            out.append(a + t * L * u + nin * amp * (sn * sn) + disp)
    return np.array(out)


# ---------------------------------------------------------------------------- transforms
class _Frame:
    """Aligned anatomical mm (a anterior, z cranial) <-> DICOM image coordinates."""

    def __init__(self, spec: FilmSpec) -> None:
        self.s = -1.0 if spec.facing == "left" else 1.0
        t = math.radians(spec.tilt_deg)
        self.c, self.sn = xa.cos(t), xa.sin(t)
        self.k = spec.magnification / spec.pixel_mm
        self.cx = spec.cols / 2 + spec.offset_mm[0] / spec.pixel_mm
        self.cy = spec.rows / 2 + spec.offset_mm[1] / spec.pixel_mm

    def to_image(self, p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        x0, y0 = self.s * p[..., 0], -p[..., 1]
        x1 = x0 * self.c - y0 * self.sn
        y1 = x0 * self.sn + y0 * self.c
        return np.stack([self.cx + self.k * x1, self.cy + self.k * y1], axis=-1)

    def to_anatomy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x1, y1 = (x - self.cx) / self.k, (y - self.cy) / self.k
        x0 = x1 * self.c + y1 * self.sn
        y0 = -x1 * self.sn + y1 * self.c
        return self.s * x0, -y0

    def direction(self, v: np.ndarray) -> np.ndarray:
        """Image direction (unit) of an anatomical direction."""
        q = self.to_image(np.asarray(v)) - self.to_image(np.zeros(2))
        return q / xa.norm2(q)


# ---------------------------------------------------------------------------- rendering helpers
def _blur(img: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur (reflecting border); large sigmas go through an area-averaged copy
    (fast, smooth fields) and back by bilinear resampling."""
    if sigma_px <= 0.3:
        return np.asarray(img, dtype=np.float64)
    if sigma_px <= 12:
        # a sparse layer (bones, gas) is blurred in the box around its non-zero pixels: the
        # same sums (zeros add nothing), far fewer of them
        half = (int(math.floor(sigma_px * 8 + 1 + 0.5)) | 1) // 2
        nz_r, nz_c = np.nonzero(np.any(img != 0, axis=1))[0], np.nonzero(np.any(img != 0, axis=0))[0]
        if nz_r.size == 0:
            return np.zeros(img.shape, np.float64)
        r0, r1 = int(nz_r[0]) - half, int(nz_r[-1]) + half + 1
        c0, c1 = int(nz_c[0]) - half, int(nz_c[-1]) + half + 1
        if r0 >= 0 and c0 >= 0 and r1 <= img.shape[0] and c1 <= img.shape[1]:
            out = np.zeros(img.shape, np.float64)
            out[r0:r1, c0:c1] = xa.gaussian_blur(img[r0:r1, c0:c1], sigma_px)
            return out
        return xa.gaussian_blur(img, sigma_px)
    f = int(sigma_px // 4)
    h, w = img.shape
    small = xa.resize_area(img, max(1, h // f), max(1, w // f))
    small = xa.gaussian_blur(small, sigma_px / f)
    return xa.resize_linear(small, h, w)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _catmull_rom(pts: np.ndarray, n: int = 10) -> np.ndarray:
    p = np.vstack([pts[0], pts, pts[-1]])
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        for t in _steps(0.0, 1.0, n, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(0.5 * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                              + (-p0 + 3 * p1 - 3 * p2 + p3) * t3))
    out.append(p[-2])
    return np.array(out)


def _oriented_kernel(direction: np.ndarray, s_along: float, s_across: float) -> np.ndarray:
    half = int(math.ceil(3 * max(s_along, s_across)))
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    along = xx * float(direction[0]) + yy * float(direction[1])
    across = -xx * float(direction[1]) + yy * float(direction[0])
    k = xa.exp(-0.5 * (along / s_along) ** 2 - 0.5 * (across / s_across) ** 2)
    return k / math.fsum(k.ravel().tolist())


def _interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp`` (``xp`` increasing) in element-wise arithmetic."""
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    y = slope * (x - xp[j]) + fp[j]
    return np.where(x <= xp[0], fp[0], np.where(x >= xp[-1], fp[-1], y))


def _block_mean(a: np.ndarray, k: int) -> np.ndarray:
    """Mean of each k x k block, summed in a fixed order."""
    out = a[0::k, 0::k].copy()
    for dy in range(k):
        for dx in range(k):
            if dy or dx:
                out = out + a[dy::k, dx::k]
    return out / float(k * k)


# Lead marker letters: a 6 x 8 bitmap font (integer-exact, unlike text drawing by a library).
_GLYPHS: dict[str, tuple[str, ...]] = {
    "L": ("XX....", "XX....", "XX....", "XX....", "XX....", "XX....", "XX....", "XXXXXX"),
    "R": ("XXXXX.", "XX...X", "XX...X", "XXXXX.", "XX.X..", "XX..X.", "XX...X", "XX...X"),
}
# The letters cover a little less than the old drawn ones did: the brightest 0.1 % of a film
# (its white point) then stays in the bone, as before.
_GLYPH_WIDTH = {"L": 14.4, "R": 16.7}     # in units of the font scale (the old Hershey letters)


def _draw_letter(img: np.ndarray, letter: str, origin: tuple[int, int], scale: float) -> None:
    """Burn ``letter`` into ``img`` (value 1) from its bitmap: the box of the letter is where
    OpenCV's FONT_HERSHEY_SIMPLEX put it at ``scale`` (baseline at ``origin``), the cells are
    whole pixels."""
    ox, oy = origin
    width = int(_GLYPH_WIDTH[letter] * scale + 0.5)
    height = int(20.3 * scale + 0.5)
    left, top = ox + int(2 * scale + 0.5), oy - height
    for i, row in enumerate(_GLYPHS[letter]):
        for j, cell in enumerate(row):
            if cell == "X":
                img[max(0, top + i * height // 8):max(0, top + (i + 1) * height // 8),
                    max(0, left + j * width // 6):max(0, left + (j + 1) * width // 6)] = 1.0


# ---------------------------------------------------------------------------- make_film
def make_film(spec: FilmSpec) -> SyntheticFilm:
    """Render ``spec``. Deterministic: the same spec gives an identical image and points."""
    rng = np.random.default_rng([spec.seed, 1])
    bodies = _build_bodies(spec)
    frames = _place(spec, bodies)
    F = _Frame(spec)
    rows, cols = spec.rows, spec.cols
    mmpx = spec.anatomical_pixel_mm        # anatomy mm per pixel
    child = spec.age_group == "child"
    sf = (0.66 if child else 1.0) * spec.growth   # trunk size factor

    def g(i: int, a: float, h: float) -> np.ndarray:
        ip, d, up = frames[i]
        return ip + a * d + h * up

    # ---- true points of T4..L4
    points: dict[Level, Points] = {}
    for lv in LEVELS:
        i = _FIRST + lv.index
        loc = _local_points(bodies[i])
        points[lv] = {s: (float(xy[0]), float(xy[1])) for s in POINT_ORDER for xy in [F.to_image(g(i, *loc[s]))]}

    # ---- smooth fields on a coarse grid (soft tissue, lungs, heart, diaphragm)
    f = 4
    ch, cw = -(-rows // f), -(-cols // f)
    yc = (np.arange(ch) + 0.5) * f
    xc = (np.arange(cw) + 0.5) * f
    X, Y = np.meshgrid(xc, yc)
    A, Z = F.to_anatomy(X, Y)
    post_z = np.array([g(i, 0, bodies[i].Hp / 2)[1] for i in range(len(bodies))])[::-1]
    post_a = np.array([g(i, 0, bodies[i].Hp / 2)[0] for i in range(len(bodies))])[::-1]
    a_post = _interp(Z, post_z, post_a)
    rel = A - a_post                       # mm in front of the posterior wall line
    zlev = {name: g(i, 0, bodies[i].Hp / 2)[1] for i, name in enumerate(BODIES)}
    back = (68.0 + 12.0 * _smoothstep((zlev["T10"] - Z) / (zlev["T10"] - zlev["L2"]))) * sf
    skin = rel + back
    soft = 4.4 * np.sqrt(np.clip(skin / (70.0 * sf), 0, 1))
    z_recess = zlev["L1"] + 0.3 * (zlev["T12"] - zlev["L1"])
    dome1 = z_recess + 68 * sf * xa.exp(-((rel - 105 * sf) / (95 * sf)) ** 2)
    dome2 = z_recess - 14 * sf + 62 * sf * xa.exp(-((rel - 115 * sf) / (95 * sf)) ** 2)
    above = 0.5 / (1 + xa.exp(-(Z - dome1) / 1.5)) + 0.5 / (1 + xa.exp(-(Z - dome2) / 1.5))
    lung_ap = _smoothstep((rel + 48 * sf) / (30 * sf)) * (0.75 + 0.25 * _smoothstep(rel / (80 * sf)))
    lung = 1.25 * above * lung_ap * _smoothstep(skin / (25 * sf))
    heart_r = ((rel - 120 * sf) / (85 * sf)) ** 2 + ((Z - (zlev["T9"] - 5 * sf)) / (70 * sf)) ** 2
    heart = 0.30 * above * _smoothstep((1.0 - heart_r) / 1.6)
    mu_soft = soft - lung + heart
    mu = xa.resize_linear(mu_soft, rows, cols)

    # bowel gas below the diaphragm, in front of and over the lumbar spine
    gas = np.zeros((rows, cols), np.float64)
    for _ in range(14):
        zi = rng.uniform(zlev["L4"] - 25 * sf, zlev["T12"])
        ai = rng.uniform(-10, 110) * sf
        ra, rz = rng.uniform(6, 22) * sf, rng.uniform(5, 14) * sf
        c = F.to_image(np.array([post_a.mean() + ai, zi]))
        axes = (max(1, int(ra * F.k)), max(1, int(rz * F.k)))
        xa.fill_ellipse(gas, (int(c[0]), int(c[1])), axes, float(rng.uniform(-30, 30)),
                       float(rng.uniform(0.1, 0.3)))
    mu -= _blur(gas, 3.5 / mmpx)

    # ---- bone: bodies
    bone = np.zeros((rows, cols), np.float64)
    body_cov = np.zeros((rows, cols), np.float64)
    outlines: dict[str, np.ndarray] = {}
    ss = 3
    radius = (1.3 if child else 1.0) * spec.growth
    tex_amp = 0.16 + 0.25 * max(0.0, 1.0 - spec.bone_density)
    rho_t = 0.50 * xa.pow_s(spec.bone_density, 0.8)
    rho_c = 0.30 * (0.55 + 0.45 * spec.bone_density)
    cortex = (0.8 if child else 1.0)
    up_img = F.direction(np.array([0.0, 1.0]))
    kern = _oriented_kernel(up_img, 1.5 / mmpx, 0.38 / mmpx)

    for i, b in enumerate(bodies):
        ip, d, up = frames[i]
        loc_out = _outline(b, radius)
        glob = ip + loc_out[:, :1] * d + loc_out[:, 1:] * up
        poly = F.to_image(glob)
        outlines[b.name] = poly
        m = 3.0 / mmpx
        x0 = max(0, int(math.floor(poly[:, 0].min() - m)))
        x1 = min(cols, int(math.ceil(poly[:, 0].max() + m)))
        y0 = max(0, int(math.floor(poly[:, 1].min() - m)))
        y1 = min(rows, int(math.ceil(poly[:, 1].max() + m)))
        noise_box = rng.standard_normal((max(y1 - y0, 1) + 16, max(x1 - x0, 1) + 16))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        h, w = y1 - y0, x1 - x0
        fine = (poly - np.array([x0, y0])) * ss   # fine-grid DICOM coordinates
        mask = xa.polygon_mask(xa.fixed_point(fine), h * ss, w * ss)
        # distances only matter up to ~6.5 mm inside (rim, condensation band, treatment
        # lines) and 0.3 mm outside the rim: exact Euclidean transforms capped there
        deep = (b.deformity is not None and b.deformity.reduction >= 0.15) or spec.treatment_lines > 0
        cap_in = int(math.ceil((6.5 if deep else 2.5) / (mmpx / ss)))
        din = xa.distance_inside(mask, cap_in)
        dout = xa.distance_inside(~mask, int(math.ceil(1.0 / (mmpx / ss))))
        sd = np.where(mask, din - 0.5, -(dout - 0.5)) * (mmpx / ss)   # mm, + inside
        fy = y0 + (np.arange(h * ss) + 0.5) / ss
        fx = x0 + (np.arange(w * ss) + 0.5) / ss
        FX, FY = np.meshgrid(fx, fy)
        fa, fz = F.to_anatomy(FX, FY)
        an = ((fa - ip[0]) * d[0] + (fz - ip[1]) * d[1]) / b.D
        hn = ((fa - ip[0]) * up[0] + (fz - ip[1]) * up[1]) / b.Hp
        t = np.abs(2 * an - 1)
        chord = 0.45 + 0.55 * np.sqrt(np.clip(1 - t * t * t, 0, 1))
        iso = xa.gaussian_blur(noise_box, 0.45 / mmpx, "reflect101")
        iso = iso / (xa.std(iso) + 1e-6)
        ori = xa.correlate2d(noise_box, kern)
        tex = iso + 0.8 * ori / (xa.std(ori) + 1e-6)
        tex = tex - 0.7 * xa.gaussian_blur(tex, 3.0 / mmpx, "reflect101")
        tex = tex[8:8 + h, 8:8 + w]
        tex = tex / (xa.std(tex) + 1e-6)
        tex_f = xa.resize_linear(tex, h * ss, w * ss)
        inside = mask.astype(np.float64)
        rim = xa.exp(-((sd - 0.45 * cortex) / (0.4 * cortex)) ** 2) * (sd > -0.3 * cortex)
        val = inside * rho_t * chord * (1 + tex_amp * tex_f) + rho_c * rim
        if b.deformity is not None and b.deformity.reduction >= 0.15:
            # condensation (sclerotic band) under the collapsed endplate(s)
            band = xa.exp(-((sd - 2.2) / 1.4) ** 2) * inside
            if b.deformity.kind == "wedge":
                band *= _smoothstep((hn - 0.45) / 0.35) * _smoothstep((an - 0.3) / 0.4)
            val += 0.28 * band
        for kline in range(spec.treatment_lines):
            dl = (1.3 + 1.7 * kline) * spec.growth
            val += 0.22 * xa.exp(-((sd - dl) / 0.35) ** 2) * inside
        val = _block_mean(val, ss)
        cov = _block_mean(inside, ss)
        bone[y0:y1, x0:x1] += val
        np.maximum(body_cov[y0:y1, x0:x1], cov, out=body_cov[y0:y1, x0:x1])

    # ---- posterior elements (pedicle, articular pillar, spinous process)
    post = np.zeros((rows, cols), np.float64)
    for i, b in enumerate(bodies):
        if b.name == "S1":
            continue
        D, Hp = b.D, b.Hp
        lumbar = b.name.startswith("L")
        ped = [(0.5, 0.50 * Hp), (-0.20 * D, 0.56 * Hp), (-0.38 * D, 0.52 * Hp),
               (-0.38 * D, 0.92 * Hp), (-0.20 * D, 0.86 * Hp), (0.5, 0.94 * Hp)]
        sap = [(-0.30 * D, 0.62 * Hp), (-0.46 * D, 0.60 * Hp), (-0.45 * D, 1.10 * Hp),
               (-0.38 * D, 1.16 * Hp), (-0.31 * D, 1.08 * Hp)]
        iap = [(-0.48 * D, 0.70 * Hp), (-0.64 * D, 0.58 * Hp), (-0.63 * D, -0.14 * Hp),
               (-0.55 * D, -0.24 * Hp), (-0.48 * D, -0.10 * Hp)]
        ang = math.radians(10 if lumbar else 50)
        ca, sa = xa.cos(ang), xa.sin(ang)
        length = (0.95 if lumbar else 1.30) * D
        base_c = np.array([-0.60 * D, 0.42 * Hp])
        dirn = np.array([-ca, -sa])
        nrm = _rot90(dirn)
        w0, w1 = (0.55 * Hp, 0.50 * Hp) if lumbar else (0.40 * Hp, 0.16 * Hp)
        tip = base_c + length * dirn
        mid_c = base_c + 0.6 * length * dirn
        w_mid = 0.5 * (w0 + w1) * (0.85 if lumbar else 1.0)
        spin = [base_c + w0 / 2 * nrm, mid_c + w_mid / 2 * nrm, tip + w1 / 2 * nrm,
                tip + 0.2 * w1 * dirn, tip - w1 / 2 * nrm, mid_c - w_mid / 2 * nrm,
                base_c - w0 / 2 * nrm]
        for shape, val in ((spin, 0.17), (iap, 0.21), (sap, 0.21), (ped, 0.20)):
            pts = np.array([g(i, a, hh) for a, hh in shape])
            xa.fill_polygon(post, F.to_image(pts), val)
    # facet joints: thin dark gaps between the pillars
    post = _blur(post, 1.0 / mmpx)
    pn = rng.standard_normal((-(-rows // 4), -(-cols // 4)))
    pn = xa.gaussian_blur(pn, 1.0, "reflect101")
    pn = xa.resize_linear(pn / (xa.std(pn) + 1e-6), rows, cols)
    post *= 1.0 + 0.15 * pn

    # ---- ribs (two per thoracic level: near and far side, different magnification)
    ribs = np.zeros((rows, cols), np.float64)
    if spec.ribs:
        path = np.array([(-1.0, 0.9), (-20, 0.8), (-38, 0.35), (-48, -10), (-44, -30),
                         (-22, -52), (15, -74), (60, -96), (110, -116)])
        for i, b in enumerate(bodies):
            if not b.name.startswith("T"):
                continue
            fs = b.D / 28.0
            n_pts = {"T11": 6, "T12": 5}.get(b.name, len(path))
            for side, (scale, shift_a, shift_h) in enumerate(((1.0, 0, 0), (1.08, -4.0, 3.0))):
                pp = path[:n_pts].copy()
                pp[:, 0] = pp[:, 0] * fs * scale + shift_a * fs
                pp[:, 1] = np.where(np.arange(n_pts) < 2, pp[:, 1] * b.Hp,
                                    pp[:, 1] * fs * scale) + shift_h * fs
                pp[2:, 1] += rng.uniform(-2.0, 2.0) * fs
                dense = _catmull_rom(np.array([g(i, a, hh) for a, hh in pp]), 8)
                # fade: costal cartilage (anterior end) is not seen
                rel_d = dense - frames[i][0]
                loc_a = rel_d[:, 0] * frames[i][1][0] + rel_d[:, 1] * frames[i][1][1]
                fade = 1.0 - _smoothstep((loc_a - (b.D + 15 * fs)) / (45 * fs))
                curve = F.to_image(dense)
                width = max(2, int(round(8.0 * fs * scale / mmpx)))
                inner = max(1, width - 2 * max(1, int(round(1.3 * fs / mmpx))))
                m = width + 4
                x0 = max(0, int(curve[:, 0].min()) - m)
                x1 = min(cols, int(curve[:, 0].max()) + m)
                y0 = max(0, int(curve[:, 1].min()) - m)
                y1 = min(rows, int(curve[:, 1].max()) + m)
                if x1 - x0 < 2 or y1 - y0 < 2:
                    continue
                outer_c = np.zeros((y1 - y0, x1 - x0), np.float64)
                inner_c = np.zeros_like(outer_c)
                loc = curve - np.array([x0, y0])
                amp = 0.16 * (0.8 if side else 1.0)
                for j in range(len(loc) - 1):
                    val = amp * float(fade[j])
                    if val <= 0.002:
                        continue
                    q0, q1 = xa.fixed_point(loc[j])[0] / 16.0, xa.fixed_point(loc[j + 1])[0] / 16.0
                    p0, p1 = (float(q0[0]), float(q0[1])), (float(q1[0]), float(q1[1]))
                    xa.stroke(outer_c, p0, p1, width + 1, val, inner=(inner_c, inner + 1, 0.5 * val))
                ribs[y0:y1, x0:x1] += outer_c - inner_c
        ribs = _blur(ribs, 0.9 / mmpx)

    # ---- aortic calcification (elderly): flecks in front of the lumbar bodies
    calc = np.zeros((rows, cols), np.float64)
    if spec.aortic_calcification:
        for lvname in ("T12", "L1", "L2", "L3", "L4"):
            i = BODIES.index(lvname)
            for _ in range(int(rng.integers(1, 4))):
                a = bodies[i].D + rng.uniform(9, 16) * sf
                hh = rng.uniform(0.0, 1.0) * bodies[i].Hp
                c = F.to_image(g(i, a, hh))
                axes = (max(1, int(rng.uniform(0.4, 1.2) / mmpx)), max(1, int(rng.uniform(1.5, 5) / mmpx)))
                xa.fill_ellipse(calc, (int(c[0]), int(c[1])), axes, float(rng.uniform(-20, 20)),
                               float(rng.uniform(0.25, 0.5)))
        calc = _blur(calc, 0.4 / mmpx)

    mu += bone + post * (1.0 - 0.5 * np.clip(body_cov, 0, 1)) + ribs + calc
    if spec.marker:
        mk = np.zeros((rows, cols), np.float64)
        letter = "L" if spec.facing == "left" else "R"
        scale = max(0.5, min(rows, cols) / 400)
        xm = int(cols * (0.06 if spec.facing == "left" else 0.86))
        _draw_letter(mk, letter, (xm, int(rows * 0.07)), scale)
        mu += 3.0 * mk

    # ---- image formation: transmission, scatter, quantum noise, detector blur
    mu = np.maximum(mu, 0.0)
    T = xa.exp(-mu)
    scatter = 0.35 * _blur(T, 25.0 / spec.pixel_mm)
    E = T + scatter
    raw = -xa.log(E)
    if spec.noise > 0:
        n0 = 2.5e5 / (spec.noise * spec.noise)
        sigma = 1.0 / np.sqrt(n0 * E)
        raw += rng.standard_normal((rows, cols)) * sigma
    raw = _blur(raw, 0.6)
    # processing: dynamic range compression and edge enhancement (as a DX console does)
    low = _blur(raw, 18.0 / spec.pixel_mm)
    proc = raw - 0.85 * low
    proc = proc + 0.45 * (proc - _blur(proc, 1.5 / spec.pixel_mm))
    # map to stored values: patient region spans most of the range
    sample = proc[::4, ::4]
    lo, hi = xa.percentile(sample, 0.5), xa.percentile(sample, 99.9)
    maxv = spec.max_value
    v = (proc - lo) / (hi - lo) * (0.92 * maxv) + 0.03 * maxv
    image = np.clip(np.round(v), 0, maxv).astype(np.uint16)

    # window suited to the bodies: values inside and around them
    region = xa.max_filter((body_cov > 0.5).astype(np.uint8), 9)
    vals = image[region > 0]
    if vals.size < 100:
        vals = image.ravel()
    w_lo, w_hi = xa.percentile(vals[::7], 1.0), xa.percentile(vals[::7], 99.5)
    window = (float(round((w_lo + w_hi) / 2)), float(max(1.0, round(w_hi - w_lo))))
    return SyntheticFilm(image=image, points=points, spec=spec, outlines=outlines, window=window)


POINT_ORDER: tuple[PointSlot, ...] = tuple(PointSlot)


# ---------------------------------------------------------------------------- DICOM
#: UID root of pydicom (allowed for pydicom users); UIDs are derived from it deterministically.
UID_ROOT = "1.2.826.0.1.3680043.8.498."

SPACING_MODES = ("pixel_spacing", "calibrated", "imager_only", "imager_with_magnification",
                 "pixel_spacing_only", "none")


def derive_uid(*parts: object) -> str:
    """A deterministic UID under :data:`UID_ROOT` from ``parts`` (reruns give the same UID)."""
    from pydicom.uid import generate_uid
    return str(generate_uid(UID_ROOT, entropy_srcs=[GENERATOR_VERSION] + [str(p) for p in parts]))


def _age_string(birth: _dt.date | None, on: _dt.date) -> str:
    if birth is None:
        return ""
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return f"{max(0, years):03d}Y"


def _new_dataset(sop_class: str, sop_uid: str, *, spec: FilmSpec, study_date: _dt.date,
                 study_time: str, accession_number: str, institution: str,
                 study_description: str, patient_name: str, patient_id: str,
                 patient_sex: str, birth_date: _dt.date | None, study_uid: str,
                 series_uid: str) -> Any:
    """The file meta and the header both phantom writers share (identity, dates, UIDs,
    equipment, orientation); each writer adds its modality's own attributes."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, ExplicitVRLittleEndian, PYDICOM_IMPLEMENTATION_UID

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID(sop_class)
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    meta.ImplementationVersionName = "VFA_PHANTOM_1"
    ds = Dataset()
    ds.file_meta = meta
    date = study_date.strftime("%Y%m%d")
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = study_time
    ds.AccessionNumber = accession_number
    ds.Manufacturer = "vfa"
    ds.SoftwareVersions = GENERATOR_VERSION
    ds.InstitutionName = institution
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = study_description
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = birth_date.strftime("%Y%m%d") if birth_date else ""
    ds.PatientSex = patient_sex
    ds.PatientAge = _age_string(birth_date, study_date)
    ds.BodyPartExamined = "TLSPINE"
    # rows run towards the posterior when the anterior side is on the left; columns to the feet
    ds.PatientOrientation = ["P", "F"] if spec.facing == "left" else ["A", "F"]
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    return ds


def write_dicom(film: SyntheticFilm, path: str | os.PathLike[str], *,
                patient_name: str = "SYNTHETIC^PHANTOM", patient_id: str = "VFA-SYNTH",
                patient_sex: str = "O", birth_date: _dt.date | None = None,
                study_date: _dt.date = _dt.date(2024, 1, 1), study_time: str = "100000",
                photometric: str = "MONOCHROME2", transfer_syntax: str | None = None,
                spacing_mode: str = "pixel_spacing", study_uid: str | None = None,
                series_uid: str | None = None, sop_uid: str | None = None,
                study_description: str = "XR SPINE THORACOLUMBAR LATERAL (VFA)",
                series_description: str = "Lateral thoracolumbar spine",
                accession_number: str = "", study_id: str = "1", series_number: int = 1,
                instance_number: int = 1,
                institution: str = "VFA Synthetic Phantom (not a patient)") -> Any:
    """Write ``film`` as a DX (For Presentation) image, or CR without Imager Pixel Spacing.

    ``spacing_mode`` (docs/domain.md §5):

    - ``pixel_spacing``: Pixel Spacing = Imager Pixel Spacing (detector) - rule 2, DX
    - ``calibrated``: Pixel Spacing = detector / magnification, Imager Pixel Spacing,
      Pixel Spacing Calibration Type GEOMETRY - rule 1, DX
    - ``imager_only``: Imager Pixel Spacing alone - rule 4, DX
    - ``imager_with_magnification``: Imager Pixel Spacing + Estimated Radiographic
      Magnification Factor - rule 3, DX
    - ``pixel_spacing_only``: Pixel Spacing alone (detector) - rule 2, CR
    - ``none``: no spacing at all - rule 5 (uncalibrated), CR

    ``transfer_syntax``: Explicit VR Little Endian (default), RLE Lossless, JPEG 2000 Lossless
    or JPEG-LS Lossless (compressed with ``Dataset.compress``). UIDs not given are derived
    deterministically from the patient, the date and the film's seed. Returns the dataset.
    """
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, JPEG2000Lossless, JPEGLSLossless, RLELossless

    spec = film.spec
    if spacing_mode not in SPACING_MODES:
        raise ValueError(f"spacing_mode {spacing_mode!r}: expected one of {', '.join(SPACING_MODES)}")
    ts = transfer_syntax or ExplicitVRLittleEndian
    if ts not in (ExplicitVRLittleEndian, RLELossless, JPEG2000Lossless, JPEGLSLossless):
        raise ValueError(f"transfer syntax {ts} not supported by the phantom writer")
    arr = film.stored(photometric)
    dx = spacing_mode in ("pixel_spacing", "calibrated", "imager_only", "imager_with_magnification")
    key = (patient_id, study_date.isoformat(), spec.seed)
    study_uid = study_uid or derive_uid("study", *key)
    series_uid = series_uid or derive_uid("series", *key, series_number)
    sop_uid = sop_uid or derive_uid("image", *key, series_number, instance_number)
    sop_class = ("1.2.840.10008.5.1.4.1.1.1.1" if dx else "1.2.840.10008.5.1.4.1.1.1")

    ds = _new_dataset(sop_class, sop_uid, spec=spec, study_date=study_date,
                      study_time=study_time, accession_number=accession_number,
                      institution=institution, study_description=study_description,
                      patient_name=patient_name, patient_id=patient_id,
                      patient_sex=patient_sex, birth_date=birth_date,
                      study_uid=study_uid, series_uid=series_uid)
    ds.AcquisitionDate = ds.StudyDate
    ds.AcquisitionTime = study_time
    ds.Modality = "DX" if dx else "CR"
    ds.ManufacturerModelName = "synthetic phantom"
    ds.SeriesDescription = series_description
    ds.DerivationDescription = (f"Synthetic radiograph generated by vfa.synthetic.phantom "
                                f"({GENERATOR_VERSION}, seed {spec.seed}); not a patient image")
    ds.PatientIdentityRemoved = "NO"
    ds.ViewPosition = "LL" if spec.facing == "left" else "RL"
    view = Dataset()
    view.CodeValue = "399173006" if spec.facing == "left" else "399198007"
    view.CodingSchemeDesignator = "SCT"
    view.CodeMeaning = "left lateral" if spec.facing == "left" else "right lateral"
    ds.ViewCodeSequence = Sequence([view])
    region = Dataset()
    region.CodeValue = "1217256009"
    region.CodingSchemeDesignator = "SCT"
    region.CodeMeaning = "Thoraco-lumbar spine"
    ds.AnatomicRegionSequence = Sequence([region])
    ds.ImageLaterality = "U"
    ds.StudyID = study_id
    ds.SeriesNumber = series_number
    ds.InstanceNumber = instance_number
    ds.AcquisitionContextSequence = Sequence([])
    if dx:
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.DetectorType = "DIRECT"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = -1 if photometric == "MONOCHROME2" else 1
        ds.RescaleIntercept = 0
        ds.RescaleSlope = 1
        ds.RescaleType = "US"
    ds.PresentationLUTShape = "IDENTITY" if photometric == "MONOCHROME2" else "INVERSE"
    px = f"{spec.pixel_mm:.6g}"
    anat = f"{spec.pixel_mm / spec.magnification:.6g}"
    if spacing_mode in ("pixel_spacing", "calibrated", "imager_only", "imager_with_magnification"):
        ds.ImagerPixelSpacing = [px, px]
    if spacing_mode in ("pixel_spacing", "pixel_spacing_only"):
        ds.PixelSpacing = [px, px]
    if spacing_mode == "calibrated":
        ds.PixelSpacing = [anat, anat]
        ds.PixelSpacingCalibrationType = "GEOMETRY"
        ds.PixelSpacingCalibrationDescription = "spine plane, from source distances"
    if spacing_mode in ("calibrated", "imager_with_magnification"):
        ds.EstimatedRadiographicMagnificationFactor = f"{spec.magnification:.6g}"
        ds.DistanceSourceToDetector = "1800"
        ds.DistanceSourceToPatient = f"{1800 / spec.magnification:.1f}"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = arr.shape
    ds.BitsAllocated = 16
    ds.BitsStored = spec.bits_stored
    ds.HighBit = spec.bits_stored - 1
    ds.PixelRepresentation = 0
    wc, ww = film.window
    if photometric == "MONOCHROME1":
        wc = spec.max_value - wc
    ds.WindowCenter = f"{wc:.0f}"
    ds.WindowWidth = f"{ww:.0f}"
    ds.WindowCenterWidthExplanation = "SPINE: vertebral bodies and discs"
    ds.VOILUTFunction = "LINEAR"
    ds.PixelData = np.ascontiguousarray(arr).tobytes()
    if ts != ExplicitVRLittleEndian:
        ds.compress(ts, np.ascontiguousarray(arr), generate_instance_uid=False)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return ds


def _date(value: Any) -> _dt.date | None:
    if not value:
        return None
    try:
        return _dt.datetime.strptime(str(value)[:8], "%Y%m%d").date()
    except ValueError:
        return None


def reference_reading(film: SyntheticFilm, dataset: Any = None, *, image_path: str | None = None,
                      reader: str = "reference", spacing: Any = None,
                      confirmed: bool = False) -> Any:
    """The true six points of T4-L4 as a :class:`vfa.reading.reading.Reading` (reader "reference").

    Identity and spacing come from ``dataset`` (the pydicom dataset returned by
    :func:`write_dicom`, or read back) when given; ``spacing`` overrides (default uncalibrated
    without a dataset). The film's deformities are kept in each vertebra's extra key
    ``synthetic_deformity`` and the generator settings in the top-level key ``synthetic``.
    With ``confirmed`` every graded level is confirmed (a reference read: the grades stand).
    """
    from vfa.films.calibration import Spacing, spacing_from_dataset
    from vfa.reading.reading import Reading

    kw: dict[str, Any] = {}
    if dataset is not None:
        kw = dict(patient_id=str(dataset.get("PatientID", "") or ""),
                  patient_name=str(dataset.get("PatientName", "") or "") or None,
                  birth_date=_date(dataset.get("PatientBirthDate")),
                  patient_sex=str(dataset.get("PatientSex", "") or "") or None,
                  study_date=_date(dataset.get("StudyDate")),
                  study_instance_uid=str(dataset.get("StudyInstanceUID", "") or ""),
                  series_instance_uid=str(dataset.get("SeriesInstanceUID", "") or ""),
                  sop_instance_uid=str(dataset.get("SOPInstanceUID", "") or ""),
                  patient_age=str(dataset.get("PatientAge", "") or "") or None)
        if spacing is None:
            spacing = spacing_from_dataset(dataset)
    r = Reading(image_path=image_path, reader=reader,
                spacing=spacing if spacing is not None else Spacing.uncalibrated(), **kw)
    for lv in LEVELS:
        r.set_points(lv, {s: film.points[lv][s] for s in POINT_ORDER})
        d = film.spec.deformities.get(lv)
        if d is not None:
            r.vertebra(lv).extra["synthetic_deformity"] = {"kind": d.kind, "reduction": d.reduction,
                                                           "percent": d.percent, "grade": d.grade}
    sp = film.spec
    r.extra["synthetic"] = {
        "generator": GENERATOR_VERSION, "seed": sp.seed, "anatomy_seed": sp.anatomy_seed,
        "age_group": sp.age_group, "facing": sp.facing, "tilt_deg": sp.tilt_deg,
        "magnification": sp.magnification, "detector_pixel_mm": sp.pixel_mm,
        "anatomical_pixel_mm": sp.anatomical_pixel_mm, "growth": sp.growth,
    }
    r.check()
    if confirmed:  # a reference read: every grade confirmed (also where bulk confirmation skips)
        from vfa.method.morphometry import measure_reading
        for res in measure_reading(r):
            if res.graded:
                r.set_confirmed(res.level, True)
    return r


def film_summary(spec: FilmSpec) -> str:
    """One line describing the deformities of ``spec`` ("T7 wedge 32 % (grade 2), ...")."""
    parts = [f"{lv} {d.kind} {d.percent:g} % (grade {d.grade})"
             for lv, d in sorted(spec.deformed.items(), key=lambda kv: kv[0].index)]
    return ", ".join(parts) if parts else "no deformity"


def iter_levels(film: SyntheticFilm) -> Iterable[tuple[Level, Points]]:
    return ((lv, film.points[lv]) for lv in LEVELS)


# ---------------------------------------------------------------------------- DXA-VFA
#: How a DXA lateral image may be stored (docs/samples.md, "DXA-VFA"): grey 8 or 16 bit, or
#: RGB with three equal channels (what several densitometers export).
DXA_ENCODINGS = ("mono8", "mono16", "rgb")
SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7"


def dxa_spec(base: FilmSpec, *, rows: int = 640, cols: int = 360, pixel_mm: float = 0.5,
             seed: int | None = None) -> FilmSpec:
    """A DXA-VFA film of the same anatomy as ``base``: lower resolution (0.5 mm pixels),
    hardly any magnification (the spine lies close to the detector), no lead marker, less
    quantum noise (the DXA look is added by :func:`dxa_image`)."""
    return base.with_(rows=rows, cols=cols, pixel_mm=pixel_mm, magnification=1.02,
                      noise=0.5, marker=False, treatment_lines=base.treatment_lines,
                      anatomy_seed=base.anatomy_seed if base.anatomy_seed is not None else base.seed,
                      seed=base.seed + 100 if seed is None else seed, offset_mm=(0.0, 0.0),
                      tilt_deg=0.0)


def dxa_image(film: SyntheticFilm, bits: int = 8) -> np.ndarray:
    """The film with the look of a DXA lateral image: soft (a detector element of about a
    millimetre), bone-weighted contrast with soft tissue almost black, the horizontal scan
    lines of a fan-beam sweep, and ``bits`` (8 or 16) bits of grey. MONOCHROME2 (bone bright)."""
    img = film.image.astype(np.float64)
    wc, ww = film.window
    lo, hi = wc - ww * 0.75, wc + ww * 0.55
    x = np.clip((img - lo) / (hi - lo), 0.0, 1.0)
    x = np.where(x > 0, xa.exp(1.4 * xa.log(np.maximum(x, 1e-300))), 0.0)   # soft tissue darker, bone bright
    x = _blur(x, 1.2)
    rng = np.random.default_rng([film.spec.seed, 31])
    band = 1.0 + 0.025 * rng.standard_normal((x.shape[0], 1))  # scan-line banding
    x = np.clip(x * band + 0.01 * rng.standard_normal(x.shape), 0.0, 1.0)
    top = 255 if bits == 8 else 65535
    return np.rint(x * top).astype(np.uint8 if bits == 8 else np.uint16)


def write_dxa_dicom(film: SyntheticFilm, path: str | os.PathLike[str], *,
                    encoding: str = "rgb", pixel_spacing: bool = True,
                    patient_name: str = "SYNTHETIC^PHANTOM", patient_id: str = "VFA-SYNTH",
                    patient_sex: str = "O", birth_date: _dt.date | None = None,
                    study_date: _dt.date = _dt.date(2024, 1, 1), study_time: str = "110000",
                    study_uid: str | None = None, series_uid: str | None = None,
                    sop_uid: str | None = None, accession_number: str = "",
                    study_description: str = "DXA LATERAL SPINE (VFA)",
                    institution: str = "VFA Synthetic Phantom (not a patient)") -> Any:
    """Write ``film`` as a DXA-VFA image the way densitometers send it: a Secondary Capture
    (Modality BMD) with the DXA look (:func:`dxa_image`), ``encoding`` mono8 / mono16 / rgb
    (three equal channels), and Pixel Spacing when ``pixel_spacing``. Returns the dataset."""
    if encoding not in DXA_ENCODINGS:
        raise ValueError(f"encoding {encoding!r}: expected one of {', '.join(DXA_ENCODINGS)}")
    spec = film.spec
    grey = dxa_image(film, 16 if encoding == "mono16" else 8)
    key = (patient_id, study_date.isoformat(), spec.seed, "dxa")
    study_uid = study_uid or derive_uid("study", *key)
    series_uid = series_uid or derive_uid("series", *key)
    sop_uid = sop_uid or derive_uid("image", *key)
    ds = _new_dataset(SECONDARY_CAPTURE, sop_uid, spec=spec, study_date=study_date,
                      study_time=study_time, accession_number=accession_number,
                      institution=institution, study_description=study_description,
                      patient_name=patient_name, patient_id=patient_id,
                      patient_sex=patient_sex, birth_date=birth_date,
                      study_uid=study_uid, series_uid=series_uid)
    ds.Modality = "BMD"
    ds.ConversionType = "WSD"
    ds.ManufacturerModelName = "synthetic phantom (DXA-VFA)"
    ds.SeriesDescription = "DXA lateral spine, vertebral fracture assessment"
    ds.DerivationDescription = (f"Synthetic DXA-VFA image generated by vfa.synthetic.phantom "
                                f"({GENERATOR_VERSION}, seed {spec.seed}); not a patient image")
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    if pixel_spacing:
        px = f"{spec.pixel_mm / spec.magnification:.6g}"
        ds.PixelSpacing = [px, px]
    ds.Rows, ds.Columns = grey.shape
    if encoding == "rgb":
        arr = np.repeat(grey[:, :, None], 3, axis=2)
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
    else:
        arr = grey
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.PresentationLUTShape = "IDENTITY"
    bits = 16 if encoding == "mono16" else 8
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = np.ascontiguousarray(arr).tobytes()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return ds
