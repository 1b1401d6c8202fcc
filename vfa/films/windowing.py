"""Window/level as a choice that means the same on any film.

A :class:`vfa.films.display.DisplaySettings` holds an *absolute* window (centre and width in one
film's modality units). Copied to another film it can mean nothing: a MONOCHROME1 film of
12 bits beside a MONOCHROME2 film of 16 bits turns almost black, and a window dragged on one
becomes a negative on the other. What a reader chooses is relative to the film in front of
them, so the viewer keeps a :class:`WindowChoice`:

* a *preset* of that film: ``"file"`` (its own presentation: first VOI LUT, else first
  window, else automatic), ``"auto"``, ``"window:N"`` (the file's N-th window) or
  ``"voi:N"`` (its N-th VOI LUT); or
* a window in *percentiles of the film's own brightness*: ``dark`` and ``bright`` are the
  fractions of the film's pixels (body of the histogram, as for the automatic window)
  darker than the window's black and white ends, in the film's default polarity (bone
  bright). A value beyond the film's range extends linearly (fraction per film range), so a
  very wide window stays wide;
* ``inverted``: the reader's invert, relative to the film's default polarity (MONOCHROME1
  films are inverted by default, see :mod:`vfa.films.display`).

:meth:`WindowChoice.settings` turns the choice into the absolute settings of one film,
:meth:`WindowChoice.of` the other way round; the comparison links two films through it.
:func:`presets` lists a film's presets for menus.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from vfa.films.display import DisplaySettings, default_settings
from vfa.films.radiograph import Radiograph, Window

__all__ = ["FILE", "AUTO", "WindowChoice", "presets", "to_fraction", "from_fraction"]

FILE = "file"
AUTO = "auto"


# --------------------------------------------------------------------------------------
# The film's brightness distribution
# --------------------------------------------------------------------------------------
def _distribution(rg: Radiograph) -> tuple[np.ndarray, np.ndarray, float]:
    """(presentation values ascending, fraction of pixels below each, value span).

    Presentation value = modality value, negated on a film inverted by default, so that a
    larger value is brighter on screen on every film. Cached with the film."""
    return rg.cached("brightness_cdf", lambda: _compute_distribution(rg))


def _compute_distribution(rg: Radiograph) -> tuple[np.ndarray, np.ndarray, float]:
    values, _, counts = rg.histogram()
    body: np.ndarray = counts.astype(np.float64)
    m = np.asarray(rg.modality.apply(values), dtype=np.float64)
    if rg.invert_default:
        m = -m
    order = np.argsort(m, kind="stable")
    m, body = m[order], body[order]
    keep = body > 0
    m, body = m[keep], body[keep]
    # merge equal presentation values (a non-monotonic modality LUT)
    m, inv = np.unique(m, return_inverse=True)
    body = np.bincount(inv, weights=body)
    cdf = (np.cumsum(body) - body / 2.0) / body.sum()
    span = float(m[-1] - m[0]) if len(m) > 1 else 1.0
    return m, cdf, max(span, 1e-9)


def to_fraction(rg: Radiograph, value: float) -> float:
    """Fraction of the film's pixels darker than presentation value ``value``."""
    m, cdf, span = _distribution(rg)
    if len(m) == 1:
        return 0.5 + (value - m[0]) / span
    if value < m[0]:
        return float(cdf[0] - (m[0] - value) / span)
    if value > m[-1]:
        return float(cdf[-1] + (value - m[-1]) / span)
    return float(np.interp(value, m, cdf))


def from_fraction(rg: Radiograph, fraction: float) -> float:
    """The presentation value with ``fraction`` of the film's pixels darker (inverse of
    :func:`to_fraction`)."""
    m, cdf, span = _distribution(rg)
    if len(m) == 1:
        return float(m[0] + (fraction - 0.5) * span)
    if fraction < cdf[0]:
        return float(m[0] - (cdf[0] - fraction) * span)
    if fraction > cdf[-1]:
        return float(m[-1] + (fraction - cdf[-1]) * span)
    return float(np.interp(fraction, cdf, m))


