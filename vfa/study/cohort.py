"""Study outcomes over a cohort: the case-series table (domain.md §8).

Per patient, over the visits in date order: age at baseline, months of follow-up, prevalent
fractures and SDI at baseline, incident / worsened / reshaped levels between baseline and the
last visit (and between consecutive visits), the SDI at the last visit over the levels
evaluable at both, the number of unconfirmed grades behind these figures, and the clinical
context (vfa/study/clinical.py) beside them. Plus a ``summary`` over the cohort.

Readings of several readers: per film the consensus reading (reader ``consensus``) when there
is one, else the named reader's; with neither a choice nor a single reader the cohort is
refused, never assembled from an arbitrary reader. The output says which readings were used.

Entry points: :func:`build_cohort` (readings + clinical contexts) -> :class:`Cohort`;
``Cohort.to_dict()`` is the ``vfa cohort --json`` document; :func:`write_csv`; the PDF page is
vfa/outputs/cohort_pdf.py.
"""

from __future__ import annotations

import datetime as _dt
import re
import statistics
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from vfa import METHOD_VERSION
from vfa.errors import CohortError
from vfa.method.levels import Level
from vfa.method.settings import MethodSettings
from vfa.study.timeline import PatientCourse, changes_in, months_between, patient_course

if TYPE_CHECKING:  # pragma: no cover
    from vfa.study.clinical import ClinicalContext
    from vfa.reading.reading import Reading

#: The reader name of an adjudicated (consensus) reading (issue 12).
CONSENSUS = "consensus"


@dataclass(frozen=True)
class CohortSettings:
    """Choices of the cohort table that are not about reading a film (recorded in the output)."""

    #: A BMD Z-score counts as "at" a visit when measured within this many days of it
    #: (DXA is usually yearly; half a year either side).
    bmd_max_days: int = 183

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------
# Choosing the readings
# --------------------------------------------------------------------------------------
@dataclass
class Selection:
    by_patient: dict[str, list["Reading"]]
    used: dict[str, int]                  # reader -> films
    notes: list[str] = field(default_factory=list)
    reader: str | None = None
    #: How the chosen reader is named in :meth:`description`.
    reader_label: str = "--reader"

    def description(self) -> str:
        if not self.used:
            return "no readings"
        parts = []
        if CONSENSUS in self.used:
            parts.append(f"consensus reading where there is one ({self.used[CONSENSUS]} film(s))")
        others = {r: n for r, n in self.used.items() if r != CONSENSUS}
        for r, n in sorted(others.items()):
            who = f"reader {r!r}" + (f" ({self.reader_label})" if r == self.reader else "")
            parts.append(f"{'else ' if parts else ''}{who} ({n} film(s))")
        return "; ".join(parts)


def select_readings(readings: Iterable["Reading"], reader: str | None = None,
                    fallback_any: bool = False) -> Selection:
    """One reading per visit per patient: consensus, else ``reader``'s, else the only reader's.

    A film with several readers and neither a consensus nor ``reader``'s reading is refused
    (:class:`CohortError`) when ``reader`` is None, and left out (noted) otherwise; with
    ``fallback_any`` (the viewer's timeline) the first reader by name is used instead (noted).
    Several films on one study date: the one with the most graded levels (noted)."""
    films: dict[tuple[str, str], dict[str, "Reading"]] = {}
    notes: list[str] = []
    for r in readings:
        if r.study_date is None:
            notes.append(f"a reading of patient {r.patient_id or '?'} has no study date: left out")
            continue
        key = (r.patient_id or "", r.sop_instance_uid or f"{r.study_instance_uid}/{r.study_date}")
        films.setdefault(key, {})[r.reader or ""] = r
    chosen: dict[str, list["Reading"]] = {}
    used: dict[str, int] = {}
    for (pid, _sop), by_reader in sorted(films.items()):
        any_r = next(iter(by_reader.values()))
        if CONSENSUS in by_reader:
            r = by_reader[CONSENSUS]
        elif reader is not None and reader in by_reader:
            r = by_reader[reader]
        elif reader is not None and not fallback_any:
            notes.append(f"patient {pid or '?'}, film of {any_r.study_date}: no reading by "
                         f"{reader!r} and no consensus (readers: {', '.join(sorted(by_reader))}); "
                         "left out")
            continue
        elif len(by_reader) == 1:
            r = any_r
        elif fallback_any:
            name = sorted(by_reader)[0]
            r = by_reader[name]
            notes.append(f"patient {pid or '?'}, film of {r.study_date}: no consensus"
                         f"{' and no reading by ' + repr(reader) if reader else ''}; used "
                         f"{name!r}'s (readers: {', '.join(sorted(by_reader))})")
        else:
            raise CohortError(
                f"patient {pid or '?'}, film of {any_r.study_date}: readings by "
                f"{', '.join(sorted(by_reader))} and no consensus reading; pass --reader NAME to "
                "choose whose readings the cohort uses (or adjudicate first)")
        chosen.setdefault(pid, []).append(r)
        used[r.reader or ""] = used.get(r.reader or "", 0) + 1
    by_patient: dict[str, list["Reading"]] = {}
    from vfa.method.morphometry import summarize
    for pid, rs in chosen.items():
        by_date: dict[_dt.date, list["Reading"]] = {}
        for r in rs:
            by_date.setdefault(r.study_date, []).append(r)  # type: ignore[arg-type]
        out = []
        for d in sorted(by_date):
            cands = by_date[d]
            if len(cands) > 1:
                cands.sort(key=lambda r: (-summarize(r).graded, r.sop_instance_uid))
                notes.append(f"patient {pid or '?'}: {len(cands)} films on {d}; used the one "
                             "with the most graded levels")
            out.append(cands[0])
        by_patient[pid] = out
    return Selection(by_patient, used, notes, reader)


