"""Semi-automatic six-point placement (issue 5): proposals a reader accepts or nudges.

* :func:`refine_point` – move a rough click onto the nearby corner / endplate edge (1);
* :func:`propose_vertebra` – one click inside a body -> six proposed points (2);
* :func:`propose_span` – two clicks with their levels -> every level in between (3);
* :func:`carry_forward` – an earlier reading + its film -> proposals on a new film (4);
* :func:`apply_to_reading` – put the proposals into a :class:`vfa.reading.reading.Reading`.

Every result carries per-point confidences (0..1, :data:`LOW_CONFIDENCE` flags a point).
Nothing here imports Qt. Image analysis with numpy and OpenCV only; the
methods see only the pixel array, the spacing and the clicks / earlier reading.
The heavy modules are imported lazily, so that :mod:`vfa.reading.reading` can import the
:class:`Proposal` type cheaply. See docs/semi-automatic.md.
"""

from __future__ import annotations

from typing import Any

from vfa.reading.proposal import LOW_CONFIDENCE, METHODS, STATES, Proposal

_LAZY = {
    "FilmImage": "film", "film_from_radiograph": "film",
    "refine_point": "refine", "RefineResult": "refine",
    "propose_vertebra": "vertebra", "VertebraFit": "vertebra",
    "propose_span": "spine", "SpanResult": "spine",
    "carry_forward": "carry", "CarryResult": "carry",
    "apply_to_reading": "apply", "proposed_reading": "apply",
    "AutoplaceError": "film",
}

__all__ = ["LOW_CONFIDENCE", "METHODS", "STATES", "Proposal", *_LAZY]


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'vfa.reading.autoplace' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
