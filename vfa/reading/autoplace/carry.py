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
3. The one-click outline fit (:func:`vfa.reading.autoplace.vertebra.propose_vertebra`) is run there,
   seeded by the carried centre, axis and facing, so the proposal follows the NEW film: a
   vertebra that has fractured since gets its new shape, not the old points. Where that fit
   fails, the carried points themselves are proposed with a low confidence; a failed or weak
   level between two fitted neighbours is fitted again in the gap between them.
4. **Label check**: the spine is periodic, so the alignment can lock one or two vertebrae
   off. Every earlier level's context (body, discs, posterior elements, ribs, soft tissue)
   is correlated with the new bodies at the same label and shifted by +-1 and +-2 levels
   (one scale for all levels, so that the size progression counts); the best shift is
   carried, and labels that do not clearly beat every shift are flagged (confidences below
   0.5, a warning asking for an anchor click, ``labels_confirmed`` False).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from vfa.method.geometry import from_index_coords, to_index_coords
from vfa.method.levels import Level, PointSlot, POINT_SLOTS, Status
from vfa.reading.autoplace.film import AutoplaceError, FilmImage
from vfa.reading.autoplace.gates import GATE_CAP, describe, spine_reasons
from vfa.reading.proposal import Proposal
from vfa.reading.autoplace.vertebra import VertebraFit, propose_vertebra

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
    #: True when the labels were checked and clearly best as carried (or pinned by an anchor
    #: click); False when a shift by one or two vertebrae matched nearly as well (then every
    #: confidence is below LOW_CONFIDENCE and ``warnings`` asks for an anchor click).
    labels_confirmed: bool = True
    #: Label check: mean context correlation per shift of the labels (0 = as proposed).
    label_scores: dict[int, float] = field(default_factory=dict)
    #: True when the new film faces the other way from the earlier one (the earlier points
    #: were mirrored to match it).
    mirrored: bool = False
    #: Global alignment score per facing hypothesis tried (False = same, True = mirrored).
    facing_scores: dict[bool, float] = field(default_factory=dict)


def _highpass(img: np.ndarray, sigma: float) -> np.ndarray:
    hp = img - cv2.GaussianBlur(img, (0, 0), sigma)
    s = float(np.std(hp)) or 1.0
    return np.clip(hp / s, -3, 3).astype(np.float32)


def _affine_at(M: np.ndarray, p: np.ndarray) -> np.ndarray:
    return M[:, :2] @ p + M[:, 2]


def _to3(M: np.ndarray) -> np.ndarray:
    return np.vstack([M, [0, 0, 1]])