# --------------------------------------------------------------------------------------
# Per patient
# --------------------------------------------------------------------------------------
def _levels(levels: Iterable[Level]) -> list[str]:
    return [lv.value for lv in sorted(levels, key=lambda lv: lv.index)]


def _r1(x: float | None) -> float | None:
    return None if x is None else round(x + 0.0, 1) + 0.0


@dataclass
class PatientOutcome:
    course: PatientCourse
    sex: str | None
    clinical: "ClinicalContext | None"
    cohort_settings: CohortSettings

    # ---- figures
    @property
    def patient_id(self) -> str:
        return self.course.patient_id

    @property
    def age_at_baseline(self) -> float | None:
        age = self.course.baseline.reading.age_at_study()
        return _r1(age)

    @property
    def followed(self) -> bool:
        return self.course.overall is not None

    @property
    def months_followup(self) -> float | None:
        """Months from the first to the last visit; None for a single visit (no follow-up,
        domain §8: never 0)."""
        if not self.followed:
            return None
        return _r1(self.course.months(self.course.last.date))

    @property
    def prevalent_levels(self) -> list[str]:
        return [r.level.value for r in self.course.baseline.summary.results if r.fractured]

    @property
    def unconfirmed_levels(self) -> dict[str, list[str]]:
        """Unconfirmed grades behind the figures: at the baseline and the last visit."""
        vs = [self.course.baseline] + ([self.course.last] if self.followed else [])
        return {v.date.isoformat(): _levels(v.unconfirmed) for v in vs if v.unconfirmed}

    def _bmd(self, d: _dt.date) -> tuple[_dt.date, float] | None:
        if self.clinical is None:
            return None
        return self.clinical.bmd_z_nearest(d, self.cohort_settings.bmd_max_days)

    def bmd_before_treatment(self) -> tuple[tuple[_dt.date, float] | None, str]:
        """BMD Z "before treatment" (domain §8) and how it was chosen: the last measurement on
        or before the first bisphosphonate dose; with no recorded dose, the one nearest the first
        visit (earlier preferred) within ``bmd_max_days``."""
        if self.clinical is None:
            return None, "no clinical context"
        first_dose = self.clinical.first_infusion_date()
        if first_dose is not None:
            found = self.clinical.bmd_z_on_or_before(first_dose)
            return found, f"last on or before the first bisphosphonate dose ({first_dose.isoformat()})"
        return (self._bmd(self.course.baseline.date),
                f"nearest the first visit within {self.cohort_settings.bmd_max_days} days (no dose recorded)")

    def to_dict(self) -> dict[str, Any]:
        c = self.course
        o = c.overall
        b0, b0_rule = self.bmd_before_treatment()
        b1 = self._bmd(c.last.date) if self.followed else None
        ctx = self.clinical.to_dict() if self.clinical is not None else {}
        d: dict[str, Any] = {
            "patient_id": self.patient_id,
            "sex": self.sex,
            "age_at_baseline": self.age_at_baseline,
            "paediatric": c.paediatric,
            "visits": len(c.visits),
            "visit_dates": [v.date.isoformat() for v in c.visits],
            "readers": [v.reader for v in c.visits],
            "months_followup": self.months_followup,
            "prevalent_fractures": len(self.prevalent_levels),
            "prevalent_levels": self.prevalent_levels,
            "sdi_baseline": c.baseline.summary.sdi,
            "not_evaluable_baseline": c.baseline.summary.not_evaluable,
            "incident_fractures": len(o.incident) if o else None,
            "incident_levels": _levels(o.incident) if o else [],
            "worsened": len(o.worsened) if o else None,
            "worsened_levels": _levels(o.worsened) if o else [],
            "reshaped": len(o.reshaped) if o and o.reshaping_assessed else None,
            "reshaped_levels": (_levels(o.reshaped) if o.reshaping_assessed else None) if o else [],
            "reshaping_assessed": o.reshaping_assessed if o else None,
            "reshaping": {lv.value: k for lv, k in o.reshaped.items()} if o else {},
            "reshaping_text": [o.reshaping_text[lv] for lv in o.reshaped] if o else [],
            "reshaping_gain_pp": {lv.value: g for lv, g in o.reshaping_gain_pp.items()} if o else {},
            "improved_levels": _levels(o.improved) if o else [],
            "uncertain_levels": _levels(o.uncertain) if o else [],
            "within_noise_levels": _levels(o.within_noise) if o else [],
            "not_comparable_levels": _levels(o.not_comparable) if o else [],
            "sdi_last": c.last.summary.sdi if o else None,
            "sdi_baseline_common": o.sdi_start_common if o else None,
            "sdi_last_common": o.sdi_end_common if o else None,
            "common_levels": o.common_levels if o else None,
            "unconfirmed": sum(len(v) for v in self.unconfirmed_levels.values()),
            "unconfirmed_levels": self.unconfirmed_levels,
            "incident_levels_any_interval": _levels(changes_in(c.steps, "incident")),
            "bmd_z_baseline": b0[1] if b0 else None,
            "bmd_z_baseline_date": b0[0].isoformat() if b0 else None,
            "bmd_z_baseline_rule": b0_rule,
            "bmd_z_last": b1[1] if b1 else None,
            "bmd_z_last_date": b1[0].isoformat() if b1 else None,
            "diagnosis": ctx.get("diagnosis"),
            "treatment": ctx.get("treatment"),
            "glucocorticoids": ctx.get("glucocorticoids"),
            "other_drugs": ctx.get("other_drugs"),
            "infusions": ctx.get("infusions", []),
            "bmd_z": ctx.get("bmd_z", []),
            "notes": ctx.get("notes", []),
            "intervals": [s.to_dict() for s in c.steps],
        }
        return d


