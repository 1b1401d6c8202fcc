"""One click per vertebra: the outline of the body around a click and its six points (2).

Method (docs/semi-automatic.md):

1. **Rays.** From the click, 64 rays; on each, the first strong fall of intensity going
   outward (bright body -> dark disc / soft tissue) is a boundary candidate. A circular
   median over neighbouring rays throws out rays that leaked through a gap.
2. **Frame.** The body's orientation is the dominant direction of the image gradient at the
   boundary points (angles modulo 90 degrees, so a rectangle-like outline gives one
   answer); the axis nearer to ``up_hint`` (default: up the film) is the vertebra's axis.
   Robust extents along both axes give a first box.
3. **Sides.** Each side is sampled by ~21 profiles across it (avoiding the rounded
   corners); the steepest outward fall on each is an edge point (sub-pixel, parabola on the
   derivative). Walls get a robust line, endplates a robust quadratic (Tukey weights); a
   second pass repeats with a narrow window around the fitted curves.
4. **Corners.** The tangent curves of two adjacent sides intersect at the sharp corner; the
   point is where their bisector crosses the outline (the corner ON the rounded body).
5. **Middles.** On each endplate, at the middle of the chord between its corners (or the
   deepest point when the endplate is clearly concave and asymmetric), the edge along the
   chord normal, median of seven profiles.
6. **Facing.** The posterior side is the one with the pedicle / posterior elements behind the
   wall (brighter band behind it); a ``facing`` hint (left/right) overrides.

Confidence per point from the inlier fraction and residual of the adjacent side fits and
the edge strength at the point; implausible boxes are marked low.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from vfa.method.geometry import from_index_coords, to_index_coords, check_six_points
from vfa.errors import GeometryError
from vfa.method.levels import PointSlot
from vfa.reading.autoplace.film import AutoplaceError, FilmImage, gradient_last, strongest_drop
from vfa.reading.proposal import Proposal

S = PointSlot
Vec = np.ndarray

#: Prior on vertebral body size (mm) for search ranges: children's bodies are smaller.
MAX_BODY_MM = 48.0
MIN_BODY_MM = 6.0


def _unit(v: Vec) -> Vec:
    n = float(np.hypot(v[0], v[1]))
    return v / n if n > 0 else v


def _median_finite(a: np.ndarray) -> float:
    """``float(np.median(a))`` of a non-empty 1-D array of finite values, bit for bit (the
    same partition and the same mean of the middle pair), without np.median's overhead."""
    n = a.shape[0]
    k = n // 2
    if n % 2:
        return float(np.partition(a, k)[k])
    part = np.partition(a, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2.0)


def _polyfit(x: np.ndarray, y: np.ndarray, deg: int, w: np.ndarray) -> np.ndarray:
    """``np.polyfit(x, y, deg, w=w)`` for 1-D float arrays, bit for bit (the same scaled
    Vandermonde least squares), without its argument checks."""
    order = deg + 1
    lhs = _vander(x, order)
    lhs *= w[:, None]
    rhs = y * w
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    c = _lstsq(lhs, rhs, len(x) * _EPS)
    return (c.T / scale).T


_EPS = float(np.finfo(np.float64).eps)


def _vander(x: np.ndarray, order: int) -> np.ndarray:
    """``np.vander(x, order)`` for a float64 array and order 2 or 3 (x*x is the product
    np.vander's multiply.accumulate forms)."""
    if order not in (2, 3):
        return np.vander(x, order)
    v = np.empty((len(x), order), dtype=np.float64)
    v[:, -1] = 1
    v[:, -2] = x
    if order == 3:
        np.multiply(x, x, out=v[:, 0])
    return v


def _lstsq(a: np.ndarray, b: np.ndarray, rcond: float) -> np.ndarray:
    """``np.linalg.lstsq(a, b, rcond)[0]`` (numpy's public call; its private LAPACK gufunc
    saved about 60 us a call, 3 % of a proposal, but is not numpy's API)."""
    return np.linalg.lstsq(a, b, rcond)[0]


