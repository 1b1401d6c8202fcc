"""The reader's qualitative observations per vertebra, beside the Genant grade (domain.md §9).

* ``endplate_depression``: ``superior`` | ``inferior`` | ``both`` | ``none``
* ``abq``: algorithm-based qualitative call (Jiang et al. 2004): ``normal`` |
  ``non_fracture_deformity`` | ``fracture``
* ``downgrade_reason``: why the reader graded a level lower than its shape suggests, from a
  fixed vocabulary (normal variants that mimic fractures), plus free text for ``other``
  (``downgrade_text``).

They are the reader's observations: stored in the reading (optional keys of a vertebra,
format 1.x), reported beside the grade, never used to compute a grade. Fixed vocabularies, so
that statistics can count them (``vfa agreement``: kappa on ABQ fracture / not).
"""

from __future__ import annotations

import enum
from typing import Any


class _Vocab(str, enum.Enum):
    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        return LABELS.get(self.value, self.value.replace("_", " "))

    @classmethod
    def parse(cls, value: Any) -> Any:
        """The member for ``value`` (member, value or None -> None); ValueError names the
        allowed values."""
        if value is None or value == "" or isinstance(value, cls):
            return value or None
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(f"{_KEY_OF.get(cls.__name__, cls.__name__)} {value!r} is not one of "
                             f"{', '.join(m.value for m in cls)}") from None


class EndplateDepression(_Vocab):
    SUPERIOR = "superior"
    INFERIOR = "inferior"
    BOTH = "both"
    NONE = "none"


class Abq(_Vocab):
    NORMAL = "normal"
    NON_FRACTURE_DEFORMITY = "non_fracture_deformity"
    FRACTURE = "fracture"


class DowngradeReason(_Vocab):
    PHYSIOLOGICAL_WEDGING = "physiological_wedging"
    SCHEUERMANN = "scheuermann"
    SCHMORL_NODE = "schmorl_node"
    UNOSSIFIED_RING_APOPHYSIS = "unossified_ring_apophysis"
    CUPIDS_BOW = "cupids_bow"
    PARALLAX = "parallax"
    OTHER = "other"


#: The JSON key of each vocabulary (error messages).
_KEY_OF = {"EndplateDepression": "endplate_depression", "Abq": "abq",
           "DowngradeReason": "downgrade_reason"}

LABELS = {
    "superior": "superior", "inferior": "inferior", "both": "both", "none": "none",
    "normal": "normal", "non_fracture_deformity": "non-fracture deformity",
    "fracture": "fracture",
    "physiological_wedging": "physiological wedging", "scheuermann": "Scheuermann",
    "schmorl_node": "Schmorl node", "unossified_ring_apophysis": "unossified ring apophysis",
    "cupids_bow": "Cupid's bow", "parallax": "projection/parallax", "other": "other",
}

#: JSON keys of a vertebra owned by this module.
KEYS = ("endplate_depression", "abq", "downgrade_reason", "downgrade_text")

#: Single keys of the grading table (docs/viewer.md): cycle through the vocabulary.
ENDPLATE_CYCLE = (None, EndplateDepression.NONE, EndplateDepression.SUPERIOR,
                  EndplateDepression.INFERIOR, EndplateDepression.BOTH)
ABQ_CYCLE = (None, Abq.NORMAL, Abq.NON_FRACTURE_DEFORMITY, Abq.FRACTURE)
DOWNGRADE_CYCLE = (None, *DowngradeReason)


def next_in(cycle: tuple, current: Any) -> Any:
    """The value after ``current`` in ``cycle`` (wrapping to None)."""
    try:
        i = cycle.index(current)
    except ValueError:
        i = 0
    return cycle[(i + 1) % len(cycle)]


def abq_fracture(vertebra: Any) -> bool | None:
    """ABQ fracture / not of a vertebra (``VertebraReading``): True for ``fracture``, False
    for ``normal`` or ``non_fracture_deformity``, None when the reader gave no ABQ call.
    ``vfa agreement`` counts kappa on this when both readers gave it."""
    abq = getattr(vertebra, "abq", None)
    if abq is None:
        return None
    return Abq.parse(abq) is Abq.FRACTURE


def short_text(vertebra: Any) -> str:
    """``"ABQ fracture; endplate superior; downgraded: Schmorl node"`` (reports, table)."""
    parts = []
    if getattr(vertebra, "abq", None):
        parts.append(f"ABQ {vertebra.abq.label}")
    if getattr(vertebra, "endplate_depression", None):
        parts.append(f"endplate {vertebra.endplate_depression.label}")
    if getattr(vertebra, "downgrade_reason", None):
        text = vertebra.downgrade_reason.label
        if vertebra.downgrade_text:
            text += f" ({vertebra.downgrade_text})"
        parts.append(f"downgraded: {text}")
    return "; ".join(parts)


__all__ = ["EndplateDepression", "Abq", "DowngradeReason", "KEYS", "abq_fracture", "short_text",
           "next_in", "ENDPLATE_CYCLE", "ABQ_CYCLE", "DOWNGRADE_CYCLE", "LABELS"]