# --------------------------------------------------------------------------------------
# The cohort
# --------------------------------------------------------------------------------------
def _range(values: Iterable[float | int | None]) -> dict[str, Any]:
    xs = [v for v in values if v is not None]
    if not xs:
        return {"n": 0, "min": None, "max": None, "median": None}
    med = statistics.median(xs)
    return {"n": len(xs), "min": min(xs), "max": max(xs),
            "median": _r1(med) if isinstance(med, float) else med}


@dataclass
class Cohort:
    patients: list[PatientOutcome]
    selection: Selection
    settings: MethodSettings
    cohort_settings: CohortSettings
    notes: list[str] = field(default_factory=list)
    #: No patient IDs, no calendar dates, no free notes in any output (``--deidentify``).
    deidentify: bool = False

    def label(self, p: PatientOutcome) -> str:
        """The patient's name in the outputs: the ID, or "Case n" when de-identified."""
        return f"Case {self.patients.index(p) + 1}" if self.deidentify else p.patient_id

    def patient_dict(self, p: PatientOutcome) -> dict[str, Any]:
        d = p.to_dict()
        if self.deidentify:
            d = deidentified(d, self.label(p), p.course.baseline.date)
        return d

    def patient_dicts(self) -> list[dict[str, Any]]:
        return [self.patient_dict(p) for p in self.patients]

    def summary(self) -> dict[str, Any]:
        rows = [p.to_dict() for p in self.patients]
        followed = [r for r in rows if r["visits"] >= 2]
        sexes: dict[str, int] = {}
        for r in rows:
            k = r["sex"] or "unknown"
            sexes[k] = sexes.get(k, 0) + 1
        with_fx = [r for r in rows if r["prevalent_fractures"]]
        bmd_change = [round(r["bmd_z_last"] - r["bmd_z_baseline"], 1) + 0.0 for r in rows
                      if r["bmd_z_last"] is not None and r["bmd_z_baseline"] is not None]
        return {
            "patients": len(rows),
            "children": sum(1 for r in rows if r["paediatric"] is True),
            "adults": sum(1 for r in rows if r["paediatric"] is False),
            "age_unknown": sum(1 for r in rows if r["paediatric"] is None),
            "sex": dict(sorted(sexes.items())),
            "age_at_baseline": _range(r["age_at_baseline"] for r in rows),
            "visits": {**_range(r["visits"] for r in rows), "total": sum(r["visits"] for r in rows)},
            "patients_followed": len(followed),
            "months_followup": _range(r["months_followup"] for r in followed),
            "patients_with_prevalent_fracture": len(with_fx),
            "prevalent_fractures": sum(r["prevalent_fractures"] for r in rows),
            "sdi_baseline": _range(r["sdi_baseline"] for r in rows),
            "patients_with_incident_fracture": sum(1 for r in followed if r["incident_fractures"]),
            "patients_with_incident_fracture_any_interval": sum(
                1 for r in followed if r["incident_levels_any_interval"]),
            "incident_fractures": sum(r["incident_fractures"] or 0 for r in followed),
            "patients_with_worsened": sum(1 for r in followed if r["worsened"]),
            "worsened": sum(r["worsened"] or 0 for r in followed),
            "patients_with_reshaping": sum(1 for r in followed if r["reshaped"]),
            "patients_reshaping_not_assessed": sum(1 for r in followed if r["reshaping_assessed"] is False),
            "patients_with_within_noise": sum(1 for r in followed if r["within_noise_levels"]),
            "within_noise": sum(len(r["within_noise_levels"]) for r in followed),
            "patients_with_uncertain": sum(1 for r in followed if r["uncertain_levels"]),
            "uncertain": sum(len(r["uncertain_levels"]) for r in followed),
            "reshaped": sum(r["reshaped"] or 0 for r in followed),
            "sdi_last_common": _range(r["sdi_last_common"] for r in followed),
            "unconfirmed": sum(r["unconfirmed"] for r in rows),
            "bmd_z_baseline": _range(r["bmd_z_baseline"] for r in rows),
            "bmd_z_baseline_with_prevalent_fracture": _range(r["bmd_z_baseline"] for r in with_fx),
            "bmd_z_last": _range(r["bmd_z_last"] for r in followed),
            "bmd_z_change": _range(bmd_change),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "patients": self.patient_dicts(),
            "deidentified": self.deidentify,
            "summary": self.summary(),
            "readings_used": self.selection.description(),
            "reader": self.selection.reader,
            "notes": self.selection.notes + self.notes,
            "settings": self.settings.to_dict(),
            "cohort_settings": self.cohort_settings.to_dict(),
            "method_version": METHOD_VERSION,
        }


