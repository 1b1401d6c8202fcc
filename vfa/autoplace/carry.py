"""Carry-forward: proposals on a new film from the reading of an earlier film (4).

1. **Global alignment** of the earlier film to the new one, on the spine: both films reduced
   to about 2 mm per pixel and high-pass filtered (soft tissue and exposure differences
   removed); the region around the earlier reading's vertebrae is the template, searched in
   the new film by normalised cross-correlation over a small grid of rotations (+-10 deg) and
   scales (0.8-1.25: growth, magnification, different detector pixel size); then refined to
   an affine transform by ECC (:func:`cv2.findTransformECC`) at 1 mm per pixel.
2. **Per vertebra**, a local ECC (affine) on a patch around the body and its discs,
   starting from the global transform, maps the earlier body's centre, axis and anterior
   direction onto the new film.
3. The one-click outline fit (:func:`vfa.autoplace.vertebra.propose_vertebra`) is run there,
   seeded by the carried centre, axis and facing, so the proposal follows the NEW film: a
   vertebra that has fractured since gets its new shape, not the old points. Where that fit
   fails, the carried points themselves are proposed with a low confidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from ..geometry import from_index_coords, to_index_coords
from ..levels import Level, PointSlot, POINT_SLOTS, Status
from .film import AutoplaceError, FilmImage
from .proposal import Proposal
from .vertebra import VertebraFit, propose_vertebra

S = PointSlot


@dataclass
class CarryResult:
    """Per level: the fit on the new film (None where the carried points had to be used),
    the proposals, and the global transform (earlier index coords -> new index coords)."""

    proposals: dict[Level, dict[PointSlot, Proposal]]
    fits: dict[Level, VertebraFit | None]
    transform: np.ndarray
    registration_score: float
    warnings: list[str] = field(default_factory=list)


def _highpass(img: np.ndarray, sigma: float) -> np.ndarray:
    hp = img - cv2.GaussianBlur(img, (0, 0), sigma)
    s = float(np.std(hp)) or 1.0
    return np.clip(hp / s, -3, 3).astype(np.float32)


def _affine_at(M: np.ndarray, p: np.ndarray) -> np.ndarray:
    return M[:, :2] @ p + M[:, 2]


def _to3(M: np.ndarray) -> np.ndarray:
    return np.vstack([M, [0, 0, 1]])


def _global(old: FilmImage, new: FilmImage, old_pts: np.ndarray) -> tuple[np.ndarray, float]:
    """Affine (2x3) mapping old index coords -> new index coords, and its score."""
    mm = 2.0
    ro, fo = old.reduced(mm)
    rn, fn = new.reduced(mm)
    # band-pass (4-40 mm): bodies and discs, but also ribs, lungs, diaphragm and the back
    ho = _highpass(cv2.GaussianBlur(ro, (0, 0), 2.0 / mm), 40.0 / mm)
    hn = _highpass(cv2.GaussianBlur(rn, (0, 0), 2.0 / mm), 40.0 / mm)
    # the spine may have moved partly off the new film's borders: pad (zero = no structure)
    pad = int(80.0 / mm)
    hn = cv2.copyMakeBorder(hn, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    # template: the spine region with a wide margin (ribs, lungs, diaphragm, back line): the
    # spine alone is periodic and can match one vertebra off
    P = old_pts * fo
    lo, hi = P.min(axis=0), P.max(axis=0)
    marg = 120.0 / mm
    lo = np.maximum(lo - marg, 4)
    hi = np.minimum(hi + marg, [ro.shape[1] - 5, ro.shape[0] - 5])
    centre = (lo + hi) / 2
    w, h = int(hi[0] - lo[0]), int(hi[1] - lo[1])
    if w < 16 or h < 16:
        raise AutoplaceError("the earlier reading's vertebrae cover too small a region to register")
    def match(scale: float, ang: float) -> tuple[float, np.ndarray | None]:
        s_eff = scale   # old reduced px -> new reduced px (both ~2 mm per pixel)
        # warp the old image about the template centre by (ang, s_eff) so that the
        # template region becomes an upright box of the new film's scale
        R = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), float(ang), float(s_eff))
        tw = min(int(w * s_eff), hn.shape[1] - 3)
        th = min(int(h * s_eff), hn.shape[0] - 3)
        if tw < 12 or th < 12:
            return -2.0, None
        R[:, 2] += np.array([tw / 2, th / 2]) - centre
        tmpl = cv2.warpAffine(ho, R, (tw, th), flags=cv2.INTER_LINEAR)
        res = cv2.matchTemplate(hn, tmpl, cv2.TM_CCOEFF_NORMED)
        _, mx, _, loc = cv2.minMaxLoc(res)
        T = np.array([[1, 0, loc[0] - pad], [0, 1, loc[1] - pad], [0, 0, 1]], float)
        return float(mx), (T @ _to3(R))[:2]   # old reduced -> new reduced

    # coarse grid of scales (growth, magnification, spacing errors) and rotations, then a
    # fine grid around the best. A similarity only: an affine fitted to a whole spine bends
    # towards a wrong scale when a new fracture has changed the curvature.
    grid = [(sc, an) for sc in (0.8, 0.87, 0.94, 1.0, 1.07, 1.15, 1.25) for an in range(-10, 11, 2)]
    scored = [(match(sc, an)[0], sc, an) for sc, an in grid]
    _, sc0, an0 = max(scored)
    fine = [(sc0 * k, an0 + da) for k in (0.97, 0.985, 1.0, 1.015, 1.03) for da in (-1.5, -0.75, 0, 0.75, 1.5)]
    score, Mr = max((match(sc, an) for sc, an in fine), key=lambda t: t[0])
    if Mr is None:
        raise AutoplaceError("the earlier film could not be aligned with the new one")
    M1 = Mr
    fo1, fn1 = fo, fn
    # back to full-resolution index coords (pixel centres): x_red = f (x + 0.5) - 0.5
    def red(f: float) -> np.ndarray:
        return np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5], [0, 0, 1]])
    M = np.linalg.inv(red(fn1)) @ _to3(np.asarray(M1, float)) @ red(fo1)
    return M[:2], float(score)


def _local(old: FilmImage, new: FilmImage, M: np.ndarray, pts: np.ndarray,
           search_mm: float | None = None) -> tuple[np.ndarray, float]:
    """Refine ``M`` (old -> new index coords) on a patch around one vertebra (``pts``: its
    six old index points): the new film is resampled into the earlier film's frame through
    ``M``; the residual is found by template matching (translation, +-12 mm) then ECC
    (affine) on the body and its discs."""
    mm = max(old.mm_per_px, 0.5)
    ro, fo = old.reduced(mm)
    ho = _highpass(ro, 4.0 / mm)
    key = ("carry-highpass", 4.0)
    if key not in new._cache:
        new._cache[key] = _highpass(new.smooth, 4.0 / new.mm_per_px)
    hn_full = new._cache[key]

    def red(f: float) -> np.ndarray:
        return np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5], [0, 0, 1]])
    # new film resampled into the old reduced frame: old_red -> new_full = M o red(fo)^-1
    A = (_to3(M) @ np.linalg.inv(red(fo)))
    P = (pts + 0.5) * fo - 0.5
    c = P.mean(axis=0)
    ext = float(np.max(np.hypot(*(P - c).T)))
    half = int(1.3 * ext)
    # search at most ~40 % of the body size: further, a neighbouring body looks the same
    search = int(min(12.0 / mm, 0.55 * ext) if search_mm is None else search_mm / mm)
    x0, y0 = int(c[0]) - half, int(c[1]) - half
    X0, Y0 = x0 - search, y0 - search
    size = 2 * (half + search)
    if x0 < 0 or y0 < 0 or x0 + 2 * half >= ho.shape[1] or y0 + 2 * half >= ho.shape[0]:
        return M, 0.0
    T = np.array([[1, 0, X0], [0, 1, Y0], [0, 0, 1]], float)
    region = cv2.warpAffine(hn_full, (A @ T)[:2].astype(np.float32), (size, size),
                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    tmpl = np.ascontiguousarray(ho[y0:y0 + 2 * half, x0:x0 + 2 * half])
    res = cv2.matchTemplate(region, tmpl, cv2.TM_CCOEFF_NORMED)
    _, mx, _, loc = cv2.minMaxLoc(res)
    W = np.array([[1, 0, loc[0]], [0, 1, loc[1]]], np.float32)   # patch -> region
    score = float(mx)
    try:
        cc, W2 = cv2.findTransformECC(tmpl, region, W.copy(), cv2.MOTION_AFFINE,
                                      (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4), None, 3)
        if abs(np.linalg.det(W2[:, :2].astype(float)) - 1) < 0.3:
            W, score = W2, float(cc)
    except cv2.error:
        pass
    # old_red patch coords -> region coords -> old_red frame -> new full
    Tp = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], float)
    Mf = A @ T @ _to3(W.astype(float)) @ np.linalg.inv(Tp) @ red(fo)
    return Mf[:2], score


def carry_forward(earlier: Any, earlier_film: FilmImage, film: FilmImage, *,
                  facing: str | None = None,
                  anchor: tuple[Level | str, tuple[float, float]] | None = None) -> CarryResult:
    """Proposals on ``film`` for every level of the ``earlier`` reading that has six points
    (evaluable or not), from the earlier film ``earlier_film``. ``facing`` overrides the
    facing carried from the earlier points. ``anchor``: optionally one reader click
    ``(level, (x, y))`` inside a body of the new film (DICOM image coordinates); the global
    alignment is moved so that this level lands there, which removes the one failure mode of
    the automatic alignment: the spine is periodic and can be matched one vertebra off."""
    levels = [v for v in earlier if v.complete]
    if not levels:
        raise AutoplaceError("the earlier reading has no vertebra with all six points to carry forward")
    old_idx = {v.level: np.array([to_index_coords(v.points[s]) for s in POINT_SLOTS]) for v in levels}
    for lv, P in old_idx.items():
        if not all(earlier_film.inside(x, y) for x, y in P):
            raise AutoplaceError(f"{lv} of the earlier reading lies outside the earlier film: "
                                 "is it the reading of that film?")
    allp = np.vstack(list(old_idx.values()))
    M, score = _global(earlier_film, film, allp)
    if anchor is not None:
        alv = Level.parse(anchor[0])
        if alv not in old_idx:
            raise AutoplaceError(f"the anchor level {alv} has no six points in the earlier reading")
        target = np.array(to_index_coords((float(anchor[1][0]), float(anchor[1][1]))))
        M = M.copy()
        M[:, 2] += target - _affine_at(M, old_idx[alv].mean(axis=0))
    warnings: list[str] = []
    if score < 0.3:
        warnings.append(f"the earlier film matches the new one poorly (score {score:.2f}): check every level")
    props: dict[Level, dict[PointSlot, Proposal]] = {}
    fits: dict[Level, VertebraFit | None] = {}
    # local registration of every level from the global transform; the best one anchors a
    # walk up and down the spine in which each level starts from its registered neighbour
    # (a new fracture bends the spine: one global transform cannot hold above and below it)
    first = {v.level: _local(earlier_film, film, M, old_idx[v.level]) for v in levels}
    order = sorted(levels, key=lambda v: v.level.index)
    # anchor: a well-matched level that the local search moved least from the global
    # transform (a large move may be a grab of the neighbouring body, which looks alike)
    def moved(lv: Level) -> float:
        c = old_idx[lv].mean(axis=0)
        return float(np.hypot(*(_affine_at(first[lv][0], c) - _affine_at(M, c))))
    good = [k for k in range(len(order)) if first[order[k].level][1] >= 0.5] or list(range(len(order)))
    if anchor is not None and Level.parse(anchor[0]) in [v.level for v in order]:
        start = [v.level for v in order].index(Level.parse(anchor[0]))
    else:
        start = min(good, key=lambda k: moved(order[k].level))
    anchor_k = start
    local: dict[Level, tuple[np.ndarray, float]] = {order[anchor_k].level: first[order[anchor_k].level]}
    for seq in (range(anchor_k - 1, -1, -1), range(anchor_k + 1, len(order))):
        prev = order[anchor_k].level
        for k in seq:
            lv = order[k].level
            init = local[prev][0] if abs(lv.index - prev.index) <= 2 else M
            cand = _local(earlier_film, film, init, old_idx[lv])
            local[lv] = cand if cand[1] >= first[lv][1] - 0.05 or cand[1] > 0.5 else first[lv]
            prev = lv
    for v in levels:
        P = old_idx[v.level]
        Ml, lscore = local[v.level]
        pts = {s: P[i] for i, s in enumerate(POINT_SLOTS)}
        c_old = P.mean(axis=0)
        c_new = _affine_at(Ml, c_old)
        up_old = (pts[S.SUPERIOR_ANTERIOR] + pts[S.SUPERIOR_POSTERIOR]) - (pts[S.INFERIOR_ANTERIOR] + pts[S.INFERIOR_POSTERIOR])
        ant_old = (pts[S.SUPERIOR_ANTERIOR] + pts[S.INFERIOR_ANTERIOR]) - (pts[S.SUPERIOR_POSTERIOR] + pts[S.INFERIOR_POSTERIOR])
        up_new = Ml[:, :2] @ up_old
        ant_new = Ml[:, :2] @ ant_old
        size = float(np.max(np.hypot(*(P - c_old).T))) * math.sqrt(abs(np.linalg.det(Ml[:, :2])))
        fac = facing if facing not in (None, "auto") else ("left" if ant_new[0] < 0 else "right")
        reg = float(np.clip(max(lscore, score), 0, 1))
        try:
            fit = propose_vertebra(film, from_index_coords((float(c_new[0]), float(c_new[1]))), facing=fac,
                                   up_hint=tuple(up_new / np.hypot(*up_new)), size_px=1.3 * size)
            dist = float(np.hypot(*(np.array(to_index_coords(fit.center)) - c_new)))
            if dist > 0.6 * size:
                raise AutoplaceError("fit strayed to another body")
            fits[v.level] = fit
            k = 0.7 + 0.3 * reg
            props[v.level] = {s: Proposal(p[0], p[1], float(np.clip(fit.confidence[s] * k, 0, 1)), "carry-forward")
                              for s, p in fit.points.items()}
        except AutoplaceError as exc:
            fits[v.level] = None
            warnings.append(f"{v.level}: outline not found on the new film ({exc}); the earlier "
                            "points are carried as they are (low confidence)")
            props[v.level] = {}
            for s in POINT_SLOTS:
                q = _affine_at(Ml, pts[s])
                x, y = from_index_coords((float(q[0]), float(q[1])))
                props[v.level][s] = Proposal(x, y, 0.25 * reg, "carry-forward")
        if v.status is Status.NOT_EVALUABLE:
            warnings.append(f"{v.level} was not evaluable on the earlier film ({v.reason})")
    # two levels on one body: the carried labels cannot both be right
    done = [lv for lv in fits if fits[lv] is not None]
    for a in done:
        for b in done:
            fa, fb = fits[a], fits[b]
            if a.index < b.index and fa is not None and fb is not None and float(
                    np.hypot(*(np.subtract(fa.center, fb.center)))) < 0.4 * min(fa.height_px, fb.height_px):
                warnings.append(f"{a} and {b} were placed on the same body: check both")
                for lv in (a, b):
                    props[lv] = {s: Proposal(p.x, p.y, min(p.confidence, 0.2), p.method)
                                 for s, p in props[lv].items()}
    return CarryResult(props, fits, M, score, warnings)