def _polyval(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.polyval(coef, x)`` for a float array ``x``, bit for bit (Horner from zero)."""
    y = np.zeros_like(x)
    for pv in coef:
        y = y * x + pv
    return y


def robust_poly(x: np.ndarray, y: np.ndarray, w: np.ndarray, deg: int, floor: float = 0.35,
                iters: int = 6) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted polynomial fit with Tukey re-weighting: (coefficients high->low, inlier mask,
    rms of inliers)."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(y) & (w > 0)
    if ok.sum() < deg + 2:
        raise AutoplaceError("too few edge points")
    wt = np.where(ok, w, 0.0)
    yy = np.where(ok, y, 0.0)
    coef = _polyfit(x, yy, deg, np.sqrt(wt))
    inl = ok
    for _ in range(iters):
        r = yy - _polyval(coef, x)
        s = max(1.4826 * _median_finite(np.abs(r[inl])) if inl.any() else floor, floor)
        c = 3.0 * s
        tw = np.where(np.abs(r) < c, (1 - (r / c) ** 2) ** 2, 0.0)
        ww = wt * tw
        inl = ok & (tw > 0)
        if inl.sum() < deg + 2:
            break
        coef = _polyfit(x, yy, deg, np.sqrt(ww))
    r = (yy - np.polyval(coef, x))[inl]
    rms = float(np.sqrt(np.mean(r ** 2))) if r.size else float("inf")
    return coef, inl, rms


@dataclass
class _Side:
    coef: np.ndarray        # offset along the side's normal axis as a polynomial of the other
    inlier_frac: float
    rms: float              # px
    strength: float         # median edge strength of inliers


@dataclass
class VertebraFit:
    """The result of :func:`propose_vertebra`. Coordinates are DICOM image coordinates."""

    points: dict[PointSlot, tuple[float, float]]
    confidence: dict[PointSlot, float]
    center: tuple[float, float]
    up: tuple[float, float]           # unit vector, superior direction (image coordinates)
    anterior: tuple[float, float]     # unit vector, anterior direction
    facing: str                       # 'left' | 'right': side of the film the front is on
    facing_score: float               # > 0 favours the chosen facing; magnitude = evidence
    facing_from: str                  # 'hint' | 'image'
    height_px: float
    depth_px: float
    warnings: list[str] = field(default_factory=list)

    @property
    def overall_confidence(self) -> float:
        return float(min(self.confidence.values())) if self.confidence else 0.0

    def proposals(self, method: str = "one-click") -> dict[PointSlot, Proposal]:
        return {s: Proposal(p[0], p[1], float(np.clip(self.confidence[s], 0, 1)), method)
                for s, p in self.points.items()}


# ------------------------------------------------------------------------------ stages
def _rays(film: FilmImage, c: Vec, r_max: float, n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Boundary candidate per ray (index coords, NaN where none) and ray angles."""
    ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
    step = 0.5
    r = np.arange(max(2.0, film.px(1.5)), r_max, step)
    xs = c[0] + np.cos(ang)[:, None] * r
    ys = c[1] + np.sin(ang)[:, None] * r
    prof = film.sample(xs, ys, film.coarse)
    d = gradient_last(prof) / step
    s = -d
    loc = np.zeros_like(s, dtype=bool)
    loc[:, 1:-1] = (s[:, 1:-1] >= s[:, :-2]) & (s[:, 1:-1] > s[:, 2:])
    tmax = s.max(axis=1)
    T = float(np.median(tmax))
    cand = loc & (s > 0.5 * T)
    has = cand.any(axis=1)
    first = np.argmax(cand, axis=1)
    rr = np.where(has, r[first], np.nan)
    # circular median filter: drop rays that leaked past the body
    k = 5
    pad = np.concatenate([rr[-(k // 2):], rr, rr[:k // 2]])
    win = np.lib.stride_tricks.sliding_window_view(pad, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN windows: no ray there
        med = np.nanmedian(win, axis=1)
    bad = ~np.isfinite(rr) | (np.abs(rr - med) > 0.25 * med)
    rr = np.where(bad, np.nan, rr)
    pts = np.stack([c[0] + np.cos(ang) * rr, c[1] + np.sin(ang) * rr], axis=1)
    return pts, ang


def _orientation(film: FilmImage, pts: np.ndarray) -> float:
    gx, gy = film.gradient()
    ok = np.all(np.isfinite(pts), axis=1)
    p = pts[ok]
    if len(p) < 8:
        raise AutoplaceError("no vertebral body outline found around the click")
    vx = film.sample(p[:, 0], p[:, 1], gx)
    vy = film.sample(p[:, 0], p[:, 1], gy)
    m = np.hypot(vx, vy)
    phi = np.arctan2(vy, vx)
    z = np.sum(m * np.exp(4j * phi))
    return float(np.angle(z) / 4)


def _choose_axes(theta: float, pts: np.ndarray, c: Vec, up_hint: Vec, trust_hint: bool) -> tuple[Vec, Vec]:
    e1 = np.array([math.cos(theta), math.sin(theta)])
    e2 = np.array([-math.sin(theta), math.cos(theta)])
    cands = [e1, -e1, e2, -e2]
    dots = [float(np.dot(e, up_hint)) for e in cands]
    best = int(np.argmax(dots))
    v = cands[best]
    if not trust_hint and dots[best] < math.cos(math.radians(35)):
        # near 45 degrees from the hint: the body is deeper than high, so the axis along
        # which the outline is shorter is the vertebral axis
        ok = np.all(np.isfinite(pts), axis=1)
        rel = pts[ok] - c
        ext1 = np.percentile(np.abs(rel @ e1), 90)
        ext2 = np.percentile(np.abs(rel @ e2), 90)
        short = e1 if ext1 < ext2 else e2
        v = short if np.dot(short, up_hint) >= 0 else -short
    u = np.array([v[1], -v[0]])  # perpendicular; its sign is fixed later by the facing
    return u, v


def _extents(pts: np.ndarray, c: Vec, u: Vec, v: Vec) -> tuple[Vec, float, float, float, float]:
    ok = np.all(np.isfinite(pts), axis=1)
    rel = pts[ok] - c
    p, q = rel @ u, rel @ v
    r0 = float(np.median(np.hypot(p, q)))
    ap = am = bs = bi = r0
    for _ in range(3):
        horiz = np.where(p >= 0, p / ap, -p / am) > np.where(q >= 0, q / bs, -q / bi)
        sel = {"ap": horiz & (p > 0), "am": horiz & (p < 0), "bs": ~horiz & (q > 0), "bi": ~horiz & (q < 0)}
        if min(int(x.sum()) for x in sel.values()) < 2:
            break
        ap = float(np.median(p[sel["ap"]]))
        am = float(-np.median(p[sel["am"]]))
        bs = float(np.median(q[sel["bs"]]))
        bi = float(-np.median(q[sel["bi"]]))
    cc = c + u * (ap - am) / 2 + v * (bs - bi) / 2
    return cc, (ap + am) / 2, (ap + am) / 2, (bs + bi) / 2, (bs + bi) / 2


class _Box:
    """The body in its own frame: x = c + p u + q v. Sides as polynomials:
    sup/inf: q = f(p); pos/neg (walls along +u / -u): p = g(q)."""

    def __init__(self, c: Vec, u: Vec, v: Vec, a: float, b: float) -> None:
        self.c, self.u, self.v = c, u, v
        self.coef = {"sup": np.array([b]), "inf": np.array([-b]),
                     "pos": np.array([a]), "neg": np.array([-a])}
        self.sides: dict[str, _Side] = {}
        #: edge samples of the last pass per side: (t, offset, strength, inlier)
        self.samples: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        #: per wall: how clearly the wall beat the best other candidate (1 = clearly)
        self.wall_margin: dict[str, float] = {"pos": 1.0, "neg": 1.0}

    def off(self, name: str, t: np.ndarray | float) -> np.ndarray:
        return np.polyval(self.coef[name], t)

    def off_scalar(self, name: str, t: float) -> float:
        """``float(self.off(name, t))`` for one number: Horner in Python floats (the same
        IEEE double operations as np.polyval, bit for bit, at a tenth of the cost)."""
        y = 0.0
        for pv in self.coef[name].tolist():
            y = y * t + pv
        return y

    def to_img(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
        return self.c + p[..., None] * self.u + q[..., None] * self.v

    def local_corner(self, end: str, wall: str, frac: float = 0.4) -> tuple[float, float, float, float]:
        """Intersection (p, q) of LOCAL tangent lines of an endplate and a wall, each fitted
        to the edge samples of the part of the side nearest to the corner (a waisted or
        scalloped wall, a concave endplate do not shift the corner); also the two slopes."""
        lines = {}
        p0, q0 = self.corner(end, wall)
        for name, toward in ((end, p0), (wall, q0)):
            t, e, st, inl = self.samples[name]
            span = float(t.max() - t.min())
            near = np.abs(t - toward) < frac * span + np.min(np.abs(t - toward))
            sel = near & inl
            if sel.sum() >= 3:
                try:
                    c, _, _ = robust_poly(t[sel], e[sel], st[sel], 1)
                except AutoplaceError:
                    c = np.polyfit(t, np.polyval(self.coef[name], t), 1)
            else:
                c = np.polyfit(t, np.polyval(self.coef[name], t), 1)
            lines[name] = c
        ce, cw = lines[end], lines[wall]
        # q = ce0 p + ce1 ; p = cw0 q + cw1
        den = 1.0 - ce[0] * cw[0]
        if abs(den) < 1e-6:
            return p0, q0, 0.0, 0.0
        q = (ce[0] * cw[1] + ce[1]) / den
        p = cw[0] * q + cw[1]
        return float(p), float(q), float(ce[0]), float(cw[0])

    def corner(self, end: str, wall: str) -> tuple[float, float]:
        """Intersection (p, q) of an endplate curve and a wall line (fixed point)."""
        q = self.off_scalar(end, 0.0)
        p = self.off_scalar(wall, q)
        for _ in range(12):
            q = self.off_scalar(end, p)
            p = self.off_scalar(wall, q)
        return p, q


def _fit_sides(film: FilmImage, box: _Box, half_window: float, K: int = 21, margin: float = 0.14,
               outward: float | None = None) -> None:
    """Fit the four sides: profiles from ``half_window`` inside to ``outward`` (default the
    same) outside the current curves; steepest fall on each; robust line / quadratic."""
    step = 0.5
    out_w = half_window if outward is None else outward
    w = np.arange(-half_window, out_w + step / 2, step)
    for name in ("sup", "inf", "pos", "neg"):
        endplate = name in ("sup", "inf")
        sign = 1.0 if name in ("sup", "pos") else -1.0
        if endplate:
            lo, hi = box.corner(name, "neg")[0], box.corner(name, "pos")[0]
        else:
            lo, hi = box.corner("inf", name)[1], box.corner("sup", name)[1]
        span = hi - lo
        if not span > 4:
            raise AutoplaceError("the outline around the click is too small to be a vertebral body")
        t = np.linspace(lo + margin * span, hi - margin * span, K)
        o = box.off(name, t)
        off = o[:, None] + sign * w[None, :]
        if endplate:
            P = box.to_img(np.repeat(t[:, None], len(w), 1), off)
        else:
            P = box.to_img(off, np.repeat(t[:, None], len(w), 1))
        prof = film.sample(P[..., 0], P[..., 1])
        pos, strength = strongest_drop(prof, step)
        edge = o + sign * (pos * step - half_window)
        deg = 2 if endplate else 1
        try:
            coef, inl, rms = robust_poly(t, edge, strength, deg, floor=max(0.35, film.px(0.08)))
        except AutoplaceError:
            raise AutoplaceError("no vertebral body found at the click (no clear edge on one of its sides): click inside a body") from None
        box.samples[name] = (t, edge, strength, inl)
        box.coef[name] = coef
        box.sides[name] = _Side(coef, float(inl.mean()), rms,
                                float(np.median(strength[inl])) if inl.any() else 0.0)


def _coarse_sides(film: FilmImage, box: _Box, rounds: int = 2) -> None:
    """Move each side of the first box to the steepest fall of the profile AVERAGED along
    the side (wide search: 35 % of the half-extent inside to 90 % outside). A body's side is
    a coherent edge along its whole length; rib borders and trabecular texture cross it
    obliquely or are short, so averaging removes them."""
    step = 0.5
    for _ in range(rounds):
        new = {}
        for name in ("sup", "inf", "pos", "neg"):
            endplate = name in ("sup", "inf")
            sign = 1.0 if name in ("sup", "pos") else -1.0
            o = abs(float(box.coef[name][-1]))
            if endplate:
                lo, hi = float(box.coef["neg"][-1]), float(box.coef["pos"][-1])
            else:
                lo, hi = float(box.coef["inf"][-1]), float(box.coef["sup"][-1])
            span = hi - lo
            t = np.linspace(lo + 0.2 * span, hi - 0.2 * span, 15)
            w = np.arange(-0.35 * o, 0.9 * o + step / 2, step)
            off = sign * (o + w)
            if endplate:
                P = box.to_img(np.repeat(t[:, None], len(w), 1), np.repeat(off[None, :], len(t), 0))
            else:
                P = box.to_img(np.repeat(off[None, :], len(t), 0), np.repeat(t[:, None], len(w), 1))
            prof = film.sample(P[..., 0], P[..., 1], film.coarse).mean(axis=0)
            pos, _ = strongest_drop(prof[None, :], step)
            new[name] = np.array([sign * (o + w[0] + float(pos[0]) * step)])
        box.coef.update(new)


def _wall_search(film: FilmImage, box: _Box, rounds: int = 2) -> dict[str, float]:
    """Re-check both walls against the body's HEIGHT: bodies are deeper than high, so a
    wall found at a depth/height ratio below ~1 is suspect (trabecular texture of faint
    bone inside the body, or a weak posterior wall with bright pedicles behind it, stop the
    rays early). For each wall, every fall of the profile averaged over the middle of the
    height, with the opposite wall giving a depth between 0.6 and 2.8 heights, is a
    candidate; score = fall strength x a depth/height prior (1 for 1.0-1.8, lower outside).
    Returns per wall the margin of the best candidate over the best clearly different one
    (1 = unambiguous, near 0 = two equally good walls)."""
    step = 0.5
    margins = {"pos": 1.0, "neg": 1.0}
    qi, qs = float(box.coef["inf"][-1]), float(box.coef["sup"][-1])
    H = qs - qi
    if not H > 4:
        return margins
    q = np.linspace(qi + 0.2 * H, qs - 0.2 * H, 15)

    def prior(ratio: np.ndarray) -> np.ndarray:
        lo = np.clip((ratio - 0.6) / 0.4, 0.0, 1.0)
        hi = np.clip(1.0 - 0.6 * (ratio - 1.8) / 0.8, 0.4, 1.0)
        return np.where(ratio < 1.0, 0.4 + 0.6 * lo, hi) * (ratio > 0.6) * (ratio < 2.8)

    for _ in range(rounds):
        for name, other in (("pos", "neg"), ("neg", "pos")):
            sign = 1.0 if name == "pos" else -1.0
            po = float(box.coef[other][-1])
            d = np.arange(0.5 * H, 2.9 * H + step / 2, step)       # candidate depths
            p = po + sign * d
            P = box.to_img(np.repeat(p[None, :], len(q), 0), np.repeat(q[:, None], len(p), 1))
            prof = film.sample(P[..., 0], P[..., 1], film.coarse).mean(axis=0)
            fall = -gradient_last(prof) / step                       # outward fall > 0
            loc = np.zeros_like(fall, dtype=bool)
            loc[1:-1] = (fall[1:-1] >= fall[:-2]) & (fall[1:-1] > fall[2:]) & (fall[1:-1] > 0)
            if not loc.any():
                continue
            score = np.where(loc, fall * prior(d / H), 0.0)
            k = int(np.argmax(score))
            cur = abs(float(box.coef[name][-1]) - po)
            kc = int(np.argmin(np.abs(d - cur)))
            # the current wall keeps its place unless a candidate is clearly better
            win = max(1, int(round(film.px(1.0) / step)))
            near = slice(max(0, kc - win), kc + win + 1)
            cur_score = float(score[near].max()) if score[near].size else 0.0
            if score[k] > 1.15 * cur_score and abs(d[k] - cur) > 0.1 * H:
                box.coef[name] = np.array([po + sign * float(d[k])])
                kbest = k
            else:
                kbest = kc - win + int(np.argmax(score[near])) if cur_score > 0 else kc
            far = np.abs(d - d[kbest]) > max(0.15 * H, film.px(3.0))
            alt = float(score[far].max()) if far.any() else 0.0
            best = float(score[kbest])
            margins[name] = float(np.clip(1.0 - alt / best, 0.0, 1.0)) if best > 0 else 0.0
    # re-centre the frame between the walls
    mid = 0.5 * (float(box.coef["pos"][-1]) + float(box.coef["neg"][-1]))
    box.c = box.c + mid * box.u
    box.coef["pos"] = box.coef["pos"] - mid
    box.coef["neg"] = box.coef["neg"] - mid
    return margins


def _edge_along(film: FilmImage, x0: Vec, direction: Vec, s_lo: float, s_hi: float) -> tuple[Vec, float]:
    step = 0.25
    s = np.arange(s_lo, s_hi + step / 2, step)
    P = x0[None, :] + s[:, None] * direction[None, :]
    prof = film.sample(P[:, 0][None, :], P[:, 1][None, :])
    pos, strength = strongest_drop(prof, step)
    return x0 + (s_lo + pos[0] * step) * direction, float(strength[0])


def _facing_score(film: FilmImage, box: _Box) -> float:
    """> 0 when the posterior elements are on the -u side (so +u is anterior).

    The posterior side is the one with bone right behind the wall at the height of the
    pedicles (upper half of the body) and the brighter band further behind (articular
    pillars, spinous processes); the anterior side has soft tissue. Evaluated on this body
    and on bands shifted one and two body-pitches up and down the vertebra's axis (the
    posterior-element column continues; the neighbours' evidence steadies a weak level),
    normalised by the body's contrast."""
    qi, qs = float(box.off("inf", 0.0)), float(box.off("sup", 0.0))
    H = qs - qi
    pp, pn = float(box.off("pos", 0.0)), float(box.off("neg", 0.0))
    D = pp - pn
    pitch = 1.2 * H
    total = 0.0
    for k, wk in ((0, 2.0), (-1, 1.0), (1, 1.0), (-2, 0.5), (2, 0.5)):
        sh = k * pitch
        vals = {}
        for wall, sgn in (("pos", 1.0), ("neg", -1.0)):
            acc = 0.0
            for (q0, q1, d0, d1) in ((0.55, 0.9, 0.03, 0.2), (0.4, 0.9, 0.08, 0.45)):
                q = np.linspace(qi + q0 * H, qi + q1 * H, 7)
                d = np.linspace(d0 * D, d1 * D, 7)
                pw = box.off(wall, q)
                P = box.to_img(pw[:, None] + sgn * d[None, :], np.repeat(q[:, None] + sh, len(d), 1))
                acc += float(np.median(film.sample(P[..., 0], P[..., 1], film.coarse)))
            vals[wall] = acc
        total += wk * (vals["neg"] - vals["pos"])
    inside = box.to_img(np.linspace(pn + 0.2 * D, pp - 0.2 * D, 7)[:, None] * np.ones((1, 7)),
                        np.ones((7, 1)) * np.linspace(qi + 0.2 * H, qs - 0.2 * H, 7)[None, :])
    body = float(np.median(film.sample(inside[..., 0], inside[..., 1], film.coarse)))
    ring = box.to_img(np.array([pp + 0.5 * D, pn - 0.5 * D]), np.array([0.0, 0.0]))
    outside = float(np.mean(film.sample(ring[:, 0], ring[:, 1], film.coarse)))
    contrast = max(1e-3, body - outside)
    return total / (5.0 * 2 * contrast)


def _side_score(sd: _Side, mm_per_px: float) -> float:
    rms_mm = sd.rms * mm_per_px
    return float(np.clip(sd.inlier_frac, 0, 1) ** 1.5 * math.exp(-(rms_mm / 0.6) ** 2))


def fit_body(film: FilmImage, click_idx: tuple[float, float], *, up_hint: tuple[float, float] | None = None,
             size_px: float | None = None) -> _Box:
    """The body outline around a click (pixel-centre coordinates). Internal; see
    :func:`propose_vertebra`."""
    c = np.array(click_idx, dtype=float)
    if not film.inside(c[0], c[1]):
        raise AutoplaceError(f"the click ({click_idx[0] + 0.5:.1f}, {click_idx[1] + 0.5:.1f}) is outside the film")
    hint = _unit(np.array(up_hint if up_hint is not None else (0.0, -1.0), dtype=float))
    r_max = (1.5 * size_px) if size_px else film.px(MAX_BODY_MM)
    pts, _ = _rays(film, c, r_max)
    if np.isfinite(pts[:, 0]).sum() < 16:
        raise AutoplaceError("no vertebral body outline found around the click: click inside a body")
    theta = _orientation(film, pts)
    u, v = _choose_axes(theta, pts, c, hint, up_hint is not None)
    cc, ap, am, bs, bi = _extents(pts, c, u, v)
    # second look from the centre of the first box (clicks near an edge)
    if np.hypot(*(cc - c)) > 0.2 * min(ap, bs):
        pts2, _ = _rays(film, cc, r_max)
        if np.isfinite(pts2[:, 0]).sum() >= 16:
            pts = pts2
            theta = _orientation(film, pts)
            u, v = _choose_axes(theta, pts, cc, hint, up_hint is not None)
            cc, ap, am, bs, bi = _extents(pts, cc, u, v)
    a, b = ap, bs
    if not (film.px(MIN_BODY_MM) / 2 < min(a, b) and max(a, b) < film.px(MAX_BODY_MM)):
        raise AutoplaceError("the outline around the click does not look like a vertebral body")
    box = _Box(cc, u, v, a, b)
    _coarse_sides(film, box)
    box.wall_margin = _wall_search(film, box)
    _coarse_sides(film, box, rounds=1)
    pc = float((c - box.c) @ box.u)
    if not (float(box.coef["neg"][-1]) < pc < float(box.coef["pos"][-1])) or \
            float(box.coef["pos"][-1] - box.coef["neg"][-1]) > film.px(MAX_BODY_MM) * 1.5:
        raise AutoplaceError("the outline around the click does not look like a vertebral body")
    a = 0.5 * float(box.coef["pos"][-1] - box.coef["neg"][-1])
    b = 0.5 * float(box.coef["sup"][-1] - box.coef["inf"][-1])
    _fit_sides(film, box, half_window=max(film.px(2.5), 0.3 * min(a, b)),
               outward=max(film.px(3.0), 0.45 * max(a, b)))
    _recentre(box)
    _fit_sides(film, box, half_window=max(2.0, film.px(1.2)))
    return box


def _recentre(box: _Box) -> None:
    """Re-express the box around the middle of its corners, axes along the mean of the
    fitted sides (keeps the polynomials valid by refitting them on samples)."""
    corners = {k: box.corner(e, w) for k, (e, w) in
               {"sa": ("sup", "pos"), "sp": ("sup", "neg"), "ia": ("inf", "pos"), "ip": ("inf", "neg")}.items()}
    P = {k: box.to_img(np.array(p), np.array(q)) for k, (p, q) in corners.items()}
    if not all(np.all(np.isfinite(x)) for x in P.values()):
        raise AutoplaceError("the outline around the click does not close")
    c_new = np.mean(list(P.values()), axis=0)
    # new v: average of the wall directions (neg->... bottom to top)
    v_new = _unit((P["sa"] - P["ia"]) + (P["sp"] - P["ip"]))
    if np.dot(v_new, box.v) < 0.8:
        return
    u_new = np.array([v_new[1], -v_new[0]])
    if np.dot(u_new, box.u) < 0:
        u_new = -u_new
    new = _Box(c_new, u_new, v_new, 1.0, 1.0)
    for name in ("sup", "inf", "pos", "neg"):
        endplate = name in ("sup", "inf")
        if endplate:
            lo, hi = corners["sp" if name == "sup" else "ip"][0], corners["sa" if name == "sup" else "ia"][0]
            t = np.linspace(lo, hi, 15)
            X = box.to_img(t, box.off(name, t))
        else:
            lo, hi = corners["ia" if name == "pos" else "ip"][1], corners["sa" if name == "pos" else "sp"][1]
            t = np.linspace(lo, hi, 15)
            X = box.to_img(box.off(name, t), t)
        rel = X - c_new
        pp, qq = rel @ u_new, rel @ v_new
        if endplate:
            new.coef[name] = np.polyfit(pp, qq, len(box.coef[name]) - 1)
        else:
            new.coef[name] = np.polyfit(qq, pp, len(box.coef[name]) - 1)
    new.sides = box.sides
    new.wall_margin = box.wall_margin
    box.__dict__.update(new.__dict__)


def six_points(film: FilmImage, box: _Box, anterior_sign: float) -> tuple[dict[PointSlot, Vec], dict[PointSlot, float]]:
    """Six points (index coords) and confidences from a fitted box; ``anterior_sign`` +1 if
    +u is anterior."""
    ant, post = ("pos", "neg") if anterior_sign > 0 else ("neg", "pos")
    pts: dict[PointSlot, Vec] = {}
    conf: dict[PointSlot, float] = {}
    strengths = [sd.strength for sd in box.sides.values()]
    T = float(np.median(strengths)) if strengths else 1.0
    score = {k: _side_score(sd, film.mm_per_px) for k, sd in box.sides.items()}
    s_in, s_out = film.px(2.5), film.px(1.5)
    slots = {S.SUPERIOR_ANTERIOR: ("sup", ant), S.SUPERIOR_POSTERIOR: ("sup", post),
             S.INFERIOR_ANTERIOR: ("inf", ant), S.INFERIOR_POSTERIOR: ("inf", post)}
    for slot, (end, wall) in slots.items():
        p, q, de, dw = box.local_corner(end, wall)
        X = box.to_img(np.array(p), np.array(q))
        # outward normals in (p, q) of both local tangents at the corner
        se = 1.0 if end == "sup" else -1.0
        sw = 1.0 if wall == "pos" else -1.0
        ne = _unit(np.array([-de, 1.0]) * se)
        nw = _unit(np.array([1.0, -dw]) * sw)
        bis = _unit(ne + nw)
        direction = _unit(bis[0] * box.u + bis[1] * box.v)
        Y, st = _edge_along(film, X, direction, -s_in, s_out)
        moved = float(np.hypot(*(Y - X)))
        pts[slot] = Y
        conf[slot] = math.sqrt(score[end] * score[wall]) * min(1.0, st / (0.6 * T)) \
            * min(1.0, 0.5 + box.wall_margin.get(wall, 1.0))
        if moved > 0.9 * s_in:
            conf[slot] *= 0.5
    for slot, end, a_slot, p_slot in ((S.SUPERIOR_MIDDLE, "sup", S.SUPERIOR_ANTERIOR, S.SUPERIOR_POSTERIOR),
                                      (S.INFERIOR_MIDDLE, "inf", S.INFERIOR_ANTERIOR, S.INFERIOR_POSTERIOR)):
        A, P = pts[a_slot], pts[p_slot]
        chord = A - P
        L = float(np.hypot(*chord))
        t_dir = chord / L
        n_out = np.array([t_dir[1], -t_dir[0]])
        if np.dot(n_out, box.v * (1 if end == "sup" else -1)) < 0:
            n_out = -n_out
        # depth of the fitted endplate below the chord at its middle (inward > 0)
        M = (A + P) / 2
        rel = M - box.c
        pm = float(rel @ box.u)
        Fm = box.to_img(np.array(pm), box.off(end, pm))
        depth = float(np.dot(M - Fm, n_out))
        tstar = 0.5
        coef = box.coef[end]
        if len(coef) == 3 and abs(coef[0]) > 1e-9:
            # vertex of the fitted quadratic relative to the chord: only trusted when the
            # endplate is clearly concave
            pa, pp_ = float((A - box.c) @ box.u), float((P - box.c) @ box.u)
            qa, qp = float((A - box.c) @ box.v), float((P - box.c) @ box.v)
            slope = (qa - qp) / (pa - pp_) if pa != pp_ else 0.0
            pv = -(coef[1] - slope) / (2 * coef[0])
            tv = (pv - pp_) / (pa - pp_) if pa != pp_ else 0.5
            if depth > max(film.px(1.5), 0.06 * L) and 0.3 <= tv <= 0.7:
                tstar = float(tv)
        base = P + tstar * chord
        offs = np.linspace(-0.03, 0.03, 7) * L
        ys, sts = [], []
        for o in offs:
            x0 = base + o * t_dir - depth * n_out
            Y, st = _edge_along(film, x0, n_out, -film.px(1.5), film.px(1.5))
            ys.append(float(np.dot(Y - base, n_out)))
            sts.append(st)
        dist = float(np.median(ys))
        pts[slot] = base + dist * n_out
        conf[slot] = score[end] * min(1.0, float(np.median(sts)) / (0.6 * T))
    return pts, conf


def _plausibility(pts: dict[PointSlot, Vec], film: FilmImage) -> tuple[float, list[str]]:
    warn: list[str] = []
    f = 1.0
    d = lambda a, b: float(np.hypot(*(pts[a] - pts[b])))  # noqa: E731
    ha, hm, hp = d(S.SUPERIOR_ANTERIOR, S.INFERIOR_ANTERIOR), d(S.SUPERIOR_MIDDLE, S.INFERIOR_MIDDLE), \
        d(S.SUPERIOR_POSTERIOR, S.INFERIOR_POSTERIOR)
    D = 0.5 * (d(S.SUPERIOR_ANTERIOR, S.SUPERIOR_POSTERIOR) + d(S.INFERIOR_ANTERIOR, S.INFERIOR_POSTERIOR))
    if not (0.25 < max(ha, hp) / D < 1.4):
        f *= 0.3
        warn.append("the outline's height/depth ratio is unusual for a vertebral body")
    elif max(ha, hp) / D > 1.0:
        # thoracolumbar bodies are deeper than high: a wall was probably found inside the body
        f *= 0.45
        warn.append("the outline is higher than deep: a wall may have been missed")
    if hm > 1.15 * max(ha, hp):
        f *= 0.5
        warn.append("the middle height exceeds the anterior and posterior heights")
    try:
        check_six_points("T4", {s: tuple(p) for s, p in pts.items()})
    except GeometryError:
        f *= 0.1
        warn.append("the six points found do not form a valid vertebral body")
    return f, warn


def propose_vertebra(film: FilmImage, click: tuple[float, float], *, facing: str | None = None,
                     up_hint: tuple[float, float] | None = None, size_px: float | None = None) -> VertebraFit:
    """Six proposed points of the body containing ``click`` (DICOM image coordinates).

    ``facing``: 'left' / 'right' (side of the film the anterior side is on) or None/'auto'
    to decide from the image; ``up_hint``: the superior direction if known (neighbouring
    vertebrae), else up the film; ``size_px``: expected body size (largest half-diagonal)
    if known. Raises :class:`AutoplaceError` when no body is found.
    """
    c = np.array(to_index_coords((float(click[0]), float(click[1]))))
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _propose(film, c, facing, up_hint, size_px)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError) as exc:
        raise AutoplaceError(f"no vertebral body outline could be fitted at the click ({exc.__class__.__name__})") from None


def _propose(film: FilmImage, c: np.ndarray, facing: str | None, up_hint, size_px) -> VertebraFit:
    box = fit_body(film, (c[0], c[1]), up_hint=up_hint, size_px=size_px)
    for co in box.coef.values():
        if not np.all(np.isfinite(co)):
            raise AutoplaceError("no vertebral body outline could be fitted at the click")
    score = _facing_score(film, box)     # > 0: +u anterior
    facing = None if facing in (None, "auto") else facing
    if facing is not None:
        if facing not in ("left", "right"):
            raise AutoplaceError(f"facing {facing!r}: expected left, right or auto")
        want = -1.0 if facing == "left" else 1.0
        sign = 1.0 if box.u[0] * want > 0 else -1.0
        src = "hint"
    else:
        sign = 1.0 if score >= 0 else -1.0
        src = "image"
    pts, conf = six_points(film, box, sign)
    if not all(np.all(np.isfinite(p)) for p in pts.values()):
        raise AutoplaceError("no vertebral body outline could be fitted at the click")
    if not all(film.inside(float(p[0]), float(p[1])) for p in pts.values()):
        raise AutoplaceError("no vertebral body found at the click (the outline leaves the film)")
    f, warn = _plausibility(pts, film)
    if src == "image" and abs(score) < 0.25:
        # weak evidence for the anterior side: a wrong facing swaps anterior and posterior
        # points, so the confidence follows the evidence (below ~0.05 it is a coin toss)
        f *= 0.35 + 0.65 * abs(score) / 0.25
        if abs(score) < 0.1:
            warn.append("the facing (anterior side) is uncertain")
    conf = {s: float(np.clip(v * f, 0.0, 1.0)) for s, v in conf.items()}
    ant = box.u * sign
    out = {s: tuple(float(x) for x in from_index_coords((float(p[0]), float(p[1])))) for s, p in pts.items()}
    H = 0.5 * (float(np.hypot(*(pts[S.SUPERIOR_ANTERIOR] - pts[S.INFERIOR_ANTERIOR])))
               + float(np.hypot(*(pts[S.SUPERIOR_POSTERIOR] - pts[S.INFERIOR_POSTERIOR]))))
    D = 0.5 * (float(np.hypot(*(pts[S.SUPERIOR_ANTERIOR] - pts[S.SUPERIOR_POSTERIOR])))
               + float(np.hypot(*(pts[S.INFERIOR_ANTERIOR] - pts[S.INFERIOR_POSTERIOR]))))
    centre = np.mean(list(pts.values()), axis=0)
    return VertebraFit(points=out, confidence=conf,  # type: ignore[arg-type]
                       center=tuple(float(x) for x in from_index_coords((centre[0], centre[1]))),  # type: ignore[arg-type]
                       up=(float(box.v[0]), float(box.v[1])), anterior=(float(ant[0]), float(ant[1])),
                       facing="left" if ant[0] < 0 else "right",
                       facing_score=float(score * sign), facing_from=src,
                       height_px=H, depth_px=D, warnings=warn)