def _global(old: FilmImage, new: FilmImage, old_pts: np.ndarray,
            mirrors: tuple[bool, ...] = (False,)) -> tuple[np.ndarray, float, bool, dict[bool, float]]:
    """Affine (2x3) mapping old index coords -> new index coords, its score, whether it
    mirrors (the new film faces the other way), and the best coarse score per hypothesis
    tried (``mirrors``: False = same facing, True = the earlier film flipped left-right)."""
    mm = 2.0
    ro, fo = old.reduced(mm)
    rn, fn = new.reduced(mm)
    # band-pass (4-40 mm): bodies and discs, but also ribs, lungs, diaphragm and the back
    ho_same = _bandpass_global(old, ro)
    hn = _bandpass_global(new, rn)
    W = ro.shape[1]
    # the earlier film flipped left-right (reduced index coords: x -> W - 1 - x)
    flip = np.array([[-1.0, 0, W - 1], [0, 1, 0], [0, 0, 1]])
    # the spine may have moved partly off the new film's borders: pad (zero = no structure)
    pad = int(80.0 / mm)
    hn = cv2.copyMakeBorder(hn, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    # template: the spine region with a wide margin (ribs, lungs, diaphragm, back line): the
    # spine alone is periodic and can match one vertebra off
    P0 = (old_pts + 0.5) * fo - 0.5
    ho, centre, w, h = ho_same, np.zeros(2), 0, 0

    def use(mirror: bool) -> None:
        nonlocal ho, centre, w, h
        ho = ho_same[:, ::-1].copy() if mirror else ho_same
        P = np.column_stack([W - 1 - P0[:, 0], P0[:, 1]]) if mirror else P0
        lo, hi = P.min(axis=0), P.max(axis=0)
        marg = 120.0 / mm
        lo = np.maximum(lo - marg, 4)
        hi = np.minimum(hi + marg, [ro.shape[1] - 5, ro.shape[0] - 5])
        centre = (lo + hi) / 2
        w, h = int(hi[0] - lo[0]), int(hi[1] - lo[1])
        if w < 16 or h < 16:
            raise AutoplaceError("the earlier reading's vertebrae cover too small a region to register")

    # the coarse search runs at 4 mm per pixel (both hypotheses x 77 poses: a quarter of the
    # pixels), the fine one at 2 mm
    half = {id(ho_same): cv2.resize(ho_same, (ho_same.shape[1] // 2, ho_same.shape[0] // 2),
                                    interpolation=cv2.INTER_AREA)}
    hn4 = cv2.resize(hn, (hn.shape[1] // 2, hn.shape[0] // 2), interpolation=cv2.INTER_AREA)

    def match(scale: float, ang: float, coarse_level: bool = False) -> tuple[float, np.ndarray | None]:
        s_eff = scale   # old reduced px -> new reduced px (both ~2 mm per pixel)
        if coarse_level:
            if id(ho) not in half:
                half[id(ho)] = half[id(ho_same)][:, ::-1].copy()
            src, dst, c, ww, hh = half[id(ho)], hn4, (centre + 0.5) / 2 - 0.5, w / 2, h / 2
        else:
            src, dst, c, ww, hh = ho, hn, centre, w, h
        # warp the old image about the template centre by (ang, s_eff) so that the
        # template region becomes an upright box of the new film's scale
        R = np.asarray(cv2.getRotationMatrix2D((float(c[0]), float(c[1])), float(ang), float(s_eff)),
                       dtype=np.float64)
        tw = min(int(ww * s_eff), dst.shape[1] - 3)
        th = min(int(hh * s_eff), dst.shape[0] - 3)
        if tw < (8 if coarse_level else 12) or th < (8 if coarse_level else 12):
            return -2.0, None
        R[:, 2] += np.array([tw / 2, th / 2]) - c
        tmpl = cv2.warpAffine(src, R, (tw, th), flags=cv2.INTER_LINEAR)
        res = cv2.matchTemplate(dst, tmpl, cv2.TM_CCOEFF_NORMED)
        _, mx, _, loc = cv2.minMaxLoc(res)
        if coarse_level:
            return float(mx), None
        T = np.array([[1, 0, loc[0] - pad], [0, 1, loc[1] - pad], [0, 0, 1]], float)
        return float(mx), (T @ _to3(R))[:2]   # old reduced -> new reduced

    # coarse grid of scales (growth, magnification, spacing errors) and rotations, then a
    # fine grid around the best. A similarity only: an affine fitted to a whole spine bends
    # towards a wrong scale when a new fracture has changed the curvature.
    # Both facings when asked (the new film may face the other way: mirrored, the earlier
    # film's anatomy matches only when flipped); the better match wins.
    grid = [(sc, an) for sc in (0.8, 0.87, 0.94, 1.0, 1.07, 1.15, 1.25) for an in range(-10, 11, 2)]
    coarse: dict[bool, float] = {}
    best: tuple[float, float, float, bool] | None = None
    # the facing and a first pose at 4 mm per pixel (a quarter of the pixels); then at 2 mm
    # the poses within one scale step and two angle steps of it, then the fine grid
    for mirror in mirrors:
        use(mirror)
        top = max((match(sc, an, True)[0], sc, an) for sc, an in grid)
        coarse[mirror] = top[0]
        if best is None or top[0] > best[0]:
            best = (top[0], top[1], top[2], mirror)
    assert best is not None
    mirrored = best[3]
    use(mirrored)
    scales = sorted({sc for sc, _ in grid})
    k = scales.index(best[1])
    near = [(sc, an) for sc, an in grid if sc in scales[max(0, k - 1):k + 2] and abs(an - best[2]) <= 4]
    scored = [(match(sc, an)[0], sc, an) for sc, an in near]
    _, sc0, an0 = max(scored)
    fine = [(sc0 * k, an0 + da) for k in (0.97, 0.985, 1.0, 1.015, 1.03) for da in (-1.5, -0.75, 0, 0.75, 1.5)]
    score, Mr = max((match(sc, an) for sc, an in fine), key=lambda t: t[0])
    if Mr is None:
        raise AutoplaceError("the earlier film could not be aligned with the new one")
    M1 = _to3(np.asarray(Mr, float)) @ flip if mirrored else _to3(np.asarray(Mr, float))
    fo1, fn1 = fo, fn
    # back to full-resolution index coords (pixel centres): x_red = f (x + 0.5) - 0.5
    def red(f: float) -> np.ndarray:
        return np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5], [0, 0, 1]])
    M = np.linalg.inv(red(fn1)) @ M1 @ red(fo1)
    return M[:2], float(score), mirrored, coarse


def _bandpass_global(film: FilmImage, reduced: np.ndarray) -> np.ndarray:
    """The 2 mm film band-passed for the global alignment (cached per film)."""
    return film.cached(("carry-global",), lambda: _highpass(cv2.GaussianBlur(reduced, (0, 0), 1.0), 20.0))


def _local(old: FilmImage, new: FilmImage, M: np.ndarray, pts: np.ndarray,
           search_mm: float | None = None) -> tuple[np.ndarray, float]:
    """Refine ``M`` (old -> new index coords) on a patch around one vertebra (``pts``: its
    six old index points): the new film is resampled into the earlier film's frame through
    ``M``; the residual is found by template matching (translation, +-12 mm) then ECC
    (affine) on the body and its discs."""
    mm = max(old.mm_per_px, 0.5)
    ro, fo = old.reduced(mm)
    ho = old.cached(("carry-highpass-reduced", round(mm, 3)), lambda: _highpass(ro, 4.0 / mm))
    hn_full = new.cached(("carry-highpass", 4.0), lambda: _highpass(new.smooth, 4.0 / new.mm_per_px))

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
        # cv2's stubs have no overload for "no mask (None)" with a filter size; OpenCV accepts it
        cc, W2 = cv2.findTransformECC(tmpl, region, W.copy(), cv2.MOTION_AFFINE,  # type: ignore[call-overload]
                                      (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4), None, 3)
        if abs(np.linalg.det(W2[:, :2].astype(float)) - 1) < 0.3:
            W, score = W2, float(cc)
    except cv2.error:
        pass
    # old_red patch coords -> region coords -> old_red frame -> new full
    Tp = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], float)
    Mf = A @ T @ _to3(W.astype(float)) @ np.linalg.inv(Tp) @ red(fo)
    return Mf[:2], score