def _window_of(rg: Radiograph, settings: DisplaySettings) -> Window:
    """The window that ``settings`` amounts to (a VOI LUT: the input range over which its
    output rises from 2 % to 98 %)."""
    if settings.voi_lut_index is not None and 0 <= settings.voi_lut_index < len(rg.voi_luts):
        lut = rg.voi_luts[settings.voi_lut_index]
        y = lut.data.astype(np.float64) / float(lut.output_max)
        inside = np.nonzero((y > 0.02) & (y < 0.98))[0]
        if inside.size:
            lo = lut.first_mapped + int(inside[0])
            hi = lut.first_mapped + int(inside[-1]) + 1
            return Window((lo + hi) / 2.0, max(hi - lo, 1.0), "voi")
    if settings.window is not None and settings.voi_lut_index is None:
        return settings.window
    return rg.auto_window()


# --------------------------------------------------------------------------------------
# The choice
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WindowChoice:
    """A window/level choice that means the same on any film (see the module text)."""

    preset: str | None = FILE
    dark: float | None = None
    bright: float | None = None
    inverted: bool = False

    # -- film -> choice ---------------------------------------------------------------
    @classmethod
    def of(cls, rg: Radiograph, settings: DisplaySettings) -> "WindowChoice":
        """What ``settings`` (absolute, for ``rg``) means: a preset of the film when it is
        one, and always its percentiles (so that a film lacking the preset can follow)."""
        inverted = settings.invert != rg.invert_default
        w = _window_of(rg, settings)
        lo, hi = w.lower, w.upper
        if rg.invert_default:
            lo, hi = -hi, -lo
        dark, bright = to_fraction(rg, lo), to_fraction(rg, hi)
        base = replace(settings, invert=rg.invert_default)
        preset = None
        if base == default_settings(rg):
            preset = FILE
        elif settings.voi_lut_index is not None:
            preset = f"voi:{settings.voi_lut_index}"
        elif settings.window is not None:
            if settings.window == rg.auto_window():
                preset = AUTO
            elif settings.window in rg.windows:
                preset = f"window:{rg.windows.index(settings.window)}"
        return cls(preset, dark, bright, inverted)

    # -- choice -> film ---------------------------------------------------------------
    def settings(self, rg: Radiograph) -> DisplaySettings:
        """The absolute display settings of this choice on ``rg``."""
        invert = rg.invert_default != self.inverted
        base = self._preset_settings(rg)
        if base is None:
            if self.dark is None or self.bright is None:
                base = default_settings(rg)
            else:
                lo, hi = from_fraction(rg, self.dark), from_fraction(rg, self.bright)
                if rg.invert_default:
                    lo, hi = -hi, -lo
                lo, hi = min(lo, hi), max(lo, hi)
                base = DisplaySettings(Window((lo + hi) / 2.0, max(hi - lo, 1.0), "linked"))
        return replace(base, invert=invert)

    def _preset_settings(self, rg: Radiograph) -> DisplaySettings | None:
        p = self.preset
        if p is None:
            return None
        if p == FILE:
            return default_settings(rg)
        if p == AUTO:
            return DisplaySettings(rg.auto_window())
        kind, _, num = p.partition(":")
        try:
            i = int(num)
        except ValueError:
            return None
        if kind == "window" and 0 <= i < len(rg.windows):
            return DisplaySettings(rg.windows[i])
        if kind == "voi" and 0 <= i < len(rg.voi_luts):
            return DisplaySettings(None, i)
        return None

    def toggled_invert(self) -> "WindowChoice":
        return replace(self, inverted=not self.inverted)


def presets(rg: Radiograph) -> list[tuple[str, WindowChoice]]:
    """The window presets of a film for menus: its windows, its VOI LUTs and the automatic
    window, each as (text, choice)."""
    out: list[tuple[str, WindowChoice]] = []
    for i, w in enumerate(rg.windows):
        name = w.explanation or f"window {i + 1}"
        out.append((f"{name} ({w.center:g}/{w.width:g})", WindowChoice(f"window:{i}")))
    for i, lut in enumerate(rg.voi_luts):
        out.append((f"VOI LUT: {lut.explanation or i + 1}", WindowChoice(f"voi:{i}")))
    aw = rg.auto_window()
    out.append((f"automatic ({aw.center:.0f}/{aw.width:.0f})", WindowChoice(AUTO)))
    return out