def _common_settings(readings: Sequence["Reading"]) -> tuple[MethodSettings, str | None]:
    sets = {r.settings for r in readings if r.settings is not None}
    if len(sets) == 1:
        return next(iter(sets)), None
    return MethodSettings(), ("the readings were saved with different method settings; every "
                              "film was graded again with the defaults shown")


def build_cohort(readings: Sequence["Reading"],
                 clinical: "dict[str, ClinicalContext] | None" = None,
                 reader: str | None = None, settings: MethodSettings | None = None,
                 cohort_settings: CohortSettings | None = None,
                 sexes: dict[str, str | None] | None = None, deidentify: bool = False) -> Cohort:
    """The cohort of every patient in ``readings`` (any readers; see :func:`select_readings`).

    With ``deidentify`` patients are "Case 1", "Case 2"... in the order of their baseline
    visits, and every calendar date becomes months from the patient's baseline."""
    sel = select_readings(readings, reader)
    if not sel.by_patient:
        raise CohortError("no dated readings to build a cohort from" +
                          (f" by reader {reader!r} or consensus" if reader else "")
                          + ": check the inputs")
    notes: list[str] = []
    if settings is None:
        settings, note = _common_settings([r for rs in sel.by_patient.values() for r in rs])
        if note:
            notes.append(note)
    cs = cohort_settings or CohortSettings()
    clinical = clinical or {}
    pts = []
    for pid in sorted(sel.by_patient):
        rs = sel.by_patient[pid]
        course = patient_course(rs, settings, clinical.get(pid))
        sex = next((v.reading.patient_sex for v in reversed(course.visits)
                    if v.reading.patient_sex), None) or (sexes or {}).get(pid)
        pts.append(PatientOutcome(course, sex, clinical.get(pid), cs))
    without = sorted(set(clinical) - set(sel.by_patient))
    if without:
        notes.append("clinical context without readings (not in the table): "
                     + (f"{len(without)} patient(s)" if deidentify else ', '.join(without)))
    if deidentify:
        pts.sort(key=lambda p: (p.course.baseline.date, p.patient_id))
        sel.notes = [_DATE.sub("(date removed)", n) for n in sel.notes]
        for p in pts:
            sel.notes = [n.replace(p.patient_id, "a patient") for n in sel.notes]
    return Cohort(pts, sel, settings, cs, notes, deidentify)


