"""Stored pixels -> 8-bit display image through ONE lookup table.

Order of the grey-scale pipeline (PS3.3 C.11, PS3.4 N.2; written here once)::

    stored value --(1) modality transform--> modality value
                 --(2) VOI transform-------> value in [0, 1]
                 --(3) presentation--------> inverted or not --> round(255 * y) : uint8

1. Modality transform: the Modality LUT Sequence if present, else Rescale Slope/Intercept
   (:class:`vfa.films.radiograph.ModalityTransform`).
2. VOI transform: either a window with the VOI LUT Function of the file (LINEAR,
   LINEAR_EXACT or SIGMOID, formulas of PS3.3 C.11.2.1.2 / C.11.2.1.3) or one item of the
   VOI LUT Sequence (output scaled by 2**bits - 1 of its descriptor).
3. Presentation: inversion when ``DisplaySettings.invert`` is True. The default is
   :attr:`Radiograph.invert_default` (MONOCHROME1, or Presentation LUT Shape INVERSE), so
   that bone is bright on every film; the user's "invert" toggles this flag.

The three steps are composed into one uint8 table indexed by stored value (the "LUT
index"): for 8/16-bit data the table has 256/65536 entries and the index is the stored
value read as unsigned (signed data needs no offset pass: an int16 value -1 is LUT entry
65535). Rendering is then a single lookup per displayed pixel; a window/level change only
rebuilds the 65536-entry table (~0.1 ms) and re-applies it.

Reduced-size rendering downsamples the *stored integers* first (cv2.resize INTER_AREA,
cached per size), then applies the table once, as pyqtgraph's ImageItem does.
"""

from __future__ import annotations

import itertools
import time
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from vfa.films.radiograph import LookupTable, Radiograph, Window

__all__ = [
    "TRANSFORM_ORDER",
    "DisplaySettings",
    "Renderer",
    "build_lut",
    "default_settings",
    "lut32_shift",
    "lut_index",
    "lut_input_values",
    "render",
    "renderer_for",
    "voi_window",
]

TRANSFORM_ORDER = ("modality", "voi", "presentation")

#: Elements per np.take call: keeps numpy's temporary intp index array in cache.
_CHUNK = 65536
#: Below this many pixels the lookup runs on the calling thread only.
_PARALLEL_MIN = 1 << 18
#: Longest LUT accepted for 32-bit data (other depths use the dtype range).
_MAX_LUT32 = 1 << 24


@dataclass(frozen=True)
class DisplaySettings:
    """How to display a radiograph: a window OR a VOI LUT (index), and inversion.

    ``voi_lut_index`` wins when both are set; with neither, the automatic window is used.
    """

    window: Window | None = None
    voi_lut_index: int | None = None
    invert: bool = False

    def with_window(self, window: Window) -> "DisplaySettings":
        return replace(self, window=window, voi_lut_index=None)

    def with_voi_lut(self, index: int) -> "DisplaySettings":
        return replace(self, window=None, voi_lut_index=index)

    def toggled_invert(self) -> "DisplaySettings":
        return replace(self, invert=not self.invert)


def default_settings(radiograph: Radiograph) -> DisplaySettings:
    """The file's own presentation: its first VOI LUT (as pydicom prefers), else its first
    window, else the automatic window; inverted for MONOCHROME1."""
    invert = radiograph.invert_default
    if radiograph.voi_luts:
        return DisplaySettings(None, 0, invert)
    if radiograph.windows:
        return DisplaySettings(radiograph.windows[0], None, invert)
    return DisplaySettings(radiograph.auto_window(), None, invert)


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------
def lut_input_values(radiograph: Radiograph) -> np.ndarray:
    """The stored value of each LUT entry (int64), in LUT-index order.

    uint8/uint16: 0..255 / 0..65535. int8/int16: the unsigned view, i.e. 0..32767 then
    -32768..-1. 32-bit: min..max of the film.
    """
    dtype = radiograph.stored.dtype
    if dtype.itemsize <= 2:
        udt = np.dtype(f"u{dtype.itemsize}")
        return np.arange(1 << (8 * dtype.itemsize), dtype=udt).view(dtype).astype(np.int64)
    lo, hi = radiograph.stored_range()
    shift = lut32_shift(radiograph)
    if shift == 0:
        return np.arange(lo, hi + 1, dtype=np.int64)
    # binned: each entry stands for 2**shift stored values; its input is the bin's middle
    n = ((hi - lo) >> shift) + 1
    return lo + (np.arange(n, dtype=np.int64) << shift) + (1 << (shift - 1))