def _walk(old: FilmImage, new: FilmImage, M: np.ndarray, old_idx: dict[Level, np.ndarray],
          order: list[Level], start: int | None) -> dict[Level, tuple[np.ndarray, float]]:
    """Local registration of every level: from ``M`` for all, then a walk up and down the spine
    from the level ``start`` (index into ``order``; None: the well-matched level that the local
    search moved least from ``M``) in which each level starts from its registered neighbour
    (a new fracture bends the spine: one global transform cannot hold above and below it)."""
    first = {lv: _local(old, new, M, old_idx[lv]) for lv in order}

    def moved(lv: Level) -> float:
        c = old_idx[lv].mean(axis=0)
        return float(np.hypot(*(_affine_at(first[lv][0], c) - _affine_at(M, c))))
    if start is None:
        good = [k for k in range(len(order)) if first[order[k]][1] >= 0.5] or list(range(len(order)))
        start = min(good, key=lambda k: moved(order[k]))
    local: dict[Level, tuple[np.ndarray, float]] = {order[start]: first[order[start]]}
    for seq in (range(start - 1, -1, -1), range(start + 1, len(order))):
        prev = order[start]
        for k in seq:
            lv = order[k]
            init = local[prev][0] if abs(lv.index - prev.index) <= 2 else M
            cand = _local(old, new, init, old_idx[lv])
            local[lv] = cand if cand[1] >= first[lv][1] - 0.05 or cand[1] > 0.5 else first[lv]
            prev = lv
    return local


