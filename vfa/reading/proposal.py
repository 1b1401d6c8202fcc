"""The proposal data type: a point that the software suggests and the reader accepts or moves.

Pure standard library (no numpy, no cv2): :mod:`vfa.reading.reading` stores proposals with each
vertebra, so this module must stay importable everywhere.

A :class:`Proposal` remembers WHERE the point was proposed (``x``, ``y``, DICOM image
coordinates like every point), HOW (``method``), how sure the method was (``confidence``,
0..1) and what the reader did with it (``state``):

* ``proposed`` – shown as a suggestion, not yet looked at; the point is also in
  ``VertebraReading.points`` so that measurement works, but a viewer draws it as proposed;
* ``accepted`` – the reader accepted it where it is;
* ``moved`` – the reader moved the point (the current point is in ``points``; ``x``, ``y``
  still say where it had been proposed, so that the correction can be audited).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

#: How a proposal was made (docs/semi-automatic.md).
METHODS: tuple[str, ...] = ("refine", "one-click", "span", "carry-forward")
#: What the reader did with it.
STATES: tuple[str, ...] = ("proposed", "accepted", "moved")
#: Below this confidence a proposal is flagged for a careful look.
LOW_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Proposal:
    """One proposed point (see the module docstring)."""

    x: float
    y: float
    confidence: float
    method: str
    state: str = "proposed"

    def __post_init__(self) -> None:
        for name in ("x", "y", "confidence"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"proposal {name} must be a finite number, got {v!r}")
            object.__setattr__(self, name, float(v))
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"proposal confidence must be 0..1, got {self.confidence!r}")
        if self.method not in METHODS:
            raise ValueError(f"proposal method {self.method!r}: expected one of {', '.join(METHODS)}")
        if self.state not in STATES:
            raise ValueError(f"proposal state {self.state!r}: expected one of {', '.join(STATES)}")

    @property
    def xy(self) -> tuple[float, float]:
        return (self.x, self.y)

    @property
    def low_confidence(self) -> bool:
        return self.confidence < LOW_CONFIDENCE

    @property
    def pending(self) -> bool:
        """Still a suggestion (neither accepted nor moved by the reader)."""
        return self.state == "proposed"

    def with_state(self, state: str) -> "Proposal":
        return replace(self, state=state)

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "confidence": round(self.confidence, 4),
                "method": self.method, "state": self.state}

    @classmethod
    def from_dict(cls, data: Any, where: str = "proposal") -> "Proposal":
        """Validate and build; ValueError names ``where`` and the bad field."""
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be an object, got {data!r}")
        missing = [k for k in ("x", "y", "confidence", "method") if k not in data]
        if missing:
            raise ValueError(f"{where}: missing {', '.join(missing)}")
        try:
            return cls(data["x"], data["y"], data["confidence"], data["method"],
                       data.get("state", "proposed"))
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