def lut32_shift(radiograph: Radiograph) -> int:
    """Right shift applied to ``value - min`` of a 32-bit film whose values span more than
    :data:`_MAX_LUT32` levels (0 otherwise): the LUT then has one entry per 2**shift stored
    values, still over 16 million greys in the film's range, far more than a display shows."""
    def compute() -> int:
        lo, hi = radiograph.stored_range()
        shift = 0
        while ((hi - lo) >> shift) + 1 > _MAX_LUT32:
            shift += 1
        return shift
    return radiograph.cached("lut32_shift", compute)


def lut_index(radiograph: Radiograph, stored_values: np.ndarray) -> np.ndarray:
    """LUT index of stored values (the unsigned view for 8/16-bit, value - min for 32-bit,
    shifted by :func:`lut32_shift` when the film spans more levels than a LUT holds)."""
    arr = np.asarray(stored_values, dtype=radiograph.stored.dtype)
    if arr.dtype.itemsize <= 2:
        return arr.view(f"u{arr.dtype.itemsize}")
    return (arr.astype(np.int64) - radiograph.stored_range()[0]) >> lut32_shift(radiograph)


def voi_window(values: np.ndarray, window: Window, function: str = "LINEAR") -> np.ndarray:
    """PS3.3 C.11.2.1.2 / C.11.2.1.3 with ymin = 0, ymax = 1 (float64 in [0, 1])."""
    x = np.asarray(values, dtype=np.float64)
    c = float(window.center)
    w = float(window.width)
    if function == "SIGMOID":
        w = max(w, 1e-12)
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-4.0 * (x - c) / w))
    if function == "LINEAR_EXACT":
        w = max(w, 1e-12)
        y = (x - c) / w + 0.5
    else:  # LINEAR: width >= 1; x <= c - 0.5 - (w-1)/2 -> 0, x > c - 0.5 + (w-1)/2 -> 1
        w = max(w, 1.0)
        if w == 1.0:
            return (x > c - 0.5).astype(np.float64)
        y = (x - (c - 0.5)) / (w - 1.0) + 0.5
    return np.clip(y, 0.0, 1.0, out=y)


def _voi_lut(values: np.ndarray, lut: LookupTable) -> np.ndarray:
    return lut(values).astype(np.float64) / float(lut.output_max)


def _compose(modality_values: np.ndarray, radiograph: Radiograph,
             settings: DisplaySettings) -> np.ndarray:
    """Steps 2 and 3 on modality values -> uint8."""
    if settings.voi_lut_index is not None:
        try:
            lut = radiograph.voi_luts[settings.voi_lut_index]
        except IndexError:
            raise ValueError(f"VOI LUT {settings.voi_lut_index} does not exist: the film has "
                             f"{len(radiograph.voi_luts)}") from None
        y = _voi_lut(modality_values, lut)
    else:
        window = settings.window if settings.window is not None else radiograph.auto_window()
        y = voi_window(modality_values, window, radiograph.voi_lut_function)
    if settings.invert:
        y = np.subtract(1.0, y, out=y)
    y *= 255.0
    np.rint(y, out=y)
    out = y.astype(np.uint8)
    out.setflags(write=False)
    return out


def build_lut(radiograph: Radiograph, settings: DisplaySettings) -> np.ndarray:
    """The uint8 table for ``settings``: ``lut[lut_index(stored)]`` is the displayed grey."""
    return renderer_for(radiograph).lut(settings)


# --------------------------------------------------------------------------------------
# Applying it
# --------------------------------------------------------------------------------------
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vfa-lut")
        return _POOL


def _take_chunks(lut: np.ndarray, src: np.ndarray, out: np.ndarray, starts) -> None:
    """Look up chunks whose start offsets come from the shared iterator ``starts``."""
    take = np.take
    n = src.size
    for s in starts:  # next() on itertools.count is atomic under the GIL
        if s >= n:
            return
        e = min(s + _CHUNK, n)
        take(lut, src[s:e], 0, out[s:e], "wrap")  # numpy releases the GIL here


_IDLE_CHECK_S = 1.0
_idle_state = [-1e9, True]  # (time of the last check, a core was idle)