_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def deidentified(d: dict[str, Any], label: str, baseline: _dt.date) -> dict[str, Any]:
    """A patient's figures without identifiers: ``patient_id`` is ``label``, every calendar
    date (in values, texts and keys) is ``month X`` from the baseline visit, notes are left out."""
    def month(m: "re.Match[str]") -> str:
        try:
            day = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return "(date removed)"
        return f"month {round(months_between(baseline, day), 1) + 0.0:g}"

    def walk(x: Any) -> Any:
        if isinstance(x, str):
            return _DATE.sub(month, x)
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, dict):
            return {walk(k): walk(v) for k, v in x.items()}
        return x

    out = walk({k: v for k, v in d.items() if k not in ("patient_id", "notes")})
    out = {"patient_id": label, **out, "notes": []}
    return out


# --------------------------------------------------------------------------------------
# A patient's course from a workspace
# --------------------------------------------------------------------------------------
@dataclass
class PatientView:
    """What the viewer's patient timeline shows: the course, the outcome figures, which
    readings were used, and where each visit's film is."""

    outcome: PatientOutcome
    readings_used: str
    notes: list[str]
    films: list[str | None]          # per visit: the film's path if it can be found

    @property
    def course(self) -> PatientCourse:
        return self.outcome.course


def patient_view(workspace: Any, patient_id: str, reader: str | None = None,
                 cohort_settings: CohortSettings | None = None) -> PatientView | None:
    """The saved course of one patient in an open workspace (a
    :class:`vfa.storage.workspace.Workspace`; None: no saved dated reading).
    Per film the consensus reading, else ``reader``'s (the viewer's reader), else the only
    or the first reader's (noted)."""
    from vfa.reading.reading import film_for
    readings = workspace.saved_readings(patient_id, check_geometry=False)
    sel = select_readings(readings, reader, fallback_any=True)
    sel.reader_label = "yours"
    rs = sel.by_patient.get(patient_id)
    if not rs:
        return None
    ctx = workspace.clinical(patient_id)
    course = patient_course(rs, None, ctx)
    rec = workspace.index.patient(patient_id)
    sex = next((v.reading.patient_sex for v in reversed(course.visits) if v.reading.patient_sex),
               None) or (rec.sex if rec else None)
    films = []
    for v in course.visits:
        img = workspace.index.image(v.reading.sop_instance_uid)
        path = film_for(v.reading, None, img.path if img else None)
        films.append(str(path) if path else None)
    out = PatientOutcome(course, sex, ctx, cohort_settings or CohortSettings())
    return PatientView(out, sel.description(), sel.notes, films)


# --------------------------------------------------------------------------------------
# Text table (``vfa cohort`` without --json)
# --------------------------------------------------------------------------------------
def _t(x: Any, none: str = "–") -> str:
    if x is None:
        return none
    if isinstance(x, float):
        return f"{x:.1f}"
    return str(x)


def _lv(levels: list[str], n: Any) -> str:
    if n is None:
        return "–"
    return f"{n}" + (f" ({','.join(levels)})" if levels else "")


