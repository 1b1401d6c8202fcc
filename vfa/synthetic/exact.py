"""Arithmetic that gives the same bits on every machine: the phantom's building blocks.

The synthetic films must regenerate byte for byte on any x86-64 machine, with any OpenCV and
any numpy of the supported range (docs/samples.md, "Same bytes everywhere"). Library image
operations (OpenCV's resizing, blurring, polygon and text drawing) and the transcendental
functions of numpy and libm (``np.exp`` on a whole array takes an AVX2, an AVX-512 or a scalar
path depending on the CPU, and their last bits differ) do not promise that. Everything here uses
only operations whose result IEEE 754 fixes exactly: ``+ - * /`` and ``sqrt`` of float64
(element-wise, one ufunc per operation so that no fused multiply-add can form), integer
arithmetic, comparisons, ``floor``/``rint``/``ldexp``/``frexp``, indexing and sorting. Sums are
taken in a fixed order (tap by tap) or exactly (``math.fsum``); no BLAS (``@``, ``np.dot``,
``np.linalg``) and no FFT.

Scalars (plain Python floats): :func:`sin`, :func:`cos`, :func:`tan`, :func:`atan2`,
:func:`acos`, :func:`exp_s`, :func:`log_s`, :func:`pow_s`. Arrays: :func:`exp`, :func:`log`,
:func:`blur` (Gaussian, separable, the kernel OpenCV would use), :func:`resize_linear`,
:func:`resize_area`, :func:`correlate2d`, :func:`fill_polygon`, :func:`fill_ellipse`,
:func:`stroke`, :func:`distance_inside`, :func:`max_filter`, :func:`percentile`, :func:`std`.
"""

from __future__ import annotations

import math
from typing import Iterable, Literal, Sequence

import numpy as np

# Cody-Waite splits (fdlibm): the high parts have enough trailing zero bits that n * HI is exact.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_PIO2_HI = 1.57079632673412561417e+00
_PIO2_LO = 6.07710050650619224932e-11
_SQRT_HALF = 0.70710678118654752440
_EXP_C = tuple(1.0 / math.factorial(k) for k in range(14))     # exact integers, one rounding
_LOG_C = tuple(1.0 / (2 * k + 1) for k in range(13))


# ---------------------------------------------------------------------------- arrays
def exp(x: np.ndarray | float) -> np.ndarray:
    """e**x element-wise (float64, relative error ~1e-16), the same bits on every machine."""
    a = np.clip(np.asarray(x, dtype=np.float64), -708.0, 708.0)
    n = np.rint(a * _INV_LN2)
    r = (a - n * _LN2_HI) - n * _LN2_LO                       # |r| <= 0.347
    p = np.full_like(r, _EXP_C[13])
    for c in _EXP_C[12::-1]:
        p *= r
        p += c
    return np.ldexp(p, n.astype(np.int32))


def log(x: np.ndarray | float) -> np.ndarray:
    """Natural logarithm element-wise of positive values (float64), the same bits everywhere."""
    a = np.asarray(x, dtype=np.float64)
    m, e = np.frexp(a)                                         # a = m 2**e, m in [0.5, 1)
    low = m < _SQRT_HALF
    m = np.where(low, m * 2.0, m)
    ef = e.astype(np.float64) - low
    f = (m - 1.0) / (m + 1.0)                                  # |f| <= 0.172
    f2 = f * f
    s = np.full_like(f, _LOG_C[12])
    for c in _LOG_C[11::-1]:
        s *= f2
        s += c
    return ef * _LN2_HI + (2.0 * f * s + ef * _LN2_LO)


def std(a: np.ndarray) -> float:
    """Population standard deviation, summed exactly (math.fsum): independent of the order."""
    v = np.asarray(a, dtype=np.float64).ravel()
    m = math.fsum(v.tolist()) / v.size
    d = v - m
    return math.sqrt(math.fsum((d * d).tolist()) / v.size)