def _a_core_is_idle() -> bool:
    """Whether the 1-minute load average leaves a core free (checked at most once a second).

    A second thread only helps when a core is idle: on a saturated machine waking the
    worker costs more than its share of the look-ups (measured: 1500x1500 re-render 7.0 ms
    on one thread, 10.0 ms on two, on 2 cores at load 5)."""
    now = time.monotonic()
    if now - _idle_state[0] > _IDLE_CHECK_S:
        try:
            idle = os.getloadavg()[0] < (os.cpu_count() or 1) - 0.5
        except OSError:
            idle = True
        _idle_state[:] = [now, idle]
    return bool(_idle_state[1])


def apply_lut(lut: np.ndarray, index: np.ndarray, out: np.ndarray, threads: int = 2) -> np.ndarray:
    """``out[...] = lut[index]`` for an unsigned index array of the same shape as ``out``.

    8-bit indexes use cv2.LUT; wider ones np.take in 64 k-element chunks (numpy's temporary
    intp index stays in cache), shared between the calling thread and one worker that pull
    chunks from a common counter: when the worker is slow to start (busy machine) the
    calling thread simply does more of them.
    """
    if index.shape != out.shape or out.dtype != np.uint8:
        raise ValueError(f"output buffer {out.shape}/{out.dtype} does not fit {index.shape}")
    if not out.flags.c_contiguous:
        raise ValueError("output buffer must be C-contiguous")
    if index.dtype == np.uint8 and len(lut) == 256:
        import cv2  # OpenCV loads with the first film, not with the viewer (0.15 s)
        cv2.LUT(index, lut, dst=out)
        return out
    src = index.reshape(-1)  # a view (a copy only for a non-contiguous index)
    dst = out.reshape(-1)
    starts = itertools.count(0, _CHUNK)
    if threads < 2 or src.size < _PARALLEL_MIN or not _a_core_is_idle():
        _take_chunks(lut, src, dst, starts)
        return out
    fut = _pool().submit(_take_chunks, lut, src, dst, starts)
    try:
        _take_chunks(lut, src, dst, starts)
    finally:
        if not fut.cancel():  # started: it is finishing its last chunk
            fut.result()
    return out


