"""Method settings: every choice the literature disputes, named, with its default.

A :class:`MethodSettings` travels with each result (grade tables, comparisons, reports, reading
files), so that a number can always be traced to the rule that produced it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from vfa import METHOD_VERSION


@dataclass(frozen=True)
class MethodSettings:
    #: A neighbour is a candidate for the reference line (Hp_ref) only if its wedge and
    #: biconcave reductions are both below this percentage (domain.md §2).
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
    #: Lower bounds (percent reduction) of suggested Genant grades 1, 2 and 3; each bound
    #: belongs to the higher grade (domain.md §3).
    grade_thresholds_pct: tuple[float, float, float] = (20.0, 25.0, 40.0)
    #: Candidates of the reference line whose Hp is this percentage or more below the
    #: robust (Theil-Sen) start line are left out of the least-squares fit (domain.md §2).
    reference_exclusion_pct: float = 15.0
    #: Standard deviation of a level's reduction between repeated readings (percentage
    #: points), used when the reader has no precision study saved in the workspace
    #: (domain.md §4, §9). The least significant change is 2.77 times it.
    precision_sd_pct: float = 3.0

    @property
    def method_version(self) -> str:
        return METHOD_VERSION

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["grade_thresholds_pct"] = list(self.grade_thresholds_pct)
        d["method_version"] = METHOD_VERSION
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "MethodSettings":
        """Settings from a dict; unknown keys (e.g. ``method_version``, or v2's
        ``min_change_pct`` and ``reference_hp_deficit_pct``, replaced in v3 by ``lsc_pct`` and
        ``reference_exclusion_pct``) are ignored."""
        if not data:
            return cls()
        names = {f.name for f in fields(cls)}
        kwargs = {}
        for k, v in data.items():
            if k not in names:
                continue
            default = getattr(cls(), k)
            if isinstance(default, tuple):
                if (not isinstance(v, (list, tuple)) or len(v) != len(default)
                        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)):
                    raise ValueError(f"setting {k!r} must be a list of {len(default)} numbers, not {v!r}")
                v = tuple(float(x) for x in v)
            elif isinstance(default, bool):
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
        t = tuple(self.grade_thresholds_pct)
        if (len(t) != 3 or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                                   and math.isfinite(x) for x in t)
                or not (0 < t[0] < t[1] < t[2] < 100)):
            raise ValueError(f"setting 'grade_thresholds_pct' must be three ascending percentages "
                             f"between 0 and 100 (grades 1, 2, 3), not {list(t)!r}")
        object.__setattr__(self, "grade_thresholds_pct", tuple(float(x) for x in t))
        for k in ("reference_exclusion_pct",):
            x = getattr(self, k)
            if not (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
                    and 0 < x < 100):
                raise ValueError(f"setting {k!r} must be a percentage between 0 and 100, not {x!r}")
        x = self.precision_sd_pct
        if not (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0):
            raise ValueError(f"setting 'precision_sd_pct' must be a number above 0 (percentage "
                             f"points), not {x!r}")

    def with_(self, **changes: Any) -> "MethodSettings":
        return replace(self, **changes)


#: Allowed values of the text settings.
CHOICES: dict[str, tuple[str, ...]] = {"loss_scaling": ("reference_levels", "none")}

DEFAULT_SETTINGS = MethodSettings()
