"""Method settings: every choice the literature disputes, named, with its default.

A :class:`MethodSettings` travels with each result (grade tables, comparisons, reports, reading
files), so that a number can always be traced to the rule that produced it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from . import METHOD_VERSION


@dataclass(frozen=True)
class MethodSettings:
    #: A neighbour counts for Hp_ref only if its wedge and biconcave reductions are both
    #: below this percentage (domain.md §2).
    neighbour_max_reduction_pct: float = 20.0
    #: How a reader grade of 0.5 (borderline) counts when comparing visits (domain.md §4).
    compare_borderline_as: float = 0
    #: Fracture Intervention Trial quantitative incident rule (domain.md §4): loss of at least
    #: this percent AND at least this many millimetres in any one height.
    fit_loss_pct: float = 20.0
    fit_loss_mm: float = 4.0
    #: Age (years, at the study date) below which a study is paediatric (domain.md §6).
    paediatric_age_years: float = 18.0
    #: Apply the millimetre half of the FIT rule to paediatric studies (off by default:
    #: children grow between visits, domain.md §6).
    mm_rule_in_children: bool = False
    #: How height loss is computed when the two films are on different scales (a different
    #: spacing source, or mm on one and pixels on the other) — domain.md §4: "between films
    #: of different magnification, compare percentages, not millimetres".
    #: "reference_levels": scale the follow-up heights by the median Hp(baseline)/Hp(follow-up)
    #: of the levels graded 0 at both visits (at least ``scaling_min_levels``), then report
    #: percentages only (the millimetre rule is not applicable).
    #: "none": each film's own spacing; no loss at all between mm and pixels.
    loss_scaling: str = "reference_levels"
    scaling_min_levels: int = 3

    @property
    def method_version(self) -> str:
        return METHOD_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["method_version"] = METHOD_VERSION
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "MethodSettings":
        """Settings from a dict; unknown keys (e.g. ``method_version``) are ignored."""
        if not data:
            return cls()
        names = {f.name for f in fields(cls)}
        kwargs = {}
        for k, v in data.items():
            if k not in names:
                continue
            default = getattr(cls(), k)
            if isinstance(default, bool):
                if not isinstance(v, bool):
                    raise ValueError(f"setting {k!r} must be true or false, not {v!r}")
            elif isinstance(default, str):
                if v not in CHOICES.get(k, ()):
                    raise ValueError(f"setting {k!r} must be one of {', '.join(CHOICES[k])}, not {v!r}")
            elif not isinstance(v, (int, float)) or isinstance(v, bool):
                raise ValueError(f"setting {k!r} must be a number, not {v!r}")
            kwargs[k] = v
        return cls(**kwargs)

    def __post_init__(self) -> None:
        for k, allowed in CHOICES.items():
            if getattr(self, k) not in allowed:
                raise ValueError(f"setting {k!r} must be one of {', '.join(allowed)}")

    def with_(self, **changes: Any) -> "MethodSettings":
        return replace(self, **changes)


#: Allowed values of the text settings.
CHOICES: dict[str, tuple[str, ...]] = {"loss_scaling": ("reference_levels", "none")}

DEFAULT_SETTINGS = MethodSettings()