def interval_bits(s: dict[str, Any]) -> list[str]:
    """The words for every kind of change of one interval (``Interval.to_dict()``), in the
    order of :attr:`vfa.study.timeline.Interval.CHANGE_KINDS`; empty when there was none."""
    words = (("incident_levels", "new"), ("worsened_levels", "worse"), ("improved_levels", "improved"),
             ("reshaped_levels", "reshaped"), ("uncertain_levels", "uncertain"),
             ("within_noise_levels", "within noise"))
    out = [f"{w} {','.join(s[k])}" for k, w in words if s.get(k)]
    if s.get("reshaping_assessed") is False:
        out.append("reshaping not assessed (age unknown)")
    return out


def text_lines(cohort: Cohort) -> list[str]:
    out = [f"Readings used: {cohort.selection.description()}"]
    head = (f"{'patient':<14}{'sex':<4}{'age':>5} {'visits':>6}{'months':>7}  {'prevalent':<18}"
            f"{'SDI0':>5}  {'incident':<14}{'worsened':<12}{'reshaped':<14}{'SDIlast*':>8}"
            f"{'unconf':>7}  {'BMD Z 0→last':<14}")
    out += [head, "-" * len(head)]
    for d in cohort.patient_dicts():
        rs = ",".join(f"{lv}{'' if k == 'complete' else '(p)'}" for lv, k in d["reshaping"].items())
        bmd = f"{_t(d['bmd_z_baseline'])}→{_t(d['bmd_z_last'])}"
        na = "n/a" if d["reshaping_assessed"] is False else "–"   # reshaping not assessed: age unknown
        out.append(
            f"{d['patient_id'][:13]:<14}{_t(d['sex']):<4}{_t(d['age_at_baseline']):>5} "
            f"{d['visits']:>6}{_t(d['months_followup']):>7}  "
            f"{_lv(d['prevalent_levels'], d['prevalent_fractures']):<18}{d['sdi_baseline']:>5}  "
            f"{_lv(d['incident_levels'], d['incident_fractures']):<14}"
            f"{_lv(d['worsened_levels'], d['worsened']):<12}"
            f"{(_t(d['reshaped'], na) + (f' ({rs})' if rs else '')):<14}"
            f"{_t(d['sdi_last_common']):>8}{d['unconfirmed']:>7}  {bmd:<14}")
        for s in d["intervals"] if len(d["intervals"]) > 1 else []:
            bits = interval_bits(s)
            out.append(f"    {s['from']} → {s['to']} ({s['months']:.1f} mo): "
                       f"{'; '.join((['no change'] if s['no_change'] else []) + bits)}; "
                       f"SDI {s['sdi_from_common']}→{s['sdi_to_common']} on {s['common_levels']} levels")
        if d["diagnosis"] or d["treatment"]:
            out.append(f"    {d['diagnosis'] or ''}{' — ' if d['diagnosis'] and d['treatment'] else ''}"
                       f"{d['treatment'] or ''}")
    s = cohort.summary()
    out.append("")
    out.append(f"{s['patients']} patient(s) ({s['children']} child(ren), {s['adults']} adult(s)"
               f"{', ' + str(s['age_unknown']) + ' age unknown' if s['age_unknown'] else ''}); "
               f"{s['patients_with_prevalent_fracture']} with prevalent fractures "
               f"({s['prevalent_fractures']} levels); {s['patients_with_incident_fracture']} of "
               f"{s['patients_followed']} followed with an incident fracture at the last visit; "
               f"{s['patients_with_reshaping']} with reshaping"
               + (f" (not assessed in {s['patients_reshaping_not_assessed']}, age unknown)"
                  if s["patients_reshaping_not_assessed"] else "")
               + (f"; {s['patients_with_within_noise']} with a confirmed change within measurement noise "
                  f"({s['within_noise']} level(s))" if s["patients_with_within_noise"] else "")
               + (f"; {s['patients_with_uncertain']} with an uncertain change ({s['uncertain']} level(s))"
                  if s["patients_with_uncertain"] else "")
               + f"; {s['unconfirmed']} unconfirmed grade(s).")
    out.append("* SDI at the last visit over the levels evaluable at baseline and last visit. "
               "Levels in brackets; (p) partial reshaping.")
    for n in cohort.selection.notes + cohort.notes:
        out.append(f"Note: {n}")
    return out


__all__ = ["CONSENSUS", "CohortSettings", "Selection", "select_readings", "PatientOutcome",
           "Cohort", "build_cohort", "interval_bits", "PatientView", "patient_view", "text_lines"]