def _fit_levels(film: FilmImage, levels: list[Any], old_idx: dict[Level, np.ndarray],
                local: dict[Level, tuple[np.ndarray, float]], score: float, facing: str | None
                ) -> tuple[dict[Level, dict[PointSlot, Proposal]], dict[Level, VertebraFit | None], list[str]]:
    """The one-click fit at every carried body (the carried points where it fails)."""
    props: dict[Level, dict[PointSlot, Proposal]] = {}
    fits: dict[Level, VertebraFit | None] = {}
    warnings: list[str] = []
    for v in levels:
        P = old_idx[v.level]
        Ml, lscore = local[v.level]
        pts = {s: P[i] for i, s in enumerate(POINT_SLOTS)}
        c_old = P.mean(axis=0)
        c_new = _affine_at(Ml, c_old)
        up_old = ((pts[S.SUPERIOR_ANTERIOR] + pts[S.SUPERIOR_POSTERIOR])
                  - (pts[S.INFERIOR_ANTERIOR] + pts[S.INFERIOR_POSTERIOR]))
        ant_old = ((pts[S.SUPERIOR_ANTERIOR] + pts[S.INFERIOR_ANTERIOR])
                   - (pts[S.SUPERIOR_POSTERIOR] + pts[S.INFERIOR_POSTERIOR]))
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
    return props, fits, warnings


def _refit_between(film: FilmImage, order: list[Level], props: dict[Level, dict[PointSlot, Proposal]],
                   fits: dict[Level, VertebraFit | None], local: dict[Level, tuple[np.ndarray, float]],
                   score: float, warnings: list[str]) -> None:
    """A level whose carried fit failed or is weak (a body that has collapsed since: the
    carried box is far too big for it) between two fitted neighbours: fit again at the middle
    of the gap between the neighbours' facing endplates, with the gap as the size prior."""
    for i in range(1, len(order) - 1):
        lv, la, lb = order[i], order[i - 1], order[i + 1]
        f, a, b = fits[lv], fits[la], fits[lb]
        old_conf = min(p.confidence for p in props[lv].values())
        if (f is not None and old_conf >= 0.4) or a is None or b is None:
            continue
        if la.index != lv.index - 1 or lb.index != lv.index + 1:
            continue
        top, bot = np.array(a.points[S.INFERIOR_MIDDLE]), np.array(b.points[S.SUPERIOR_MIDDLE])
        gap = float(np.hypot(*(top - bot)))
        up = np.add(a.up, b.up)
        if gap < 1 or not np.hypot(*up) > 0:
            continue
        seed = (top + bot) / 2
        try:
            g = propose_vertebra(film, (float(seed[0]), float(seed[1])), facing=a.facing,
                                 up_hint=tuple(up / np.hypot(*up)),
                                 size_px=1.1 * float(np.hypot(gap / 2, (a.depth_px + b.depth_px) / 4)))
        except AutoplaceError:
            continue
        if float(np.hypot(*np.subtract(g.center, seed))) > 0.35 * gap or g.height_px > gap:
            continue
        k = 0.85 * (0.7 + 0.3 * float(np.clip(max(local[lv][1], score), 0, 1)))
        new = {s: Proposal(q[0], q[1], float(np.clip(g.confidence[s] * k, 0, 1)), "carry-forward")
               for s, q in g.points.items()}
        if min(p.confidence for p in new.values()) <= old_conf:
            continue
        fits[lv], props[lv] = g, new
        warnings[:] = [w for w in warnings if not w.startswith(f"{lv}: outline not found")]
        warnings.append(f"{lv}: found between {la} and {lb} only (it has changed much since the "
                        "earlier film: a new fracture?)")


# ------------------------------------------------------------------ label consistency (4b)
#: Label hypotheses tested: the carried spine as found, and shifted by 1 or 2 vertebrae.
LABEL_SHIFTS = (-2, -1, 0, 1, 2)
#: Best minus second-best label score below which the labels are reported as ambiguous.
LABEL_MARGIN = 0.04


