"""Vertebral levels, point slots, grades, deformity types and statuses.

Small enums that every other module uses. Functions accept either the enum or its string
value (``"T12"``, ``"superior_anterior"``) and convert on entry, highdicom-style.
"""

from __future__ import annotations

import enum
from typing import Union


class Level(str, enum.Enum):
    """A vertebral level read by this tool, T4 to L4 (13 vertebrae), top to bottom."""

    T4 = "T4"
    T5 = "T5"
    T6 = "T6"
    T7 = "T7"
    T8 = "T8"
    T9 = "T9"
    T10 = "T10"
    T11 = "T11"
    T12 = "T12"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"

    @property  # shadows str.index on purpose: the level's position, not a substring search
    def index(self) -> int:  # type: ignore[override]
        """0 for T4 ... 12 for L4."""
        return _LEVEL_INDEX[self]

    def above(self) -> "Level | None":
        """The level directly above (cranial), or None for T4."""
        i = self.index
        return LEVELS[i - 1] if i > 0 else None

    def below(self) -> "Level | None":
        """The level directly below (caudal), or None for L4."""
        i = self.index
        return LEVELS[i + 1] if i + 1 < len(LEVELS) else None

    def shifted(self, n: int) -> "Level | None":
        """The level ``n`` steps down (negative: up), or None past T4/L4."""
        i = self.index + n
        return LEVELS[i] if 0 <= i < len(LEVELS) else None

    @property
    def region(self) -> str:
        return "thoracic" if self.value.startswith("T") else "lumbar"

    def __str__(self) -> str:  # "T12", not "Level.T12"
        return self.value

    @classmethod
    def parse(cls, value: "Level | str | None") -> "Level":   # None: ValueError
        if isinstance(value, Level):
            return value
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            raise ValueError(
                f"unknown vertebral level {value!r}: expected one of "
                f"{', '.join(lv.value for lv in LEVELS)}"
            ) from None


LEVELS: tuple[Level, ...] = tuple(Level)
_LEVEL_INDEX: dict[Level, int] = {lv: i for i, lv in enumerate(LEVELS)}


class PointSlot(str, enum.Enum):
    """The six points of a vertebral body (docs/domain.md §1)."""

    SUPERIOR_ANTERIOR = "superior_anterior"
    SUPERIOR_MIDDLE = "superior_middle"
    SUPERIOR_POSTERIOR = "superior_posterior"
    INFERIOR_ANTERIOR = "inferior_anterior"
    INFERIOR_MIDDLE = "inferior_middle"
    INFERIOR_POSTERIOR = "inferior_posterior"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """Human words: 'superior anterior corner', 'inferior endplate middle'."""
        end, pos = self.value.split("_")
        return f"{end} endplate middle" if pos == "middle" else f"{end} {pos} corner"

    @classmethod
    def parse(cls, value: "PointSlot | str") -> "PointSlot":
        if isinstance(value, PointSlot):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown point {value!r}: expected one of "
                f"{', '.join(s.value for s in POINT_SLOTS)}"
            ) from None


#: Canonical order of the six slots (also the guided placement order).
POINT_SLOTS: tuple[PointSlot, ...] = tuple(PointSlot)


class DeformityType(str, enum.Enum):
    WEDGE = "wedge"
    BICONCAVE = "biconcave"
    CRUSH = "crush"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: "DeformityType | str | None") -> "DeformityType | None":
        if value is None or isinstance(value, DeformityType):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown deformity type {value!r}: expected wedge, biconcave or crush"
            ) from None


class Status(str, enum.Enum):
    EVALUABLE = "evaluable"
    NOT_EVALUABLE = "not_evaluable"

    def __str__(self) -> str:
        return self.value


#: Reasons offered for a level that cannot be evaluated (free text is also accepted).
NOT_EVALUABLE_REASONS: tuple[str, ...] = (
    "not visible",
    "rotated/oblique",
    "hardware",
    "technically inadequate",
)

Grade = Union[int, float]
#: The grades a reader may give (Genant SQ; 0.5 = borderline, never produced by measurement).
READER_GRADES: tuple[float, ...] = (0, 0.5, 1, 2, 3)
GRADE_LABELS = {0: "normal", 0.5: "borderline", 1: "mild", 2: "moderate", 3: "severe"}


def parse_grade(value: object) -> Grade | None:
    """Validate a reader grade: 0, 0.5, 1, 2, 3 or None. Returns int for whole grades."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"grade {value!r} is not a number: expected 0, 0.5, 1, 2 or 3")
    try:
        g = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"grade {value!r} is not a number: expected 0, 0.5, 1, 2 or 3") from None
    if g not in READER_GRADES:
        raise ValueError(f"grade {value!r} is not a Genant grade: expected 0, 0.5, 1, 2 or 3")
    return 0.5 if g == 0.5 else int(g)