class Renderer:
    """Renders one radiograph; caches LUTs by settings, downsampled stored arrays by size,
    and output buffers by shape.

    :meth:`render` writes into a buffer owned by the renderer and returns it: the next
    render at the same size overwrites it (pass ``out=`` or copy to keep an image).
    Not thread-safe: use one renderer per thread.
    """

    def __init__(self, radiograph: Radiograph, *, threads: int | None = None,
                 lut_cache: int = 16, size_cache: int = 4) -> None:
        self.radiograph = radiograph
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        self._luts: OrderedDict[DisplaySettings, np.ndarray] = OrderedDict()
        self._sizes: OrderedDict[tuple[int, int], np.ndarray] = OrderedDict()
        self._outs: dict[tuple[int, int], np.ndarray] = {}
        self._lut_cache = lut_cache
        self._size_cache = size_cache
        self._modality_values: np.ndarray | None = None
        self._gather: np.ndarray | None = None

    # -- tables -----------------------------------------------------------------------
    def _domain(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Modality values of the stored values that Bits Stored allows (computed once), and
        the map from LUT index to that list (None when they are the same).

        A 12-bit film uses 4096 of the 65536 entries: the VOI is computed on those only and
        spread to the table by one gather; values outside Bits Stored (which the loader
        masks away) would get the nearest end's grey.
        """
        if self._modality_values is None:
            rg = self.radiograph
            values = lut_input_values(rg)
            dtype = rg.stored.dtype
            bits = int(rg.bits_stored)
            gather = None
            if dtype.itemsize <= 2 and 0 < bits < 8 * dtype.itemsize:
                if dtype.kind == "i":
                    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
                else:
                    lo, hi = 0, (1 << bits) - 1
                gather = np.clip(values - lo, 0, hi - lo).astype(np.intp)
                values = np.arange(lo, hi + 1, dtype=np.int64)
            mv = np.asarray(rg.modality.apply(values), dtype=np.float64)
            mv.setflags(write=False)
            self._modality_values = mv
            self._gather = gather
        return self._modality_values, self._gather

    def lut(self, settings: DisplaySettings) -> np.ndarray:
        """The uint8 table for ``settings`` (cached, read-only)."""
        cached = self._luts.get(settings)
        if cached is not None:
            self._luts.move_to_end(settings)
            return cached
        values, gather = self._domain()
        table = _compose(values, self.radiograph, settings)
        if gather is not None:
            table = np.take(table, gather)
            table.setflags(write=False)
        self._luts[settings] = table
        if len(self._luts) > self._lut_cache:
            self._luts.popitem(last=False)
        return table

    # -- sizes ------------------------------------------------------------------------
    def output_shape(self, size: int | tuple[int, int] | None) -> tuple[int, int]:
        """(rows, cols) of a render at ``size``: None = full, int = longest side at most
        ``size`` (never enlarged), (h, w) = exactly that."""
        rows, cols = self.radiograph.rows, self.radiograph.cols
        if size is None:
            return rows, cols
        if isinstance(size, (tuple, list)):
            h, w = int(size[0]), int(size[1])
            if h <= 0 or w <= 0:
                raise ValueError(f"render size {size} must be positive")
            return h, w
        size = int(size)
        if size <= 0:
            raise ValueError(f"render size {size} must be positive")
        longest = max(rows, cols)
        if longest <= size:
            return rows, cols
        scale = size / longest
        return max(1, min(size, round(rows * scale))), max(1, min(size, round(cols * scale)))

    def stored_at(self, size: int | tuple[int, int] | None) -> np.ndarray:
        """The stored integers at ``size`` (INTER_AREA; the film itself at full size)."""
        shape = self.output_shape(size)
        stored = self.radiograph.stored
        if shape == stored.shape:
            return stored
        cached = self._sizes.get(shape)
        if cached is not None:
            self._sizes.move_to_end(shape)
            return cached
        small = _resize(stored, shape)
        small.setflags(write=False)
        self._sizes[shape] = small
        if len(self._sizes) > self._size_cache:
            self._sizes.popitem(last=False)
        return small

    # -- rendering --------------------------------------------------------------------
    def render(self, settings: DisplaySettings, size: int | tuple[int, int] | None = None,
               out: np.ndarray | None = None) -> np.ndarray:
        """uint8 (rows, cols) image for ``settings`` at ``size`` (see :meth:`output_shape`)."""
        stored = self.stored_at(size)
        if out is None:
            out = self._outs.get(stored.shape)
            if out is None:
                if len(self._outs) >= self._size_cache:
                    self._outs.pop(next(iter(self._outs)))  # oldest
                out = self._outs[stored.shape] = np.empty(stored.shape, dtype=np.uint8)
        table = self.lut(settings)
        rg = self.radiograph
        if stored.dtype.itemsize <= 2:
            index = stored.view(f"u{stored.dtype.itemsize}")
        else:  # 32-bit: index = value - min (one extra pass; such films are rare)
            index = np.clip((stored.astype(np.int64) - rg.stored_range()[0]) >> lut32_shift(rg),
                            0, len(table) - 1)
        return apply_lut(table, index, out, self.threads)

    def clear(self) -> None:
        self._luts.clear()
        self._sizes.clear()
        self._outs.clear()


def _resize(stored: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    import cv2
    h, w = shape
    if stored.dtype in (np.uint8, np.uint16, np.int16):
        return cv2.resize(stored, (w, h), interpolation=cv2.INTER_AREA)
    # int8 / 32-bit: through float32 (exact for |values| < 2**24), rounded back
    small = cv2.resize(stored.astype(np.float32), (w, h), interpolation=cv2.INTER_AREA)
    info = np.iinfo(stored.dtype)
    return np.clip(np.rint(small), info.min, info.max).astype(stored.dtype)


def renderer_for(radiograph: Radiograph) -> Renderer:
    """The renderer kept with a radiograph (created on first use)."""
    return radiograph.cached("renderer", lambda: Renderer(radiograph))


def render(radiograph: Radiograph, settings: DisplaySettings | None = None,
           size: int | tuple[int, int] | None = None) -> np.ndarray:
    """A new uint8 image of ``radiograph`` (default settings when None) at ``size``."""
    r = renderer_for(radiograph)
    if settings is None:
        settings = default_settings(radiograph)
    shape = r.output_shape(size)
    return r.render(settings, size, out=np.empty(shape, dtype=np.uint8))