def _bandpass_1mm(film: FilmImage) -> tuple[np.ndarray, float]:
    """The film at about 1 mm per pixel, band-passed (about 1-12 mm: cortices, discs, ribs,
    posterior elements, lung and diaphragm edges), unit variance; and the reduction factor."""
    def compute() -> tuple[np.ndarray, float]:
        r, f = film.reduced(1.0)
        mm = film.mm_per_px / f
        bp = cv2.GaussianBlur(r, (0, 0), max(0.5, 0.7 / mm)) - cv2.GaussianBlur(r, (0, 0), 12.0 / mm)
        return (bp / (float(np.std(bp)) or 1.0)).astype(np.float32), f
    return film.cached(("carry-context",), compute)


def _old_frame(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """Centre, superior and anterior unit vectors, half height and half depth (index px) of
    a body from its six points (POINT_SLOTS order)."""
    pts = {s: P[i] for i, s in enumerate(POINT_SLOTS)}
    up = (pts[S.SUPERIOR_ANTERIOR] + pts[S.SUPERIOR_POSTERIOR]) - (pts[S.INFERIOR_ANTERIOR] + pts[S.INFERIOR_POSTERIOR])
    ant = ((pts[S.SUPERIOR_ANTERIOR] + pts[S.INFERIOR_ANTERIOR])
           - (pts[S.SUPERIOR_POSTERIOR] + pts[S.INFERIOR_POSTERIOR]))
    h, d = float(np.hypot(*up)) / 4, float(np.hypot(*ant)) / 4
    return P.mean(axis=0), up / (4 * h), ant / (4 * d), h, d


#: Context window around a body in units of its half depth (anterior +) and half height
#: (superior +): the body, its discs and neighbours, the posterior elements and ribs behind
#: it, the soft tissue in front of it (aorta, crura, lung and diaphragm edges).
_CTX_U = np.linspace(-3.4, 2.4, 30)
_CTX_V = np.linspace(-3.2, 3.2, 32)


def _context(film: FilmImage, c: np.ndarray, up: np.ndarray, ant: np.ndarray, h: float, d: float) -> np.ndarray:
    img, f = _bandpass_1mm(film)
    U, V = np.meshgrid(_CTX_U * d, _CTX_V * h)
    X = c[0] + U * ant[0] + V * up[0]
    Y = c[1] + U * ant[1] + V * up[1]
    v = film.sample(f * (X + 0.5) - 0.5, f * (Y + 0.5) - 0.5, img).ravel().astype(np.float64)
    v -= v.mean()
    return v / (float(np.linalg.norm(v)) or 1.0)


def _chain(film: FilmImage, fits: dict[Level, VertebraFit | None], facing: str | None,
           extra: int) -> dict[int, VertebraFit]:
    """The new film's bodies by level index: the fitted carried levels, extended by up to
    ``extra`` bodies above the top and below the bottom one (tracked body to body)."""
    from vfa.reading.autoplace.spine import track_bodies
    chain = {lv.index: f for lv, f in fits.items() if f is not None}
    if len(chain) < 2:
        return chain
    ks = sorted(chain)
    for end, nxt, down in ((ks[0], ks[1], False), (ks[-1], ks[-2], True)):
        a, b = chain[end], chain[nxt]
        pitch = float(np.hypot(*np.subtract(a.center, b.center))) / abs(end - nxt)
        try:
            more = track_bodies(film, a, extra, down, pitch, facing or a.facing)
        except AutoplaceError:
            continue
        for j, f in enumerate(more, start=1):
            if f is None:
                break
            chain[end + j if down else end - j] = f
    return chain


def _label_scores(old: FilmImage, new: FilmImage, old_idx: dict[Level, np.ndarray],
                  chain: dict[int, VertebraFit]) -> dict[int, tuple[float, int]]:
    """Per label shift k: the mean context correlation of every earlier level L with the new
    body at L + k (k = 0: as carried), and how many levels took part. The scale between the
    films is the median size ratio of the pairs, so that the size progression T4 -> L4
    counts too (one vertebra down is about 4 % larger)."""
    ofr = {lv: _old_frame(P) for lv, P in old_idx.items()}
    nfr = {}
    for i, f in chain.items():
        c = np.array(to_index_coords(f.center))
        nfr[i] = (c, np.array(f.up, float), np.array(f.anterior, float), f.height_px / 2, f.depth_px / 2)
    octx = {lv: _context(old, *fr) for lv, fr in ofr.items()}
    out: dict[int, tuple[float, int]] = {}
    for k in LABEL_SHIFTS:
        pairs = [(lv, lv.index + k) for lv in old_idx if lv.index + k in nfr]
        if len(pairs) < max(3, (len(old_idx) + 1) // 2):
            continue
        ratio = float(np.median([math.sqrt(nfr[j][3] * nfr[j][4] / (ofr[lv][3] * ofr[lv][4])) for lv, j in pairs]))
        cc = []
        for lv, j in pairs:
            c, up, ant, _, _ = nfr[j]
            _, _, _, h, d = ofr[lv]
            cc.append(float(octx[lv] @ _context(new, c, up, ant, h * ratio, d * ratio)))
        out[k] = (float(np.mean(cc)), len(pairs))
    return out


def carry_forward(earlier: Any, earlier_film: FilmImage, film: FilmImage, *,
                  facing: str | None = None,
                  anchor: tuple[Level | str, tuple[float, float]] | None = None) -> CarryResult:
    """Proposals on ``film`` for every level of the ``earlier`` reading that has six points
    (evaluable or not), from the earlier film ``earlier_film``. ``facing`` overrides the
    facing carried from the earlier points. ``anchor``: optionally one reader click
    ``(level, (x, y))`` inside a body of the new film (DICOM image coordinates); the global
    alignment is moved so that this level lands there. Without it, the carried labels are
    checked against the labels shifted by one and two vertebrae (the spine is periodic and
    can be matched one vertebra off); when that check cannot tell them apart, every point is
    capped below :data:`LOW_CONFIDENCE` and the result carries a warning asking for one
    anchor click (``labels_confirmed`` False)."""
    levels = [v for v in earlier if v.complete]
    if not levels:
        raise AutoplaceError("the earlier reading has no vertebra with all six points to carry forward")
    old_idx = {v.level: np.array([to_index_coords(v.points[s]) for s in POINT_SLOTS]) for v in levels}
    for lv, P in old_idx.items():
        if not all(earlier_film.inside(x, y) for x, y in P):
            raise AutoplaceError(f"{lv} of the earlier reading lies outside the earlier film: "
                                 "is it the reading of that film?")
    allp = np.vstack(list(old_idx.values()))
    facing = None if facing in (None, "auto") else facing
    if facing is not None and facing not in ("left", "right"):
        raise AutoplaceError(f"facing {facing!r}: expected left, right or auto")
    old_facing = points_facing(old_idx)
    # The new film's facing is its own: try the earlier film as it is and mirrored (the
    # patient turned round, or the film hung the other way) unless the reader gave the
    # facing, which then decides (an explicit facing always wins).
    if facing is not None and old_facing is not None:
        mirrors: tuple[bool, ...] = (facing != old_facing,)
    else:
        mirrors = (False, True)
    M, score, mirrored, hyp_scores = _global(earlier_film, film, allp, mirrors)
    order = [v.level for v in sorted(levels, key=lambda v: v.level.index)]
    start: int | None = None
    if anchor is not None:
        alv = Level.parse(anchor[0])
        if alv not in old_idx:
            raise AutoplaceError(f"the anchor level {alv} has no six points in the earlier reading")
        target = np.array(to_index_coords((float(anchor[1][0]), float(anchor[1][1]))))
        M = M.copy()
        M[:, 2] += target - _affine_at(M, old_idx[alv].mean(axis=0))
        start = order.index(alv)
    warnings: list[str] = []
    if mirrored:
        warnings.append("the new film faces the other way (anterior on the "
                        f"{'right' if old_facing == 'left' else 'left'}); the earlier points were mirrored")
    if score < 0.3:
        warnings.append(f"the earlier film matches the new one poorly (score {score:.2f}): check every level")
    local = _walk(earlier_film, film, M, old_idx, order, start)
    props, fits, fit_warn = _fit_levels(film, levels, old_idx, local, score, facing)
    label_scores: dict[int, float] = {}
    confirmed = anchor is not None
    if anchor is None and len(order) >= 3:
        moved_by = 0
        for _round in range(3):
            chain = _chain(film, fits, facing, 2)
            ls = _label_scores(earlier_film, film, old_idx, chain)
            label_scores = {k: v[0] for k, v in ls.items()}
            if not label_scores:
                break
            best = max(label_scores, key=label_scores.__getitem__)
            if best == 0 or _round == 2:
                break
            # relabel: pin the alignment on the level nearest the middle whose shifted body
            # was found, carry again from there and check again (a chain that skipped or
            # repeated a body is right on one side only)
            cand = [lv for lv in order if lv.index + best in chain]
            alv = min(cand, key=lambda lv: abs(order.index(lv) - (len(order) - 1) / 2))
            target = np.array(to_index_coords(chain[alv.index + best].center))
            M = M.copy()
            M[:, 2] += target - _affine_at(M, old_idx[alv].mean(axis=0))
            local = _walk(earlier_film, film, M, old_idx, order, order.index(alv))
            props, fits, fit_warn = _fit_levels(film, levels, old_idx, local, score, facing)
            moved_by += best
        if label_scores:
            others = [v for k, v in label_scores.items() if k != 0]
            margin = label_scores.get(0, -1.0) - max(others) if others else 1.0
            confirmed = margin >= LABEL_MARGIN
            if moved_by:
                warnings.append(f"the carried levels were moved by {abs(moved_by)} vertebra"
                                f"{'e' if abs(moved_by) > 1 else ''} {'down' if moved_by > 0 else 'up'} the spine "
                                "to where the earlier film's levels match best: check the labels")
            if not confirmed:
                warnings.append("the carried levels are ambiguous (the spine matches nearly as well one "
                                "vertebra off): confirm the labels with one anchor click on a known vertebra")
        if not label_scores:
            warnings.append("the carried levels could not be checked (too few bodies found on the new "
                            "film): confirm the labels with one anchor click on a known vertebra")
    elif anchor is None:
        warnings.append("too few levels to check the carried labels: confirm them with one anchor "
                        "click on a known vertebra")
    _refit_between(film, order, props, fits, local, score, fit_warn)
    if not confirmed:
        # never silently wrong: every point below LOW_CONFIDENCE until the labels are confirmed
        for lv in props:
            props[lv] = {s: Proposal(p.x, p.y, min(p.confidence, 0.45), p.method) for s, p in props[lv].items()}
    warnings += fit_warn
    for v in levels:
        if v.status is Status.NOT_EVALUABLE:
            warnings.append(f"{v.level} was not evaluable on the earlier film ({v.reason})")
    # plausibility gates (anatomy of each level and of the spine): wrong becomes low confidence
    gated = spine_reasons({lv: {s: p.xy for s, p in pr.items()} for lv, pr in props.items()}, facing)
    for lv in sorted(gated, key=lambda lv: lv.index):
        props[lv] = {s: Proposal(p.x, p.y, min(p.confidence, GATE_CAP), p.method) for s, p in props[lv].items()}
        warnings.append(describe(lv, gated[lv]))
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
    return CarryResult(props, fits, M, score, warnings, labels_confirmed=confirmed, label_scores=label_scores,
                       mirrored=mirrored, facing_scores=hyp_scores)


def points_facing(points: dict[Level, np.ndarray]) -> str | None:
    """'left' / 'right': the side of the film the anterior corners are on in most of the
    levels (six points each in POINT_SLOTS order), None when undecided."""
    ia = [POINT_SLOTS.index(S.SUPERIOR_ANTERIOR), POINT_SLOTS.index(S.INFERIOR_ANTERIOR)]
    ip = [POINT_SLOTS.index(S.SUPERIOR_POSTERIOR), POINT_SLOTS.index(S.INFERIOR_POSTERIOR)]
    votes = sum(int(np.sign(P[ia, 0].sum() - P[ip, 0].sum())) for P in points.values())
    return None if votes == 0 else ("right" if votes > 0 else "left")
