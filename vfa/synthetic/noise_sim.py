"""Unchanged spines read twice: how often does measurement noise make a false outcome?

The simulation behind the figures of docs/clinical-method.md §4 (and its test). A child's
spine T4-L4 is drawn once (posterior heights rising one unit per level from 14 at T4, times a
size factor; physiological thoracic wedging up to 9 %; endplates 5 % concave; small anatomical
variation), then read at baseline and six months later with ``error`` (e.g. 0.045 = 4.5 %)
random error on every height (Ha, Hm, Hp independently, normal). Nothing changed, so any
``incident`` is false. The two readings are compared on unconfirmed grades:

* ``lsc_5``: the least significant change set to 5.0 points (v2's fixed ``min_change_pct``),
* ``default``: ``sd_pct`` = the setting ``precision_sd_pct`` (3.0; LSC 8.3),
* ``study``: ``sd_pct`` = a precision study of the same noise (12 films read twice, as
  ``vfa precision --save`` would keep it).

Run ``python -m vfa.synthetic.noise_sim [N]`` for the table (N children per noise level).
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vfa.films.calibration import Spacing
from vfa.method.comparison import Change, compare
from vfa.method.levels import LEVELS
from vfa.method.noise import PrecisionStudy
from vfa.method.precision import precision
from vfa.method.settings import MethodSettings
from vfa.reading.reading import Reading

#: Physiological wedging (reduction) per level T4..L4 of the simulated children.
WEDGE = (0.04, 0.05, 0.06, 0.08, 0.09, 0.08, 0.06, 0.04, 0.02, 0.0, 0.0, 0.0, 0.0)
BIRTH = dt.date(2012, 1, 1)
VISITS = (dt.date(2024, 1, 1), dt.date(2024, 7, 1))
STUDY_FILMS = 12
RULES = ("lsc_5", "default", "study")


def _body(ha: float, hm: float, hp: float, bottom: float) -> dict[str, tuple[float, float]]:
    x0, depth = 100.0, 40.0
    return {"superior_anterior": (x0, bottom - ha), "inferior_anterior": (x0, bottom),
            "superior_middle": (x0 + depth / 2, bottom - hm), "inferior_middle": (x0 + depth / 2, bottom),
            "superior_posterior": (x0 + depth, bottom - hp), "inferior_posterior": (x0 + depth, bottom)}


def spine(rng: np.random.Generator) -> list[tuple[float, float, float]]:
    """True (Ha, Hm, Hp) of T4..L4 of one child (pixels)."""
    size = 1.0 + 0.08 * rng.standard_normal()
    out = []
    for lv in LEVELS:
        hp = size * 5.0 * (14 + lv.index) * (1 + 0.02 * rng.standard_normal())
        ha = hp * (1 - WEDGE[lv.index] - 0.02 * rng.standard_normal())
        hm = hp * (0.95 - 0.02 * rng.standard_normal())
        out.append((ha, hm, hp))
    return out


def read(true: list[tuple[float, float, float]], error: float, rng: np.random.Generator,
         date: dt.date, sop: str, reader: str = "sim") -> Reading:
    """One reading of the spine with ``error`` random error on every height."""
    r = Reading(patient_id="SIM", reader=reader, sop_instance_uid=sop, study_date=date,
                birth_date=BIRTH, spacing=Spacing.uncalibrated())
    for i, lv in enumerate(LEVELS):
        h = [x * (1 + error * float(rng.standard_normal())) for x in true[i]]
        r.set_points(lv, _body(h[0], h[1], h[2], bottom=150.0 + i * 200.0))
    return r


@dataclass
class NoiseResult:
    error: float
    children: int
    study: PrecisionStudy
    false_incident: dict[str, int] = field(default_factory=dict)   # children with >= 1
    #: per false incident (default rule): p_change, p_fracture at follow-up
    p_change: list[float] = field(default_factory=list)
    p_fracture: list[float] = field(default_factory=list)
    #: incidents turned "uncertain" by the default rule: their p_change
    p_uncertain: list[float] = field(default_factory=list)

    def share(self, rule: str) -> float:
        return self.false_incident.get(rule, 0) / self.children

    def to_dict(self) -> dict[str, Any]:
        def q(v: list[float]) -> list[float] | None:
            return [round(float(x), 3) for x in np.percentile(v, [0, 50, 100])] if v else None
        return {"error_pct": self.error * 100, "children": self.children,
                "study_sd_pct": round(self.study.sd_pct, 2),
                **{f"false_incident_{k}": round(self.share(k), 4) for k in RULES},
                "false_p_change_min_median_max": q(self.p_change),
                "false_p_fracture_min_median_max": q(self.p_fracture),
                "uncertain_p_change_min_median_max": q(self.p_uncertain)}


def simulate(error: float, children: int, seed: int = 19) -> NoiseResult:
    """Children with unchanged spines, read twice with ``error`` on every height."""
    rng = np.random.default_rng([seed, round(error * 10000)])
    films = []
    for k in range(STUDY_FILMS):
        tr = spine(rng)
        films += [read(tr, error, rng, VISITS[0], f"2.25.{k}"), read(tr, error, rng, VISITS[0], f"2.25.{k}")]
    study = precision(films).study("sim", "2026-01-01T00:00:00+00:00")
    out = NoiseResult(error, children, study, {k: 0 for k in RULES})
    lsc5 = MethodSettings(precision_sd_pct=5.0 / 2.77)     # LSC 5.0 points
    for _ in range(children):
        tr = spine(rng)
        b = read(tr, error, rng, VISITS[0], "2.25.b")
        f = read(tr, error, rng, VISITS[1], "2.25.f")
        for rule, c in (("lsc_5", compare(b, f, lsc5)), ("default", compare(b, f)),
                        ("study", compare(b, f, precision=study))):
            if c.incident:
                out.false_incident[rule] += 1
            if rule != "default":
                continue
            for ch in c.changes:
                if ch.change is Change.INCIDENT and ch.p_change is not None:
                    out.p_change.append(ch.p_change)
                    pf = c.followup.results[ch.level.index].p_fracture
                    if pf is not None:
                        out.p_fracture.append(pf)
                elif ch.tentative_change is Change.INCIDENT and ch.p_change is not None:
                    out.p_uncertain.append(ch.p_change)
    return out


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - the docs' table
    n = int((argv or sys.argv[1:] or ["2000"])[0])
    print(f"{'error':>6}{'study SD':>10}{'LSC 5.0':>9}{'default':>9}{'study':>8}   "
          "false incidents (default): median p_change, median p_fracture at follow-up")
    for e in (0.02, 0.03, 0.045):
        r = simulate(e, n)
        pc = statistics.median(r.p_change) if r.p_change else float("nan")
        pf = statistics.median(r.p_fracture) if r.p_fracture else float("nan")
        print(f"{e * 100:>5.1f}%{r.study.sd_pct:>10.2f}{r.share('lsc_5'):>9.1%}{r.share('default'):>9.1%}"
              f"{r.share('study'):>8.1%}   {pc:.3f}, {pf:.3f} (n = {len(r.p_change)}); "
              f"turned uncertain: {len(r.p_uncertain)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
