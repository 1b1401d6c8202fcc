"""Two clicks per spine: every level between two clicked vertebrae (3).

The reader clicks inside two bodies and names their levels (e.g. T4 and L4). Both are fitted
(:func:`vfa.reading.autoplace.vertebra.propose_vertebra`), then the spine is tracked body to body:
from a fitted body, along its own axis, past the dark disc gap to the rising edge of the next
endplate (profiles averaged over the middle of the body), half a body further is the seed of
the next fit, whose axis hint is the previous body's axis. Tracking runs down from the upper
click and, if it does not arrive on the lower clicked body after exactly the expected number
of levels, also up from the lower click; the two tracks are compared level by level. The
levels are labelled by counting from the clicked ones. The facing is decided once for the
whole spine (sum of the per-body evidence) unless given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vfa.method.levels import Level
from vfa.reading.autoplace.film import AutoplaceError, FilmImage, strongest_drop
from vfa.reading.autoplace.gates import gate_fits
from vfa.reading.autoplace.vertebra import VertebraFit, propose_vertebra


@dataclass
class SpanResult:
    """Fits by level (top to bottom), the facing used, and what to tell the reader."""

    fits: dict[Level, VertebraFit]
    facing: str
    confirmed: bool                  # tracking arrived on the second clicked body
    warnings: list[str] = field(default_factory=list)


def _v(p) -> np.ndarray:
    return np.array(p, dtype=float)


def _next_seed(film: FilmImage, fit: VertebraFit, down: bool, pitch: float) -> tuple[np.ndarray, float]:
    """Seed (DICOM coords) inside the next body below (``down``) or above ``fit``."""
    from vfa.method.levels import PointSlot as S
    up, ant = _v(fit.up), _v(fit.anterior)
    start = _v(fit.points[S.INFERIOR_MIDDLE] if down else fit.points[S.SUPERIOR_MIDDLE])
    d = -up if down else up
    step = 0.5
    s = np.arange(0.0, 0.8 * pitch, step)
    across = np.linspace(-0.2, 0.2, 5) * fit.depth_px
    P = start[None, None, :] + across[:, None, None] * ant[None, None, :] + s[None, :, None] * d[None, None, :]
    prof = film.sample(P[..., 0] - 0.5, P[..., 1] - 0.5).mean(axis=0)
    pos, st = strongest_drop(-prof[None, :], step, lo=max(1, int(film.px(0.5) / step)))
    s_rise = float(pos[0]) * step
    return start + d * (s_rise + 0.5 * fit.height_px), float(st[0])


def track_bodies(film: FilmImage, first: VertebraFit, n: int, down: bool, pitch: float,
           facing: str | None) -> list[VertebraFit | None]:
    """Fits of the n-1 bodies after ``first`` plus the seed-only check for the n-th (as a
    fit, or None when it could not be fitted)."""
    out: list[VertebraFit | None] = []
    cur: VertebraFit | None = first
    prev_c = None
    for _ in range(n):
        if cur is None:
            out.append(None)
            continue
        local = float(np.hypot(*(_v(cur.center) - prev_c))) if prev_c is not None else pitch
        local = float(np.clip(local, 0.7 * pitch, 1.3 * pitch))
        seed, _ = _next_seed(film, cur, down, local)
        nxt = None
        for s in (seed, _v(cur.center) + (-1 if down else 1) * _v(cur.up) * local):
            try:
                cand = propose_vertebra(film, (float(s[0]), float(s[1])), facing=facing, up_hint=cur.up,
                                        size_px=0.8 * float(np.hypot(cur.height_px, cur.depth_px)) * 1.15)
            except AutoplaceError:
                continue
            dist = float(np.hypot(*(_v(cand.center) - _v(cur.center))))
            if 0.6 * local < dist < 1.5 * local:
                nxt = cand
                break
        prev_c = _v(cur.center)
        cur = nxt
        out.append(nxt)
    return out


def check_neighbour_sizes(fits: dict[Level, VertebraFit], cap: float = 0.45) -> list[str]:
    """Cap the confidence of a body whose DEPTH disagrees with its neighbours' (depth grows
    only a few per cent per level and a fracture changes heights, not depth): a wall found
    inside the body or on the posterior elements shows here. Compared with the median of
    the fitted levels within two of it, allowing 4 % per level apart. Returns warnings."""
    warnings: list[str] = []
    items = sorted(fits.items(), key=lambda kv: kv[0].index)
    for lv, f in items:
        ratios = []
        for ln, g in items:
            k = abs(ln.index - lv.index)
            if 0 < k <= 2 and g.depth_px > 0:
                ratios.append((f.depth_px / g.depth_px, 0.2 + 0.04 * k))
        if len(ratios) < 1:
            continue
        off = [abs(np.log(r)) > np.log(1 + tol) for r, tol in ratios]
        if sum(off) > len(off) / 2:
            warnings.append(f"{lv}: its depth does not match its neighbours': check the walls")
            for s in f.confidence:
                f.confidence[s] = min(f.confidence[s], cap)
    return warnings


def propose_span(film: FilmImage, a: tuple[Level | str, tuple[float, float]],
                 b: tuple[Level | str, tuple[float, float]], *, facing: str | None = None) -> SpanResult:
    """Proposals for every level from ``a`` to ``b`` (each ``(level, (x, y))``, DICOM image
    coordinates of a click inside the body). ``facing``: 'left'/'right' or None (auto)."""
    la, lb = Level.parse(a[0]), Level.parse(b[0])
    if la == lb:
        raise AutoplaceError(f"the two clicks are both labelled {la}: give two different levels")
    if la.index > lb.index:
        a, b, la, lb = b, a, lb, la
    ca, cb = _v(a[1]), _v(b[1])
    if float(np.hypot(*(ca - cb))) < 1.0:
        raise AutoplaceError("the two clicks are at the same place")
    n = lb.index - la.index
    facing = None if facing in (None, "auto") else facing
    up_a = (ca - cb) / np.hypot(*(ca - cb))
    fa = propose_vertebra(film, tuple(ca), facing=facing, up_hint=tuple(up_a))
    fb = propose_vertebra(film, tuple(cb), facing=facing, up_hint=tuple(up_a))
    pitch = float(np.hypot(*(_v(fb.center) - _v(fa.center)))) / n
    warnings: list[str] = []
    if n == 1:
        fits = {la: fa, lb: fb}
        confirmed = True
    else:
        def lands(f: VertebraFit | None, target: VertebraFit) -> bool:
            return f is not None and float(np.hypot(*(_v(f.center) - _v(target.center)))) < 0.4 * target.height_px

        down = track_bodies(film, fa, n, True, pitch, facing)
        confirmed = lands(down[-1], fb)
        track: list[VertebraFit | None] = down[:-1]
        if not confirmed:
            up = track_bodies(film, fb, n, False, pitch, facing)
            if lands(up[-1], fa):
                track = up[:-1][::-1]
                confirmed = True
            else:
                # neither track arrives: take each half from the nearer click
                upr = up[:-1][::-1]
                half = (n - 1) // 2
                track = down[:half] + upr[half:]
                warnings.append(f"the number of vertebrae between {la} and {lb} could not be "
                                "confirmed: check the labels")
        fits = {la: fa}
        for k, f in enumerate(track, start=1):
            lv = la.shifted(k)
            if f is None:
                warnings.append(f"{lv}: no body found")
                continue
            fits[lv] = f  # type: ignore[index]
        fits[lb] = fb
    # one facing for the whole spine
    if facing is None:
        vote = sum(f.facing_score * (1 if f.anterior[0] > 0 else -1) for f in fits.values())
        facing_used = "right" if vote > 0 else "left"
        for lv, f in list(fits.items()):
            if f.facing != facing_used:
                try:
                    fits[lv] = propose_vertebra(film, f.center, facing=facing_used, up_hint=f.up)
                except AutoplaceError:
                    del fits[lv]
                    warnings.append(f"{lv}: no body found")
    else:
        facing_used = facing
    warnings += check_neighbour_sizes(fits)
    warnings += gate_fits(fits, facing)
    if not confirmed:
        for f in fits.values():
            for s in f.confidence:
                f.confidence[s] = min(f.confidence[s], 0.3)
    return SpanResult(dict(sorted(fits.items(), key=lambda kv: kv[0].index)), facing_used, confirmed, warnings)


def propose_clicks(film: FilmImage, clicks: Sequence[tuple[Level | str, tuple[float, float]]], *,
                   facing: str | None = None) -> tuple[dict[Level, VertebraFit], str | None, list[str]]:
    """One click per vertebra for several vertebrae at once (``(level, (x, y))`` each, DICOM
    image coordinates). With two or more clicks the superior direction of each body is
    hinted by the other clicks (levels ordered top to bottom) and the facing, unless given,
    is decided once for all by the summed evidence. Returns (fits, facing used, warnings)."""
    parsed = [(Level.parse(lv), _v(xy)) for lv, xy in clicks]
    seen: set[Level] = set()
    for lv, _ in parsed:
        if lv in seen:
            raise AutoplaceError(f"level {lv} is clicked twice")
        seen.add(lv)
    facing = None if facing in (None, "auto") else facing
    parsed.sort(key=lambda t: t[0].index)
    fits: dict[Level, VertebraFit] = {}
    warnings: list[str] = []
    for i, (lv, xy) in enumerate(parsed):
        hint = None
        if len(parsed) > 1:
            j = i + 1 if i + 1 < len(parsed) else i - 1
            other = parsed[j][1]
            d = (xy - other) if j > i else (other - xy)   # from the lower click to the upper
            if np.hypot(*d) > 1:
                hint = tuple(d / np.hypot(*d))
        fits[lv] = propose_vertebra(film, tuple(xy), facing=facing, up_hint=hint)
    used = facing
    if facing is None and len(fits) > 1:
        vote = sum(f.facing_score * (1 if f.anterior[0] > 0 else -1) for f in fits.values())
        used = "right" if vote > 0 else "left"
        for lv, f in list(fits.items()):
            if f.facing != used:
                fits[lv] = propose_vertebra(film, dict(parsed)[lv].tolist(), facing=used, up_hint=f.up)
    elif facing is None and fits:
        used = next(iter(fits.values())).facing
    if len(fits) > 1:
        warnings += check_neighbour_sizes(fits)
    warnings += gate_fits(fits, facing)
    return fits, used, warnings
