"""The display image of a film as PNG (``vfa render``, ``vfa batch render``): window/level,
MONOCHROME1 inversion, optionally a reading's markers and grades."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vfa.errors import VfaError

__all__ = ["MAX_SIZE", "MIN_SIZE", "RenderResult", "render_png"]

#: Longest side of a rendered image, in pixels.
MIN_SIZE, MAX_SIZE = 16, 30000


@dataclass(frozen=True)
class RenderResult:
    path: Path
    width: int
    height: int


def render_png(film: str | os.PathLike[str], out: str | os.PathLike[str], *,
               window: tuple[float, float] | None = None, auto: bool = False, size: int | None = None,
               invert: bool = False, reading: str | os.PathLike[str] | None = None) -> RenderResult:
    """Write ``film`` as the reader sees it to ``out`` (.png, atomically): its own window
    unless ``window`` (centre, width in modality units) or ``auto``; ``size``: longest side
    in pixels; ``invert`` once more; ``reading``: a reading file whose markers are drawn."""
    import cv2

    from vfa.atomic import atomic_write_bytes
    from vfa.films.display import default_settings, render
    from vfa.films.radiograph import Window, load_radiograph

    out = Path(out)
    if out.suffix.lower() != ".png":
        raise VfaError(f"output {out} must end in .png")
    if size is not None and not MIN_SIZE <= size <= MAX_SIZE:
        raise VfaError(f"size {size} must be between {MIN_SIZE} and {MAX_SIZE} pixels")
    rg = load_radiograph(film)
    settings = default_settings(rg)
    if window is not None:
        settings = settings.with_window(Window(*window, "command line"))
    elif auto:
        settings = settings.with_window(rg.auto_window())
    if invert:
        settings = settings.toggled_invert()
    img = render(rg, settings, size)
    if reading is not None:
        from vfa.outputs.annotate import draw_reading
        from vfa.reading.reading import check_film, load_reading
        the_reading = load_reading(reading)
        check_film(the_reading, rg, film)   # another patient's markers never go on this film
        img = draw_reading(img, the_reading, stored_shape=(rg.rows, rg.cols))
    ok, buf = cv2.imencode(".png", img)
    if not ok:
        raise VfaError(f"could not encode {out} as PNG")
    atomic_write_bytes(out, buf.tobytes())
    return RenderResult(out, int(img.shape[1]), int(img.shape[0]))