def percentile(a: np.ndarray, q: float) -> float:
    """The ``q``-th percentile with linear interpolation between order statistics (numpy's
    default method), computed with one fixed formula."""
    v = np.sort(np.asarray(a, dtype=np.float64).ravel())
    pos = q / 100.0 * (v.size - 1)
    i = min(int(math.floor(pos)), v.size - 1)
    j = min(i + 1, v.size - 1)
    t = pos - i
    return float(v[i] + (v[j] - v[i]) * t)


def _taps_sum(padded: np.ndarray, weights: Sequence[float], n: int, axis: int) -> np.ndarray:
    """sum_t w[t] * padded[t:t+n] along ``axis`` for a symmetric odd kernel: the centre tap,
    then each pair of mirrored taps added first and weighted once (a fixed order)."""
    def part(t: int) -> np.ndarray:
        sl = [slice(None)] * padded.ndim
        sl[axis] = slice(t, t + n)
        return padded[tuple(sl)]
    half = len(weights) // 2
    out = part(half) * weights[half]
    tmp = np.empty_like(out)
    for t in range(half):
        np.add(part(t), part(len(weights) - 1 - t), out=tmp)
        tmp *= weights[t]
        out += tmp
    return out


def gaussian_kernel(sigma: float) -> list[float]:
    """OpenCV's float Gaussian kernel for ``sigma`` (size round(8 sigma + 1), odd), normalised."""
    size = int(math.floor(sigma * 8 + 1 + 0.5)) | 1
    half = size // 2
    xs = np.arange(-half, half + 1, dtype=np.float64)
    k = exp(-(xs * xs) / (2.0 * sigma * sigma))
    total = math.fsum(k.tolist())
    return [float(v) / total for v in k]


def _pad_mode(border: str) -> Literal["symmetric", "reflect"]:
    # OpenCV BORDER_REFLECT (fedcba|abcdef) is numpy 'symmetric'; BORDER_REFLECT_101 'reflect'
    if border == "reflect":
        return "symmetric"
    if border == "reflect101":
        return "reflect"
    raise ValueError(f"border {border!r}: expected reflect or reflect101")


def convolve_axis(img: np.ndarray, weights: Sequence[float], axis: int, border: str = "reflect") -> np.ndarray:
    """Correlate ``img`` with the odd 1-D kernel ``weights`` along ``axis`` (centre anchor)."""
    half = len(weights) // 2
    pad = [(0, 0)] * img.ndim
    pad[axis] = (half, half)
    mode = _pad_mode(border)
    padded = np.asarray(img, dtype=np.float64)
    while half > padded.shape[axis] - (1 if mode == "reflect" else 0):   # tiny arrays: reflect again
        step = [(0, 0)] * img.ndim
        step[axis] = (padded.shape[axis] - 1, padded.shape[axis] - 1) if mode == "reflect" else \
            (padded.shape[axis], padded.shape[axis])
        padded = np.pad(padded, step, mode=mode)
        half -= step[axis][0]
    pad[axis] = (half, half)
    padded = np.pad(padded, pad, mode=mode)
    n = img.shape[axis]
    extra = (padded.shape[axis] - n - 2 * (len(weights) // 2)) // 2
    if extra:
        sl = [slice(None)] * img.ndim
        sl[axis] = slice(extra, padded.shape[axis] - extra)
        padded = padded[tuple(sl)]
    return _taps_sum(padded, weights, n, axis)


def gaussian_blur(img: np.ndarray, sigma: float, border: str = "reflect") -> np.ndarray:
    """Separable Gaussian blur with OpenCV's kernel (rows, then columns), float64."""
    k = gaussian_kernel(sigma)
    return convolve_axis(convolve_axis(img, k, 1, border), k, 0, border)


def _linear_taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV INTER_LINEAR source positions for ``dst`` samples of ``src``, exact rationals:
    x = ((2 i + 1) src - dst) / (2 dst), clamped at the edges."""
    i = np.arange(dst, dtype=np.int64)
    num = (2 * i + 1) * src - dst
    den = 2 * dst
    i0 = num // den
    t = (num - i0 * den).astype(np.float64) / den
    t = np.where(i0 < 0, 0.0, t)
    i0 = np.clip(i0, 0, src - 1)
    t = np.where(i0 >= src - 1, 0.0, t)
    i1 = np.minimum(i0 + 1, src - 1)
    return i0, i1, t


def resize_linear(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Bilinear resize to ``rows`` x ``cols`` (OpenCV's INTER_LINEAR sample positions)."""
    a = np.asarray(img, dtype=np.float64)
    c0, c1, tc = _linear_taps(a.shape[1], cols)
    a = a[:, c0] * (1.0 - tc) + a[:, c1] * tc
    r0, r1, tr = _linear_taps(a.shape[0], rows)
    return a[r0] * (1.0 - tr)[:, None] + a[r1] * tr[:, None]


def _area_taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray]:
    """INTER_AREA weights: output i averages source [i src/dst, (i+1) src/dst), exact overlaps."""
    n_taps = -(-src // dst) + 1
    idx = np.zeros((dst, n_taps), np.int64)
    w = np.zeros((dst, n_taps), np.float64)
    for i in range(dst):
        left, right = i * src, (i + 1) * src            # in units of 1/dst source pixels
        k0 = left // dst
        for t in range(n_taps):
            k = k0 + t
            if k >= src:
                break
            ov = min(right, (k + 1) * dst) - max(left, k * dst)
            if ov > 0:
                idx[i, t], w[i, t] = k, ov / src
    return idx, w


def resize_area(img: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Area-averaging downsize to ``rows`` x ``cols`` (OpenCV's INTER_AREA)."""
    a = np.asarray(img, dtype=np.float64)
    idx, w = _area_taps(a.shape[1], cols)
    out = a[:, idx[:, 0]] * w[:, 0]
    for t in range(1, idx.shape[1]):
        out = out + a[:, idx[:, t]] * w[:, t]
    idx, w = _area_taps(a.shape[0], rows)
    res = out[idx[:, 0]] * w[:, 0][:, None]
    for t in range(1, idx.shape[1]):
        res = res + out[idx[:, t]] * w[:, t][:, None]
    return res


def correlate2d(img: np.ndarray, kernel: np.ndarray, border: str = "reflect", cutoff: float = 1e-4) -> np.ndarray:
    """2-D correlation with a centred odd kernel, tap by tap in row-major order; taps below
    ``cutoff`` times the largest are skipped (their sum stays below that fraction)."""
    kh, kw = kernel.shape
    hy, hx = kh // 2, kw // 2
    mode = _pad_mode(border)
    padded = np.pad(np.asarray(img, dtype=np.float64), ((hy, hy), (hx, hx)), mode=mode)
    h, w = img.shape
    kmax = float(kernel.max())
    out = np.zeros((h, w), np.float64)
    tmp = np.empty_like(out)
    for dy in range(kh):
        for dx in range(kw):
            k = float(kernel[dy, dx])
            if k > cutoff * kmax:
                np.multiply(padded[dy:dy + h, dx:dx + w], k, out=tmp)
                out += tmp
    return out


def max_filter(mask: np.ndarray, size: int) -> np.ndarray:
    """Dilation with a ``size`` x ``size`` square (integer-exact)."""
    half = size // 2
    out = mask.copy()
    for axis in (0, 1):
        src = out
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half, half)
        p = np.pad(src, pad, mode="edge")
        n = src.shape[axis]
        acc = None
        for t in range(size):
            sl = [slice(None), slice(None)]
            sl[axis] = slice(t, t + n)
            part = p[tuple(sl)]
            acc = part.copy() if acc is None else np.maximum(acc, part)
        assert acc is not None
        out = acc
    return out


# ---------------------------------------------------------------------------- drawing
def fixed_point(xy: np.ndarray) -> np.ndarray:
    """DICOM image coordinates (pixel corner origin) -> integer pixel-centre coordinates in
    sixteenths of a pixel (N x 2, int64): what polygons are rasterised from."""
    return np.rint((np.asarray(xy, dtype=np.float64).reshape(-1, 2) - 0.5) * 16.0).astype(np.int64)


def _line8(x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int]]:
    """Pixels of an 8-connected line from (x0, y0) to (x1, y1), drawn left to right, with the
    error term and tie-breaking of OpenCV's ``LineIterator``."""
    if x0 > x1:
        x0, y0, x1, y1 = x1, y1, x0, y0
    dx, dy = x1 - x0, y1 - y0
    sy = -1 if dy < 0 else 1
    dy = abs(dy)
    steep = dy > dx
    if steep:
        dx, dy = dy, dx
    err = dx - (dy + dy)
    out = []
    x, y = x0, y0
    for _ in range(dx + 1):
        out.append((x, y))
        diag = err < 0
        err += -(dy + dy) + ((dx + dx) if diag else 0)
        if steep:
            y += sy
            x += 1 if diag else 0
        else:
            x += 1
            y += sy if diag else 0
    return out


def polygon_mask(fp: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Pixels of the closed polygon ``fp`` (N x 2 integers: pixel-centre coordinates in
    sixteenths of a pixel), by OpenCV's ``fillPoly`` rule (8-connected, shift 4) in integer
    arithmetic: vertex rows rounded, edge x stepped per row in 1/65536 pixel with a truncated
    slope, spans from the ceiling of the left to the floor of the right crossing, and the outline drawn
    as 8-connected lines through the rounded vertices."""
    mask = np.zeros((rows, cols), bool)
    pts = [(int(x) << 12, (int(y) + 8) >> 4) for x, y in np.asarray(fp).reshape(-1, 2)]
    if len(pts) < 2:
        return mask
    half = 1 << 15
    edges = []   # (y_top, y_bottom, x_top, dx)
    prev = pts[-1]
    for cur in pts:
        a = ((prev[0] + half) >> 16, prev[1])
        b = ((cur[0] + half) >> 16, cur[1])
        for x, y in _line8(a[0], a[1], b[0], b[1]):
            if 0 <= x < cols and 0 <= y < rows:
                mask[y, x] = True
        if prev[1] != cur[1]:
            num, den = cur[0] - prev[0], cur[1] - prev[1]
            q = abs(num) // abs(den)                           # C division: towards zero
            dxe = q if (num >= 0) == (den > 0) else -q
            top = prev if prev[1] < cur[1] else cur
            edges.append((top[1], max(prev[1], cur[1]), top[0], dxe))
        prev = cur
    if not edges:
        return mask
    e = np.array(edges, dtype=np.int64)
    r_first, r_last = max(0, int(e[:, 0].min())), min(rows - 1, int(e[:, 1].max()) - 1)
    if r_last < r_first:
        return mask
    rr = np.arange(r_first, r_last + 1, dtype=np.int64)[:, None]
    hit = (rr >= e[None, :, 0]) & (rr < e[None, :, 1])
    xs = np.where(hit, e[None, :, 2] + (rr - e[None, :, 0]) * e[None, :, 3], np.iinfo(np.int64).max)
    xs.sort(axis=1)
    n_hit = hit.sum(axis=1)
    diff = np.zeros((rr.shape[0], cols + 1), np.int32)
    for k in range(0, int(n_hit.max()) - 1, 2):
        ok = n_hit >= k + 2
        a = (xs[ok, k] + (1 << 16) - 1) >> 16                 # ceil of the left crossing,
        b = xs[ok, k + 1] >> 16                                # floor of the right one
        a = np.clip(a, 0, cols)
        b = np.clip(b, -1, cols - 1)
        rows_ok = np.nonzero(ok)[0]
        good = a <= b
        np.add.at(diff, (rows_ok[good], a[good]), 1)
        np.add.at(diff, (rows_ok[good], b[good] + 1), -1)
    mask[r_first:r_last + 1] |= np.cumsum(diff[:, :cols], axis=1) > 0
    return mask


def fill_polygon(img: np.ndarray, xy: np.ndarray, value: float) -> None:
    """Set the pixels of ``img`` inside the polygon ``xy`` (DICOM image coordinates) to ``value``."""
    fp = fixed_point(xy)
    c0 = max(0, int(fp[:, 0].min() // 16))
    c1 = min(img.shape[1], int(fp[:, 0].max() // 16) + 2)
    r0 = max(0, int(fp[:, 1].min() // 16))
    r1 = min(img.shape[0], int(fp[:, 1].max() // 16) + 2)
    if c1 <= c0 or r1 <= r0:
        return
    m = polygon_mask(fp - np.array([c0 * 16, r0 * 16]), r1 - r0, c1 - c0)
    img[r0:r1, c0:c1][m] = value


def fill_ellipse(img: np.ndarray, centre: tuple[int, int], axes: tuple[int, int], angle_deg: float,
                 value: float) -> None:
    """Set the pixels whose centre lies in the ellipse (integer centre in pixel-centre
    coordinates, semi-axes in pixels, rotated by ``angle_deg`` clockwise as displayed)."""
    cx, cy = centre
    ax, ay = max(axes[0], 1), max(axes[1], 1)
    t = angle_deg * (math.pi / 180.0)
    c, s = cos(t), sin(t)
    rad = max(ax, ay) + 1
    r0, r1 = max(0, cy - rad), min(img.shape[0], cy + rad + 1)
    c0, c1 = max(0, cx - rad), min(img.shape[1], cx + rad + 1)
    if r1 <= r0 or c1 <= c0:
        return
    dy = (np.arange(r0, r1, dtype=np.float64) - cy)[:, None]
    dx = (np.arange(c0, c1, dtype=np.float64) - cx)[None, :]
    u = (dx * c + dy * s) / ax
    v = (dy * c - dx * s) / ay
    img[r0:r1, c0:c1][u * u + v * v <= 1.0] = value


def stroke(img: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], thickness: float,
           value: float, inner: tuple[np.ndarray, float, float] | None = None) -> None:
    """A straight stroke with round caps: pixels whose centre (integer coordinates) lies
    within ``thickness / 2`` of the segment p0-p1 (pixel-centre coordinates) get ``value``.
    ``inner`` = (image, thickness, value): a thinner stroke of the same segment drawn into a
    second image of the same shape in the same pass."""
    r = thickness / 2.0
    x0, y0 = p0
    x1, y1 = p1
    c0 = max(0, int(math.floor(min(x0, x1) - r)))
    c1 = min(img.shape[1], int(math.ceil(max(x0, x1) + r)) + 1)
    r0 = max(0, int(math.floor(min(y0, y1) - r)))
    r1 = min(img.shape[0], int(math.ceil(max(y0, y1) + r)) + 1)
    if c1 <= c0 or r1 <= r0:
        return
    px = np.arange(c0, c1, dtype=np.float64)[None, :]
    py = np.arange(r0, r1, dtype=np.float64)[:, None]
    dx, dy = x1 - x0, y1 - y0
    ll = dx * dx + dy * dy
    if ll > 0:
        t = np.clip(((px - x0) * dx + (py - y0) * dy) / ll, 0.0, 1.0)
    else:
        t = np.zeros((1, 1))
    ex = px - (x0 + t * dx)
    ey = py - (y0 + t * dy)
    d2 = ex * ex + ey * ey
    img[r0:r1, c0:c1][d2 <= r * r] = value
    if inner is not None:
        other, t_in, v_in = inner
        other[r0:r1, c0:c1][d2 <= (t_in / 2.0) * (t_in / 2.0)] = v_in


def distance_inside(mask: np.ndarray, cap: int) -> np.ndarray:
    """Euclidean distance (pixels, centre to centre) from each True pixel to the nearest False
    pixel, exact (integer squared distances, one sqrt), capped at ``cap``; 0 on False pixels.
    Pixels outside the array count as True (no False there)."""
    h, w = mask.shape
    big = cap + 1
    idx = np.arange(w, dtype=np.int64)[None, :]
    zero = ~mask
    left = np.maximum.accumulate(np.where(zero, idx, -10 * big - w), axis=1)
    right = np.minimum.accumulate(np.where(zero, idx, 10 * big + 2 * w)[:, ::-1], axis=1)[:, ::-1]
    g = np.minimum(np.minimum(idx - left, right - idx), big).astype(np.int32)
    g2 = g * g
    pad = np.full((cap, w), big * big, np.int32)
    p = np.concatenate([pad, g2, pad], axis=0)
    d2 = g2.copy()
    tmp = np.empty_like(d2)
    for d in range(1, cap + 1):
        dd = d * d
        np.minimum(p[cap - d:cap - d + h], p[cap + d:cap + d + h], out=tmp)
        tmp += dd
        np.minimum(d2, tmp, out=d2)
    out = np.sqrt(d2.astype(np.float64))
    return np.minimum(out, float(big))


# ---------------------------------------------------------------------------- scalars
def exp_s(x: float) -> float:
    return float(exp(np.float64(x)))


def log_s(x: float) -> float:
    return float(log(np.float64(x)))


def pow_s(x: float, y: float) -> float:
    """x ** y for x > 0."""
    return exp_s(y * log_s(x))


def _sin_cos(x: float) -> tuple[float, float]:
    k = round(x / (math.pi / 2))
    r = (x - k * _PIO2_HI) - k * _PIO2_LO                    # |r| <= pi/4
    r2 = r * r
    # Horner in r2: sin r = r (1 - r2/(2*3) (1 - r2/(4*5) (1 - ...))), cos alike
    s = 1.0
    for n in range(18, 0, -2):
        s = 1.0 - r2 / (n * (n + 1)) * s
    sn = r * s
    c = 1.0
    for n in range(17, 0, -2):
        c = 1.0 - r2 / (n * (n + 1)) * c
    cs = c
    q = k % 4
    if q == 0:
        return sn, cs
    if q == 1:
        return cs, -sn
    if q == 2:
        return -sn, -cs
    return -cs, sn


def sin(x: float) -> float:
    return _sin_cos(float(x))[0]


def cos(x: float) -> float:
    return _sin_cos(float(x))[1]


def tan(x: float) -> float:
    s, c = _sin_cos(float(x))
    return s / c


def _atan(x: float) -> float:
    neg = x < 0
    x = -x if neg else x
    inv = x > 1.0
    if inv:
        x = 1.0 / x
    for _ in range(2):                                         # atan x = 2 atan(x / (1 + sqrt(1 + x^2)))
        x = x / (1.0 + math.sqrt(1.0 + x * x))
    x2 = x * x                                                 # x <= tan(pi/16)
    s = 0.0
    for n in range(25, 0, -2):
        s = (1.0 / n) - x2 * s
    a = 4.0 * (x * s)
    if inv:
        a = math.pi / 2 - a
    return -a if neg else a


def atan2(y: float, x: float) -> float:
    y, x = float(y), float(x)
    if x > 0:
        return _atan(y / x)
    if x < 0:
        return _atan(y / x) + (math.pi if y >= 0 else -math.pi)
    if y > 0:
        return math.pi / 2
    if y < 0:
        return -math.pi / 2
    return 0.0


def acos(c: float) -> float:
    c = max(-1.0, min(1.0, float(c)))
    return atan2(math.sqrt((1.0 - c) * (1.0 + c)), c)


def norm2(v: Iterable[float]) -> float:
    """Length of a 2-vector without BLAS."""
    a, b = (float(t) for t in v)
    return math.sqrt(a * a + b * b)


def dot2(u: Iterable[float], v: Iterable[float]) -> float:
    a, b = (float(t) for t in u)
    c, d = (float(t) for t in v)
    return a * c + b * d
